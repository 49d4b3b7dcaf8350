//! Documents compressed with lz4 instead of pglz (PostgreSQL, when the server was built
//! with lz4): the master's and the service-created entity tables' `metadata` and the event
//! log's `document`. A ~2 KB document is compressed on every write and decompressed on
//! every read and comparison; lz4 does both several times faster for about 5 % more bytes
//! (measured in README, "lz4 documents"). Only values written afterwards change;
//! attached tables belong to other applications and keep their settings. Entity types
//! installed later get it from `install_entity`. SQLite: nothing to do.

use sea_orm_migration::prelude::*;

use crate::execute_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, &documents_compression("lz4"), "").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, &documents_compression("DEFAULT"), "").await
    }
}

/// Sets `method` (a fixed keyword, never input) on every document column the service owns.
fn documents_compression(method: &str) -> String {
    format!(
        r#"
DO $$
DECLARE
    registered record;
BEGIN
    IF NOT {LZ4_AVAILABLE} THEN
        RETURN;
    END IF;
    EXECUTE 'ALTER TABLE _metadata_master ALTER COLUMN metadata SET COMPRESSION {method}';
    EXECUTE 'ALTER TABLE _metadata_events ALTER COLUMN document SET COMPRESSION {method}';
    FOR registered IN
        SELECT entity_table, metadata_column FROM _metadata_entity_types WHERE NOT attached
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET COMPRESSION {method}',
                       registered.entity_table, registered.metadata_column);
    END LOOP;
END
$$
"#
    )
}

/// A plpgsql condition: the server supports lz4 (`pg_settings` lists only the compression
/// methods it was built with; before PostgreSQL 14 there is no such setting, nor
/// `SET COMPRESSION`, which is why the statements are `EXECUTE`d).
pub(crate) const LZ4_AVAILABLE: &str = "coalesce((SELECT 'lz4' = ANY (enumvals) FROM pg_settings \
     WHERE name = 'default_toast_compression'), false)";
