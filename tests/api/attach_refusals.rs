//! What `attach` refuses, and that a refused attach changes nothing (PostgreSQL).

use metadata_synergy::orchestration::attach::{self, AttachError, AttachOptions};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use crate::attach::{options, scalar};
use crate::helpers::{TestApp, spawn_app};

pub async fn postgres_app() -> Option<TestApp> {
    let app = spawn_app().await;
    if app.is_postgres() {
        Some(app)
    } else {
        app.stop().await;
        None
    }
}

pub async fn refused(app: &TestApp, options: &AttachOptions) -> String {
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
    let tx = app.db.begin().await.unwrap();
    tx.execute_unprepared("SET LOCAL metadata_synergy.detaching = 'campaign'")
        .await
        .unwrap();
    let delete = format!("DELETE FROM _metadata_master WHERE id = '{campaign_master}'");
    let guarded = tx.execute_unprepared(&delete).await;
    assert!(
        guarded.is_err(),
        "a compiled type's master cannot be deleted alone"
    );
    tx.rollback().await.unwrap();

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
