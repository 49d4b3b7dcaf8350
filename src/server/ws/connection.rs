//! One graphql-transport-ws socket: handshake, operations, and the protocol's closes.

use std::collections::HashMap;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::{AbortHandle, Abortable, BoxStream, SelectAll};
use serde_json::json;

use super::WsLimits;
use super::protocol::{ClientMessage, CloseCode, ServerMessage};
use std::sync::Arc;

use crate::auth::{Authenticator, Principal};
use crate::graphql::{self, AppSchema, RequestActor};

/// What a socket needs to run operations.
pub struct Connection {
    pub schema: AppSchema,
    pub db: crate::db::Autocommit,
    pub limits: WsLimits,
    pub actor: RequestActor,
    pub auth: Arc<Authenticator>,
    /// From the upgrade request's `Authorization`, or `connection_init`'s payload.
    pub principal: Principal,
}

/// An item of a running operation: its id, the generation of that id, and a response
/// (`None` once the operation has ended).
type Item = (String, u64, Option<async_graphql::Response>);

/// What to do after a client message.
enum Next {
    Continue,
    Close(CloseCode, String),
}

struct Socket {
    acknowledged: bool,
    /// Running operations by id, with the generation that tells a restarted id apart.
    running: HashMap<String, (u64, AbortHandle)>,
    generation: u64,
    operations: SelectAll<BoxStream<'static, Item>>,
}

impl Connection {
    /// Serves the socket until either side closes it.
    pub async fn run(mut self, mut socket: WebSocket, speaks_protocol: bool) {
        if !speaks_protocol {
            close(
                &mut socket,
                CloseCode::SubprotocolNotAcceptable,
                "Subprotocol not acceptable: use graphql-transport-ws",
            )
            .await;
            return;
        }
        let _counted = crate::observability::ConnectionGauge::open();
        let mut state = Socket {
            acknowledged: false,
            running: HashMap::new(),
            generation: 0,
            operations: SelectAll::new(),
        };
        let init_deadline = tokio::time::sleep(self.limits.init_timeout);
        tokio::pin!(init_deadline);
        loop {
            tokio::select! {
                _ = &mut init_deadline, if !state.acknowledged => {
                    close(&mut socket, CloseCode::InitTimeout, "Connection initialisation timeout").await;
                    return;
                }
                incoming = socket.recv() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Binary(_))) => {
                            close(&mut socket, CloseCode::BadMessage, "binary messages are not part of graphql-transport-ws").await;
                            return;
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        // Closed by the client, or unreadable (e.g. over the size limit:
                        // the WebSocket layer answers that with 1009 itself).
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    };
                    let outcome = match serde_json::from_str::<ClientMessage>(text.as_str()) {
                        Ok(message) => self.on_message(&mut socket, &mut state, message).await,
                        Err(error) => Next::Close(CloseCode::BadMessage, format!("invalid message: {error}")),
                    };
                    match outcome {
                        Next::Continue => {}
                        Next::Close(code, reason) => {
                            close(&mut socket, code, &reason).await;
                            return;
                        }
                    }
                }
                Some((id, generation, response)) = state.operations.next(), if !state.operations.is_empty() => {
                    let current = state.running.get(&id).is_some_and(|(g, _)| *g == generation);
                    if !current {
                        continue;
                    }
                    let sent = match response {
                        Some(mut response) => {
                            graphql::add_error_codes(&mut response);
                            send(&mut socket, &ServerMessage::Next { id: &id, payload: &response }).await
                        }
                        None => {
                            state.running.remove(&id);
                            send(&mut socket, &ServerMessage::Complete { id: &id }).await
                        }
                    };
                    if !sent {
                        return;
                    }
                }
            }
        }
    }

    async fn on_message(
        &mut self,
        socket: &mut WebSocket,
        state: &mut Socket,
        message: ClientMessage,
    ) -> Next {
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if state.acknowledged {
                    return Next::Close(
                        CloseCode::TooManyInitRequests,
                        "Too many initialisation requests".into(),
                    );
                }
                // graphql-ws clients send the token as `{"Authorization": "Bearer …"}`.
                let authorization = payload.as_ref().and_then(|p| {
                    p.get("Authorization")
                        .or_else(|| p.get("authorization"))
                        .and_then(serde_json::Value::as_str)
                });
                if authorization.is_some() {
                    match self.auth.authenticate(authorization).await {
                        Ok(principal) => {
                            if principal.subject.is_some() {
                                self.actor = RequestActor(principal.subject.clone());
                            }
                            self.principal = principal;
                        }
                        Err(_) => return Next::Close(CloseCode::Forbidden, "Forbidden".into()),
                    }
                }
                state.acknowledged = true;
                continue_if(send(socket, &ServerMessage::ConnectionAck).await)
            }
            ClientMessage::Ping { payload } => {
                continue_if(send(socket, &ServerMessage::Pong { payload }).await)
            }
            ClientMessage::Pong { .. } => Next::Continue,
            ClientMessage::Complete { id } => {
                if let Some((_, handle)) = state.running.remove(&id) {
                    handle.abort();
                }
                Next::Continue
            }
            ClientMessage::Subscribe { id, payload } => {
                if !state.acknowledged {
                    return Next::Close(CloseCode::Unauthorized, "Unauthorized".into());
                }
                if state.running.contains_key(&id) {
                    return Next::Close(
                        CloseCode::DuplicateSubscriber,
                        format!("Subscriber for {id} already exists"),
                    );
                }
                if state.running.len() >= self.limits.max_subscriptions {
                    let refusal = ServerMessage::Error {
                        id: &id,
                        payload: vec![json!({
                            "message": format!(
                                "at most {} operations may run at once on one socket",
                                self.limits.max_subscriptions
                            ),
                            "extensions": { "code": "TOO_MANY_SUBSCRIPTIONS" }
                        })],
                    };
                    return continue_if(send(socket, &refusal).await);
                }
                self.start(state, id, *payload);
                Next::Continue
            }
        }
    }

    fn start(&self, state: &mut Socket, id: String, request: async_graphql::Request) {
        state.generation += 1;
        let generation = state.generation;
        let request = request
            .data(self.actor.clone())
            .data(self.principal.clone());
        let responses = graphql::execute_stream(&self.schema, &self.db, request);
        let (handle, registration) = AbortHandle::new_pair();
        let tagged_id = id.clone();
        let counted = crate::observability::SubscriptionGauge::start();
        let stream = Abortable::new(responses, registration)
            .map({
                let id = tagged_id.clone();
                // Counted while the operation's stream lives.
                move |response| {
                    let _ = &counted;
                    (id.clone(), generation, Some(response))
                }
            })
            .chain(futures_util::stream::once(async move {
                (tagged_id, generation, None)
            }));
        state.operations.push(stream.boxed());
        state.running.insert(id, (generation, handle));
    }
}

fn continue_if(sent: bool) -> Next {
    if sent {
        Next::Continue
    } else {
        Next::Close(
            CloseCode::BadMessage,
            "the socket could not be written".into(),
        )
    }
}

/// Sends one message; false when the socket is gone.
async fn send(socket: &mut WebSocket, message: &ServerMessage<'_>) -> bool {
    match serde_json::to_string(message) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(error) => {
            tracing::error!(%error, "serializing a WebSocket message");
            false
        }
    }
}

async fn close(socket: &mut WebSocket, code: CloseCode, reason: &str) {
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    let mut reason = reason.to_owned();
    while reason.len() > 123 {
        reason.pop();
    }
    let frame = CloseFrame {
        code: code as u16,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}
