//! Federation: `_service.sdl` is `schema.graphql`, `_entities` resolves every key in batches.

use serde_json::{Value, json};

use crate::helpers::{create_campaign, spawn_app, uuid};

const ENTITIES: &str = include_str!("../operations/entities.graphql");

#[tokio::test]
async fn service_sdl_is_the_checked_in_schema() {
    let app = spawn_app().await;
    let data = app
        .graphql("{ _service { sdl } }", json!({}))
        .await
        .expect_data();
    let served = data["_service"]["sdl"].as_str().unwrap();
    let checked_in = include_str!("../../schema.graphql");
    assert!(
        served == checked_in,
        "schema.graphql is stale: run `cargo run -- export-schema --output schema.graphql`"
    );
    assert!(served.contains("@link(\n\turl: \"https://specs.apollo.dev/federation/v2"));
    assert!(served.contains(
        "type MetadataMaster @key(fields: \"id\") @key(fields: \"entityType entityId\")"
    ));
    app.stop().await;
}

#[tokio::test]
async fn entities_resolve_by_every_key() {
    let app = spawn_app().await;
    let (campaign_id, master_id) = create_campaign(&app, json!({})).await;
    let product = app
        .graphql(
            "mutation { createProduct(input: { name: \"Mug\", sku: \"M-1\" }) { id } }",
            json!({}),
        )
        .await
        .expect_data();
    let survey = app
        .graphql(
            "mutation { createSurvey(input: { title: \"NPS\" }) { id } }",
            json!({}),
        )
        .await
        .expect_data();
    let representations = json!([
        { "__typename": "Campaign", "id": campaign_id },
        { "__typename": "Product", "id": product["createProduct"]["id"] },
        { "__typename": "Survey", "id": survey["createSurvey"]["id"] },
        { "__typename": "MetadataMaster", "id": master_id },
        { "__typename": "MetadataMaster", "entityType": "CAMPAIGN", "entityId": campaign_id },
        { "__typename": "Campaign", "id": uuid::Uuid::now_v7() },
    ]);
    let data = app
        .graphql(ENTITIES, json!({ "representations": representations }))
        .await
        .expect_data();
    let entities = data["_entities"].as_array().unwrap();
    assert_eq!(entities[0]["__typename"], "Campaign");
    assert_eq!(uuid(&entities[0]["id"]), campaign_id);
    assert_eq!(entities[1]["sku"], "M-1");
    assert_eq!(entities[2]["title"], "NPS");
    assert_eq!(uuid(&entities[3]["id"]), master_id);
    assert_eq!(uuid(&entities[4]["id"]), master_id);
    assert_eq!(entities[4]["entityType"], "CAMPAIGN");
    assert_eq!(entities[5], Value::Null, "an unknown id resolves to null");
    app.stop().await;
}

#[tokio::test]
async fn representations_without_a_key_are_bad_user_input() {
    let app = spawn_app().await;
    for representation in [
        json!({ "__typename": "Campaign", "name": "x" }),
        json!({ "__typename": "Campaign", "id": "not-a-uuid" }),
        json!({ "__typename": "MetadataMaster", "entityId": uuid::Uuid::now_v7() }),
        json!({ "__typename": "Nope", "id": uuid::Uuid::now_v7() }),
    ] {
        let reply = app
            .graphql(ENTITIES, json!({ "representations": [representation] }))
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{representation}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_thousand_representations_cost_one_query_per_entity_type() {
    let app = spawn_app().await;
    let mut representations = Vec::new();
    for i in 0..1000 {
        let reply = if i % 2 == 0 {
            app.graphql(
                "mutation($n: String!) { createSurvey(input: { title: $n }) { id } }",
                json!({ "n": format!("s{i}") }),
            )
            .await
            .expect_data()["createSurvey"]["id"]
                .clone()
        } else {
            app.graphql(
                "mutation($n: String!) { createProduct(input: { name: $n, sku: $n }) { id } }",
                json!({ "n": format!("p{i}") }),
            )
            .await
            .expect_data()["createProduct"]["id"]
                .clone()
        };
        let typename = if i % 2 == 0 { "Survey" } else { "Product" };
        representations.push(json!({ "__typename": typename, "id": reply }));
    }
    app.reset_statement_count();
    let data = app
        .graphql(ENTITIES, json!({ "representations": representations }))
        .await
        .expect_data();
    assert_eq!(
        data["_entities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !e.is_null())
            .count(),
        1000
    );
    assert_eq!(
        app.statement_count(),
        2,
        "one SELECT for surveys, one for products"
    );
    app.stop().await;
}

/// `_entities` reads entity documents exactly when the selection does (an inline fragment
/// or a named one); otherwise the rows come without them.
#[tokio::test]
async fn entities_read_documents_exactly_when_selected() {
    let app = spawn_app().await;
    let (id, _) = create_campaign(&app, json!({ "k": "v" })).await;
    let representations = json!([{ "__typename": "Campaign", "id": id }]);
    for (query, document_selected) in [
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { id metadataMaster { version } } } }",
            false,
        ),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { id metadata } } }",
            true,
        ),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ...C } } fragment C on Campaign { metadata }",
            true,
        ),
        (
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Campaign { translationStatus { locale } metadata } } }",
            true,
        ),
    ] {
        app.reset_statement_count();
        let data = app
            .graphql(query, json!({ "r": representations }))
            .await
            .expect_data();
        let reads_document = app
            .statements()
            .iter()
            .any(|sql| sql.contains("\"service_campaign_main\".\"metadata\""));
        assert_eq!(reads_document, document_selected, "{query}");
        let entity = &data["_entities"][0];
        if document_selected {
            assert_eq!(entity["metadata"]["k"], json!("v"), "{query}");
        } else {
            assert_eq!(entity["id"], json!(id.to_string()));
            assert_eq!(entity["metadataMaster"]["version"], json!(1));
        }
    }
    app.stop().await;
}

/// With `apollo-federation-include-trace: ftv1` the response carries an inline trace: every
/// resolved field with its timing, list elements by index, errors on their field; without
/// the header, nothing.
#[tokio::test]
async fn inline_traces_are_sent_only_when_asked_for() {
    use base64::Engine;
    use metadata_synergy::graphql::ftv1::Trace;
    use prost::Message;

    let app = spawn_app().await;
    let (id, _) = create_campaign(&app, json!({ "a": 1 })).await;
    let query = json!({
        "query": "query($id: UUID!) { campaign(id: $id) { id metadataMaster { version } }
                  campaigns(first: 2) { edges { node { id } } }
                  missing: campaign(id: \"not-a-uuid\") { id } }",
        "variables": { "id": id },
    });
    let post = |trace: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("apollo-federation-include-trace", trace)
            .json(&query)
            .send()
    };
    let plain: Value = post("").await.unwrap().json().await.unwrap();
    assert!(plain["extensions"]["ftv1"].is_null(), "{plain}");
    let traced: Value = post("ftv1").await.unwrap().json().await.unwrap();
    let encoded = traced["extensions"]["ftv1"]
        .as_str()
        .expect("an inline trace");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    let trace = Trace::decode(bytes.as_slice()).unwrap();
    println!("{trace:#?}");
    assert!(trace.duration_ns > 0 && trace.start_time.is_some() && trace.end_time.is_some());
    let root = trace.root.expect("root node");
    let name = |node: &metadata_synergy::graphql::ftv1::Node| format!("{:?}", node.id);
    let campaign = root
        .child
        .iter()
        .find(|node| name(node).contains("\"campaign\""))
        .expect("campaign node");
    assert_eq!(
        (campaign.parent_type.as_str(), campaign.r#type.as_str()),
        ("Query", "Campaign")
    );
    assert!(campaign.end_time >= campaign.start_time);
    let master = campaign
        .child
        .iter()
        .find(|node| name(node).contains("metadataMaster"))
        .expect("nested field");
    assert!(
        master
            .child
            .iter()
            .any(|node| name(node).contains("version"))
    );
    let campaigns = root
        .child
        .iter()
        .find(|n| name(n).contains("\"campaigns\""))
        .unwrap();
    let edges = campaigns
        .child
        .iter()
        .find(|n| name(n).contains("edges"))
        .unwrap();
    assert!(
        edges.child.iter().any(|n| name(n).contains("Index(0)")),
        "list elements by index"
    );
    let missing = root
        .child
        .iter()
        .find(|n| name(n).contains("missing"))
        .unwrap();
    assert_eq!(
        missing.original_field_name, "campaign",
        "an alias names its field"
    );
    assert_eq!(missing.error.len(), 1, "the error is on its field");
    app.stop().await;
}

/// Anonymous callers (authentication on, no token) get no inline trace even when they ask:
/// only identified callers (the gateway forwards the user's token) may make the service
/// record one.
#[tokio::test]
async fn inline_traces_need_an_identified_caller() {
    use crate::auth::{claims, hs256, secured_app};

    let (app, _jwks) = secured_app().await;
    let post = |token: Option<String>| {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("apollo-federation-include-trace", "ftv1")
            .json(&json!({ "query": "{ __typename }" }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let anonymous: Value = post(None).await.unwrap().json().await.unwrap();
    assert_eq!(
        anonymous["data"]["__typename"],
        json!("Query"),
        "{anonymous}"
    );
    assert!(anonymous["extensions"]["ftv1"].is_null(), "{anonymous}");
    let token = hs256(&claims("metadata:read", "gateway-user"));
    let identified: Value = post(Some(token)).await.unwrap().json().await.unwrap();
    assert!(identified["extensions"]["ftv1"].is_string(), "{identified}");
    app.stop().await;
}
