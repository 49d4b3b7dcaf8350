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

/// Drops the whitespace outside strings of valid JSON text, in place.
fn compact(json: &mut Vec<u8>) {
    let mut in_string = false;
    let mut escaped = false;
    json.retain(|&byte| {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            return true;
        }
        match byte {
            b'"' => {
                in_string = true;
                true
            }
            b' ' | b'\n' | b'\r' | b'\t' => false,
            _ => true,
        }
    });
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
