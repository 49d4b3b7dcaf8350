//! The audit history: one event per effective change from any path, with origin, actor,
//! RFC 6902 patches and time travel.

use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_trusting_actor_header, uuid};
use metadata_synergy::events::json_patch;

const HISTORY: &str = include_str!("../operations/history.graphql");

#[tokio::test]
async fn every_path_leaves_one_event_per_effective_change() {
    // Behind a gateway that authenticated the user and names it in `x-actor`.
    let app = spawn_app_trusting_actor_header().await;
    let created = app
        .graphql_as(
            Some("alice"),
            include_str!("../operations/create_campaign.graphql"),
            json!({ "input": { "name": "C", "metadata": { "a": 1 } } }),
        )
        .await
        .expect_data();
    let id = uuid(&created["createCampaign"]["id"]);
    let master_id = uuid(&created["createCampaign"]["metadataMaster"]["id"]);
    let update = include_str!("../operations/update_entity_metadata.graphql");
    let patch = json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": { "b": 2 } });
    app.graphql_as(Some("alice"), update, patch.clone())
        .await
        .expect_data();
    app.graphql_as(Some("bob"), update, patch)
        .await
        .expect_data(); // no-op: no event
    app.sql(
        "UPDATE _metadata_master SET metadata = $2 WHERE id = $1",
        vec![master_id.into(), json!({ "c": 3 }).into()],
    )
    .await
    .unwrap();
    app.sql(
        "UPDATE service_campaign_main SET metadata = $2 WHERE id = $1",
        vec![id.into(), json!({ "c": 4 }).into()],
    )
    .await
    .unwrap();

    let data = app
        .graphql(HISTORY, json!({ "id": master_id, "version": 2 }))
        .await
        .expect_data();
    let master = &data["metadataMaster"];
    assert_eq!(master["version"], 4);
    let events: Vec<&Value> = master["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let summary: Vec<(Value, Value, Value, Value)> = events
        .iter()
        .map(|e| {
            (
                e["version"].clone(),
                e["kind"].clone(),
                e["origin"].clone(),
                e["actor"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!(4), json!("UPDATED"), json!("SQL"), Value::Null),
            (json!(3), json!("UPDATED"), json!("SQL"), Value::Null),
            (json!(2), json!("UPDATED"), json!("API"), json!("alice")),
            (json!(1), json!("CREATED"), json!("API"), json!("alice")),
        ]
    );
    let crossref = master_id.to_string();
    assert_eq!(
        master["metadataAt"],
        json!({ "a": 1, "b": 2, "metadata_master_id": crossref })
    );
    assert_eq!(
        events[0]["document"],
        json!({ "c": 4, "metadata_master_id": crossref })
    );
    assert_eq!(
        events[0]["patch"],
        json!([{ "op": "replace", "path": "/c", "value": 4 }])
    );
    // Each patch turns the previous version's document into this one's.
    let mut document = json!({});
    for event in events.iter().rev() {
        document = json_patch::apply(&document, &event["patch"]).expect("applicable patch");
        assert_eq!(document, event["document"]);
    }
    app.stop().await;
}

#[tokio::test]
async fn history_pages_and_time_travel_edges() {
    let app = spawn_app().await;
    let (id, master_id) = crate::helpers::create_campaign(&app, json!({})).await;
    for i in 0..4 {
        let vars = json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": { "i": i } });
        app.graphql(
            include_str!("../operations/update_entity_metadata.graphql"),
            vars,
        )
        .await
        .expect_data();
    }
    let first = app
        .graphql(
            HISTORY,
            json!({ "id": master_id, "first": 3, "version": 99 }),
        )
        .await
        .expect_data();
    let page = &first["metadataMaster"]["history"];
    assert!(
        first["metadataMaster"]["metadataAt"].is_null(),
        "no such version"
    );
    let versions: Vec<i64> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [5, 4, 3]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let after = page["pageInfo"]["endCursor"].clone();
    let second = app
        .graphql(
            HISTORY,
            json!({ "id": master_id, "first": 3, "after": after, "version": 1 }),
        )
        .await
        .expect_data();
    let page = &second["metadataMaster"]["history"];
    let versions: Vec<i64> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    assert_eq!(
        second["metadataMaster"]["metadataAt"],
        json!({ "metadata_master_id": master_id.to_string() })
    );

    let bad = app
        .graphql(HISTORY, json!({ "id": master_id, "version": 0 }))
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");

    app.sql(
        "DELETE FROM service_campaign_main WHERE id = $1",
        vec![id.into()],
    )
    .await
    .unwrap();
    let kept = app
        .sql_rows(
            "SELECT kind, version FROM _metadata_events WHERE master_id = $1 ORDER BY version DESC",
            vec![master_id.into()],
        )
        .await;
    assert_eq!(kept.len(), 6, "history is kept after the delete");
    let kind: String = kept[0].try_get("", "kind").unwrap();
    let version: i64 = kept[0].try_get("", "version").unwrap();
    assert_eq!((kind.as_str(), version), ("DELETED", 6));
    app.stop().await;
}
