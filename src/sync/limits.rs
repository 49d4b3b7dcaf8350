//! Bounds on the documents clients write: size, nesting, and no NUL characters.
//!
//! The database refuses documents nested deeper than [`DATABASE_MAX_DEPTH`] from any
//! writer (see the `migration` crate), so every stored document can be read back; the API
//! refuses what is over its (configurable, lower) limits before it touches the database.

use serde_json::Value;

use super::SyncError;

/// The nesting the database accepts from any writer (serde_json reads up to 127 levels).
pub const DATABASE_MAX_DEPTH: usize = 100;

/// What a client-written metadata document may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Serialized size in bytes.
    pub max_bytes: usize,
    /// Nesting of objects and arrays (the document itself is level 1); at most
    /// [`DATABASE_MAX_DEPTH`].
    pub max_depth: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            max_bytes: 1024 * 1024,
            max_depth: 32,
        }
    }
}

impl DocumentLimits {
    /// Refuses `document` (named `what` in the message) when it is over a limit or holds
    /// a NUL character in a key or a string, else answers the size it counted. Linear in
    /// the document; no recursion.
    pub fn check(&self, document: &Value, what: &str) -> Result<usize, SyncError> {
        let max_depth = self.max_depth.min(DATABASE_MAX_DEPTH);
        let mut stack: Vec<(&Value, usize)> = vec![(document, 1)];
        let mut bytes = 0usize;
        while let Some((value, depth)) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if depth > max_depth {
                        return Err(too_deep(what, max_depth));
                    }
                    bytes += 2 + map.len();
                    for (key, child) in map {
                        if key.contains('\0') {
                            return Err(nul(what));
                        }
                        bytes += key.len() + 3;
                        stack.push((child, depth + 1));
                    }
                }
                Value::Array(items) => {
                    if depth > max_depth {
                        return Err(too_deep(what, max_depth));
                    }
                    bytes += 2 + items.len();
                    stack.extend(items.iter().map(|item| (item, depth + 1)));
                }
                Value::String(text) => {
                    if text.contains('\0') {
                        return Err(nul(what));
                    }
                    bytes += text.len() + 2;
                }
                Value::Number(number) => bytes += number.to_string().len(),
                Value::Bool(_) | Value::Null => bytes += 5,
            }
            if bytes > self.max_bytes {
                return Err(SyncError::InvalidMetadata(format!(
                    "{what} is larger than the limit of {} bytes",
                    self.max_bytes
                )));
            }
        }
        Ok(bytes)
    }
}

fn too_deep(what: &str, max_depth: usize) -> SyncError {
    SyncError::InvalidMetadata(format!(
        "{what} is nested deeper than the limit of {max_depth} levels"
    ))
}

fn nul(what: &str) -> SyncError {
    SyncError::InvalidMetadata(format!("{what} must not contain NUL (\\u0000) characters"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        (1..levels).fold(json!({}), |inner, _| json!({ "a": inner }))
    }

    #[test]
    fn depth_counts_the_document_as_level_one() {
        let limits = DocumentLimits {
            max_bytes: 1 << 20,
            max_depth: 3,
        };
        assert!(limits.check(&nested(3), "metadata").is_ok());
        let error = limits.check(&nested(4), "metadata").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("deeper than the limit of 3 levels")
        );
        assert!(limits.check(&json!({"a": [[1]]}), "metadata").is_ok());
        assert!(limits.check(&json!({"a": [[[1]]]}), "metadata").is_err());
    }

    #[test]
    fn size_is_close_to_the_serialized_size() {
        let document = json!({ "text": "x".repeat(1000), "list": [1, 2.5, true, null] });
        let serialized = serde_json::to_vec(&document).unwrap().len();
        let fits = DocumentLimits {
            max_bytes: serialized + 16,
            max_depth: 32,
        };
        assert!(fits.check(&document, "metadata").is_ok());
        let too_small = DocumentLimits {
            max_bytes: serialized - 16,
            max_depth: 32,
        };
        assert!(too_small.check(&document, "metadata").is_err());
    }

    #[test]
    fn nul_is_refused_in_keys_and_values() {
        let limits = DocumentLimits::default();
        assert!(limits.check(&json!({"a\u{0}": 1}), "metadata").is_err());
        assert!(limits.check(&json!({"a": ["x\u{0}"]}), "metadata").is_err());
        assert!(limits.check(&json!({"a": "x"}), "metadata").is_ok());
    }
}
