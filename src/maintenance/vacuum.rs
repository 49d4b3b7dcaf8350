//! Vacuuming the tables service writes churn: `_metadata_master`, the delivery queue, the
//! consumer registry and the entity tables this service's migrations created, when their
//! dead rows pass [`VacuumConfig`]'s threshold. Attached tables (`metadata-synergy attach`)
//! belong to other applications and are left to autovacuum: they may be large, and attach
//! and detach change their schema under a lock timeout that a running `VACUUM` would make
//! them miss.

use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, FromQueryResult, Statement,
};
use tokio::sync::watch;

/// The default of `VACUUM_INTERVAL_SECS`.
pub const DEFAULT_INTERVAL_SECS: u64 = 15;

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
            interval: Duration::from_secs(DEFAULT_INTERVAL_SECS),
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
        // A shutdown does not wait for a long VACUUM. Dropping the future does not cancel
        // it: the server finishes it on a connection the pool then closes or takes back.
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
    /// The table's name, for the log.
    table_name: String,
    /// `VACUUM (…) schema.table`, quoted by PostgreSQL.
    statement: String,
}

/// The churned tables whose dead rows pass the threshold, most dead rows first, each with its
/// `VACUUM` statement. Tables are found by their unqualified names as the service's own
/// statements find them (`to_regclass`, through `search_path`); the names in the statement come
/// from PostgreSQL's statistics, quoted by `format('%I')`. `SKIP_LOCKED`: a table that
/// autovacuum (or another process of this service) is vacuuming is left to it.
/// `TRUNCATE false`: the queue's emptied pages are kept for its next rows instead of being cut
/// off under an `ACCESS EXCLUSIVE` lock every few seconds (which standbys replay, too).
const DUE: &str = "
SELECT s.relname::text AS table_name,
       format('VACUUM (SKIP_LOCKED, TRUNCATE false) %I.%I', s.schemaname, s.relname) AS statement
  FROM pg_stat_user_tables s
 WHERE s.relid IN (
         SELECT to_regclass(quote_ident(name))
           FROM unnest(ARRAY['_metadata_master', '_metadata_deliveries', '_metadata_consumers']) name
         UNION ALL
         SELECT to_regclass(quote_ident(entity_table))
           FROM _metadata_entity_types WHERE NOT attached)
   AND s.n_dead_tup >= greatest($1, $2 * s.n_live_tup)
 ORDER BY s.n_dead_tup DESC";

/// Vacuums, one after the other, the tables that are due now and returns those it ran
/// `VACUUM` on (none on SQLite); one skipped by `SKIP_LOCKED` counts. A table whose
/// `VACUUM` fails is logged and the others still run. Statistics reach
/// `pg_stat_user_tables` when the writing sessions flush them: within a second of a busy
/// session's commit, up to ten seconds after an idle one's.
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
        match db.execute_unprepared(&table.statement).await {
            Ok(_) => vacuumed.push(table.table_name),
            Err(error) => tracing::warn!(table = table.table_name, %error, "VACUUM failed"),
        }
    }
    Ok(vacuumed)
}
