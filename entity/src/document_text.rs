//! A metadata document as the JSON text the database stores, read for output: answering
//! it copies the text instead of decoding it into values and encoding it again.

use bytes::Bytes;

/// A document's JSON text, compact (no whitespace outside strings). Only ever made from
/// text the database produced from a stored JSON document, which is valid JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentText(Bytes);

impl DocumentText {
    /// The text of a stored document (PostgreSQL's `jsonb::text` puts a space after each
    /// `:` and `,`; they are dropped).
    pub fn from_stored(text: String) -> Self {
        let mut bytes = text.into_bytes();
        compact(&mut bytes);
        DocumentText(Bytes::from(bytes))
    }

    /// The JSON text (cheap to clone: shared, not copied).
    pub fn bytes(&self) -> Bytes {
        self.0.clone()
    }
}

/// Models that carry a [`DocumentText`] next to their decoded document.
pub trait HasDocumentText {
    fn set_document_text(&mut self, text: Option<DocumentText>);
}

/// Drops the whitespace outside strings of valid JSON text, in place. Most of a document's
/// bytes are inside strings, which are skipped to their closing quote with `memchr`
/// rather than looked at one by one.
fn compact(json: &mut Vec<u8>) {
    let len = json.len();
    let (mut read, mut write) = (0, 0);
    while read < len {
        let byte = json[read];
        if byte == b'"' {
            let end = string_end(json, read + 1);
            if write != read {
                json.copy_within(read..end, write);
            }
            write += end - read;
            read = end;
        } else {
            if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                json[write] = byte;
                write += 1;
            }
            read += 1;
        }
    }
    json.truncate(write);
}

/// The index just past the quote that closes the string whose contents start at `from`
/// (the end of the text if none does).
fn string_end(json: &[u8], mut from: usize) -> usize {
    while let Some(found) = json
        .get(from..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        let at = from + found;
        if json[at] == b'"' {
            return at + 1;
        }
        // A backslash escapes the byte after it (`\"` and `\\` included).
        from = at + 2;
    }
    json.len()
}

#[cfg(test)]
mod tests {
    use super::DocumentText;

    fn compacted(text: &str) -> String {
        String::from_utf8(DocumentText::from_stored(text.to_owned()).bytes().to_vec()).unwrap()
    }

    #[test]
    fn drops_whitespace_outside_strings_only() {
        assert_eq!(
            compacted(r#"{"a b": [1, 2, {"c": "x , y"}], "d\"e ": "f\\ ", "g": null}"#),
            r#"{"a b":[1,2,{"c":"x , y"}],"d\"e ":"f\\ ","g":null}"#
        );
        assert_eq!(compacted("{\n\t\"k\" :\r\n true }"), r#"{"k":true}"#);
        assert_eq!(compacted(r#"{"\\": " \\\" "}"#), r#"{"\\":" \\\" "}"#);
        assert_eq!(compacted("{}"), "{}");
        assert_eq!(compacted(r#"{"a": "\\"}"#), r#"{"a":"\\"}"#);
        assert_eq!(compacted(r#"[ "x\\\"y" , 1 ]"#), r#"["x\\\"y",1]"#);
    }

    #[test]
    fn broken_text_is_kept_without_panicking() {
        assert_eq!(compacted(r#"{"a": "b"#), r#"{"a":"b"#);
        assert_eq!(compacted(r#"{"a": "b\"#), r#"{"a":"b\"#);
        assert_eq!(compacted(r#"{"a": "b\""#), r#"{"a":"b\""#);
        assert_eq!(compacted(""), "");
    }

    /// The byte-by-byte definition the fast path must agree with.
    fn compacted_slowly(text: &str) -> String {
        let (mut in_string, mut escaped) = (false, false);
        text.chars()
            .filter(|&c| {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        in_string = false;
                    }
                    return true;
                }
                if c == '"' {
                    in_string = true;
                }
                !matches!(c, ' ' | '\n' | '\r' | '\t')
            })
            .collect()
    }

    #[test]
    fn agrees_with_the_byte_by_byte_definition() {
        let pieces = [
            "{", "}", "[", "]", " ", ",", ": ", "\"", "\\", "a", "é", "\t", "1",
        ];
        // Every sequence of up to 5 pieces: quotes, escapes and spaces in every order.
        let mut texts = vec![String::new()];
        for _ in 0..5 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|text| pieces.iter().map(move |piece| format!("{text}{piece}")))
                .collect();
            for text in &longer {
                assert_eq!(compacted(text), compacted_slowly(text), "{text:?}");
            }
            texts = longer;
        }
    }

    #[test]
    fn compact_text_parses_to_the_same_document() {
        let text =
            r#"{"s": "é \u00e9 \" , : ", "n": -1.5e3, "l": [ ], "o": { "x": [true, false] }}"#;
        let before: serde_json::Value = serde_json::from_str(text).unwrap();
        let after: serde_json::Value = serde_json::from_str(&compacted(text)).unwrap();
        assert_eq!(before, after);
    }
}
