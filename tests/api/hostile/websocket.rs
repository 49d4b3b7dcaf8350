//! `/ws` under hostile clients: the graphql-transport-ws closes, queries and mutations with
//! their loaders, and the limits on sockets, subscriptions and message size.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use metadata_synergy::server::{HttpOptions, WsLimits};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::assert_no_leak;
use crate::helpers::{TestApp, create_campaign, spawn_app, spawn_app_with_http};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(app: &TestApp, protocol: &str) -> Socket {
    let url = format!("{}/ws", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", protocol.parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket")
        .0
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

/// The next text message, or the close code as `{"close": code}`.
async fn receive(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a message within 15 s");
        match frame {
            Some(Ok(Message::Text(text))) => {
                assert_no_leak(&text);
                return serde_json::from_str(&text).unwrap();
            }
            Some(Ok(Message::Close(frame))) => {
                let code = frame.map(|f| u16::from(f.code)).unwrap_or(0);
                return json!({ "close": code });
            }
            Some(Ok(_)) => continue,
            Some(Err(error)) => return json!({ "error": error.to_string() }),
            None => return json!({ "closed": true }),
        }
    }
}

async fn acknowledged(app: &TestApp) -> Socket {
    let mut socket = connect(app, "graphql-transport-ws").await;
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(receive(&mut socket).await["type"], "connection_ack");
    socket
}

fn subscribe(id: &str, query: &str) -> Value {
    json!({ "id": id, "type": "subscribe", "payload": { "query": query } })
}

#[tokio::test]
async fn queries_and_mutations_run_over_the_socket_with_their_loaders() {
    let app = spawn_app().await;
    create_campaign(&app, json!({ "a": 1 })).await;
    let mut socket = acknowledged(&app).await;
    let query = "{ campaigns(first: 5) { edges { node { name metadataMaster { version entity { id } } } } } }";
    send(&mut socket, subscribe("q", query)).await;
    let next = receive(&mut socket).await;
    assert_eq!(next["type"], "next", "{next}");
    assert!(next["payload"]["errors"].is_null(), "{next}");
    assert_eq!(
        next["payload"]["data"]["campaigns"]["edges"][0]["node"]["metadataMaster"]["version"],
        1
    );
    assert_eq!(
        receive(&mut socket).await,
        json!({ "id": "q", "type": "complete" })
    );
    let mutation = r#"mutation { createCampaign(input: { name: "over ws" }) { name metadataMaster { version } } }"#;
    send(&mut socket, subscribe("m", mutation)).await;
    let next = receive(&mut socket).await;
    assert_eq!(next["payload"]["data"]["createCampaign"]["name"], "over ws");
    assert_eq!(receive(&mut socket).await["type"], "complete");
    // The socket and the server are still fine.
    send(&mut socket, json!({ "type": "ping" })).await;
    assert_eq!(receive(&mut socket).await["type"], "pong");
    app.stop().await;
}

#[tokio::test]
async fn protocol_violations_close_with_the_protocol_s_codes() {
    let app = spawn_app().await;
    // 4401: subscribe before connection_ack.
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(&mut socket, subscribe("1", "{ __typename }")).await;
    assert_eq!(receive(&mut socket).await, json!({ "close": 4401 }));
    // 4429: a second connection_init.
    let mut socket = acknowledged(&app).await;
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(receive(&mut socket).await, json!({ "close": 4429 }));
    // 4400: not a protocol message, an unknown type, binary frames.
    for bad in [
        Message::text("{ nope"),
        Message::text(r#"{"type":"start","id":"1"}"#),
        Message::binary(vec![1, 2, 3]),
    ] {
        let mut socket = acknowledged(&app).await;
        socket.send(bad).await.unwrap();
        assert_eq!(receive(&mut socket).await, json!({ "close": 4400 }));
    }
    // 4409: a subscription id that is already running.
    let mut socket = acknowledged(&app).await;
    let live = "subscription { metadataChanged { version } }";
    send(&mut socket, subscribe("dup", live)).await;
    send(&mut socket, subscribe("dup", live)).await;
    assert_eq!(receive(&mut socket).await, json!({ "close": 4409 }));
    // A browser page on another origin may not open a socket (CORS does not cover /ws).
    let url = format!("{}/ws", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    headers.insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {:?}", other.map(|(_, r)| r.status())),
    }
    // Only graphql-transport-ws is spoken: a client asking for the legacy graphql-ws
    // subprotocol gets no subprotocol back, and the handshake fails on its side.
    let url = format!("{}/ws", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-ws".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_err());
    app.stop().await;
}

#[tokio::test]
async fn limits_on_handshake_subscriptions_sockets_and_message_size() {
    let app = spawn_app_with_http(HttpOptions {
        max_body_bytes: 64 * 1024,
        ws: WsLimits {
            max_sockets: 3,
            max_subscriptions: 2,
            init_timeout: Duration::from_secs(1),
        },
        ..Default::default()
    })
    .await;
    // 4408: no connection_init within the wait.
    let mut idle = connect(&app, "graphql-transport-ws").await;
    assert_eq!(receive(&mut idle).await, json!({ "close": 4408 }));
    // Subscriptions per socket: the third is refused with an error message, the socket lives.
    let mut socket = acknowledged(&app).await;
    let live = "subscription { metadataChanged { version } }";
    send(&mut socket, subscribe("1", live)).await;
    send(&mut socket, subscribe("2", live)).await;
    send(&mut socket, subscribe("3", live)).await;
    let refused = receive(&mut socket).await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["id"], "3");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "TOO_MANY_SUBSCRIPTIONS"
    );
    // Completing one frees a place.
    send(&mut socket, json!({ "id": "1", "type": "complete" })).await;
    send(&mut socket, subscribe("3", "{ __typename }")).await;
    assert_eq!(
        receive(&mut socket).await["payload"]["data"]["__typename"],
        "Query"
    );
    assert_eq!(receive(&mut socket).await["type"], "complete");
    // Sockets per process: 3 open (idle closed), the 4th gets 503 before the upgrade.
    let _second = acknowledged(&app).await;
    let _third = acknowledged(&app).await;
    let url = format!("{}/ws", app.address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503)
        }
        other => panic!("expected 503, got {:?}", other.map(|(_, r)| r.status())),
    }
    // A message over the size limit closes that socket (1009) and nothing else.
    let big = subscribe(
        "big",
        &format!("{{ __typename }} # {}", "x".repeat(100 * 1024)),
    );
    socket.send(Message::text(big.to_string())).await.ok();
    let closed = receive(&mut socket).await;
    assert!(
        closed["close"] == 1009 || closed.get("error").is_some() || closed.get("closed").is_some(),
        "{closed}"
    );
    let health = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    app.stop().await;
}
