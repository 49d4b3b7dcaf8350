//! Vacuuming the tables service writes churn: `_metadata_master`, the delivery queue, the
//! consumer registry and every registered entity table, when their dead rows pass
//! [`VacuumConfig`]'s threshold.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, FromQueryResult, Statement,
};
use tokio::sync::watch;

/// When the vacuum task looks, and what it counts as due.
#[derive(Clone, Copy, Debug)]
pub struct VacuumConfig {
    /// How often the task reads the tables' statistics.
    pub interval: Duration,
    /// A table is due once it has at least this many dead rows …
    pub min_dead_rows: i64,
    /// … and at least this fraction of its live rows.
    pub dead_fraction: f64,
}

impl Default for VacuumConfig {
    fn default() -> Self {
        VacuumConfig {
            interval: Duration::from_secs(15),
            min_dead_rows: 1_000,
            dead_fraction: 0.1,
        }
    }
}

/// Vacuums due tables every `config.interval` until `stop` turns true (PostgreSQL only;
/// SQLite reuses freed pages by itself). A failure is logged and tried again next time.
pub async fn run(db: DatabaseConnection, config: VacuumConfig, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(config.interval) => {}
            _ = stop.changed() => return,
        }
        // A shutdown does not wait for a long VACUUM: dropping it loses only its progress.
        let outcome = tokio::select! {
            outcome = vacuum_due(&db, &config) => outcome,
            _ = stop.changed() => return,
        };
        match outcome {
            Ok(tables) if !tables.is_empty() => tracing::debug!(?tables, "vacuumed"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "vacuuming the service's tables failed"),
        }
    }
}

/// A due table and the statement that vacuums it.
#[derive(FromQueryResult)]
struct Due {
    table_name: String,
    statement: String,
}

/// The churned tables of the current schema whose dead rows pass the threshold, most dead
/// rows first, each with its `VACUUM` statement. The names come from PostgreSQL's own
/// statistics and registry table, and are quoted by `format('%I')`. `SKIP_LOCKED`: a table
/// that autovacuum (or another process of this service) is vacuuming is left to it.
const DUE: &str = "
SELECT s.relname::text AS table_name,
       format('VACUUM (SKIP_LOCKED) %I.%I', s.schemaname, s.relname) AS statement
  FROM pg_stat_user_tables s
 WHERE s.schemaname = current_schema()
   AND (s.relname IN ('_metadata_master', '_metadata_deliveries', '_metadata_consumers')
        OR s.relname IN (SELECT entity_table FROM _metadata_entity_types))
   AND s.n_dead_tup >= greatest($1, $2 * s.n_live_tup)
 ORDER BY s.n_dead_tup DESC";

/// Vacuums, one after the other, the tables that are due now and returns their names
/// (none on SQLite). Statistics reach `pg_stat_user_tables` up to a second after a commit.
pub async fn vacuum_due(
    db: &DatabaseConnection,
    config: &VacuumConfig,
) -> Result<Vec<String>, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(Vec::new());
    }
    let due = Due::find_by_statement(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        DUE,
        [config.min_dead_rows.into(), config.dead_fraction.into()],
    ))
    .all(db)
    .await?;
    let mut vacuumed = Vec::with_capacity(due.len());
    for table in due {
        // VACUUM cannot run in a transaction: this is one autocommit statement on a pooled
        // connection of the background pool.
        db.execute_unprepared(&table.statement).await?;
        vacuumed.push(table.table_name);
    }
    Ok(vacuumed)
}
