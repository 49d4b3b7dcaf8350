//! JSON documents written into responses as text, without async-graphql's value tree.
//!
//! A `metadata` field used to turn its document into an async-graphql `Value` tree, which
//! the response then serialized again: two trees allocated and freed per document, most
//! of a page's CPU. [`RawJson`] resolves to the document's JSON text instead, carried in
//! the tree as one `Value::Binary` leaf (this schema has no other binary output), and
//! [`Wire`] serializes a response writing that text as is. Every path that writes a
//! response — HTTP and WebSocket — goes through [`Wire`].

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

/// `response` as JSON bytes (HTTP bodies and WebSocket payloads).
pub fn to_vec(response: &Response) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&Wire(response))
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
    fn the_wire_format_matches_async_graphql_without_raw_leaves() {
        let data = Value::from_json(json!({ "x": [1, { "y": true }], "z": "s" })).unwrap();
        let response = Response::new(data).extension("ftv1", Value::String("abc".into()));
        assert_eq!(
            String::from_utf8(to_vec(&response).unwrap()).unwrap(),
            serde_json::to_string(&response).unwrap()
        );
    }
}
