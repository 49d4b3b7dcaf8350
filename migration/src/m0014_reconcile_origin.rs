//! A fourth write origin, `reconcile`: the events of drift repairs (`metadata-synergy
//! reconcile --repair`). The CHECK constraints of `_metadata_events.origin` and (SQLite)
//! `_metadata_write_context.origin` accept it.
//!
//! SQLite cannot alter a CHECK constraint, and `_metadata_events` cannot be rebuilt in a
//! transaction while deliveries and violations reference it. Widening a CHECK changes no
//! stored row, so it is done the way SQLite's documentation describes for such changes
//! ("Making Other Kinds Of Table Schema Changes"): the table's SQL text in `sqlite_schema`
//! is edited with `writable_schema` and the schema version bumped, so that every
//! connection reloads the schema.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NARROW: &str = "origin IN ('api', 'sql', 'localization')";
const WIDE: &str = "origin IN ('api', 'sql', 'localization', 'reconcile')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The `writable_schema` edit must run on one connection, also from the migration CLI
    /// (which runs SQLite migrations on the pool without a transaction).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_check(manager, NARROW, WIDE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let relabel = "UPDATE _metadata_events SET origin = 'sql' WHERE origin = 'reconcile'";
        manager.get_connection().execute_unprepared(relabel).await?;
        set_check(manager, WIDE, NARROW).await
    }
}

async fn set_check(manager: &SchemaManager<'_>, from: &str, to: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        let sql = format!(
            "ALTER TABLE _metadata_events DROP CONSTRAINT _metadata_events_origin_check, \
             ADD CONSTRAINT _metadata_events_origin_check CHECK ({to})"
        );
        return conn.execute_unprepared(&sql).await.map(|_| ());
    }
    let version: i64 = conn
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "PRAGMA schema_version",
        ))
        .await?
        .ok_or_else(|| DbErr::Migration("no schema_version".into()))?
        .try_get_by_index(0)?;
    conn.execute_unprepared("PRAGMA writable_schema = ON")
        .await?;
    let edit = conn
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "UPDATE sqlite_schema SET sql = replace(sql, ?, ?) \
             WHERE type = 'table' AND name IN ('_metadata_events', '_metadata_write_context')",
            [from.into(), to.into()],
        ))
        .await;
    let bump = conn
        .execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1))
        .await;
    conn.execute_unprepared("PRAGMA writable_schema = OFF")
        .await?;
    let edited = edit?.rows_affected();
    bump?;
    if edited != 2 {
        return Err(DbErr::Migration(format!(
            "expected to widen 2 origin checks, changed {edited} tables"
        )));
    }
    Ok(())
}
