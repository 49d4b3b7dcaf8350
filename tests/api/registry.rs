//! The entity-type registry: it agrees with the database's `_metadata_entity_types`, and
//! the fourth type (`voucher`, added by one declaration and one migration line) works end
//! to end like the others — CRUD, sync both ways, events, localization, federation.

use std::time::Duration;

use metadata_synergy::entity_types::EntityType;
use serde_json::{Value, json};

use crate::helpers::{merge_key_sql, spawn_app, uuid};

#[tokio::test]
async fn the_registry_and_the_database_list_the_same_entity_types() {
    let app = spawn_app().await;
    let rows = app
        .sql_rows(
            "SELECT entity_type, entity_table FROM _metadata_entity_types ORDER BY entity_type",
            vec![],
        )
        .await;
    let in_database: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get("", "entity_type").unwrap(),
                row.try_get("", "entity_table").unwrap(),
            )
        })
        .collect();
    let mut in_registry: Vec<(String, String)> = EntityType::ALL
        .iter()
        .map(|t| (t.as_str().to_owned(), t.table().to_owned()))
        .collect();
    in_registry.sort();
    assert_eq!(
        in_database, in_registry,
        "entity_types/mod.rs and the migrations disagree"
    );
    app.stop().await;
}

const CREATE: &str = "mutation($input: CreateVoucherInput!) { createVoucher(input: $input) {
    id code discountPercent validUntil entityType metadata metadataMaster { id version entityTable inSync } } }";

#[tokio::test]
async fn vouchers_are_created_read_changed_and_deleted_like_every_entity() {
    let app = spawn_app().await;
    let input = json!({ "code": "SPRING25", "discountPercent": 25,
                        "validUntil": "2027-03-31T23:59:59Z", "metadata": { "channel": "email" } });
    let created = app
        .graphql(CREATE, json!({ "input": input }))
        .await
        .expect_data()["createVoucher"]
        .clone();
    assert_eq!(created["entityType"], "VOUCHER");
    assert_eq!(created["discountPercent"], 25);
    assert_eq!(created["validUntil"], "2027-03-31T23:59:59+00:00");
    assert_eq!(
        created["metadataMaster"]["entityTable"],
        "service_voucher_main"
    );
    assert_eq!(
        created["metadata"]["metadata_master_id"],
        created["metadataMaster"]["id"]
    );
    let id = uuid(&created["id"]);

    // Bad input is refused with a code, and nothing is written.
    for bad in [
        json!({ "code": "ZERO", "discountPercent": 0 }),
        json!({ "code": "  ", "discountPercent": 10 }),
    ] {
        assert_eq!(
            app.graphql(CREATE, json!({ "input": bad })).await.code(),
            "BAD_USER_INPUT"
        );
    }
    let duplicate = json!({ "code": "SPRING25", "discountPercent": 5 });
    assert_eq!(
        app.graphql(CREATE, json!({ "input": duplicate }))
            .await
            .code(),
        "CONFLICT"
    );

    // Read, page, change (clearing the end of validity), delete.
    let read = app
        .graphql("query($id: UUID!) { voucher(id: $id) { code } vouchers(first: 10) { edges { node { id } } } }",
                 json!({ "id": id }))
        .await
        .expect_data();
    assert_eq!(read["voucher"]["code"], "SPRING25");
    assert_eq!(read["vouchers"]["edges"].as_array().unwrap().len(), 1);
    let update = "mutation($id: UUID!, $input: UpdateVoucherInput!) { updateVoucher(id: $id, input: $input) {
        code discountPercent validUntil metadata metadataMaster { version inSync } } }";
    let changed = app
        .graphql(update, json!({ "id": id, "input": { "discountPercent": 30, "validUntil": null, "metadata": { "channel": "sms" } } }))
        .await
        .expect_data()["updateVoucher"]
        .clone();
    assert_eq!(changed["discountPercent"], 30);
    assert_eq!(changed["validUntil"], Value::Null);
    assert_eq!(changed["code"], "SPRING25");
    assert_eq!(changed["metadataMaster"]["version"], 2);
    assert_eq!(changed["metadataMaster"]["inSync"], true);
    let bad_update = json!({ "id": id, "input": { "discountPercent": 101 } });
    assert_eq!(
        app.graphql(update, bad_update).await.code(),
        "BAD_USER_INPUT"
    );

    let deleted = app
        .graphql(
            "mutation($id: UUID!) { deleteVoucher(id: $id) }",
            json!({ "id": id }),
        )
        .await
        .expect_data();
    assert_eq!(deleted["deleteVoucher"], id.to_string());
    let masters = app
        .sql_rows(
            "SELECT count(*) AS n FROM _metadata_master WHERE entity_type = 'voucher'",
            vec![],
        )
        .await;
    assert_eq!(masters[0].try_get::<i64>("", "n").unwrap(), 0);
    app.stop().await;
}

#[tokio::test]
async fn vouchers_sync_both_ways_record_events_and_resolve_as_federation_entities() {
    let app = spawn_app().await;
    let created = app
        .graphql(
            CREATE,
            json!({ "input": { "code": "FED", "discountPercent": 10 } }),
        )
        .await
        .expect_data()["createVoucher"]
        .clone();
    let (id, master_id) = (uuid(&created["id"]), uuid(&created["metadataMaster"]["id"]));

    // API on the entity side, raw SQL on the master side: both documents follow.
    let patch = "mutation($id: UUID!) { updateEntityMetadata(entityType: VOUCHER, entityId: $id, patch: { a: 1 }) { master { version } } }";
    app.graphql(patch, json!({ "id": id })).await.expect_data();
    app.sql(
        &merge_key_sql(&app, "_metadata_master"),
        vec![master_id.into(), "b".into(), 2i64.into()],
    )
    .await
    .unwrap();
    let (entity, master, version) = app.pair("service_voucher_main", id).await;
    assert_eq!(entity, master);
    assert_eq!(
        (entity["a"].clone(), entity["b"].clone(), version),
        (json!(1), json!(2), 3)
    );

    // History: CREATED by the API, UPDATED by the API, UPDATED by raw SQL.
    let history = app
        .graphql("query($id: UUID!) { metadataMaster(id: $id) { history(first: 10) { edges { node { kind origin entityType } } } } }",
                 json!({ "id": master_id }))
        .await
        .expect_data();
    let kinds: Vec<(String, String)> = history["metadataMaster"]["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["kind"].as_str().unwrap().into(),
                e["node"]["origin"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [("UPDATED", "SQL"), ("UPDATED", "API"), ("CREATED", "API")];
    assert_eq!(kinds, expected.map(|(k, o)| (k.to_owned(), o.to_owned())));

    // Federation: by id, and its master by (entityType, entityId).
    let query = "query($reps: [_Any!]!) { _entities(representations: $reps) {
        ... on Voucher { code } ... on MetadataMaster { entityType version } } }";
    let reps = json!([{ "__typename": "Voucher", "id": id },
                      { "__typename": "MetadataMaster", "entityType": "VOUCHER", "entityId": id }]);
    let entities = app
        .graphql(query, json!({ "reps": reps }))
        .await
        .expect_data()["_entities"]
        .clone();
    assert_eq!(entities[0]["code"], "FED");
    assert_eq!(entities[1]["entityType"], "VOUCHER");
    assert_eq!(entities[1]["version"], 3);
    app.stop().await;
}

#[tokio::test]
async fn voucher_scripts_are_localized_by_the_generic_worker() {
    let app = crate::helpers::spawn_localized_app().await;
    let metadata = json!({ "service_specific": { "localization": { "scripts": { "headline": "Save {percent}% today" } } } });
    let created = app
        .graphql(
            CREATE,
            json!({ "input": { "code": "LOC", "discountPercent": 15, "metadata": metadata } }),
        )
        .await
        .expect_data()["createVoucher"]
        .clone();
    let id = uuid(&created["id"]);
    let mut translated = Value::Null;
    for _ in 0..100 {
        let (entity, master, _) = app.pair("service_voucher_main", id).await;
        translated =
            entity["service_specific"]["localization"]["scripts_translations"]["es"]["headline"]
                .clone();
        if translated.is_string() {
            assert_eq!(entity, master);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = translated.as_str().expect("translated within 10 s");
    assert!(text.contains("{percent}"), "placeholder kept: {text}");
    let status = app
        .graphql("query($id: UUID!) { voucher(id: $id) { translationStatus { locale translated missing } } }",
                 json!({ "id": id }))
        .await
        .expect_data();
    assert_eq!(status["voucher"]["translationStatus"][0]["translated"], 1);
    app.stop().await;
}
