//! Attached tables with their own column names or without a metadata column, served like
//! the compiled types: upserts, subscriptions, bulk patches, drift, pages (PostgreSQL).

use metadata_synergy::orchestration::attach::{self, AttachError};
use sea_orm::ConnectionTrait;
use serde_json::json;
use uuid::Uuid;

use crate::attach::{options, scalar};
use crate::attach_refusals::{postgres_app, refused};
use crate::ws::subscribe;

#[tokio::test]
async fn own_column_names_and_a_json_column_or_none_at_all_are_adopted() {
    let Some(app) = postgres_app().await else {
        return;
    };
    app.sql(
        "CREATE TABLE legacy_ticket (ticket_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), \
         subject text, attributes json NOT NULL DEFAULT '{}')",
        vec![],
    )
    .await
    .unwrap();
    app.sql(
        "INSERT INTO legacy_ticket (subject, attributes) SELECT 's' || i, json_build_object('i', i) \
         FROM generate_series(1, 50) i",
        vec![],
    )
    .await
    .unwrap();
    let mut ticket = options("ticket", "legacy_ticket");
    ticket.id_column = "ticket_id".into();
    ticket.metadata_column = "attributes".into();
    ticket.batch_size = 7;
    let message = refused(&app, &ticket).await;
    assert!(message.contains("--convert-json"), "{message}");
    ticket.convert_json = true;
    let report = attach::attach(&app.db, &ticket).await.expect("attach");
    assert_eq!((report.adopted, report.added_metadata_column), (50, false));
    assert_eq!(
        report.batches, 9,
        "50 rows in batches of 7, then an empty one"
    );
    let kind = scalar(
        &app,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'legacy_ticket' \
         AND column_name = 'attributes' AND data_type = 'jsonb'",
    )
    .await;
    assert_eq!(kind, 1, "a json column becomes jsonb");

    // A new row gets its master; both directions sync through the own column names.
    let rows = app
        .sql_rows(
            "INSERT INTO legacy_ticket (subject, attributes) VALUES ('new', '{\"fresh\": 1}') \
             RETURNING ticket_id, metadata_master_id",
            vec![],
        )
        .await;
    let id: Uuid = rows[0].try_get("", "ticket_id").unwrap();
    let master_id: Uuid = rows[0].try_get("", "metadata_master_id").unwrap();
    app.sql(
        "UPDATE _metadata_master SET metadata = metadata || '{\"from\": \"master\"}' WHERE id = $1",
        vec![master_id.into()],
    )
    .await
    .unwrap();
    let doc = app
        .sql_rows(
            "SELECT attributes FROM legacy_ticket WHERE ticket_id = $1",
            vec![id.into()],
        )
        .await;
    let doc: serde_json::Value = doc[0].try_get("", "attributes").unwrap();
    assert_eq!(doc["from"], "master");
    let reply = app
        .graphql(
            "mutation($id: UUID!) { updateEntityMetadata(entityType: \"TICKET\", entityId: $id, patch: {n: 2}) {
                 master { version metadata } entity { id metadata } } }",
            json!({ "id": id }),
        )
        .await
        .expect_data();
    let result = &reply["updateEntityMetadata"];
    assert_eq!(result["entity"]["id"], json!(id));
    assert_eq!(result["master"]["metadata"]["n"], 2);
    assert_eq!(result["master"]["version"], 3);
    assert_eq!(result["entity"]["metadata"], result["master"]["metadata"]);
    // An upsert that conflicts inserts nothing and creates no master; its update syncs.
    let masters_before = scalar(
        &app,
        "SELECT count(*) FROM _metadata_master WHERE entity_type = 'ticket'",
    )
    .await;
    app.sql(
        "INSERT INTO legacy_ticket (ticket_id, subject, attributes) VALUES ($1, 'dup', '{\"upsert\": 1}') \
         ON CONFLICT (ticket_id) DO UPDATE SET attributes = legacy_ticket.attributes || EXCLUDED.attributes",
        vec![id.into()],
    )
    .await
    .expect("an upsert on an attached table");
    app.sql(
        "INSERT INTO legacy_ticket (ticket_id, subject) VALUES ($1, 'dup') ON CONFLICT DO NOTHING",
        vec![id.into()],
    )
    .await
    .unwrap();
    let masters_after = scalar(
        &app,
        "SELECT count(*) FROM _metadata_master WHERE entity_type = 'ticket'",
    )
    .await;
    assert_eq!(masters_after, masters_before);
    let upserted = app
        .sql_rows(
            "SELECT metadata FROM _metadata_master WHERE id = $1",
            vec![master_id.into()],
        )
        .await;
    let upserted: serde_json::Value = upserted[0].try_get("", "metadata").unwrap();
    assert_eq!(
        (
            upserted["upsert"].clone(),
            upserted["metadata_master_id"].clone()
        ),
        (json!(1), json!(master_id))
    );

    let refused = app
        .sql(
            "UPDATE legacy_ticket SET attributes = '[]' WHERE ticket_id = $1",
            vec![id.into()],
        )
        .await;
    assert!(
        refused.is_err(),
        "a non-object document is refused by the trigger"
    );

    // Subscribers of the type see raw writes; bulk patches and drift repair serve it too.
    let mut changes = subscribe(
        &app,
        "subscription { metadataChanged(entityType: TICKET) { kind entityType entityId version } }",
        json!({}),
    )
    .await;
    app.sql(
        "UPDATE legacy_ticket SET attributes = attributes || '{\"seen\": 1}' WHERE ticket_id = $1",
        vec![id.into()],
    )
    .await
    .unwrap();
    let change = changes.next().await;
    assert_eq!(change["metadataChanged"]["entityType"], "TICKET");
    assert_eq!(change["metadataChanged"]["entityId"], id.to_string());
    assert_eq!(change["metadataChanged"]["kind"], "UPDATED");
    let patched = app
        .graphql(
            "mutation { patchMetadataWhere(entityType: TICKET, filter: {path: [\"i\"], in: [1, 2, 3]},
                 patch: {bulk: true}, dryRun: false) { matched changed } }",
            json!({}),
        )
        .await
        .expect_data();
    assert_eq!(
        patched["patchMetadataWhere"],
        json!({ "matched": 3, "changed": 3 })
    );
    let bulk = scalar(&app, "SELECT count(*) FROM _metadata_master WHERE entity_type = 'ticket' AND metadata @> '{\"bulk\": true}'").await;
    assert_eq!(bulk, 3);
    let by_time = app
        .graphql(
            "mutation { patchMetadataWhere(entityType: TICKET, filter: {updatedAfter: \"2020-01-01T00:00:00Z\"}, patch: {x: 1}) { matched } }",
            json!({}),
        )
        .await;
    assert_eq!(by_time.code(), "BAD_USER_INPUT", "{:?}", by_time.errors);
    let behind_the_triggers = format!(
        "BEGIN; SET LOCAL session_replication_role = replica; \
         UPDATE legacy_ticket SET attributes = attributes || '{{\"drift\": 1}}' WHERE ticket_id = '{id}'; \
         COMMIT"
    );
    app.db
        .execute_unprepared(&behind_the_triggers)
        .await
        .unwrap();
    let report = app
        .graphql(
            "{ driftReport(entityType: TICKET) { counts { entityType kind count } } }",
            json!({}),
        )
        .await
        .expect_data();
    let counts = report["driftReport"]["counts"].as_array().unwrap().clone();
    assert!(
        counts.contains(&json!({ "entityType": "TICKET", "kind": "DOCUMENTS_DIFFER", "count": 1 })),
        "{counts:?}"
    );

    // A page of masters with their attached entities: the registry is read once per request.
    app.reset_statement_count();
    let page = app
        .graphql(
            "{ metadataMasters(entityType: TICKET, first: 40) { edges { node { entityType entity { id metadata } } } } }",
            json!({}),
        )
        .await
        .expect_data();
    assert_eq!(
        page["metadataMasters"]["edges"].as_array().unwrap().len(),
        40
    );
    assert_eq!(app.statement_count(), 3, "{:#?}", app.statements());

    // A table without a metadata column gets one.
    app.sql(
        "CREATE TABLE plain_note (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), body text)",
        vec![],
    )
    .await
    .unwrap();
    app.sql(
        "INSERT INTO plain_note (id, body) VALUES ('00000000-0000-0000-0000-000000000000', 'a'), \
         (gen_random_uuid(), 'b')",
        vec![],
    )
    .await
    .unwrap();
    let report = attach::attach(&app.db, &options("note", "plain_note"))
        .await
        .expect("attach");
    assert_eq!((report.adopted, report.added_metadata_column), (2, true));
    let masters = scalar(
        &app,
        "SELECT count(*) FROM _metadata_master WHERE entity_type = 'note'",
    )
    .await;
    assert_eq!(masters, 2);
    let detached = attach::detach(&app.db, "ticket", 10).await.expect("detach");
    assert_eq!(detached.masters_deleted, 51);
    let not_attached = attach::detach(&app.db, "campaign", 10).await;
    assert!(
        matches!(not_attached, Err(AttachError::NotAttached(_))),
        "{not_attached:?}"
    );
    app.stop().await;
}
