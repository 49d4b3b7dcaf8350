//! GraphQL over WebSocket at `/ws`: the graphql-transport-ws protocol, with a bounded
//! number of sockets per process, subscriptions per socket and message size.
//!
//! Every operation (subscription, query or mutation) runs with its own DataLoaders, like
//! an HTTP request, and with the actor named by the upgrade request's `x-actor` header.

mod connection;
mod protocol;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, extract::State};
use serde_json::json;
use tokio::sync::Semaphore;

use super::AppState;
pub use connection::Connection;

/// Limits of the WebSocket endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WsLimits {
    /// Open sockets per process; more are answered 503 before the upgrade.
    pub max_sockets: usize,
    /// Operations running at once on one socket; more are refused with an `error` message.
    pub max_subscriptions: usize,
    /// How long a socket may stay open without `connection_init` (closed with 4408).
    pub init_timeout: Duration,
}

impl Default for WsLimits {
    fn default() -> Self {
        WsLimits {
            max_sockets: 10_000,
            max_subscriptions: 100,
            init_timeout: Duration::from_secs(10),
        }
    }
}

/// The sockets this process has open.
#[derive(Clone)]
pub struct WsSlots(Arc<Semaphore>);

impl WsSlots {
    pub fn new(limits: &WsLimits) -> Self {
        WsSlots(Arc::new(Semaphore::new(limits.max_sockets)))
    }
}

/// Upgrades to a graphql-transport-ws socket when a slot is free.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !super::csrf::websocket_origin_allowed(&headers, &state.http) {
        let body = json!({ "errors": [{
            "message": "this origin may not open WebSocket connections (see CORS_ALLOWED_ORIGINS)",
            "extensions": { "code": "FORBIDDEN" }
        }] });
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    let Ok(slot) = state.ws_slots.0.clone().try_acquire_owned() else {
        let body = json!({ "errors": [{
            "message": "too many WebSocket connections on this server; try again later",
            "extensions": { "code": "SERVICE_UNAVAILABLE" }
        }] });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    };
    let max_message = state.http.max_body_bytes;
    let upgrade = upgrade
        .protocols([protocol::SUBPROTOCOL])
        .max_message_size(max_message)
        .max_frame_size(max_message);
    let speaks_protocol = upgrade.selected_protocol().is_some();
    let principal = match super::authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal.into_response(),
    };
    let connection = Connection {
        schema: state.schema.clone(),
        db: state.db.clone(),
        limits: state.http.ws,
        actor: super::actor(&state, &headers, &principal),
        auth: state.http.auth.clone(),
        principal,
    };
    upgrade.on_upgrade(move |socket| async move {
        connection.run(socket, speaks_protocol).await;
        drop(slot);
    })
}
