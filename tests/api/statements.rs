//! Navigation is batched: statement counts do not grow with the page size.

use serde_json::json;

use crate::helpers::{create_campaign, spawn_app};

#[tokio::test]
async fn a_page_of_100_campaigns_with_masters_and_entities_costs_three_statements() {
    let app = spawn_app().await;
    for i in 0..100 {
        create_campaign(&app, json!({ "i": i })).await;
    }
    app.reset_statement_count();
    let data = app
        .graphql(
            include_str!("../operations/campaign_page.graphql"),
            json!({ "first": 100 }),
        )
        .await
        .expect_data();
    let edges = data["campaigns"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 100);
    assert!(
        edges
            .iter()
            .all(|edge| edge["node"]["metadataMaster"]["inSync"] == true)
    );
    assert!(
        edges
            .iter()
            .all(|edge| edge["node"]["metadataMaster"]["entity"]["id"] == edge["node"]["id"])
    );
    // 1: the page of campaigns; 2: their masters; 3: the masters' entities (one type).
    assert_eq!(app.statement_count(), 3);
    app.stop().await;
}
