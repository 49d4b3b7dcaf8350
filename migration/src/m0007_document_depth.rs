//! Documents may be nested at most 100 levels deep, whoever writes them: every stored
//! document can then be read back (serde_json reads up to 127 levels) by the API, the
//! history and the workers. Only `_metadata_master` needs the guard: every entity
//! document reaches it through the sync triggers in the same statement, and a refusal there
//! aborts the entity's write too.
//!
//! Existing rows are not re-checked (PostgreSQL: `NOT VALID`), so the migration never
//! fails on old data.

use sea_orm_migration::prelude::*;

use crate::execute_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, POSTGRES, &sqlite()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, DROP_POSTGRES, DROP_SQLITE).await
    }
}

/// A container at `.**` level 100 sits 101 levels deep (the document is level 1).
const POSTGRES: &str = r#"
ALTER TABLE _metadata_master ADD CONSTRAINT _metadata_master_metadata_at_most_100_levels_deep
    CHECK (NOT jsonb_path_exists(metadata,
        'strict $.**{100} ? (@.type() == "object" || @.type() == "array")')) NOT VALID
"#;

const DROP_POSTGRES: &str = r#"
ALTER TABLE _metadata_master DROP CONSTRAINT IF EXISTS _metadata_master_metadata_at_most_100_levels_deep
"#;

/// The depth of `NEW.metadata`, counted up to 101: each level's containers are expanded
/// once, and the walk stops below level 101.
const SQLITE_DEPTH: &str = "(WITH RECURSIVE walk(value, depth) AS (
        SELECT NEW.metadata, 1
        UNION ALL
        SELECT e.value, walk.depth + 1 FROM walk, json_each(walk.value) e
         WHERE e.type IN ('object', 'array') AND walk.depth <= 100)
     SELECT max(depth) FROM walk)";

fn sqlite() -> String {
    let refuse = "SELECT RAISE(ABORT, 'metadata may be nested at most 100 levels deep');";
    format!(
        "CREATE TRIGGER _metadata_master_depth_insert BEFORE INSERT ON _metadata_master
WHEN json_valid(NEW.metadata) AND {SQLITE_DEPTH} > 100
BEGIN {refuse} END
;;
CREATE TRIGGER _metadata_master_depth_update BEFORE UPDATE OF metadata ON _metadata_master
WHEN json_valid(NEW.metadata) AND {SQLITE_DEPTH} > 100
BEGIN {refuse} END"
    )
}

const DROP_SQLITE: &str = r#"
DROP TRIGGER IF EXISTS _metadata_master_depth_insert
;;
DROP TRIGGER IF EXISTS _metadata_master_depth_update
"#;
