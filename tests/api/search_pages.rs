//! Keyset pages under a filter and an order: every match once, in order, across pages.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::helpers::{TestApp, create_campaign, spawn_app, uuid};

const CAMPAIGNS: &str = include_str!("../operations/search_campaigns.graphql");

/// Walks every page of `campaigns` with `filter` and `orderBy`; returns the nodes in order.
async fn all_pages(app: &TestApp, filter: &Json, order_by: &Json) -> Vec<Json> {
    let mut nodes = Vec::new();
    let mut after = Json::Null;
    loop {
        let data = app
            .graphql(
                CAMPAIGNS,
                json!({ "filter": filter, "orderBy": order_by, "first": 2, "after": after }),
            )
            .await
            .expect_data();
        let page = &data["campaigns"];
        for edge in page["edges"].as_array().unwrap() {
            nodes.push(edge["node"].clone());
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return nodes;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn pages_are_stable_under_a_filter_and_an_order() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let (id, _) = create_campaign(&app, json!({"kind": "promo", "n": i})).await;
        ids.push(id);
        create_campaign(&app, json!({"kind": "other"})).await;
    }
    // Versions 1..=3 in a pattern, so that several rows share each version.
    for (i, id) in ids.iter().enumerate() {
        for bump in 0..(i % 3) {
            app.graphql(
                include_str!("../operations/update_entity_metadata.graphql"),
                json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": { "bump": bump } }),
            )
            .await
            .expect_data();
        }
    }
    let filter = json!({"contains": {"kind": "promo"}});
    for order_by in [
        json!({"field": "VERSION", "direction": "DESC"}),
        json!({"field": "VERSION"}),
        json!({"field": "UPDATED_AT", "direction": "DESC"}),
        json!({"field": "CREATED_AT"}),
        json!({"field": "ID", "direction": "DESC"}),
        Json::Null,
    ] {
        let nodes = all_pages(&app, &filter, &order_by).await;
        let seen: BTreeSet<Uuid> = nodes.iter().map(|node| uuid(&node["id"])).collect();
        assert_eq!(seen.len(), 7, "{order_by}: every match once: {nodes:#?}");
        assert_eq!(seen, ids.iter().copied().collect(), "{order_by}");
        let key = |node: &Json| -> (String, Uuid) {
            let field = order_by["field"].as_str().unwrap_or("ID");
            let key = match field {
                "VERSION" => format!("{:06}", node["metadataMaster"]["version"].as_i64().unwrap()),
                "UPDATED_AT" => node["metadataMaster"]["updatedAt"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                _ => String::new(),
            };
            (key, uuid(&node["id"]))
        };
        let keys: Vec<_> = nodes.iter().map(key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if order_by["direction"] == json!("DESC") {
            sorted.reverse();
        }
        if order_by["field"] != json!("UPDATED_AT") && order_by["field"] != json!("CREATED_AT") {
            assert_eq!(keys, sorted, "{order_by}: pages follow the order");
        }
    }
    // A cursor only continues the order it came from.
    let data = app
        .graphql(
            CAMPAIGNS,
            json!({ "filter": filter, "orderBy": {"field": "VERSION"}, "first": 2 }),
        )
        .await
        .expect_data();
    let cursor = data["campaigns"]["pageInfo"]["endCursor"].clone();
    let reply = app
        .graphql(
            CAMPAIGNS,
            json!({ "orderBy": {"field": "VERSION", "direction": "DESC"}, "after": cursor }),
        )
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{:?}", reply.errors);
    app.stop().await;
}
