//! Creating, changing and deleting through the API: both sides stay in sync.

use serde_json::json;

use crate::helpers::{create_campaign, spawn_app, uuid};

const UPDATE_ENTITY: &str = include_str!("../operations/update_entity_metadata.graphql");
const UPDATE_MASTER: &str = include_str!("../operations/update_master_metadata.graphql");
const MASTER: &str = include_str!("../operations/master.graphql");

#[tokio::test]
async fn create_writes_both_rows_and_both_cross_references() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "channel": "email" })).await;

    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(entity_doc, master_doc);
    assert_eq!(
        entity_doc,
        json!({ "channel": "email", "metadata_master_id": master_id.to_string() })
    );
    assert_eq!(version, 1);

    let master = app
        .graphql(MASTER, json!({ "id": master_id }))
        .await
        .expect_data();
    let master = &master["metadataMaster"];
    assert_eq!(master["entityType"], "CAMPAIGN");
    assert_eq!(uuid(&master["entityId"]), id);
    assert_eq!(master["entityTable"], "service_campaign_main");
    assert_eq!(master["inSync"], true);
    assert_eq!(master["entity"]["__typename"], "Campaign");
    assert_eq!(uuid(&master["entity"]["id"]), id);
    app.stop().await;
}

#[tokio::test]
async fn updates_on_either_side_reach_the_other_and_bump_once() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({})).await;

    let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "metadata": { "a": 1 } });
    let data = app.graphql(UPDATE_ENTITY, vars).await.expect_data();
    let result = &data["updateEntityMetadata"];
    assert_eq!(result["master"]["version"], 2);
    assert_eq!(result["master"]["inSync"], true);
    assert_eq!(
        result["entity"]["metadata"],
        json!({ "a": 1, "metadata_master_id": master_id.to_string() })
    );

    let vars = json!({ "id": master_id, "metadata": { "b": 2 } });
    let data = app.graphql(UPDATE_MASTER, vars).await.expect_data();
    let result = &data["updateMasterMetadata"];
    assert_eq!(result["master"]["version"], 3);
    assert_eq!(
        result["entity"]["metadata"],
        json!({ "b": 2, "metadata_master_id": master_id.to_string() })
    );

    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(entity_doc, master_doc);
    assert_eq!(version, 3);
    app.stop().await;
}

#[tokio::test]
async fn merge_patch_is_applied_atomically_with_rfc_7396_semantics() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(
        &app,
        json!({ "keep": 1, "drop": 2, "nested": { "x": 1, "y": 2 } }),
    )
    .await;

    let patch = json!({ "drop": null, "nested": { "y": null, "z": 3 }, "added": [1, 2] });
    let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": patch });
    let data = app.graphql(UPDATE_ENTITY, vars).await.expect_data();
    let expected = json!({
        "keep": 1, "nested": { "x": 1, "z": 3 }, "added": [1, 2],
        "metadata_master_id": master_id.to_string()
    });
    assert_eq!(data["updateEntityMetadata"]["master"]["metadata"], expected);

    let vars = json!({ "id": master_id, "patch": { "metadata_master_id": null, "keep": 5 } });
    let data = app.graphql(UPDATE_MASTER, vars).await.expect_data();
    let doc = &data["updateMasterMetadata"]["entity"]["metadata"];
    assert_eq!(doc["keep"], 5);
    assert_eq!(
        doc["metadata_master_id"],
        master_id.to_string(),
        "the cross reference is kept"
    );
    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(entity_doc, master_doc);
    assert_eq!(version, 3);
    app.stop().await;
}

#[tokio::test]
async fn stale_expected_version_is_a_conflict_and_writes_nothing() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "a": 1 })).await;

    let ok = json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": { "a": 2 }, "expectedVersion": 1 });
    assert_eq!(
        app.graphql(UPDATE_ENTITY, ok).await.expect_data()["updateEntityMetadata"]["master"]["version"],
        2
    );

    let stale = json!({ "id": master_id, "patch": { "a": 3 }, "expectedVersion": 1 });
    let reply = app.graphql(UPDATE_MASTER, stale).await;
    assert_eq!(reply.code(), "CONFLICT");
    assert!(reply.data.is_null());
    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(
        (entity_doc["a"].clone(), master_doc["a"].clone(), version),
        (json!(2), json!(2), 2)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_write_that_changes_nothing_bumps_nothing() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "a": 1, "b": [1, 2] })).await;

    let same =
        json!({ "entityType": "CAMPAIGN", "entityId": id, "metadata": { "b": [1, 2], "a": 1 } });
    assert_eq!(
        app.graphql(UPDATE_ENTITY, same).await.expect_data()["updateEntityMetadata"]["master"]["version"],
        1
    );
    let same_patch = json!({ "id": master_id, "patch": { "a": 1 } });
    assert_eq!(
        app.graphql(UPDATE_MASTER, same_patch).await.expect_data()["updateMasterMetadata"]["master"]
            ["version"],
        1
    );
    let (_, _, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(version, 1);
    app.stop().await;
}

#[tokio::test]
async fn deleting_an_entity_removes_its_master() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({})).await;

    let data = app
        .graphql(
            "mutation($id: UUID!) { deleteCampaign(id: $id) }",
            json!({ "id": id }),
        )
        .await
        .expect_data();
    assert_eq!(uuid(&data["deleteCampaign"]), id);
    let data = app
        .graphql(MASTER, json!({ "id": master_id }))
        .await
        .expect_data();
    assert!(data["metadataMaster"].is_null());
    let again = app
        .graphql(
            "mutation($id: UUID!) { deleteCampaign(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(again.code(), "NOT_FOUND");
    app.stop().await;
}

#[tokio::test]
async fn products_and_surveys_share_the_same_sync() {
    let app = spawn_app().await;
    let product = app
        .graphql(
            "mutation { createProduct(input: { name: \"Mug\", sku: \"MUG-1\", metadata: { color: \"red\" } }) { id metadataMaster { id version entityType } } }",
            json!({}),
        )
        .await
        .expect_data();
    let product_id = uuid(&product["createProduct"]["id"]);
    assert_eq!(
        product["createProduct"]["metadataMaster"]["entityType"],
        "PRODUCT"
    );
    let survey = app
        .graphql(
            "mutation { createSurvey(input: { title: \"NPS\" }) { id metadata } }",
            json!({}),
        )
        .await
        .expect_data();
    let survey_id = uuid(&survey["createSurvey"]["id"]);

    let update = app
        .graphql(
            "mutation($id: UUID!) { updateProduct(id: $id, input: { name: \"Big mug\", metadata: { color: \"blue\" } }) { name metadata metadataMaster { version metadata } } }",
            json!({ "id": product_id }),
        )
        .await
        .expect_data();
    let product = &update["updateProduct"];
    assert_eq!(product["name"], "Big mug");
    assert_eq!(product["metadata"], product["metadataMaster"]["metadata"]);
    assert_eq!(product["metadataMaster"]["version"], 2);

    let vars = json!({ "entityType": "SURVEY", "entityId": survey_id, "patch": { "q": 1 } });
    let data = app.graphql(UPDATE_ENTITY, vars).await.expect_data();
    assert_eq!(data["updateEntityMetadata"]["entity"]["metadata"]["q"], 1);
    let (entity_doc, master_doc, version) = app.pair("service_survey_main", survey_id).await;
    assert_eq!((entity_doc == master_doc, version), (true, 2));

    let renamed = app
        .graphql("mutation($id: UUID!) { updateSurvey(id: $id, input: { title: \"CSAT\" }) { title metadataMaster { version } } }", json!({ "id": survey_id }))
        .await
        .expect_data();
    assert_eq!(renamed["updateSurvey"]["title"], "CSAT");
    assert_eq!(
        renamed["updateSurvey"]["metadataMaster"]["version"], 2,
        "a column change is no metadata change"
    );
    app.stop().await;
}

#[tokio::test]
async fn pages_follow_cursors_to_the_end() {
    let app = spawn_app().await;
    for _ in 0..5 {
        create_campaign(&app, json!({})).await;
    }
    let query = include_str!("../operations/campaign_page.graphql");
    let first = app
        .graphql(query, json!({ "first": 3 }))
        .await
        .expect_data();
    let page = &first["campaigns"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let second = app
        .graphql(
            query,
            json!({ "first": 3, "after": page["pageInfo"]["endCursor"] }),
        )
        .await
        .expect_data();
    let page = &second["campaigns"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 2);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);

    let masters = app
        .graphql("{ metadataMasters(entityType: CAMPAIGN, first: 10) { edges { node { entityType } } } }", json!({}))
        .await
        .expect_data();
    assert_eq!(
        masters["metadataMasters"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    app.stop().await;
}

/// `metadataMaster` skips fetching the document when the selection does not read it, and
/// reads it whenever any part of the selection does (fragments included).
#[tokio::test]
async fn master_documents_are_read_exactly_when_selected() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "a": 1 })).await;
    let reads_master_document = |statements: Vec<String>| {
        statements
            .iter()
            .any(|sql| sql.contains("\"_metadata_master\".\"metadata\""))
    };
    app.reset_statement_count();
    let header = app
        .graphql(
            "query($id: UUID!) { campaign(id: $id) { metadataMaster { id version entityId } } }",
            json!({ "id": id }),
        )
        .await
        .expect_data();
    assert!(
        !reads_master_document(app.statements()),
        "{:#?}",
        app.statements()
    );
    let master = &header["campaign"]["metadataMaster"];
    assert_eq!(master["id"], json!(master_id.to_string()));
    assert_eq!(
        (master["version"].clone(), master["entityId"].clone()),
        (json!(1), json!(id.to_string()))
    );
    for query in [
        "query($id: UUID!) { campaign(id: $id) { metadataMaster { version metadata inSync } } }",
        "query($id: UUID!) { campaign(id: $id) { metadataMaster { version ...Doc } } }
         fragment Doc on MetadataMaster { metadata inSync }",
        "query($id: UUID!) { campaign(id: $id) { metadataMaster { version ... on MetadataMaster { metadata inSync } } } }",
    ] {
        app.reset_statement_count();
        let data = app.graphql(query, json!({ "id": id })).await.expect_data();
        assert!(reads_master_document(app.statements()), "{query}");
        let master = &data["campaign"]["metadataMaster"];
        assert_eq!(master["metadata"]["a"], json!(1), "{query}");
        assert_eq!(master["inSync"], json!(true), "{query}");
    }
    app.stop().await;
}

/// A master read joined with its entity (by id, through `_entities`, on a page) answers
/// every field as the master read on its own does.
#[tokio::test]
async fn a_master_joined_with_its_entity_reads_as_it_does_alone() {
    const FIELDS: &str = "id entityType entityId entityTable version createdAt updatedAt metadata";
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "title": "Spring", "n": 1 })).await;
    // A second version, so that createdAt and updatedAt differ.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.graphql(
        "mutation($id: UUID!) { updateEntityMetadata(entityType: CAMPAIGN, entityId: $id,
            patch: { n: 2 }) { master { version } } }",
        json!({ "id": id }),
    )
    .await
    .expect_data();
    let alone = app
        .graphql(
            &format!("query($m: UUID!) {{ metadataMaster(id: $m) {{ {FIELDS} }} }}"),
            json!({ "m": master_id }),
        )
        .await
        .expect_data()["metadataMaster"]
        .clone();
    assert_eq!(alone["entityType"], "CAMPAIGN");
    assert_eq!(alone["entityTable"], "service_campaign_main");
    assert_eq!(alone["version"], 2);
    assert_ne!(alone["createdAt"], alone["updatedAt"]);
    let joined = app
        .graphql(
            &format!(
                "query($id: UUID!, $r: [_Any!]!) {{
                    campaign(id: $id) {{ metadataMaster {{ {FIELDS} }} }}
                    _entities(representations: $r) {{
                        ... on Campaign {{ metadataMaster {{ {FIELDS} }} }} }}
                    campaigns(first: 10) {{ nodes {{ metadataMaster {{ {FIELDS} }} }} }} }}"
            ),
            json!({ "id": id, "r": [{ "__typename": "Campaign", "id": id }] }),
        )
        .await
        .expect_data();
    assert_eq!(joined["campaign"]["metadataMaster"], alone);
    assert_eq!(joined["_entities"][0]["metadataMaster"], alone);
    assert_eq!(joined["campaigns"]["nodes"][0]["metadataMaster"], alone);
    app.stop().await;
}
