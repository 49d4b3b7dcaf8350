//! Letting an attached table go: its triggers and the foreign key to the masters are
//! dropped first and, in the same transaction, its registration is marked `detaching` (the
//! service stops serving the type, so no write is answered as synced that no trigger
//! copies),
//! then batch by batch its masters are deleted (each a `DELETED` event, actor `detach`)
//! and the cross reference is taken out of its documents, then `metadata_master_id` and
//! the registration go. The documents stay in the table's metadata column.

use sea_orm::{DatabaseBackend, DatabaseConnection, Value};

use super::inspect::one;
use super::sql::locked;
use super::{AttachError, quoted};
use crate::entity_types::registry;
use crate::sync::{WriteOrigin, in_write_transaction};

/// What a detach did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DetachReport {
    /// Master rows deleted.
    pub masters_deleted: u64,
    /// Batches (transactions) of the detach.
    pub batches: u64,
}

/// Detaches the attached entity type `name` (see the module docs). Running it again after
/// an interruption finishes the job.
pub async fn detach(
    db: &DatabaseConnection,
    name: &str,
    batch_size: u64,
) -> Result<DetachReport, AttachError> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Err(AttachError::NotPostgres);
    }
    let entity_type = registry::resolve_detaching(db, name).await?;
    if !entity_type.is_attached() {
        return Err(AttachError::NotAttached(name.to_owned()));
    }
    let table = quoted(entity_type.table());
    let id = quoted(entity_type.id_column());
    let metadata = quoted(entity_type.metadata_column());
    locked(
        db,
        &format!(
            "DROP TRIGGER IF EXISTS metadata_sync_before ON {table}; \
             DROP TRIGGER IF EXISTS metadata_sync_adopt ON {table}; \
             DROP TRIGGER IF EXISTS metadata_sync_to_master ON {table}; \
             DROP TRIGGER IF EXISTS metadata_sync_deleted ON {table}; \
             ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {fk}; \
             UPDATE _metadata_entity_types SET detaching = true WHERE entity_type = '{name}'",
            fk = quoted(&format!("{}_msync_fk", entity_type.table())),
            name = entity_type.as_str(),
        ),
    )
    .await?;
    let limit = i64::try_from(batch_size.max(1)).unwrap_or(i64::MAX);
    let release = format!(
        "WITH batch AS (SELECT {id}, metadata_master_id FROM {table} \
                        WHERE $1::uuid IS NULL OR {id} > $1::uuid \
                        ORDER BY {id} LIMIT $2 FOR UPDATE), \
              stripped AS (UPDATE {table} t SET {metadata} = t.{metadata} - 'metadata_master_id' \
                           FROM batch WHERE t.{id} = batch.{id} \
                             AND t.{metadata} ? 'metadata_master_id' RETURNING 1), \
              deleted AS (DELETE FROM _metadata_master m USING batch \
                          WHERE m.id = batch.metadata_master_id RETURNING 1) \
         SELECT (SELECT {id} FROM batch ORDER BY {id} DESC LIMIT 1) AS last, (SELECT count(*) FROM deleted) AS deleted, \
                (SELECT count(*) FROM stripped) AS stripped"
    );
    let mut report = DetachReport::default();
    let mut after: Option<uuid::Uuid> = None;
    loop {
        let values = vec![after.into(), limit.into()];
        let row = in_detach_tx(db, name, &release, values).await?;
        report.batches += 1;
        let Some(row) = row else { break };
        let deleted: i64 = row.try_get("", "deleted")?;
        report.masters_deleted += u64::try_from(deleted).unwrap_or(0);
        match row.try_get::<Option<uuid::Uuid>>("", "last")? {
            Some(last) => after = Some(last),
            None => break,
        }
    }
    // Masters whose entity row was gone (orphans) go too.
    let orphans = "WITH deleted AS (DELETE FROM _metadata_master WHERE entity_type = $1 \
                   RETURNING 1) SELECT count(*) AS deleted FROM deleted";
    if let Some(row) = in_detach_tx(db, name, orphans, vec![name.into()]).await? {
        let deleted: i64 = row.try_get("", "deleted")?;
        report.masters_deleted += u64::try_from(deleted).unwrap_or(0);
    }
    locked(
        db,
        &format!(
            "ALTER TABLE {table} DROP COLUMN IF EXISTS metadata_master_id; \
             DROP INDEX IF EXISTS {gin}; \
             DELETE FROM _metadata_entity_types WHERE entity_type = '{name}' AND attached",
            gin = quoted(&format!("{}_msync_gin", entity_type.table())),
            name = entity_type.as_str(),
        ),
    )
    .await?;
    Ok(report)
}

/// Runs `sql` with `values` in a transaction marked as the detach of `name` (events with
/// actor `detach`; the master delete guard lets the type's masters go), run again after a
/// deadlock with the event fan-out or a worker.
async fn in_detach_tx(
    db: &DatabaseConnection,
    name: &str,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<sea_orm::QueryResult>, AttachError> {
    in_write_transaction(db, &WriteOrigin::maintenance("detach"), |tx| {
        let (values, name, sql) = (values.clone(), name.to_owned(), sql.to_owned());
        Box::pin(async move {
            let detaching = "SELECT set_config('metadata_synergy.detaching', $1, true)";
            one(tx, detaching, vec![name.into()]).await?;
            Ok::<_, AttachError>(one(tx, &sql, values).await?)
        })
    })
    .await
}
