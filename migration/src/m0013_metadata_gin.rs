//! GIN indexes (`jsonb_path_ops`) on the master's and every registered entity table's
//! `metadata`, which serve the `contains` filter (`@>`). PostgreSQL only: SQLite has no
//! index for JSON containment and scans. Entity types installed after this migration get
//! theirs from `install_entity`.

use sea_orm_migration::prelude::*;

use crate::execute_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, UP, "").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, DOWN, "").await
    }
}

const UP: &str = r#"
CREATE INDEX IF NOT EXISTS _metadata_master_metadata_gin
    ON _metadata_master USING gin (metadata jsonb_path_ops)
;;
DO $$
DECLARE
    registered record;
BEGIN
    FOR registered IN SELECT entity_table FROM _metadata_entity_types LOOP
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I USING gin (metadata jsonb_path_ops)',
                       registered.entity_table || '_metadata_gin', registered.entity_table);
    END LOOP;
END
$$
"#;

const DOWN: &str = r#"
DROP INDEX IF EXISTS _metadata_master_metadata_gin
;;
DO $$
DECLARE
    registered record;
BEGIN
    FOR registered IN SELECT entity_table FROM _metadata_entity_types LOOP
        EXECUTE format('DROP INDEX IF EXISTS %I', registered.entity_table || '_metadata_gin');
    END LOOP;
END
$$
"#;
