//! JSON documents written into responses as text, without async-graphql's value tree.
//!
//! A `metadata` field used to turn its document into an async-graphql `Value` tree, which
//! the response then serialized again: two trees allocated and freed per document, most
//! of a page's CPU. [`RawJson`] resolves to the document's JSON text instead, carried in
//! the tree as one `Value::Binary` leaf (this schema has no other binary output), and
//! [`Wire`] serializes a response writing that text as is. Every path that writes a
//! response goes through [`Wire`] (WebSocket) or [`to_vec`] (HTTP), which write the same
//! text.

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, Json, OutputType, Positioned, Response, ServerResult, Value,
};
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A JSON value's text, output as the `JSON` scalar: held as the `Value::Binary` leaf it
/// resolves to, whose bytes are shared, not copied, when it resolves.
pub struct RawJson(Value);

impl RawJson {
    /// A stored document: the text it was read as ([`entity::DocumentText`]), shared, not
    /// copied; else the text of its decoded `value`.
    pub fn document(value: &serde_json::Value, text: Option<&entity::DocumentText>) -> Self {
        match text {
            Some(text) => RawJson(Value::Binary(text.bytes())),
            None => Self::of(value),
        }
    }

    /// The text of `value`.
    pub fn of(value: &serde_json::Value) -> Self {
        // Serializing a `serde_json::Value` cannot fail (its keys are strings).
        let text = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        RawJson(Value::Binary(text.into()))
    }
}

impl OutputType for RawJson {
    fn type_name() -> Cow<'static, str> {
        <Json<serde_json::Value> as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Json<serde_json::Value> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Ok(self.0.clone())
    }
}

/// A response as the GraphQL-over-HTTP wire format: `data`, `extensions` when any,
/// `errors` when any (async-graphql's own order), with [`RawJson`] leaves as JSON text.
pub struct Wire<'a>(pub &'a Response);

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let response = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("data", &WireValue(&response.data))?;
        if !response.extensions.is_empty() {
            let extensions: Vec<_> = response
                .extensions
                .iter()
                .map(|(name, value)| (name, WireValue(value)))
                .collect();
            map.serialize_entry("extensions", &Entries(&extensions))?;
        }
        if !response.errors.is_empty() {
            map.serialize_entry("errors", &response.errors)?;
        }
        map.end()
    }
}

struct Entries<'a, K>(&'a [(K, WireValue<'a>)]);

impl<K: Serialize> Serialize for Entries<'_, K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

struct WireValue<'a>(&'a Value);

impl Serialize for WireValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Binary(text) if text.is_empty() => serializer.serialize_unit(),
            Value::Binary(text) => {
                let raw: &serde_json::value::RawValue =
                    serde_json::from_slice(text).map_err(S::Error::custom)?;
                raw.serialize(serializer)
            }
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&WireValue(item))?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (name, value) in fields {
                    map.serialize_entry(name.as_str(), &WireValue(value))?;
                }
                map.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

/// `response` as JSON bytes (HTTP bodies), the same text [`Wire`] serializes to. Written
/// directly: a raw leaf's text is JSON by construction (a stored document's text, or
/// serde_json's), so unlike a `RawValue` it is not parsed again, and the buffer is sized
/// once.
pub fn to_vec(response: &Response) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(32 + estimated_len(&response.data));
    out.extend_from_slice(b"{\"data\":");
    write_value(&mut out, &response.data)?;
    if !response.extensions.is_empty() {
        out.extend_from_slice(b",\"extensions\":{");
        for (index, (name, value)) in response.extensions.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, name)?;
            out.push(b':');
            write_value(&mut out, value)?;
        }
        out.push(b'}');
    }
    if !response.errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        serde_json::to_writer(&mut out, &response.errors)?;
    }
    out.push(b'}');
    Ok(out)
}

fn write_value(out: &mut Vec<u8>, value: &Value) -> serde_json::Result<()> {
    match value {
        Value::Binary(text) if text.is_empty() => out.extend_from_slice(b"null"),
        Value::Binary(text) => out.extend_from_slice(text),
        Value::List(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(fields) => {
            out.push(b'{');
            for (index, (name, value)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, name.as_str())?;
                out.push(b':');
                write_value(out, value)?;
            }
            out.push(b'}');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

/// About how many bytes `value` takes as JSON (exact for raw leaves, which dominate).
fn estimated_len(value: &Value) -> usize {
    match value {
        Value::Binary(text) => text.len(),
        Value::String(text) => text.len() + 2,
        Value::List(items) => {
            items
                .iter()
                .map(|item| estimated_len(item) + 1)
                .sum::<usize>()
                + 2
        }
        Value::Object(fields) => {
            fields
                .iter()
                .map(|(name, value)| name.len() + 4 + estimated_len(value))
                .sum::<usize>()
                + 2
        }
        _ => 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{Name, indexmap::IndexMap};
    use serde_json::json;

    #[test]
    fn raw_leaves_are_written_as_json_text() {
        let document = json!({ "a": [1, 2.5, "x"], "b": { "c": null, "é": "\u{1}" } });
        let mut object = IndexMap::new();
        object.insert(Name::new("metadata"), RawJson::of(&document).0);
        object.insert(Name::new("id"), Value::String("e\"1".into()));
        let response = Response::new(Value::Object(object));
        let written: serde_json::Value =
            serde_json::from_slice(&to_vec(&response).unwrap()).unwrap();
        assert_eq!(
            written,
            json!({ "data": { "metadata": document, "id": "e\"1" } })
        );
    }

    #[test]
    fn written_bytes_equal_the_serialized_wire_format() {
        let document = json!({ "k": ["v", 1.5, null, { "é\"": false }] });
        let mut node = IndexMap::new();
        node.insert(Name::new("metadata"), RawJson::of(&document).0);
        node.insert(Name::new("empty"), Value::Binary(Default::default()));
        node.insert(Name::new("kind"), Value::Enum(Name::new("CAMPAIGN")));
        node.insert(Name::new("n"), Value::from(-3));
        let mut root = IndexMap::new();
        root.insert(
            Name::new("nodes"),
            Value::List(vec![Value::Object(node), Value::Null]),
        );
        let error = async_graphql::ServerError::new("nope \"here\"", None);
        let mut response = Response::new(Value::Object(root))
            .extension("ftv1", Value::String("abc".into()))
            .extension("x", RawJson::of(&json!([1])).0);
        response.errors.push(error);
        let written = to_vec(&response).unwrap();
        assert_eq!(
            String::from_utf8(written.clone()).unwrap(),
            serde_json::to_string(&Wire(&response)).unwrap()
        );
        let parsed: serde_json::Value = serde_json::from_slice(&written).unwrap();
        assert_eq!(parsed["data"]["nodes"][0]["metadata"], document);
        assert_eq!(parsed["data"]["nodes"][0]["empty"], json!(null));
    }

    #[test]
    fn the_wire_format_matches_async_graphql_without_raw_leaves() {
        let data = Value::from_json(json!({ "x": [1, { "y": true }], "z": "s" })).unwrap();
        let response = Response::new(data).extension("ftv1", Value::String("abc".into()));
        assert_eq!(
            String::from_utf8(to_vec(&response).unwrap()).unwrap(),
            serde_json::to_string(&response).unwrap()
        );
    }
}
