//! A linear pre-scan of the query text, before the parser sees it: how many lexical tokens
//! it has and how deeply its brackets nest. Both bound what parsing may cost.

/// What the scan found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextShape {
    pub tokens: usize,
    pub nesting: usize,
}

/// Scans GraphQL source text, stopping early once `max_tokens` or `max_nesting` is passed
/// (the caller refuses the request then, so the exact count does not matter).
pub fn scan(text: &str, max_tokens: usize, max_nesting: usize) -> TextShape {
    let bytes = text.as_bytes();
    let mut shape = TextShape::default();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if shape.tokens > max_tokens || shape.nesting > max_nesting {
            break;
        }
        let byte = bytes[i];
        match byte {
            // Ignored tokens: white space, line terminators, commas, the byte order mark.
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => i += 3,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                shape.tokens += 1;
                i = skip_string(bytes, i);
            }
            b'{' | b'[' | b'(' => {
                shape.tokens += 1;
                depth += 1;
                shape.nesting = shape.nesting.max(depth);
                i += 1;
            }
            b'}' | b']' | b')' => {
                shape.tokens += 1;
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                shape.tokens += 1;
                i += 3;
            }
            _ if is_name_or_number(byte) => {
                shape.tokens += 1;
                while i < bytes.len() && (is_name_or_number(bytes[i]) || bytes[i] == b'.') {
                    i += 1;
                }
            }
            // Punctuators (`!`, `$`, `&`, `:`, `=`, `@`, `|`) and anything the parser will
            // refuse count as one token each.
            _ => {
                shape.tokens += 1;
                i += 1;
            }
        }
    }
    shape
}

fn is_name_or_number(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' || byte == b'+'
}

/// The index just past the string (or block string) starting at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return bytes.len();
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens_and_nesting() {
        let shape = scan(
            r#"query Q($id: UUID!) { campaign(id: $id) { name } }"#,
            1000,
            1000,
        );
        // query Q ( $ id : UUID ! ) { campaign ( id : $ id ) { name } }
        assert_eq!(shape.tokens, 21);
        assert_eq!(shape.nesting, 2);
    }

    #[test]
    fn strings_comments_and_spreads_are_single_tokens() {
        let text =
            "# a comment { { {\n{ a(s: \"x { y } \\\" z\", b: \"\"\"block \"\" { \"\"\") ...F }";
        let shape = scan(text, 1000, 1000);
        // { a ( s : "…" b : """…""" ) ... F }
        assert_eq!(shape.tokens, 13);
        assert_eq!(shape.nesting, 2);
    }

    #[test]
    fn stops_early_past_a_limit() {
        let deep = "{".repeat(100_000);
        assert!(scan(&deep, 1_000_000, 500).nesting > 500);
        let wide = "a ".repeat(100_000);
        let shape = scan(&wide, 15_000, 500);
        assert!(shape.tokens > 15_000 && shape.tokens < 15_010);
    }
}
