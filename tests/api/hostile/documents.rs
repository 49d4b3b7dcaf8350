//! Documents that are too deep, too large or hold NUL characters: refused with a clear
//! code by the API, refused by the database from raw SQL, and never half-written.

use sea_orm::Value;
use serde_json::{Value as Json, json};

use super::{assert_healthy, assert_no_leak, post_raw, refused_with};
use crate::helpers::{TestApp, create_campaign, spawn_app};

const UPDATE: &str = include_str!("../../operations/update_entity_metadata.graphql");
const CREATE: &str = include_str!("../../operations/create_campaign.graphql");

/// An object `levels` deep (the document itself is level 1).
fn nested(levels: usize) -> Json {
    (1..levels).fold(json!({ "leaf": true }), |inner, _| json!({ "a": inner }))
}

/// Raw SQL replacing a document on either backend.
async fn raw_replace(
    app: &TestApp,
    table: &str,
    id: uuid::Uuid,
    document: &Json,
) -> Result<u64, sea_orm::DbErr> {
    let sql = if app.is_postgres() {
        format!("UPDATE {table} SET metadata = $2::jsonb WHERE id = $1")
    } else {
        format!("UPDATE {table} SET metadata = $2 WHERE id = $1")
    };
    app.sql(&sql, vec![id.into(), Value::from(document.to_string())])
        .await
}

#[tokio::test]
async fn the_database_refuses_documents_nested_deeper_than_100_from_any_writer() {
    let app = spawn_app().await;
    let (bad, bad_master) = create_campaign(&app, json!({ "n": 1 })).await;
    let (good, _) = create_campaign(&app, json!({ "n": 2 })).await;
    let deep = nested(200);
    for (table, id) in [
        ("service_campaign_main", bad),
        ("_metadata_master", bad_master),
    ] {
        let error = raw_replace(&app, table, id, &deep)
            .await
            .expect_err("refused");
        let text = error.to_string();
        assert!(
            text.contains("100 levels") || text.contains("at_most_100_levels_deep"),
            "a clear refusal: {text}"
        );
    }
    // A raw insert is refused the same way (its master row would be too deep).
    let insert = if app.is_postgres() {
        "INSERT INTO service_campaign_main (name, metadata) VALUES ('raw', $1::jsonb)"
    } else {
        "INSERT INTO service_campaign_main (name, metadata) VALUES ('raw', $1)"
    };
    assert!(
        app.sql(insert, vec![Value::from(deep.to_string())])
            .await
            .is_err()
    );
    // Exactly 100 levels are accepted.
    raw_replace(&app, "service_campaign_main", bad, &nested(100))
        .await
        .expect("100 levels");
    let (entity, master, _) = app.pair("service_campaign_main", bad).await;
    assert_eq!(entity, master);
    // Pages with both rows answer normally, and the API can still replace the document.
    let page = app
        .graphql(
            "{ campaigns(first: 10) { edges { node { id metadata } } } }",
            json!({}),
        )
        .await
        .expect_data();
    assert_eq!(page["campaigns"]["edges"].as_array().unwrap().len(), 2);
    let vars = json!({ "entityType": "CAMPAIGN", "entityId": bad, "metadata": { "fixed": true } });
    app.graphql(UPDATE, vars).await.expect_data();
    let (entity, master, _) = app.pair("service_campaign_main", good).await;
    assert_eq!(entity, master);
    assert_healthy(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn the_api_refuses_deep_documents_naming_the_limit() {
    let app = spawn_app().await;
    let (id, _) = create_campaign(&app, json!({})).await;
    // Deeper than the API's limit (32), within what JSON parsing accepts.
    let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "metadata": nested(40) });
    let reply = app.graphql(UPDATE, vars).await;
    assert_eq!(refused_with(&reply), "BAD_USER_INPUT");
    assert!(
        reply.errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("limit of 32 levels")
    );
    // As a patch, and when creating.
    let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": nested(33) });
    assert_eq!(
        refused_with(&app.graphql(UPDATE, vars).await),
        "BAD_USER_INPUT"
    );
    let vars = json!({ "input": { "name": "deep", "metadata": nested(33) } });
    assert_eq!(
        refused_with(&app.graphql(CREATE, vars).await),
        "BAD_USER_INPUT"
    );
    // 1,000 deep in the JSON body: refused while reading it, naming the limit.
    let body =
        json!({ "query": UPDATE, "variables": { "entityType": "CAMPAIGN", "entityId": id } })
            .to_string()
            .replacen(
                "\"entityId\"",
                &format!(
                    "\"metadata\":{}1{},\"entityId\"",
                    "[".repeat(1000),
                    "]".repeat(1000)
                ),
                1,
            );
    let (status, reply) = post_raw(&app, "application/json", body).await;
    assert_eq!(status, 400);
    assert_eq!(reply["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        reply["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("127 levels")
    );
    // Nothing was written by any of them.
    let (entity, master, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(version, 1);
    assert_eq!(entity, master);
    app.stop().await;
}

#[tokio::test]
async fn nul_characters_are_refused_on_both_databases() {
    let app = spawn_app().await;
    let (id, _) = create_campaign(&app, json!({})).await;
    let cases = [
        json!({ "input": { "name": "bad\u{0}name" } }),
        json!({ "input": { "name": "fine", "metadata": { "key\u{0}": 1 } } }),
        json!({ "input": { "name": "fine", "metadata": { "key": ["x\u{0}y"] } } }),
    ];
    for vars in cases {
        let reply = app.graphql(CREATE, vars).await;
        assert_eq!(refused_with(&reply), "BAD_USER_INPUT");
        assert!(reply.errors[0]["message"].as_str().unwrap().contains("NUL"));
    }
    // In a literal of the query text, and in a patch.
    let literal = r#"mutation { createCampaign(input: { name: "a\u0000b" }) { id } }"#;
    assert_eq!(
        refused_with(&app.graphql(literal, json!({})).await),
        "BAD_USER_INPUT"
    );
    let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": { "k": "\u{0}" } });
    assert_eq!(
        refused_with(&app.graphql(UPDATE, vars).await),
        "BAD_USER_INPUT"
    );
    // Nothing was created or changed.
    let count = app
        .sql_rows("SELECT count(*) AS n FROM service_campaign_main", vec![])
        .await;
    assert_eq!(count[0].try_get::<i64>("", "n").unwrap(), 1);
    assert_eq!(app.pair("service_campaign_main", id).await.2, 1);
    app.stop().await;
}

#[tokio::test]
async fn documents_over_the_size_limit_are_refused_and_nothing_is_half_written() {
    let app = spawn_app().await;
    let (id, _) = create_campaign(&app, json!({})).await;
    // 900 KB is accepted (under 1 MiB)...
    let big = json!({ "text": "x".repeat(900 * 1024) });
    let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "metadata": big });
    let reply = app.graphql(UPDATE, vars).await;
    assert!(reply.errors.is_empty(), "{:?}", reply.errors);
    // ...a patch that would make it 1.1 MB is refused, and the write is rolled back.
    let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": { "more": "y".repeat(200 * 1024) } });
    let reply = app.graphql(UPDATE, vars).await;
    assert_eq!(refused_with(&reply), "BAD_USER_INPUT");
    assert!(
        reply.errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("bytes")
    );
    let (entity, master, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(version, 2);
    assert_eq!(entity, master);
    assert!(entity.get("more").is_none());
    // A 1.5 MB replacement is refused outright.
    let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "metadata": { "t": "z".repeat(1536 * 1024) } });
    let reply = app.graphql(UPDATE, vars).await;
    assert_eq!(refused_with(&reply), "BAD_USER_INPUT");
    assert_no_leak(&reply.errors[0].to_string());
    assert_eq!(app.pair("service_campaign_main", id).await.2, 2);
    assert_healthy(&app).await;
    app.stop().await;
}
