//! Database schema of metadata-synergy: the canonical `_metadata_master` table, the
//! domain entity tables, and the triggers that keep each entity's `metadata` and its
//! master row in two-way sync on PostgreSQL and SQLite alike.

pub use sea_orm_migration::prelude::*;
/// The table of applied migrations (read by the readiness probe).
pub use sea_orm_migration::seaql_migrations;

mod entity_migration;

mod m0001_metadata_master;
mod m0002_campaign;
mod m0003_product;
mod m0004_survey;
mod m0005_metadata_events;
mod m0006_event_deliveries;
mod m0007_document_depth;
mod m0008_sqlite_json_compare;
mod m0010_metadata_policies;
mod m0011_delivery_heads;
mod m0012_no_notify_in_triggers;
mod m0013_metadata_gin;
mod m0014_reconcile_origin;
mod m0015_attached_tables;
mod m0016_lz4_documents;
pub mod sync_triggers;

pub use entity_migration::EntityMigration;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_metadata_master::Migration),
            Box::new(m0002_campaign::Migration),
            Box::new(m0003_product::Migration),
            Box::new(m0004_survey::Migration),
            Box::new(m0005_metadata_events::Migration),
            Box::new(m0006_event_deliveries::Migration),
            Box::new(m0007_document_depth::Migration),
            Box::new(m0008_sqlite_json_compare::Migration),
            Box::new(EntityMigration {
                name: "m0009_voucher",
                entity_type: "voucher",
                table: "service_voucher_main",
                own_columns: &[
                    "code text NOT NULL UNIQUE CHECK (length(code) > 0)",
                    "discount_percent integer NOT NULL CHECK (discount_percent BETWEEN 1 AND 100)",
                    "valid_until timestamptz",
                ],
            }),
            Box::new(m0010_metadata_policies::Migration),
            Box::new(m0011_delivery_heads::Migration),
            Box::new(m0012_no_notify_in_triggers::Migration),
            Box::new(m0013_metadata_gin::Migration),
            Box::new(m0014_reconcile_origin::Migration),
            Box::new(m0015_attached_tables::Migration),
            Box::new(m0016_lz4_documents::Migration),
        ]
    }
}

/// Runs the PostgreSQL or the SQLite batch, whichever the connection speaks.
pub(crate) async fn execute_for_backend(
    manager: &SchemaManager<'_>,
    postgres: &str,
    sqlite: &str,
) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DatabaseBackend::Postgres => {
            execute_batch(manager, postgres).await
        }
        _ => execute_batch(manager, sqlite).await,
    }
}

/// Runs a batch of SQL statements (separated by a line holding only `;;`) one by one,
/// so that plpgsql bodies and SQLite trigger bodies keep their inner semicolons.
pub(crate) async fn execute_batch(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    for statement in sql.split("\n;;\n").map(str::trim).filter(|s| !s.is_empty()) {
        conn.execute_unprepared(statement).await?;
    }
    Ok(())
}
