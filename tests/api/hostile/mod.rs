//! Hostile input: each case from the hostile-input issue, on both databases. Every case
//! checks the answer's code, that no database or Rust debug text reaches the client, that
//! `/health` still answers, and where data is involved that entity and master stay equal.
//! What a refusal costs in CPU is measured by `cargo bench --bench hostile`, not here.

mod documents;
mod http_bodies;
mod queries;
mod websocket;
mod worker;

use serde_json::Value as Json;

use crate::helpers::{Reply, TestApp};

/// Texts that only a leak of internals would put in an answer.
const LEAK_MARKERS: &[&str] = &[
    "DbErr",
    "Sqlx",
    "sqlx",
    "SQLSTATE",
    "violates",
    "InvalidRequest(",
    "Error(",
    "panicked",
    "RuntimeErr",
    "Custom(",
];

/// Asserts that nothing in `text` looks like database or Rust debug text.
pub fn assert_no_leak(text: &str) {
    for marker in LEAK_MARKERS {
        assert!(!text.contains(marker), "leaked {marker:?} in {text}");
    }
}

/// The first error's code, after checking that no error leaks internals.
pub fn refused_with(reply: &Reply) -> String {
    for error in &reply.errors {
        assert_no_leak(&error.to_string());
    }
    assert!(
        !reply.errors.is_empty(),
        "expected a refusal, got {:?}",
        reply.data
    );
    reply.code().to_owned()
}

/// `/health` answers 200.
pub async fn assert_healthy(app: &TestApp) {
    let status = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .expect("health")
        .status();
    assert_eq!(status, 200);
}

/// Posts a raw body with a content type; returns the status and the JSON body.
pub async fn post_raw(
    app: &TestApp,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Json) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_no_leak(&text);
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, json)
}
