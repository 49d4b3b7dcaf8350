//! Repairing one drift: in its own transaction marked `reconcile`, after taking the
//! service's locks in its one order (entity row, then master row), and only if the drift
//! is still there — a repair that finds it gone writes nothing.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use serde_json::Value as Json;

use super::{Drift, DriftKind, statement};
use crate::sync::{
    MetadataChange, Side, SyncError, WriteOrigin, WriteTransaction, in_write_transaction,
    lock_pair, same_document, write_metadata,
};

/// Which document wins when an entity's and its master's differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prefer {
    Entity,
    Master,
    /// The side changed last (by `updated_at`); the master on a tie, and for attached
    /// tables (which have no `updated_at` of ours).
    #[default]
    Newer,
}

/// What a repair did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repaired {
    /// The master took the entity's document (a new master version and event).
    MasterFromEntity,
    /// The entity took the master's document (the master, and so the history, unchanged).
    EntityFromMaster,
    /// A master row was created from the entity (a `CREATED` event).
    MasterCreated,
    /// The orphan master row was deleted (a `DELETED` event).
    MasterDeleted,
    /// The drift was gone when its rows were locked.
    AlreadyGone,
    /// Cross references are only reported.
    NotRepairable,
}

/// Repairs one drift.
pub async fn repair(
    db: &DatabaseConnection,
    drift: &Drift,
    prefer: Prefer,
) -> Result<Repaired, SyncError> {
    if drift.kind == DriftKind::CrossReference {
        return Ok(Repaired::NotRepairable);
    }
    let drift = drift.clone();
    in_write_transaction(db, &WriteOrigin::reconcile(), |tx| {
        let drift = drift.clone();
        Box::pin(async move {
            match drift.kind {
                DriftKind::DocumentsDiffer => documents(tx, &drift, prefer).await,
                DriftKind::MissingMaster => create_master(tx, &drift).await,
                DriftKind::OrphanMaster => delete_master(tx, &drift).await,
                DriftKind::CrossReference => Ok(Repaired::NotRepairable),
            }
        })
    })
    .await
}

async fn documents(
    tx: &WriteTransaction,
    drift: &Drift,
    prefer: Prefer,
) -> Result<Repaired, SyncError> {
    let (entity_document, master) = match lock_pair(tx, drift.entity_type, drift.entity_id).await {
        Ok(pair) => pair,
        Err(SyncError::EntityNotFound { .. } | SyncError::MasterNotFound(_)) => {
            return Ok(Repaired::AlreadyGone);
        }
        Err(error) => return Err(error),
    };
    if master.id != drift.master_id || same_document(&entity_document, &master.metadata) {
        return Ok(Repaired::AlreadyGone);
    }
    let entity_wins = match prefer {
        Prefer::Entity => true,
        Prefer::Master => false,
        // An attached table has no `updated_at` of ours: its master is the newer side.
        Prefer::Newer if drift.entity_type.is_attached() => false,
        Prefer::Newer => entity_updated_at(tx, drift).await? > master.updated_at,
    };
    let (side, document, repaired) = if entity_wins {
        (
            Side::Master(master.id),
            entity_document,
            Repaired::MasterFromEntity,
        )
    } else {
        (
            Side::Entity(drift.entity_type, drift.entity_id),
            master.metadata,
            Repaired::EntityFromMaster,
        )
    };
    let change = MetadataChange::Replace(document);
    write_metadata(tx, side, &change, None, &crate::policy::Grants::All).await?;
    Ok(repaired)
}

async fn entity_updated_at(
    tx: &WriteTransaction,
    drift: &Drift,
) -> Result<DateTime<Utc>, SyncError> {
    let sql = format!(
        "SELECT updated_at FROM {} WHERE id = $1",
        drift.entity_type.table()
    );
    let row = tx
        .query_one_raw(statement(
            tx.get_database_backend(),
            &sql,
            vec![drift.entity_id.into()],
        ))
        .await?
        .ok_or(SyncError::EntityNotFound {
            entity_type: drift.entity_type.as_str(),
            id: drift.entity_id,
        })?;
    Ok(row.try_get("", "updated_at")?)
}

/// A master row for an entity whose master is missing, with the id the entity names, the
/// entity's document and the version after the last one recorded for that id; its insert
/// trigger records the `CREATED` event.
async fn create_master(tx: &WriteTransaction, drift: &Drift) -> Result<Repaired, SyncError> {
    let entity_type = drift.entity_type;
    let table = format!("\"{}\"", entity_type.table());
    let lock = format!(
        "SELECT \"{metadata}\" AS metadata, metadata_master_id FROM {table} WHERE \"{id}\" = $1{}",
        for_update(tx),
        metadata = entity_type.metadata_column(),
        id = entity_type.id_column(),
    );
    let Some(row) = tx
        .query_one_raw(statement(
            tx.get_database_backend(),
            &lock,
            vec![drift.entity_id.into()],
        ))
        .await?
    else {
        return Ok(Repaired::AlreadyGone);
    };
    let document: Json = row.try_get("", "metadata")?;
    let Some(master_id): Option<uuid::Uuid> = row.try_get("", "metadata_master_id")? else {
        return Ok(Repaired::AlreadyGone);
    };
    if master_id != drift.master_id || crate::sync::find_master(tx, master_id).await?.is_some() {
        return Ok(Repaired::AlreadyGone);
    }
    // The version continues the master id's recorded history (its events are unique per
    // master and version).
    let insert = "INSERT INTO _metadata_master (id, entity_type, entity_id, entity_table, metadata, version) \
                  VALUES ($1, $2, $3, $4, $5, \
                          1 + coalesce((SELECT max(version) FROM _metadata_events WHERE master_id = $1), 0))";
    let values = vec![
        master_id.into(),
        drift.entity_type.as_str().into(),
        drift.entity_id.into(),
        entity_type.table().into(),
        document.into(),
    ];
    tx.execute_raw(statement(tx.get_database_backend(), insert, values))
        .await?;
    Ok(Repaired::MasterCreated)
}

/// Deletes a master row whose entity is gone (its delete guard lets it go); its delete
/// trigger records the `DELETED` event.
async fn delete_master(tx: &WriteTransaction, drift: &Drift) -> Result<Repaired, SyncError> {
    let sql = format!(
        "DELETE FROM _metadata_master WHERE id = $1 AND entity_type = $2 \
         AND NOT EXISTS (SELECT 1 FROM {table} e WHERE e.\"{id}\" = $3) \
         AND NOT EXISTS (SELECT 1 FROM {table} e WHERE e.metadata_master_id = $1)",
        table = format!("\"{}\"", drift.entity_type.table()),
        id = drift.entity_type.id_column(),
    );
    let values = vec![
        drift.master_id.into(),
        drift.entity_type.as_str().into(),
        drift.entity_id.into(),
    ];
    let deleted = tx
        .execute_raw(statement(tx.get_database_backend(), &sql, values))
        .await?;
    Ok(if deleted.rows_affected() == 1 {
        Repaired::MasterDeleted
    } else {
        Repaired::AlreadyGone
    })
}

fn for_update(tx: &WriteTransaction) -> &'static str {
    match tx.get_database_backend() {
        DatabaseBackend::Postgres => " FOR UPDATE",
        _ => "",
    }
}
