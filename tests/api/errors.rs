//! Bad input gets a clear error with `extensions.code`; database texts never leak.

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{create_campaign, spawn_app};

const UPDATE_ENTITY: &str = include_str!("../operations/update_entity_metadata.graphql");
const UPDATE_MASTER: &str = include_str!("../operations/update_master_metadata.graphql");

#[tokio::test]
async fn bad_input_is_bad_user_input() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({})).await;

    let cases = [
        (
            UPDATE_ENTITY,
            json!({ "entityType": "CAMPAIGN", "entityId": "not-a-uuid", "metadata": {} }),
        ),
        (
            UPDATE_ENTITY,
            json!({ "entityType": "CAMPAIGN", "entityId": id, "metadata": [1, 2] }),
        ),
        (
            UPDATE_ENTITY,
            json!({ "entityType": "CAMPAIGN", "entityId": id, "metadata": "text" }),
        ),
        (
            UPDATE_ENTITY,
            json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": [1] }),
        ),
        (
            UPDATE_ENTITY,
            json!({ "entityType": "CAMPAIGN", "entityId": id }),
        ),
        (
            UPDATE_ENTITY,
            json!({ "entityType": "CAMPAIGN", "entityId": id, "metadata": {}, "patch": {} }),
        ),
        (
            UPDATE_ENTITY,
            json!({ "entityType": "BANANA", "entityId": id, "metadata": {} }),
        ),
        (UPDATE_MASTER, json!({ "id": master_id, "patch": "x" })),
        (
            UPDATE_MASTER,
            json!({ "id": master_id, "metadata": {}, "expectedVersion": 0 }),
        ),
    ];
    for (operation, variables) in cases {
        let reply = app.graphql(operation, variables.clone()).await;
        assert_eq!(
            reply.code(),
            "BAD_USER_INPUT",
            "{variables}: {:?}",
            reply.errors
        );
    }
    let created = app
        .graphql(
            "mutation { createCampaign(input: { name: \"x\", metadata: [1] }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(created.code(), "BAD_USER_INPUT");
    let blank = app
        .graphql(
            "mutation { createCampaign(input: { name: \"  \" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(blank.code(), "BAD_USER_INPUT");
    let page = app
        .graphql("{ campaigns(first: 1000) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(page.code(), "BAD_USER_INPUT");
    let cursor = app
        .graphql(
            "{ campaigns(after: \"!!\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(cursor.code(), "BAD_USER_INPUT");
    let (_, _, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(version, 1, "nothing was written");
    app.stop().await;
}

#[tokio::test]
async fn missing_rows_are_not_found() {
    let app = spawn_app().await;
    let missing = Uuid::now_v7();
    let entity = app
        .graphql(
            UPDATE_ENTITY,
            json!({ "entityType": "SURVEY", "entityId": missing, "metadata": {} }),
        )
        .await;
    assert_eq!(entity.code(), "NOT_FOUND");
    let master = app
        .graphql(UPDATE_MASTER, json!({ "id": missing, "patch": {} }))
        .await;
    assert_eq!(master.code(), "NOT_FOUND");
    let update = app
        .graphql(
            "mutation($id: UUID!) { updateProduct(id: $id, input: { name: \"x\" }) { id } }",
            json!({ "id": missing }),
        )
        .await;
    assert_eq!(update.code(), "NOT_FOUND");
    let query = app
        .graphql(
            "query($id: UUID!) { campaign(id: $id) { id } }",
            json!({ "id": missing }),
        )
        .await
        .expect_data();
    assert!(query["campaign"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn a_duplicate_sku_is_a_conflict_without_database_text() {
    let app = spawn_app().await;
    let create = "mutation { createProduct(input: { name: \"Mug\", sku: \"MUG-1\" }) { id } }";
    app.graphql(create, json!({})).await.expect_data();
    let reply = app.graphql(create, json!({})).await;
    assert_eq!(reply.code(), "CONFLICT");
    let message = reply.errors[0]["message"].as_str().unwrap().to_lowercase();
    for leak in [
        "duplicate key",
        "unique constraint",
        "sqlite",
        "service_product_main",
        "23505",
    ] {
        assert!(!message.contains(leak), "database text leaked: {message}");
    }
    app.stop().await;
}
