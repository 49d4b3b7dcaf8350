//! Who may do what: bearer tokens (HS256 secret, RS256 from a JWKS file that rotates),
//! scopes per field, the audit actor from the token, and WebSocket authentication.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use metadata_synergy::auth::{AuthConfig, Authenticator};
use metadata_synergy::server::HttpOptions;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, spawn_app_with_http};

const SECRET: &str = "a test secret that protects nothing";
pub(crate) const ISSUER: &str = "https://issuer.test";
pub(crate) const AUDIENCE: &str = "metadata-synergy";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims a valid token carries, with `scope` and `sub`.
pub(crate) fn claims(scope: &str, sub: &str) -> Value {
    json!({ "sub": sub, "scope": scope, "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600 })
}

pub(crate) fn hs256(claims: &Value) -> String {
    let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

pub(crate) fn rs256(kid: &str, claims: &Value) -> String {
    let pem = std::fs::read(format!("tests/fixtures/auth/{kid}.pem")).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

/// The app with an HS256 secret, issuer and audience, and a JWKS file (returned) holding
/// `key1`.
pub(crate) async fn secured_app() -> (TestApp, std::path::PathBuf) {
    let jwks = std::env::temp_dir().join(format!(
        "ms_test_jwks_{}.json",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::copy("tests/fixtures/auth/key1.jwks.json", &jwks).unwrap();
    let auth = Authenticator::new(AuthConfig {
        hs256_secret: Some(SECRET.into()),
        jwks_file: Some(jwks.clone()),
        issuer: Some(ISSUER.into()),
        audience: Some(AUDIENCE.into()),
        trust_actor_header: false,
        ..AuthConfig::default()
    })
    .expect("keys");
    let app = spawn_app_with_http(HttpOptions {
        auth: Arc::new(auth),
        ..Default::default()
    })
    .await;
    (app, jwks)
}

/// POSTs `query` with an optional bearer token; returns the status and the body.
pub(crate) async fn post(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-actor", "mallory");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

const CREATE: &str =
    r#"mutation { createCampaign(input: { name: "secured" }) { id metadataMaster { id } } }"#;

#[tokio::test]
async fn tokens_are_checked_and_refused_with_401() {
    let (app, jwks) = secured_app().await;
    let query = "{ campaigns(first: 1) { edges { cursor } } }";
    // No token: the field is refused, the federation SDL stays public.
    let (status, body) = post(&app, None, query, json!({})).await;
    assert_eq!((status, code(&body)), (200, "UNAUTHENTICATED"));
    let (_, sdl) = post(&app, None, "{ _service { sdl } }", json!({})).await;
    assert!(
        sdl["data"]["_service"]["sdl"]
            .as_str()
            .unwrap()
            .contains("type Campaign")
    );
    // Tokens that are not valid fail the whole request with 401.
    let expired = json!({ "sub": "a", "scope": "metadata:read", "iss": ISSUER, "aud": AUDIENCE, "exp": now() - 3600 });
    let wrong_issuer = json!({ "sub": "a", "scope": "metadata:read", "iss": "https://evil.test", "aud": AUDIENCE, "exp": now() + 600 });
    let wrong_audience = json!({ "sub": "a", "scope": "metadata:read", "iss": ISSUER, "aud": "other", "exp": now() + 600 });
    let other_secret = encode(
        &Header::new(Algorithm::HS256),
        &claims("metadata:read", "a"),
        &EncodingKey::from_secret(b"another secret").unwrap(),
    )
    .unwrap();
    let unsigned = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64.encode(claims("metadata:read", "a").to_string());
        format!("{header}.{payload}.")
    };
    // An RS256 header over an HS256 signature made with the public key: algorithm confusion.
    let confused = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("key1".into());
        let public = std::fs::read("tests/fixtures/auth/key1.jwks.json").unwrap();
        encode(
            &header,
            &claims("metadata:read", "a"),
            &EncodingKey::from_secret(&public).unwrap(),
        )
        .unwrap()
    };
    for token in [
        hs256(&expired),
        hs256(&wrong_issuer),
        hs256(&wrong_audience),
        other_secret,
        unsigned,
        confused,
        "not.a.token".into(),
    ] {
        let (status, body) = post(&app, Some(&token), query, json!({})).await;
        assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "{token}");
        assert!(body["data"].is_null());
    }
    std::fs::remove_file(jwks).ok();
    app.stop().await;
}

#[tokio::test]
async fn scopes_decide_per_field_and_the_actor_is_the_token_subject() {
    let (app, jwks) = secured_app().await;
    let read = hs256(&claims("metadata:read", "reader"));
    let write = hs256(&claims("metadata:write", "writer"));
    let admin = json!({ "sub": "ops", "scp": ["metadata:read", "metadata:admin"], "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600 });
    let admin = hs256(&admin);
    // A read-only token cannot write; nothing is written.
    let (_, body) = post(&app, Some(&read), CREATE, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN");
    // A write token writes; the event's actor is its subject, not the x-actor header.
    let (_, body) = post(&app, Some(&write), CREATE, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let master = body["data"]["createCampaign"]["metadataMaster"]["id"].clone();
    // Reading needs the read scope: per field, the rest of the response intact.
    let mixed = "query($id: UUID!) { metadataMaster(id: $id) { history { edges { node { actor } } } } deadLetters(consumer: \"localization\") { attempts } }";
    let (status, body) = post(&app, Some(&read), mixed, json!({ "id": master })).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["metadataMaster"]["history"]["edges"][0]["node"]["actor"],
        "writer"
    );
    assert_eq!(
        code(&body),
        "FORBIDDEN",
        "dead letters need the admin scope"
    );
    let (_, body) = post(&app, Some(&write), mixed, json!({ "id": master })).await;
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["extensions"]["code"] == "FORBIDDEN")
    );
    let (_, body) = post(&app, Some(&admin), mixed, json!({ "id": master })).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["deadLetters"], json!([]));
    std::fs::remove_file(jwks).ok();
    app.stop().await;
}

#[tokio::test]
async fn the_jwks_file_is_re_read_when_it_rotates() {
    let (app, jwks) = secured_app().await;
    let query = "{ campaigns(first: 1) { edges { cursor } } }";
    let old = rs256("key1", &claims("metadata:read", "a"));
    let new = rs256("key2", &claims("metadata:read", "a"));
    assert_eq!(post(&app, Some(&old), query, json!({})).await.0, 200);
    assert_eq!(post(&app, Some(&new), query, json!({})).await.0, 401);
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::fs::copy("tests/fixtures/auth/key2.jwks.json", &jwks).unwrap();
    let file = std::fs::File::options().write(true).open(&jwks).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(1))
        .unwrap();
    let (status, body) = post(&app, Some(&new), query, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        post(&app, Some(&old), query, json!({})).await.0,
        401,
        "the rotated-out key"
    );
    std::fs::remove_file(jwks).ok();
    app.stop().await;
}

#[tokio::test]
async fn websocket_connections_authenticate_in_connection_init() {
    let (app, jwks) = secured_app().await;
    let connect = || async {
        let url = format!("{}/ws", app.address.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        tokio_tungstenite::connect_async(request).await.unwrap().0
    };
    // A bad token in connection_init closes with 4403.
    let mut socket = connect().await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nope" } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next_message(&mut socket).await, json!({ "close": 4403 }));
    // Without a token, operations are refused; with a read token they run.
    let query = json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ campaigns(first: 1) { edges { cursor } } }" } });
    let mut socket = connect().await;
    socket
        .send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_message(&mut socket).await["type"], "connection_ack");
    socket.send(Message::text(query.to_string())).await.unwrap();
    assert_eq!(
        next_message(&mut socket).await["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let mut socket = connect().await;
    let token = hs256(&claims("metadata:read", "viewer"));
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next_message(&mut socket).await["type"], "connection_ack");
    socket.send(Message::text(query.to_string())).await.unwrap();
    let reply = next_message(&mut socket).await;
    assert!(reply["payload"]["errors"].is_null(), "{reply}");
    assert_eq!(reply["payload"]["data"]["campaigns"]["edges"], json!([]));
    std::fs::remove_file(jwks).ok();
    app.stop().await;
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text message, or the close code as `{"close": code}`.
async fn next_message(socket: &mut Socket) -> Value {
    match tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .unwrap()
    {
        Some(Ok(Message::Text(text))) => serde_json::from_str::<Value>(&text).unwrap(),
        Some(Ok(Message::Close(Some(frame)))) => json!({ "close": u16::from(frame.code) }),
        other => json!({ "other": format!("{other:?}") }),
    }
}
