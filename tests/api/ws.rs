//! A small graphql-transport-ws client (the protocol of the `graphql-ws` library).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::TestApp;

pub struct Subscription {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Connects to `/ws`, acknowledges the connection and starts `query`.
pub async fn subscribe(app: &TestApp, query: &str, variables: Value) -> Subscription {
    let url = format!("{}/ws", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    socket
        .send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await
        .unwrap();
    let mut subscription = Subscription { socket };
    assert_eq!(subscription.message().await["type"], "connection_ack");
    let start = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } });
    subscription
        .socket
        .send(Message::text(start.to_string()))
        .await
        .unwrap();
    // The server starts the stream right after reading the message; give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    subscription
}

impl Subscription {
    async fn message(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(15), self.socket.next())
                .await
                .expect("no message within 15 s")
                .expect("socket closed")
                .expect("socket error");
            match frame {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// The data of the next `next` message (pings are answered by the library).
    pub async fn next(&mut self) -> Value {
        loop {
            let message = self.message().await;
            match message["type"].as_str() {
                Some("next") => {
                    assert!(message["payload"]["errors"].is_null(), "{message}");
                    return message["payload"]["data"].clone();
                }
                Some("ping") => {
                    self.socket
                        .send(Message::text(json!({ "type": "pong" }).to_string()))
                        .await
                        .unwrap();
                }
                _ => panic!("unexpected message {message}"),
            }
        }
    }

    /// Asserts nothing arrives for `quiet`.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        if let Ok(Some(frame)) = tokio::time::timeout(quiet, self.socket.next()).await {
            panic!("unexpected message {frame:?}");
        }
    }
}
