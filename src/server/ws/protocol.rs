//! The messages of the graphql-transport-ws protocol (the `graphql-ws` library's), and its
//! close codes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
}

/// What the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage<'a> {
    ConnectionAck,
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<Value>,
    },
    Next {
        id: &'a str,
        #[serde(serialize_with = "wire")]
        payload: &'a async_graphql::Response,
    },
    Error {
        id: &'a str,
        payload: Vec<Value>,
    },
    Complete {
        id: &'a str,
    },
}

/// The protocol's close codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseCode {
    /// A message the protocol does not allow.
    BadMessage = 4400,
    /// `subscribe` before `connection_ack`.
    Unauthorized = 4401,
    /// `connection_init` with a token that is not valid.
    Forbidden = 4403,
    /// The client offered no subprotocol this server speaks.
    SubprotocolNotAcceptable = 4406,
    /// No `connection_init` within the configured wait.
    InitTimeout = 4408,
    /// A `subscribe` whose id is already running.
    DuplicateSubscriber = 4409,
    /// A second `connection_init`.
    TooManyInitRequests = 4429,
}

/// The subprotocol this server speaks.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// A response with its raw JSON documents written as text (see `graphql::raw_json`).
fn wire<S: serde::Serializer>(
    response: &&async_graphql::Response,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&crate::graphql::raw_json::Wire(response), serializer)
}
