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
            _ if byte.is_ascii_alphabetic() || byte == b'_' => {
                shape.tokens += 1;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
            }
            _ if byte.is_ascii_digit() || byte == b'-' => {
                shape.tokens += 1;
                i = skip_number(bytes, i);
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

/// The index just past the number starting at `start`:
/// `-?digits(.digits)?([eE][+-]?digits)?`, as the GraphQL grammar has it.
fn skip_number(bytes: &[u8], start: usize) -> usize {
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = start;
    if bytes[i] == b'-' {
        i += 1;
    }
    i = digits(i);
    if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
        i = digits(i + 1);
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    i.max(start + 1)
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
    fn tokens_are_split_as_the_parser_splits_them() {
        // A field and three spreads; four numbers; a name, a float and an exponent.
        assert_eq!(scan("{a...F...F...F}", 100, 100).tokens, 9);
        assert_eq!(scan("[0-0-0-0]", 100, 100).tokens, 6);
        assert_eq!(scan("x 1.5 -2e+10", 100, 100).tokens, 3);
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
