//! Flattening of nested source-string documents to dot-path keys and back.
//!
//! Keys are built from the path to each leaf: object members by name, array elements by
//! index (`"steps.0.title"`). So that keys containing dots still round-trip, every object
//! key is escaped before joining: `\` becomes `\\` and `.` becomes `\.` (so the member
//! `"a.b"` of `"x"` is the flat key `x.a\.b`). A top-level string (not inside any object or
//! array) has the empty key `""`.
//!
//! Only string leaves are translatable: numbers, booleans and `null` are skipped by
//! [`flatten`] and are not reproduced by [`unflatten`].

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Escapes one object key for use as a path segment (`\` → `\\`, `.` → `\.`).
pub fn escape_segment(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        if c == '\\' || c == '.' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn child_path(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() {
        segment.to_owned()
    } else {
        format!("{prefix}.{segment}")
    }
}

/// Flattens `scripts` to a map from dot-path key to source string.
///
/// Objects are walked by (escaped) member name, arrays by index. Only string leaves are
/// collected; numbers, booleans and `null` are not translatable and are skipped. Empty
/// objects and arrays contribute no keys.
pub fn flatten(scripts: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(scripts, "", true, &mut out);
    out
}

fn walk(value: &Value, path: &str, root: bool, out: &mut BTreeMap<String, String>) {
    match value {
        Value::String(s) => {
            out.insert(path.to_owned(), s.clone());
        }
        Value::Object(map) => {
            for (k, v) in map {
                let segment = escape_segment(k);
                let p = if root {
                    segment
                } else {
                    child_path(path, &segment)
                };
                walk(v, &p, false, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = if root {
                    i.to_string()
                } else {
                    child_path(path, &i.to_string())
                };
                walk(v, &p, false, out);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Rebuilds the nested shape of `shape` (the source scripts) with the strings of `values`.
///
/// Each string leaf of `shape` is looked up in `values` by its flat key (as produced by
/// [`flatten`]). In objects, a member whose key is missing from `values`, or whose shape
/// value is not a string/object/array, is left out. In arrays the indexes are kept: such an
/// element becomes `null`. Objects and arrays themselves are always reproduced (possibly
/// empty). Returns `null` if the top-level shape is a string without a value, or is not
/// translatable.
pub fn unflatten(values: &BTreeMap<String, String>, shape: &Value) -> Value {
    rebuild(values, shape, "", true).unwrap_or(Value::Null)
}

fn rebuild(
    values: &BTreeMap<String, String>,
    shape: &Value,
    path: &str,
    root: bool,
) -> Option<Value> {
    match shape {
        Value::String(_) => values.get(path).map(|s| Value::String(s.clone())),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let segment = escape_segment(k);
                let p = if root {
                    segment
                } else {
                    child_path(path, &segment)
                };
                if let Some(built) = rebuild(values, v, &p, false) {
                    out.insert(k.clone(), built);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => {
            let out = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let p = if root {
                        i.to_string()
                    } else {
                        child_path(path, &i.to_string())
                    };
                    rebuild(values, v, &p, false).unwrap_or(Value::Null)
                })
                .collect();
            Some(Value::Array(out))
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_nested_objects_and_arrays() {
        let scripts = json!({
            "title": "Welcome",
            "steps": [{"title": "One", "body": "First"}, {"title": "Two"}],
            "meta": {"count": 3, "enabled": true, "none": null, "label": "L"}
        });
        let flat = flatten(&scripts);
        let expected: BTreeMap<String, String> = [
            ("title", "Welcome"),
            ("steps.0.title", "One"),
            ("steps.0.body", "First"),
            ("steps.1.title", "Two"),
            ("meta.label", "L"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(flat, expected);
    }

    #[test]
    fn round_trip_reproduces_string_leaves_only() {
        let scripts = json!({
            "a": {"b": ["x", 1, "y", null], "c": "z", "n": 5},
            "empty": {},
            "list": []
        });
        let flat = flatten(&scripts);
        let back = unflatten(&flat, &scripts);
        assert_eq!(
            back,
            json!({"a": {"b": ["x", null, "y", null], "c": "z"}, "empty": {}, "list": []})
        );
        assert_eq!(flatten(&back), flat);
    }

    #[test]
    fn escapes_dots_and_backslashes_in_keys() {
        let scripts = json!({
            "a.b": {"c": "one"},
            "a": {"b.c": "two", "b": {"c": "three"}},
            "back\\slash.": "four"
        });
        let flat = flatten(&scripts);
        assert_eq!(flat.get("a\\.b.c").map(String::as_str), Some("one"));
        assert_eq!(flat.get("a.b\\.c").map(String::as_str), Some("two"));
        assert_eq!(flat.get("a.b.c").map(String::as_str), Some("three"));
        assert_eq!(
            flat.get("back\\\\slash\\.").map(String::as_str),
            Some("four")
        );
        assert_eq!(flat.len(), 4);
        assert_eq!(unflatten(&flat, &scripts), scripts);
    }

    #[test]
    fn unflatten_uses_given_values_and_skips_missing() {
        let scripts = json!({"greet": "Hello", "steps": ["One", "Two"], "bye": "Bye"});
        let mut values = BTreeMap::new();
        values.insert("greet".to_owned(), "Hola".to_owned());
        values.insert("steps.1".to_owned(), "Dos".to_owned());
        values.insert("unrelated".to_owned(), "ignored".to_owned());
        assert_eq!(
            unflatten(&values, &scripts),
            json!({"greet": "Hola", "steps": [null, "Dos"]})
        );
    }

    #[test]
    fn top_level_array_and_string() {
        let scripts = json!(["a", ["b", "c"]]);
        let flat = flatten(&scripts);
        assert_eq!(flat.keys().collect::<Vec<_>>(), vec!["0", "1.0", "1.1"]);
        assert_eq!(unflatten(&flat, &scripts), scripts);

        let single = json!("only");
        let flat = flatten(&single);
        assert_eq!(flat.get("").map(String::as_str), Some("only"));
        assert_eq!(unflatten(&flat, &single), single);
        assert_eq!(unflatten(&BTreeMap::new(), &single), Value::Null);
    }
}
