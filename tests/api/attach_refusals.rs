//! What `attach` refuses (and changes nothing for), and tables with their own column
//! names or without a metadata column (PostgreSQL).

use metadata_synergy::orchestration::attach::{self, AttachError, AttachOptions};
use sea_orm::ConnectionTrait;
use serde_json::json;
use uuid::Uuid;

use crate::attach::{options, scalar};
use crate::helpers::{TestApp, spawn_app};
use crate::ws::subscribe;

async fn postgres_app() -> Option<TestApp> {
    let app = spawn_app().await;
    if app.is_postgres() {
        Some(app)
    } else {
        app.stop().await;
        None
    }
}

async fn refused(app: &TestApp, options: &AttachOptions) -> String {
    match attach::attach(&app.db, options).await {
        Ok(report) => panic!("attached: {report:?}"),
        Err(AttachError::Database(error)) => panic!("a database error, not a refusal: {error}"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn tables_that_cannot_be_adopted_are_refused_and_left_as_they_were() {
    let Some(app) = postgres_app().await else {
        return;
    };
    for sql in [
        "CREATE TABLE t_no_key (id uuid, metadata jsonb)",
        "CREATE TABLE t_int_key (id bigint PRIMARY KEY, metadata jsonb)",
        "CREATE TABLE t_two_keys (a uuid, b uuid, metadata jsonb, PRIMARY KEY (a, b))",
        "CREATE TABLE t_text_doc (id uuid PRIMARY KEY, metadata text)",
        "CREATE TABLE t_bad_docs (id uuid PRIMARY KEY, metadata jsonb)",
        "INSERT INTO t_bad_docs VALUES ('00000000-0000-0000-0000-000000000001', '[1]'), \
         ('00000000-0000-0000-0000-000000000002', 'null'), \
         ('00000000-0000-0000-0000-000000000003', NULL), \
         ('00000000-0000-0000-0000-000000000004', '{\"ok\": true}')",
    ] {
        app.sql(sql, vec![]).await.unwrap();
    }
    let message = refused(&app, &options("x", "t_no_key")).await;
    assert!(message.contains("no primary key"), "{message}");
    let message = refused(&app, &options("x", "t_int_key")).await;
    assert!(message.contains("bigint, not uuid"), "{message}");
    let message = refused(&app, &options("x", "t_two_keys")).await;
    assert!(message.contains("2 columns"), "{message}");
    let message = refused(&app, &options("x", "t_text_doc")).await;
    assert!(message.contains("is text, not json or jsonb"), "{message}");
    let message = refused(&app, &options("x", "t_bad_docs")).await;
    assert!(message.starts_with("3 rows hold"), "{message}");
    for id in 1..=3 {
        assert!(
            message.contains(&format!("00000000-0000-0000-0000-00000000000{id}")),
            "{message}"
        );
    }
    assert!(!message.contains("-000000000004"), "{message}");
    app.sql(
        "CREATE TABLE t_parted (id uuid PRIMARY KEY, metadata jsonb) PARTITION BY HASH (id)",
        vec![],
    )
    .await
    .unwrap();
    let message = refused(&app, &options("x", "t_parted")).await;
    assert!(message.contains("partitioned"), "{message}");
    let message = refused(&app, &options("x", "no_such_table")).await;
    assert!(message.contains("no table"), "{message}");
    let message = refused(&app, &options("campaign", "t_bad_docs")).await;
    assert!(message.contains("compiled"), "{message}");
    let message = refused(&app, &options("x", "t; DROP TABLE t_no_key")).await;
    assert!(message.contains("snake_case"), "{message}");
    let message = refused(&app, &options("x", "service_campaign_main")).await;
    assert!(message.contains("already registered"), "{message}");

    // The delete guard's detach bypass serves only a type that is being detached.
    let (_, campaign_master) = crate::helpers::create_campaign(&app, json!({})).await;
    let bypass = format!(
        "BEGIN; SET LOCAL metadata_synergy.detaching = 'campaign'; \
         DELETE FROM _metadata_master WHERE id = '{campaign_master}'; COMMIT"
    );
    let guarded = app.db.execute_unprepared(&bypass).await;
    assert!(
        guarded.is_err(),
        "a compiled type's master cannot be deleted alone"
    );

    // Nothing was changed: no column, no registration, no trigger.
    let added = scalar(
        &app,
        "SELECT count(*) FROM information_schema.columns WHERE column_name = 'metadata_master_id' \
         AND table_name LIKE 't\\_%'",
    )
    .await;
    assert_eq!(added, 0);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM _metadata_entity_types WHERE attached"
        )
        .await,
        0
    );
    let triggers = scalar(
        &app,
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 't_bad_docs'::regclass",
    )
    .await;
    assert_eq!(triggers, 0);
    app.stop().await;
}

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
