//! Drift that bypassed the triggers (PostgreSQL: `session_replication_role = replica`;
//! SQLite: triggers dropped and recreated) is reported by `driftReport` and by
//! `metadata-synergy reconcile`, and `reconcile --repair` fixes it with `reconcile` events.

use std::process::Command;

use chrono::{Duration, Utc};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseBackend, Statement, Value};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, create_campaign, spawn_app};

const REPORT: &str = include_str!("../operations/drift_report.graphql");

/// Runs raw statements (`$n` placeholders) that no trigger sees, on one connection.
async fn behind_the_triggers(app: &TestApp, statements: Vec<(&str, Vec<Value>)>) {
    let mut options = ConnectOptions::new(app.database_url.clone());
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await.unwrap();
    let backend = db.get_database_backend();
    let run = |sql: &str, values: Vec<Value>| {
        let sql = match backend {
            DatabaseBackend::Postgres => sql.to_owned(),
            // `$1` → `?1`, leaving JSON paths (`'$.x'`) alone.
            _ => sql
                .char_indices()
                .map(|(i, c)| match (c, sql[i + 1..].chars().next()) {
                    ('$', Some(next)) if next.is_ascii_digit() => '?',
                    _ => c,
                })
                .collect(),
        };
        Statement::from_sql_and_values(backend, sql, values)
    };
    if backend == DatabaseBackend::Postgres {
        db.execute_unprepared("SET session_replication_role = replica")
            .await
            .unwrap();
        for (sql, values) in statements {
            db.execute_raw(run(sql, values)).await.unwrap();
        }
        db.execute_unprepared("SET session_replication_role = origin")
            .await
            .unwrap();
    } else {
        let triggers = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'",
            ))
            .await
            .unwrap();
        db.execute_unprepared("PRAGMA foreign_keys = OFF")
            .await
            .unwrap();
        for trigger in &triggers {
            let name: String = trigger.try_get("", "name").unwrap();
            db.execute_unprepared(&format!("DROP TRIGGER \"{name}\""))
                .await
                .unwrap();
        }
        for (sql, values) in statements {
            db.execute_raw(run(sql, values)).await.unwrap();
        }
        for trigger in &triggers {
            let sql: String = trigger.try_get("", "sql").unwrap();
            db.execute_unprepared(&sql).await.unwrap();
        }
        db.execute_unprepared("PRAGMA foreign_keys = ON")
            .await
            .unwrap();
    }
    db.close().await.unwrap();
}

fn reconcile(app: &TestApp, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_metadata-synergy"))
        .args(["--database-url", &app.database_url, "reconcile"])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run reconcile");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), stdout)
}

async fn reconcile_events(app: &TestApp) -> Vec<(String, Uuid)> {
    app.sql_rows(
        "SELECT kind, entity_id FROM _metadata_events WHERE origin = 'reconcile' ORDER BY id",
        vec![],
    )
    .await
    .iter()
    .map(|row| {
        (
            row.try_get("", "kind").unwrap(),
            row.try_get("", "entity_id").unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn drift_is_reported_and_repaired_with_reconcile_events() {
    let app = spawn_app().await;
    let (a, _) = create_campaign(&app, json!({"n": "a"})).await;
    let (b, _) = create_campaign(&app, json!({"n": "b"})).await;
    let (c, _) = create_campaign(&app, json!({"n": "c"})).await;
    let (d, d_master) = create_campaign(&app, json!({"n": "d"})).await;
    let later = Utc::now() + Duration::minutes(1);
    let (merge_entity, merge_master) = if app.is_postgres() {
        (
            "UPDATE service_campaign_main SET metadata = metadata || '{\"x\": 1}', updated_at = $2 WHERE id = $1",
            "UPDATE _metadata_master SET metadata = metadata || '{\"y\": 2}', updated_at = $2 WHERE entity_id = $1",
        )
    } else {
        (
            "UPDATE service_campaign_main SET metadata = json_set(metadata, '$.x', 1), updated_at = $2 WHERE id = $1",
            "UPDATE _metadata_master SET metadata = json_set(metadata, '$.y', 2), updated_at = $2 WHERE entity_id = $1",
        )
    };
    behind_the_triggers(
        &app,
        vec![
            // a: the entity changed later than its master; b: the master did.
            (merge_entity, vec![a.into(), later.into()]),
            (merge_master, vec![b.into(), later.into()]),
            // c: its master row is gone; d: its entity is gone.
            (
                "DELETE FROM _metadata_master WHERE entity_id = $1",
                vec![c.into()],
            ),
            (
                "DELETE FROM service_campaign_main WHERE id = $1",
                vec![d.into()],
            ),
        ],
    )
    .await;

    let report = app
        .graphql(REPORT, json!({ "entityType": "CAMPAIGN" }))
        .await
        .expect_data();
    let report = &report["driftReport"];
    assert_eq!(report["total"], json!(4), "{report}");
    let kinds: Vec<(String, String)> = report["drifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_owned(),
                d["entityId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (kind, id) in [
        ("DOCUMENTS_DIFFER", a),
        ("DOCUMENTS_DIFFER", b),
        ("MISSING_MASTER", c),
        ("ORPHAN_MASTER", d),
    ] {
        assert!(
            kinds.contains(&(kind.to_owned(), id.to_string())),
            "{kind} {id}: {kinds:?}"
        );
    }

    // Reporting writes nothing and exits 1 while drift is left.
    let (status, out) = reconcile(&app, &[]);
    assert_eq!(status, 1, "{out}");
    assert!(out.contains("drift found: 4"), "{out}");
    assert!(reconcile_events(&app).await.is_empty());

    let (status, out) = reconcile(&app, &["--repair"]);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("repaired: 4"), "{out}");

    let (entity_a, master_a, version_a) = app.pair("service_campaign_main", a).await;
    assert_eq!((entity_a["x"].clone(), &entity_a), (json!(1), &master_a));
    assert_eq!(version_a, 2, "the master took the newer entity document");
    let (entity_b, master_b, version_b) = app.pair("service_campaign_main", b).await;
    assert_eq!((entity_b["y"].clone(), &entity_b), (json!(2), &master_b));
    assert_eq!(
        version_b, 1,
        "the entity took the master's document; no new version"
    );
    let (entity_c, master_c, _) = app.pair("service_campaign_main", c).await;
    assert_eq!(entity_c, master_c);
    let orphans = app
        .sql_rows(
            "SELECT id FROM _metadata_master WHERE id = $1",
            vec![d_master.into()],
        )
        .await;
    assert!(orphans.is_empty());
    let events = reconcile_events(&app).await;
    let expected = [("UPDATED", a), ("CREATED", c), ("DELETED", d)];
    assert_eq!(events.len(), 3, "{events:?}");
    for (kind, id) in expected {
        assert!(
            events.contains(&(kind.to_owned(), id)),
            "{kind} {id}: {events:?}"
        );
    }

    let (status, out) = reconcile(&app, &[]);
    assert_eq!(status, 0, "nothing left: {out}");
    let report = app.graphql(REPORT, json!({})).await.expect_data();
    assert_eq!(report["driftReport"]["total"], json!(0));
    app.stop().await;
}

#[tokio::test]
async fn cross_references_are_reported_not_repaired() {
    let app = spawn_app().await;
    let (e, _) = create_campaign(&app, json!({"n": "e"})).await;
    let stranger = Uuid::now_v7();
    behind_the_triggers(
        &app,
        vec![(
            "UPDATE _metadata_master SET entity_id = $2 WHERE entity_id = $1",
            vec![e.into(), stranger.into()],
        )],
    )
    .await;
    let report = app.graphql(REPORT, json!({})).await.expect_data();
    let kinds: Vec<&str> = report["driftReport"]["drifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"CROSS_REFERENCE"), "{report}");
    let (status, out) = reconcile(&app, &["--repair", "--entity-type", "campaign"]);
    assert_eq!(status, 1, "a cross reference is left for a person: {out}");
    assert!(out.contains("NotRepairable"), "{out}");
    app.stop().await;
}

/// Two campaigns whose master references were swapped make four cross-reference pairs,
/// two per entity; paging one row at a time by (entity id, master id) finds all four.
#[tokio::test]
async fn cross_reference_pages_never_skip_a_pair_of_the_same_entity() {
    use metadata_synergy::orchestration::drift::{DriftKind, find};
    use metadata_synergy::sync::EntityType;

    let app = spawn_app().await;
    let (a, _) = create_campaign(&app, json!({"n": "a"})).await;
    let (b, _) = create_campaign(&app, json!({"n": "b"})).await;
    let master_of = |id: Uuid| {
        let app = &app;
        async move {
            let rows = app
                .sql_rows(
                    "SELECT metadata_master_id FROM service_campaign_main WHERE id = $1",
                    vec![id.into()],
                )
                .await;
            rows[0].try_get::<Uuid>("", "metadata_master_id").unwrap()
        }
    };
    let (ma, mb) = (master_of(a).await, master_of(b).await);
    let swap = "UPDATE service_campaign_main SET metadata_master_id = $2 WHERE id = $1";
    behind_the_triggers(
        &app,
        vec![
            (swap, vec![a.into(), Uuid::now_v7().into()]),
            (swap, vec![b.into(), ma.into()]),
            (swap, vec![a.into(), mb.into()]),
        ],
    )
    .await;
    let mut pairs = Vec::new();
    let mut after = None;
    loop {
        let page = find(
            &app.db,
            EntityType::Campaign,
            DriftKind::CrossReference,
            after,
            1,
        )
        .await
        .unwrap();
        pairs.extend(page.drifts.iter().map(|d| (d.entity_id, d.master_id)));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pairs.len(), 4, "{pairs:?}");
    assert_eq!(pairs.iter().filter(|(entity, _)| *entity == a).count(), 2);
    app.stop().await;
}
