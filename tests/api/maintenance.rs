//! The vacuum checks: on PostgreSQL a table that service writes churn is vacuumed once its
//! dead rows pass the threshold, and not before; on SQLite there is nothing to do.

use std::collections::BTreeSet;
use std::time::Duration;

use metadata_synergy::maintenance::{VacuumConfig, vacuum_due};
use serde_json::json;

use crate::helpers::{TestApp, create_campaign, merge_key_sql, spawn_app};

const CHURN: i64 = 40;

fn threshold(min_dead_rows: i64) -> VacuumConfig {
    VacuumConfig {
        min_dead_rows,
        dead_fraction: 0.0,
        ..VacuumConfig::default()
    }
}

async fn vacuum_count(app: &TestApp, table: &str) -> i64 {
    let rows = app
        .sql_rows(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = $1",
            vec![table.into()],
        )
        .await;
    rows[0].try_get("", "vacuum_count").unwrap()
}

#[tokio::test]
async fn churned_tables_are_vacuumed_once_their_dead_rows_pass_the_threshold() {
    let app = spawn_app().await;
    let (campaign, _) = create_campaign(&app, json!({ "title": "Spring" })).await;
    let merge = merge_key_sql(&app, "service_campaign_main");
    for n in 0..CHURN {
        app.sql(&merge, vec![campaign.into(), "n".into(), n.into()])
            .await
            .unwrap();
    }
    if !app.is_postgres() {
        let vacuumed = vacuum_due(&app.db, &threshold(1)).await.unwrap();
        assert!(vacuumed.is_empty(), "SQLite vacuumed {vacuumed:?}");
        app.stop().await;
        return;
    }

    // Far below the threshold: nothing is vacuumed.
    let vacuumed = vacuum_due(&app.db, &threshold(1_000_000)).await.unwrap();
    assert!(
        vacuumed.is_empty(),
        "vacuumed below the threshold: {vacuumed:?}"
    );
    assert_eq!(vacuum_count(&app, "_metadata_master").await, 0);

    // Each raw update left a dead version of the entity row and of its master. Statistics
    // reach pg_stat_user_tables within about a second of the commits.
    let expected = BTreeSet::from([
        "_metadata_master".to_owned(),
        "service_campaign_main".to_owned(),
    ]);
    let mut vacuumed = BTreeSet::new();
    for _ in 0..100 {
        vacuumed.extend(vacuum_due(&app.db, &threshold(CHURN / 2)).await.unwrap());
        if expected.is_subset(&vacuumed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(expected.is_subset(&vacuumed), "vacuumed only {vacuumed:?}");
    for table in &expected {
        assert!(
            vacuum_count(&app, table).await >= 1,
            "{table} was not vacuumed"
        );
    }
    // Tables outside the service's own and the registered entity tables are never touched.
    assert!(
        vacuumed
            .iter()
            .all(|table| table.starts_with("_metadata_") || table.starts_with("service_")),
        "{vacuumed:?}"
    );
    app.stop().await;
}
