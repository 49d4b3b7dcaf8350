//! Connecting to PostgreSQL or the embedded SQLite file, migrating, reading database error
//! codes, and [`Autocommit`]: single statements on connections handed back without a round trip.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr, RuntimeErr,
    TransactionTrait,
};

mod autocommit;
mod own_connections;

pub use autocommit::{Autocommit, StatementObserver};
pub use own_connections::OwnConnectionCounts;

/// A pooled connection idle for this long is pinged before it is handed out.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(10);
/// How long a statement waits for a connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// PostgreSQL connections of the pool (and as many of [`Autocommit`]'s own).
pub const MAX_CONNECTIONS: usize = 16;

/// Connects to `url` (`postgres://…` or `sqlite://…`). SQLite files are created when
/// missing and opened in WAL mode with foreign keys on and a generous busy timeout.
///
/// A pooled connection is pinged only after it has been idle for [`PING_WHEN_IDLE_FOR`]
/// (the pool's default pings on every checkout: one more round trip per statement). A
/// connection that breaks while busy fails its statement, and the pool replaces it.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR);
    if url.starts_with("sqlite:") {
        options.max_connections(4).map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                .pragma("recursive_triggers", "OFF")
        });
    } else {
        options.max_connections(MAX_CONNECTIONS as u32);
    }
    Database::connect(options).await
}

/// Applies every pending migration. On SQLite they run in one transaction, which keeps
/// them on one pooled connection: another connection could still hold the schema from
/// before a `DROP TRIGGER` and refuse the `CREATE TRIGGER` that follows it.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Migrator::up(db, None).await;
    }
    let tx = db.begin().await?;
    Migrator::up(&tx, None).await?;
    tx.commit().await
}

/// A statement's sqlx error as sea-orm reports a query's (so [`error_code`] reads it).
pub(crate) fn query_error(error: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(error.into()))
}

/// The SQLSTATE (PostgreSQL) or extended result code (SQLite) of a database error.
pub fn error_code(error: &DbErr) -> Option<String> {
    let (DbErr::Exec(RuntimeErr::SqlxError(error))
    | DbErr::Query(RuntimeErr::SqlxError(error))
    | DbErr::Conn(RuntimeErr::SqlxError(error))) = error
    else {
        return None;
    };
    match &**error {
        sea_orm::sqlx::Error::Database(error) => error.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// Deadlocks, serialization failures, a row lock not available (`NOWAIT`) and a busy or
/// locked SQLite file: the transaction did nothing and may simply be run again.
pub fn is_transient(error: &DbErr) -> bool {
    matches!(
        error_code(error).as_deref(),
        Some("40001" | "40P01" | "55P03" | "5" | "6" | "261" | "517" | "262")
    )
}

/// A unique constraint was violated (PostgreSQL 23505, SQLite 2067/1555).
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(
        error_code(error).as_deref(),
        Some("23505" | "2067" | "1555")
    )
}
