//! The one sync mechanism shared by every entity table.
//!
//! `install_master` creates `_metadata_master` and its triggers once; `install_entity`
//! attaches the same triggers to one entity table and registers it in
//! `_metadata_entity_types` (the allow-list of tables the master may point at).
//!
//! Why the triggers cannot loop: every trigger that copies a document to the other side
//! writes only `WHERE <other side> IS DISTINCT FROM <new document>`. A write reaches the
//! other side once; the echo finds both documents equal, matches no row and stops at depth 2.
//! Version bumps are computed from `OLD.version`, so even a re-fired trigger (SQLite with
//! `recursive_triggers` on) sets the same value twice rather than bumping twice.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::execute_batch;

mod postgres;
mod sqlite;

/// Creates `_metadata_entity_types`, `_metadata_master` and the master-side triggers.
pub async fn install_master(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DatabaseBackend::Postgres => execute_batch(manager, postgres::MASTER).await,
        DatabaseBackend::Sqlite => execute_batch(manager, sqlite::MASTER).await,
        other => Err(unsupported(other)),
    }
}

/// Drops what [`install_master`] created.
pub async fn uninstall_master(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DatabaseBackend::Postgres => execute_batch(manager, postgres::DROP_MASTER).await,
        DatabaseBackend::Sqlite => execute_batch(manager, sqlite::DROP_MASTER).await,
        other => Err(unsupported(other)),
    }
}

/// Creates an entity table from its own column definitions plus the shared ones
/// (`id`, `metadata`, `metadata_master_id`, `created_at`, `updated_at`), installs the
/// sync triggers on it and registers it under `entity_type`.
///
/// `own_columns` is trusted migration text, one SQL column definition per line, written
/// so that it is valid on both PostgreSQL and SQLite (e.g. `name text NOT NULL`).
pub async fn install_entity(
    manager: &SchemaManager<'_>,
    entity_type: &str,
    table: &str,
    own_columns: &[&str],
) -> Result<(), DbErr> {
    check_identifier(entity_type)?;
    check_identifier(table)?;
    let sql = match manager.get_database_backend() {
        DatabaseBackend::Postgres => postgres::entity(entity_type, table, own_columns),
        DatabaseBackend::Sqlite => sqlite::entity(entity_type, table, own_columns),
        other => return Err(unsupported(other)),
    };
    execute_batch(manager, &sql).await
}

/// Replaces the SQLite sync triggers of every registered entity table with the current
/// ones (the PostgreSQL triggers call shared functions and need nothing). Same behaviour,
/// so there is nothing to undo.
pub async fn reinstall_sqlite_triggers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(());
    }
    let rows = manager
        .get_connection()
        .query_all_raw(sea_orm_migration::sea_orm::Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT entity_type, entity_table FROM _metadata_entity_types ORDER BY entity_type",
        ))
        .await?;
    for row in rows {
        let entity_type: String = row.try_get("", "entity_type")?;
        let table: String = row.try_get("", "entity_table")?;
        check_identifier(&entity_type)?;
        check_identifier(&table)?;
        let drops: Vec<String> = sqlite::trigger_names(&table)
            .into_iter()
            .map(|name| format!("DROP TRIGGER IF EXISTS {name}"))
            .collect();
        execute_batch(manager, &drops.join("\n;;\n")).await?;
        execute_batch(manager, &sqlite::triggers(&entity_type, &table)).await?;
    }
    Ok(())
}

/// Drops an entity table, its triggers and its registration (and its master rows).
pub async fn uninstall_entity(
    manager: &SchemaManager<'_>,
    entity_type: &str,
    table: &str,
) -> Result<(), DbErr> {
    check_identifier(entity_type)?;
    check_identifier(table)?;
    let sql = match manager.get_database_backend() {
        DatabaseBackend::Postgres => postgres::drop_entity(entity_type, table),
        DatabaseBackend::Sqlite => sqlite::drop_entity(entity_type, table),
        other => return Err(unsupported(other)),
    };
    execute_batch(manager, &sql).await
}

/// Identifiers are interpolated into trigger DDL (SQLite has no `format('%I')`), so only
/// plain lower-case snake_case names are accepted.
fn check_identifier(name: &str) -> Result<(), DbErr> {
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let valid_rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid_start && valid_rest && name.len() <= 48 {
        Ok(())
    } else {
        Err(DbErr::Migration(format!(
            "invalid identifier {name:?} for the metadata sync"
        )))
    }
}

fn unsupported(backend: DatabaseBackend) -> DbErr {
    DbErr::Migration(format!(
        "metadata sync supports PostgreSQL and SQLite, not {backend:?}"
    ))
}

#[cfg(test)]
mod tests {
    use super::check_identifier;

    #[test]
    fn identifiers_are_restricted_to_snake_case() {
        assert!(check_identifier("service_campaign_main").is_ok());
        assert!(check_identifier("campaign").is_ok());
        assert!(check_identifier("Campaign").is_err());
        assert!(check_identifier("x; DROP TABLE y").is_err());
        assert!(check_identifier("a\"b").is_err());
        assert!(check_identifier("").is_err());
        assert!(check_identifier("1abc").is_err());
    }
}
