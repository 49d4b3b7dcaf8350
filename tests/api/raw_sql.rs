//! Writes that bypass the API (psql, another service): the triggers keep the pair in sync.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{create_campaign, spawn_app};

#[tokio::test]
async fn raw_entity_update_reaches_the_master_once() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "a": 1 })).await;

    let rows = app
        .sql(
            "UPDATE service_campaign_main SET metadata = $2 WHERE id = $1",
            vec![id.into(), json!({ "b": 2 }).into()],
        )
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(
        entity_doc,
        json!({ "b": 2, "metadata_master_id": master_id.to_string() }),
        "cross reference re-added"
    );
    assert_eq!(master_doc, entity_doc);
    assert_eq!(version, 2);
    app.stop().await;
}

#[tokio::test]
async fn raw_master_update_reaches_the_entity_once() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "a": 1 })).await;

    app.sql(
        "UPDATE _metadata_master SET metadata = $2 WHERE id = $1",
        vec![master_id.into(), json!({ "c": [1, 2] }).into()],
    )
    .await
    .unwrap();
    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(
        entity_doc,
        json!({ "c": [1, 2], "metadata_master_id": master_id.to_string() })
    );
    assert_eq!(master_doc, entity_doc);
    assert_eq!(version, 2);

    let merge = crate::helpers::merge_key_sql(&app, "_metadata_master");
    app.sql(&merge, vec![master_id.into(), "d".into(), 4i64.into()])
        .await
        .unwrap();
    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(
        (entity_doc["d"].clone(), master_doc == entity_doc, version),
        (json!(4), true, 3)
    );
    app.stop().await;
}

#[tokio::test]
async fn raw_writes_that_change_nothing_bump_nothing() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "a": 1, "b": { "c": 2 } })).await;
    let same_reordered =
        json!({ "metadata_master_id": master_id.to_string(), "b": { "c": 2 }, "a": 1 });

    app.sql(
        "UPDATE service_campaign_main SET metadata = metadata WHERE id = $1",
        vec![id.into()],
    )
    .await
    .unwrap();
    app.sql(
        "UPDATE service_campaign_main SET metadata = $2 WHERE id = $1",
        vec![id.into(), same_reordered.clone().into()],
    )
    .await
    .unwrap();
    app.sql(
        "UPDATE _metadata_master SET metadata = $2 WHERE id = $1",
        vec![master_id.into(), same_reordered.into()],
    )
    .await
    .unwrap();
    app.sql(
        "UPDATE service_campaign_main SET name = $2 WHERE id = $1",
        vec![id.into(), "Renamed".into()],
    )
    .await
    .unwrap();
    let without_cross_reference = json!({ "a": 1, "b": { "c": 2 } });
    app.sql(
        "UPDATE service_campaign_main SET metadata = $2 WHERE id = $1",
        vec![id.into(), without_cross_reference.into()],
    )
    .await
    .unwrap();

    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(entity_doc, master_doc);
    assert_eq!(entity_doc["metadata_master_id"], master_id.to_string());
    assert_eq!(version, 1, "no effective change, no bump");
    app.stop().await;
}

#[tokio::test]
async fn the_database_refuses_non_object_metadata_on_both_tables() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({ "a": 1 })).await;
    for bad in [json!([1, 2]), json!("text"), json!(3), Value::Null] {
        let entity = app
            .sql(
                "UPDATE service_campaign_main SET metadata = $2 WHERE id = $1",
                vec![id.into(), bad.clone().into()],
            )
            .await;
        assert!(entity.is_err(), "entity accepted {bad}");
        let master = app
            .sql(
                "UPDATE _metadata_master SET metadata = $2 WHERE id = $1",
                vec![master_id.into(), bad.clone().into()],
            )
            .await;
        assert!(master.is_err(), "master accepted {bad}");
    }
    let insert = app
        .sql(
            "INSERT INTO service_campaign_main (name, metadata) VALUES ($1, $2)",
            vec!["x".into(), json!([1]).into()],
        )
        .await;
    assert!(insert.is_err());
    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(
        (entity_doc["a"].clone(), master_doc == entity_doc, version),
        (json!(1), true, 1)
    );
    app.stop().await;
}

#[tokio::test]
async fn raw_insert_creates_the_master_and_raw_delete_removes_it() {
    let app = spawn_app().await;
    app.sql(
        "INSERT INTO service_campaign_main (name, metadata) VALUES ($1, $2)",
        vec!["Raw".into(), json!({ "r": 1 }).into()],
    )
    .await
    .unwrap();
    let rows = app
        .sql_rows(
            "SELECT id, metadata_master_id FROM service_campaign_main WHERE name = $1",
            vec!["Raw".into()],
        )
        .await;
    let id: Uuid = rows[0].try_get("", "id").unwrap();
    let master_id: Uuid = rows[0].try_get("", "metadata_master_id").unwrap();
    let (entity_doc, master_doc, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(
        entity_doc,
        json!({ "r": 1, "metadata_master_id": master_id.to_string() })
    );
    assert_eq!((master_doc == entity_doc, version), (true, 1));

    let refused = app
        .sql(
            "DELETE FROM _metadata_master WHERE id = $1",
            vec![master_id.into()],
        )
        .await;
    let message = refused
        .expect_err("deleting a master whose entity exists must fail")
        .to_string();
    assert!(message.contains("delete the entity instead"), "{message}");

    app.sql(
        "DELETE FROM service_campaign_main WHERE id = $1",
        vec![id.into()],
    )
    .await
    .unwrap();
    let left = app
        .sql_rows(
            "SELECT id FROM _metadata_master WHERE id = $1",
            vec![master_id.into()],
        )
        .await;
    assert!(left.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn identity_and_version_belong_to_the_database() {
    let app = spawn_app().await;
    let (id, master_id) = create_campaign(&app, json!({})).await;
    let other = Uuid::now_v7();
    assert!(
        app.sql(
            "UPDATE service_campaign_main SET metadata_master_id = $2 WHERE id = $1",
            vec![id.into(), other.into()]
        )
        .await
        .is_err()
    );
    assert!(
        app.sql(
            "UPDATE _metadata_master SET entity_id = $2 WHERE id = $1",
            vec![master_id.into(), other.into()]
        )
        .await
        .is_err()
    );
    assert!(
        app.sql(
            "UPDATE _metadata_master SET version = 42 WHERE id = $1",
            vec![master_id.into()]
        )
        .await
        .is_err()
    );
    let (_, _, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(version, 1);
    app.stop().await;
}
