//! RFC 6902 JSON patches between two versions of a document.

use serde_json::{Map, Value, json};

/// The operations that turn `from` into `to`: objects are compared key by key (removals
/// first, then additions and replacements, keys in sorted order); any other differing
/// value, arrays included, is replaced whole.
pub fn diff(from: &Value, to: &Value) -> Value {
    let mut operations = Vec::new();
    diff_into(&mut operations, String::new(), from, to);
    Value::Array(operations)
}

fn diff_into(operations: &mut Vec<Value>, path: String, from: &Value, to: &Value) {
    match (from, to) {
        (Value::Object(from), Value::Object(to)) => diff_objects(operations, &path, from, to),
        _ if from == to => {}
        _ => operations.push(json!({ "op": "replace", "path": path, "value": to })),
    }
}

fn diff_objects(
    operations: &mut Vec<Value>,
    path: &str,
    from: &Map<String, Value>,
    to: &Map<String, Value>,
) {
    for key in from.keys().filter(|key| !to.contains_key(*key)) {
        operations.push(json!({ "op": "remove", "path": pointer(path, key) }));
    }
    for (key, value) in to {
        match from.get(key) {
            None => {
                operations.push(json!({ "op": "add", "path": pointer(path, key), "value": value }))
            }
            Some(old) => diff_into(operations, pointer(path, key), old, value),
        }
    }
}

/// Appends `key` to a JSON pointer, escaping `~` and `/` (RFC 6901).
fn pointer(path: &str, key: &str) -> String {
    format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Applies the `add`/`remove`/`replace` operations [`diff`] produces.
pub fn apply(document: &Value, patch: &Value) -> Option<Value> {
    let mut document = document.clone();
    for operation in patch.as_array()? {
        let path = operation["path"].as_str()?;
        if path.is_empty() {
            document = operation["value"].clone();
            continue;
        }
        let (parent_path, key) = path.rsplit_once('/')?;
        let key = key.replace("~1", "/").replace("~0", "~");
        let parent = document.pointer_mut(parent_path)?.as_object_mut()?;
        match operation["op"].as_str()? {
            "remove" => {
                parent.remove(&key)?;
            }
            "add" | "replace" => {
                parent.insert(key, operation["value"].clone());
            }
            _ => return None,
        }
    }
    Some(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_then_apply_round_trips() {
        let cases = [
            (json!({}), json!({ "a": 1 })),
            (
                json!({ "a": 1, "b": { "c": [1, 2] } }),
                json!({ "b": { "c": [1, 3], "d": null } }),
            ),
            (json!({ "a/b": 1, "m~n": 2 }), json!({ "a/b": 2 })),
            (json!({ "x": { "y": { "z": 1 } } }), json!({ "x": "flat" })),
            (json!({ "same": true }), json!({ "same": true })),
        ];
        for (from, to) in cases {
            let patch = diff(&from, &to);
            assert_eq!(apply(&from, &patch).as_ref(), Some(&to), "patch {patch}");
        }
    }

    #[test]
    fn operations_are_rfc_6902() {
        let patch = diff(
            &json!({ "gone": 1, "kept": 1, "a/b": 1 }),
            &json!({ "kept": 2, "new": [1], "a/b": 1 }),
        );
        assert_eq!(
            patch,
            json!([
                { "op": "remove", "path": "/gone" },
                { "op": "replace", "path": "/kept", "value": 2 },
                { "op": "add", "path": "/new", "value": [1] },
            ])
        );
        assert_eq!(diff(&json!({ "a": 1 }), &json!({ "a": 1 })), json!([]));
    }
}
