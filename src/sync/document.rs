//! Metadata documents: validation, RFC 7396 merge patches and the cross reference.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::SyncError;

/// The key under which every document carries the id of its `_metadata_master` row.
pub const CROSS_REFERENCE_KEY: &str = "metadata_master_id";

/// A requested change to a metadata document.
#[derive(Clone, Debug)]
pub enum MetadataChange {
    /// Replace the whole document (the cross reference is kept).
    Replace(Value),
    /// Apply an RFC 7396 JSON merge patch to the current document.
    MergePatch(Value),
}

impl MetadataChange {
    /// Builds the change from the two mutually exclusive API arguments.
    pub fn from_arguments(
        metadata: Option<Value>,
        patch: Option<Value>,
    ) -> Result<Self, SyncError> {
        match (metadata, patch) {
            (Some(document), None) => Ok(MetadataChange::Replace(document)),
            (None, Some(patch)) => Ok(MetadataChange::MergePatch(patch)),
            (Some(_), Some(_)) => Err(SyncError::InvalidMetadata(
                "give either `metadata` (a replacement) or `patch` (a merge patch), not both"
                    .into(),
            )),
            (None, None) => Err(SyncError::InvalidMetadata(
                "give `metadata` (a replacement) or `patch` (a merge patch)".into(),
            )),
        }
    }

    /// The document that results from applying this change to `current`, with the cross
    /// reference to `master_id` in place.
    pub fn apply(&self, current: &Value, master_id: Uuid) -> Result<Value, SyncError> {
        let next = match self {
            MetadataChange::Replace(document) => {
                require_object(document, "metadata")?;
                document.clone()
            }
            MetadataChange::MergePatch(patch) => {
                let mut next = current.clone();
                apply_merge_patch(&mut next, patch);
                require_object(&next, "the patched metadata")?;
                next
            }
        };
        Ok(with_cross_reference(next, master_id))
    }
}

/// Refuses anything but a JSON object, naming what was given.
pub fn require_object(document: &Value, what: &str) -> Result<(), SyncError> {
    if document.is_object() {
        Ok(())
    } else {
        Err(SyncError::InvalidMetadata(format!(
            "{what} must be a JSON object, not {}",
            json_kind(document)
        )))
    }
}

/// Sets the cross reference to the master row (the database triggers do the same).
pub fn with_cross_reference(document: Value, master_id: Uuid) -> Value {
    let mut map = match document {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    map.insert(
        CROSS_REFERENCE_KEY.into(),
        Value::String(master_id.to_string()),
    );
    Value::Object(map)
}

/// RFC 7396: objects merge recursively, `null` removes a key, anything else replaces.
pub fn apply_merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target_map) = target else {
        unreachable!("made an object above")
    };
    for (key, value) in patch_map {
        if value.is_null() {
            target_map.remove(key);
        } else {
            apply_merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Two documents are the same when they are equal as JSON values (key order aside),
/// as `jsonb` equality and the SQLite triggers' `json_tree` comparison see them.
pub fn same_document(a: &Value, b: &Value) -> bool {
    a == b
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The examples of RFC 7396, appendix A.
    #[test]
    fn merge_patch_follows_rfc_7396_examples() {
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (mut target, patch, expected) in cases {
            apply_merge_patch(&mut target, &patch);
            assert_eq!(target, expected, "patch {patch}");
        }
    }

    #[test]
    fn replacement_keeps_the_cross_reference() {
        let id = Uuid::now_v7();
        let next = MetadataChange::Replace(json!({"a": 1}))
            .apply(&json!({}), id)
            .unwrap();
        assert_eq!(next, json!({"a": 1, "metadata_master_id": id.to_string()}));
        let dropped = MetadataChange::MergePatch(json!({"metadata_master_id": null}))
            .apply(&next, id)
            .unwrap();
        assert_eq!(dropped, next);
    }

    #[test]
    fn non_objects_are_refused() {
        let id = Uuid::now_v7();
        assert!(
            MetadataChange::Replace(json!([1]))
                .apply(&json!({}), id)
                .is_err()
        );
        assert!(
            MetadataChange::MergePatch(json!("x"))
                .apply(&json!({}), id)
                .is_err()
        );
        assert!(MetadataChange::from_arguments(None, None).is_err());
        assert!(MetadataChange::from_arguments(Some(json!({})), Some(json!({}))).is_err());
    }
}
