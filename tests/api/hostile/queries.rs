//! Operations that would cost the server far more than their size: each is refused before
//! validation or execution, and the limits are exact (one more is refused, one fewer runs).

use serde_json::json;

use super::{assert_healthy, refused_with};
use crate::helpers::{create_campaign, spawn_app};

/// 22 fragments, each spreading the previous one twice (2^22 fields once expanded).
fn fragment_bomb(levels: usize) -> String {
    let mut query = format!(
        "query {{ ...F{levels} }}\nfragment F0 on Query {{ campaigns(first: 1) {{ edges {{ cursor }} }} }}\n"
    );
    for level in 1..=levels {
        let previous = level - 1;
        query.push_str(&format!(
            "fragment F{level} on Query {{ ...F{previous} ...F{previous} }}\n"
        ));
    }
    query
}

#[tokio::test]
async fn exponential_fragments_are_refused_before_execution() {
    let app = spawn_app().await;
    create_campaign(&app, json!({})).await;
    app.reset_statement_count();
    let reply = app.graphql(&fragment_bomb(22), json!({})).await;
    assert_eq!(refused_with(&reply), "QUERY_TOO_COMPLEX");
    assert!(
        reply.errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("more fields than 1000")
    );
    assert_eq!(app.statement_count(), 0, "nothing may run");
    assert_healthy(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn fragment_cycles_are_refused() {
    let app = spawn_app().await;
    let query = "{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A }";
    let reply = app.graphql(query, json!({})).await;
    assert_eq!(refused_with(&reply), "GRAPHQL_VALIDATION_FAILED");
    app.stop().await;
}

#[tokio::test]
async fn tens_of_thousands_of_aliases_are_refused_by_the_token_limit() {
    let app = spawn_app().await;
    let fields: String = (0..40_000)
        .map(|i| format!("a{i}: campaigns(first: 1) {{ edges {{ cursor }} }}\n"))
        .collect();
    let query = format!("{{ {fields} }}");
    assert!(query.len() < 2 * 1024 * 1024, "fits the body limit");
    app.reset_statement_count();
    let reply = app.graphql(&query, json!({})).await;
    assert_eq!(refused_with(&reply), "QUERY_TOO_COMPLEX");
    assert!(
        reply.errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("tokens")
    );
    assert_eq!(app.statement_count(), 0);
    assert_healthy(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn identical_fields_cannot_multiply_statements() {
    let app = spawn_app().await;
    // Under the token limit, over the field limit: 1,001 leaf fields through a fragment.
    let leaves = "__typename ".repeat(91);
    let query = format!(
        "{{ ...X ...X ...X ...X ...X ...X ...X ...X ...X ...X ...X }} fragment X on Query {{ {leaves} }}"
    );
    let reply = app.graphql(&query, json!({})).await;
    assert_eq!(refused_with(&reply), "QUERY_TOO_COMPLEX");
    // The same root field 21 times: over the root-field limit, nothing runs.
    let repeated = "campaigns(first: 1) { edges { cursor } } ".repeat(21);
    app.reset_statement_count();
    let reply = app.graphql(&format!("{{ {repeated} }}"), json!({})).await;
    assert_eq!(refused_with(&reply), "QUERY_TOO_COMPLEX");
    assert!(
        reply.errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("root fields")
    );
    assert_eq!(app.statement_count(), 0);
    // 20 are allowed.
    let allowed = "campaigns(first: 1) { edges { cursor } } ".repeat(20);
    let reply = app.graphql(&format!("{{ {allowed} }}"), json!({})).await;
    assert!(reply.errors.is_empty(), "{:?}", reply.errors);
    app.stop().await;
}

#[tokio::test]
async fn each_limit_is_exact() {
    let app = spawn_app().await;
    // Aliases: 30 run, 31 are refused.
    let aliases = |n: usize| {
        let fields: String = (0..n).map(|i| format!("a{i}: __typename ")).collect();
        format!("{{ campaigns(first: 1) {{ {fields} }} }}")
    };
    assert!(app.graphql(&aliases(30), json!({})).await.errors.is_empty());
    let reply = app.graphql(&aliases(31), json!({})).await;
    assert_eq!(refused_with(&reply), "QUERY_TOO_COMPLEX");
    assert!(
        reply.errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("aliases")
    );

    // Depth: 15 nested fields run, 16 are refused.
    let reply = app.graphql(&nested(15), json!({})).await;
    assert!(reply.errors.is_empty(), "{:?}", reply.errors);
    let reply = app.graphql(&nested(16), json!({})).await;
    assert_eq!(refused_with(&reply), "QUERY_TOO_COMPLEX");
    assert!(
        reply.errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("nested deeper")
    );

    // Representations: 1,000 run, 1,001 are refused.
    let query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }";
    let reps = |n: usize| {
        let one = json!({ "__typename": "MetadataMaster", "id": uuid::Uuid::nil() });
        json!({ "r": vec![one; n] })
    };
    assert!(app.graphql(query, reps(1_000)).await.errors.is_empty());
    let reply = app.graphql(query, reps(1_001)).await;
    assert_eq!(refused_with(&reply), "QUERY_TOO_COMPLEX");
    assert!(
        reply.errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("representations")
    );

    // Bracket nesting in the text: refused before parsing.
    let deep_literal = format!(
        "{{ __typename(x: {}1{}) }}",
        "[".repeat(600),
        "]".repeat(600)
    );
    let reply = app.graphql(&deep_literal, json!({})).await;
    assert_eq!(refused_with(&reply), "QUERY_TOO_COMPLEX");
    assert_healthy(&app).await;
    app.stop().await;
}

/// `campaigns > edges > node > metadataMaster > entity > metadataMaster > … > id`, `depth`
/// fields deep.
fn nested(depth: usize) -> String {
    let mut inner = String::from("id");
    for step in (1..=depth - 4).rev() {
        inner = if step % 2 == 1 {
            format!("metadataMaster {{ {inner} }}")
        } else {
            format!("entity {{ ... on Campaign {{ {inner} }} }}")
        };
    }
    format!("{{ campaigns {{ edges {{ node {{ {inner} }} }} }} }}")
}

#[tokio::test]
async fn persisted_queries_are_scanned_before_they_are_parsed_or_cached() {
    use sha2::{Digest, Sha256};
    let app = spawn_app().await;
    let deep = format!(
        "{{ __typename(x: {}1{}) }}",
        "[".repeat(600),
        "]".repeat(600)
    );
    let hash = format!("{:x}", Sha256::digest(deep.as_bytes()));
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": deep, "extensions": extensions }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    // It was not cached: the hash alone is unknown.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "extensions": extensions }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{body}"
    );
    assert_healthy(&app).await;
    app.stop().await;
}
