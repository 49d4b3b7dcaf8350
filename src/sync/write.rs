//! The service's metadata write path, generic over entity types.

use entity::metadata_master;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use super::{EntityType, MetadataChange, MetadataPair, SyncError, WriteTransaction, same_document};
use crate::policy::{self, Grants};

/// Which side of a pair a write is addressed to (by entity or by master id). Either way
/// both sides end up equal.
#[derive(Clone, Copy, Debug)]
pub enum Side {
    Entity(EntityType, Uuid),
    Master(Uuid),
}

/// Applies `change` to the pair addressed by `side` inside `tx`.
///
/// Locks the entity row, then the master row (the one lock order of the service), checks
/// `expected_version` against the master, computes the new document from the locked
/// current one and writes it to the master (the triggers copy it to the entity, and the
/// write answers with the master row it wrote), or only to the entity when the master
/// already holds it.
/// A change that leaves the document as it is writes nothing and bumps no version; one
/// that breaks the entity type's policy (for a writer holding `grants`) writes nothing
/// and fails.
#[tracing::instrument(name = "sync.write_metadata", skip(tx, change, grants))]
pub async fn write_metadata(
    tx: &WriteTransaction,
    side: Side,
    change: &MetadataChange,
    expected_version: Option<i64>,
    grants: &Grants,
) -> Result<MetadataPair, SyncError> {
    let (entity_type, entity_id) = match side {
        Side::Entity(entity_type, id) => (entity_type, id),
        Side::Master(id) => {
            let master = super::find_master(tx, id)
                .await?
                .ok_or(SyncError::MasterNotFound(id))?;
            (
                crate::entity_types::registry::resolve(tx, &master.entity_type).await?,
                master.entity_id,
            )
        }
    };
    let (master_id, current, policy_id) = lock_entity_metadata(tx, entity_type, entity_id).await?;
    let master = lock_master(tx, master_id).await?;
    if let Side::Master(id) = side
        && id != master_id
    {
        return Err(SyncError::MasterNotFound(id));
    }
    if let Some(expected) = expected_version
        && expected != master.version
    {
        return Err(SyncError::VersionConflict {
            expected,
            actual: master.version,
        });
    }

    let next = change.apply(&current, master_id)?;
    if same_document(&next, &current) && same_document(&next, &master.metadata) {
        return Ok(MetadataPair {
            entity_type,
            entity_id,
            entity_metadata: current,
            master,
            changed: false,
        });
    }
    policy::enforce_by_id(tx, entity_type, policy_id, Some(&current), &next, grants).await?;
    let master = if same_document(&next, &master.metadata) {
        // Only the entity differs (e.g. a repair taking the master's document): writing the
        // entity leaves the master, its version and its history as they are.
        update_entity_metadata(tx, entity_type, entity_id, next).await?;
        master
    } else {
        write_master(tx, master_id, next).await?
    };
    Ok(MetadataPair {
        entity_type,
        entity_id,
        entity_metadata: master.metadata.clone(),
        master,
        changed: true,
    })
}

/// Locks an entity row and then its master row — the one lock order of the service — and
/// returns the entity's document and the master row.
///
/// The master is locked `NOWAIT`: if someone holds it, that is a raw master-side writer
/// (every service write takes the entity first), which may in turn be waiting for the
/// entity row we now hold. Instead of waiting in PostgreSQL's deadlock detector
/// (`deadlock_timeout` per round), the transaction fails at once with SQLSTATE 55P03,
/// releases the entity, and [`super::in_write_transaction`] runs it again after a short
/// backoff, by when the other writer has finished.
pub async fn lock_pair(
    tx: &WriteTransaction,
    entity_type: EntityType,
    entity_id: Uuid,
) -> Result<(Value, metadata_master::Model), SyncError> {
    let (master_id, current, _) = lock_entity_metadata(tx, entity_type, entity_id).await?;
    Ok((current, lock_master(tx, master_id).await?))
}

async fn lock_master(
    tx: &WriteTransaction,
    master_id: Uuid,
) -> Result<metadata_master::Model, SyncError> {
    metadata_master::Entity::find_by_id(master_id)
        .lock_with_behavior(LockType::Update, LockBehavior::Nowait)
        .one(tx)
        .await?
        .ok_or(SyncError::MasterNotFound(master_id))
}

/// `SELECT metadata_master_id, metadata, (the id of the policy in force) FROM <table>
/// WHERE id = $1 FOR UPDATE`, with the table and column names taken from the
/// [`EntityType`] registry (the allow-list).
async fn lock_entity_metadata(
    tx: &WriteTransaction,
    entity_type: EntityType,
    id: Uuid,
) -> Result<(Uuid, Value, Option<Uuid>), SyncError> {
    let policy_id = Expr::SubQuery(
        None,
        Box::new(policy::current_id_subquery(entity_type).into()),
    );
    let statement = Query::select()
        .column(Alias::new("metadata_master_id"))
        .expr_as(
            Expr::col(Alias::new(entity_type.metadata_column())),
            Alias::new("metadata"),
        )
        .expr_as(policy_id, Alias::new("policy_id"))
        .from(Alias::new(entity_type.table()))
        .and_where(Expr::col(Alias::new(entity_type.id_column())).eq(id))
        .lock_with_tables(LockType::Update, [Alias::new(entity_type.table())])
        .to_owned();
    let not_found = SyncError::EntityNotFound {
        entity_type: entity_type.as_str(),
        id,
    };
    let row = tx.query_one(&statement).await?.ok_or(not_found)?;
    // An attached table's row that attach has not adopted yet has no master: not served.
    let master_id: Option<Uuid> = row.try_get("", "metadata_master_id")?;
    let master_id = master_id.ok_or(SyncError::EntityNotFound {
        entity_type: entity_type.as_str(),
        id,
    })?;
    Ok((
        master_id,
        row.try_get("", "metadata")?,
        row.try_get("", "policy_id")?,
    ))
}

/// Writes `metadata` to the master row (its trigger copies it to the entity) and returns
/// the row as written. PostgreSQL: `RETURNING` (the version is set by a BEFORE trigger).
/// SQLite bumps the version in an AFTER trigger, which `RETURNING` does not see: read back.
async fn write_master(
    tx: &WriteTransaction,
    master_id: Uuid,
    metadata: Value,
) -> Result<metadata_master::Model, SyncError> {
    let update = metadata_master::Entity::update_many()
        .col_expr(metadata_master::Column::Metadata, Expr::value(metadata))
        .filter(metadata_master::Column::Id.eq(master_id));
    if tx.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let mut rows = update.exec_with_returning(tx).await?;
        return rows.pop().ok_or(SyncError::MasterNotFound(master_id));
    }
    update.exec(tx).await?;
    super::find_master(tx, master_id)
        .await?
        .ok_or(SyncError::MasterNotFound(master_id))
}

async fn update_entity_metadata(
    tx: &WriteTransaction,
    entity_type: EntityType,
    id: Uuid,
    metadata: Value,
) -> Result<(), SyncError> {
    let statement = Query::update()
        .table(Alias::new(entity_type.table()))
        .value(Alias::new(entity_type.metadata_column()), metadata)
        .and_where(Expr::col(Alias::new(entity_type.id_column())).eq(id))
        .to_owned();
    tx.execute(&statement).await?;
    Ok(())
}
