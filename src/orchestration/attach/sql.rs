//! The schema changes of attach: the install transaction and the constraints added after
//! the backfill, each taking its lock briefly (`lock_timeout`) or not at all.

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use super::inspect::{Plan, one};
use super::{AttachError, AttachOptions, quoted};

/// How long a schema change waits for its table lock before giving up (so that it never
/// queues every other writer of the table behind a long transaction).
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '5s'";

/// Adds the columns, registers the type and installs the triggers, in one transaction.
pub(super) async fn install(
    db: &DatabaseConnection,
    options: &AttachOptions,
    plan: &Plan,
) -> Result<(), AttachError> {
    let table = quoted(&options.table);
    let metadata = quoted(&options.metadata_column);
    let mut statements = vec![LOCK_TIMEOUT.to_owned()];
    let mut columns = vec!["ADD COLUMN metadata_master_id uuid".to_owned()];
    if plan.add_metadata_column {
        columns.push(format!(
            "ADD COLUMN {metadata} jsonb NOT NULL DEFAULT '{{}}'::jsonb"
        ));
    } else {
        if plan.convert_json {
            columns.push(format!(
                "ALTER COLUMN {metadata} TYPE jsonb USING {metadata}::jsonb"
            ));
        }
        columns.push(format!("ALTER COLUMN {metadata} SET DEFAULT '{{}}'::jsonb"));
    }
    statements.push(format!("ALTER TABLE {table} {}", columns.join(", ")));
    statements.push(format!(
        "INSERT INTO _metadata_entity_types \
         (entity_type, entity_table, id_column, metadata_column, attached) \
         VALUES ('{}', '{}', '{}', '{}', true)",
        options.entity_type, options.table, options.id_column, options.metadata_column
    ));
    statements.extend(triggers(options));
    let tx = db.begin().await?;
    for statement in &statements {
        tx.execute_unprepared(statement).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Installs (or reinstalls, on a resumed attach) the attached-table triggers.
pub(super) async fn reinstall_triggers(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<(), AttachError> {
    locked(db, &triggers(options).join(";\n")).await
}

/// The triggers of an attached table. AFTER triggers fire in name order: `adopt` creates a
/// master before `to_master` compares documents with it.
fn triggers(options: &AttachOptions) -> Vec<String> {
    let table = quoted(&options.table);
    let metadata = quoted(&options.metadata_column);
    let arguments = format!(
        "'{}', '{}', '{}'",
        options.entity_type, options.id_column, options.metadata_column
    );
    vec![
        format!(
            "CREATE OR REPLACE TRIGGER metadata_sync_before BEFORE INSERT OR UPDATE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION metadata_sync_attached_before({arguments})"
        ),
        format!(
            "CREATE OR REPLACE TRIGGER metadata_sync_adopt \
             AFTER INSERT OR UPDATE OF metadata_master_id ON {table} \
             FOR EACH ROW EXECUTE FUNCTION metadata_sync_attached_adopt({arguments})"
        ),
        format!(
            "CREATE OR REPLACE TRIGGER metadata_sync_to_master AFTER UPDATE OF {metadata} ON {table} \
             FOR EACH ROW WHEN (OLD.{metadata} IS DISTINCT FROM NEW.{metadata}) \
             EXECUTE FUNCTION metadata_sync_attached_to_master('{}')",
            options.metadata_column
        ),
        format!(
            "CREATE OR REPLACE TRIGGER metadata_sync_deleted AFTER DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION metadata_sync_attached_deleted()"
        ),
    ]
}

/// After the backfill: `metadata_master_id` unique, referencing its master and not null,
/// and the GIN index of `contains` filters. Indexes are built `CONCURRENTLY` and the
/// constraints added `NOT VALID` then validated, so writers are never blocked for a scan.
pub(super) async fn add_constraints(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<(), AttachError> {
    let table = quoted(&options.table);
    let name = |suffix: &str| quoted(&format!("{}_{suffix}", options.table));
    let metadata = quoted(&options.metadata_column);
    build_index(
        db,
        &format!("{}_msync_key", options.table),
        &format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {} ON {table} (metadata_master_id)",
            name("msync_key")
        ),
    )
    .await?;
    build_index(
        db,
        &format!("{}_msync_gin", options.table),
        &format!(
            "CREATE INDEX CONCURRENTLY {} ON {table} USING gin ({metadata} jsonb_path_ops)",
            name("msync_gin")
        ),
    )
    .await?;
    let fk = "FOREIGN KEY (metadata_master_id) REFERENCES _metadata_master (id) \
              DEFERRABLE INITIALLY DEFERRED";
    add_validated_constraint(db, options, "msync_fk", fk).await?;
    let present = "CHECK (metadata_master_id IS NOT NULL)";
    add_validated_constraint(db, options, "msync_nn", present).await?;
    // With the validated check, SET NOT NULL needs no scan (PostgreSQL 12+); the check is
    // dropped by a second statement, after SET NOT NULL has used it.
    locked(
        db,
        &format!(
            "ALTER TABLE {table} ALTER COLUMN metadata_master_id SET NOT NULL; \
             ALTER TABLE {table} DROP CONSTRAINT {}",
            name("msync_nn")
        ),
    )
    .await
}

/// Adds constraint `<table>_<suffix>` (`definition`) `NOT VALID` unless it exists, then
/// validates it: the add takes the table lock briefly, the validation blocks no writer.
async fn add_validated_constraint(
    db: &DatabaseConnection,
    options: &AttachOptions,
    suffix: &str,
    definition: &str,
) -> Result<(), AttachError> {
    let table = quoted(&options.table);
    let name = format!("{}_{suffix}", options.table);
    if !constraint_exists(db, &name).await? {
        let add = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {definition} NOT VALID",
            quoted(&name)
        );
        locked(db, &add).await?;
    }
    let validate = format!("ALTER TABLE {table} VALIDATE CONSTRAINT {}", quoted(&name));
    db.execute_unprepared(&validate).await?;
    Ok(())
}

/// Runs `create` unless a valid index `index` exists; an invalid one (left by an
/// interrupted `CREATE INDEX CONCURRENTLY`) is dropped first.
async fn build_index(
    db: &DatabaseConnection,
    index: &str,
    create: &str,
) -> Result<(), AttachError> {
    let row = one(
        db,
        "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = $1 AND n.nspname = current_schema()",
        vec![index.into()],
    )
    .await?;
    match row {
        Some(row) if row.try_get::<bool>("", "valid")? => return Ok(()),
        Some(_) => {
            db.execute_unprepared(&format!("DROP INDEX CONCURRENTLY {}", quoted(index)))
                .await?;
        }
        None => {}
    }
    db.execute_unprepared(create).await?;
    Ok(())
}

async fn constraint_exists(db: &DatabaseConnection, name: &str) -> Result<bool, AttachError> {
    let row = one(
        db,
        "SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
         WHERE c.conname = $1 AND n.nspname = current_schema()",
        vec![name.into()],
    )
    .await?;
    Ok(row.is_some())
}

/// One schema change in its own transaction, waiting at most [`LOCK_TIMEOUT`] for its lock.
pub(super) async fn locked(db: &DatabaseConnection, statement: &str) -> Result<(), AttachError> {
    let tx = db.begin().await?;
    tx.execute_unprepared(LOCK_TIMEOUT).await?;
    tx.execute_unprepared(statement).await?;
    tx.commit().await?;
    Ok(())
}
