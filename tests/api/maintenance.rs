//! The vacuum checks: on PostgreSQL a table that service writes churn is vacuumed once its
//! dead rows pass the threshold, and not before; other tables never; on SQLite there is
//! nothing to do.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use metadata_synergy::maintenance::{VacuumConfig, vacuum_due};
use serde_json::json;

use crate::helpers::{TestApp, create_campaign, merge_key_sql, spawn_app};

/// Raw updates of one campaign: as many dead versions of it and of its master.
const CHURN: i64 = 40;
/// Campaigns (and masters) alive.
const LIVE: usize = 3;

fn threshold(min_dead_rows: i64, dead_fraction: f64) -> VacuumConfig {
    VacuumConfig {
        min_dead_rows,
        dead_fraction,
        ..VacuumConfig::default()
    }
}

async fn table_stat(app: &TestApp, table: &str, column: &str) -> i64 {
    let rows = app
        .sql_rows(
            &format!("SELECT {column} AS value FROM pg_stat_user_tables WHERE relname = $1"),
            vec![table.into()],
        )
        .await;
    rows[0].try_get("", "value").unwrap()
}

/// Statistics reach `pg_stat_user_tables` when the writing sessions flush them (up to ten
/// seconds after an idle session's commit). Pruning on access may already have taken some
/// dead rows (and lowered `n_dead_tup`), so the updates are counted.
async fn wait_for_statistics(app: &TestApp, tables: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for table in tables {
        while table_stat(app, table, "n_tup_upd").await < CHURN {
            assert!(Instant::now() < deadline, "no statistics for {table}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn churned_tables_are_vacuumed_once_their_dead_rows_pass_the_threshold() {
    let app = spawn_app().await;
    let mut campaigns = Vec::new();
    for n in 0..LIVE {
        campaigns.push(create_campaign(&app, json!({ "n": n })).await.0);
    }
    let merge = merge_key_sql(&app, "service_campaign_main");
    for n in 0..CHURN {
        app.sql(
            &merge,
            vec![campaigns[0].into(), "n".into(), (n + 1).into()],
        )
        .await
        .unwrap();
    }
    if !app.is_postgres() {
        let vacuumed = vacuum_due(&app.db, &threshold(1, 0.0)).await.unwrap();
        assert!(vacuumed.is_empty(), "SQLite vacuumed {vacuumed:?}");
        app.stop().await;
        return;
    }
    // A table of someone else's, churned as much: never the service's to vacuum.
    app.sql(
        "CREATE TABLE bystander (id int PRIMARY KEY, n bigint)",
        vec![],
    )
    .await
    .unwrap();
    app.sql("INSERT INTO bystander VALUES (1, 0)", vec![])
        .await
        .unwrap();
    for n in 0..CHURN {
        app.sql("UPDATE bystander SET n = $1 WHERE id = 1", vec![n.into()])
            .await
            .unwrap();
    }
    let churned = ["_metadata_master", "service_campaign_main", "bystander"];
    wait_for_statistics(&app, &churned).await;
    let ours = ["_metadata_master", "service_campaign_main"];
    for table in ours {
        let dead = table_stat(&app, table, "n_dead_tup").await;
        assert!(dead >= 3, "only {dead} dead rows in {table}");
    }

    // Below the threshold by count: nothing. By fraction (at most 40 dead < 20 × 3 live):
    // neither of ours (the delivery queue, with no live rows, may be due).
    let vacuumed = vacuum_due(&app.db, &threshold(1_000_000, 0.0))
        .await
        .unwrap();
    assert!(vacuumed.is_empty(), "vacuumed {vacuumed:?}");
    let vacuumed = vacuum_due(&app.db, &threshold(1, 20.0)).await.unwrap();
    assert!(
        ours.iter()
            .all(|table| !vacuumed.iter().any(|v| v == table)),
        "vacuumed {vacuumed:?}"
    );
    assert_eq!(
        table_stat(&app, "_metadata_master", "vacuum_count").await,
        0
    );

    let vacuumed: BTreeSet<String> = vacuum_due(&app.db, &threshold(3, 1.0))
        .await
        .unwrap()
        .into_iter()
        .collect();
    for table in ours {
        assert!(vacuumed.contains(table), "{table} not in {vacuumed:?}");
        assert_eq!(table_stat(&app, table, "vacuum_count").await, 1, "{table}");
        assert_eq!(table_stat(&app, table, "n_dead_tup").await, 0, "{table}");
    }
    assert!(!vacuumed.contains("bystander"), "{vacuumed:?}");
    assert_eq!(table_stat(&app, "bystander", "vacuum_count").await, 0);
    app.stop().await;
}
