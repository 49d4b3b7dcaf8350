//! The service's metadata write path, generic over entity types.

use entity::metadata_master;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use super::lock::{LockedPair, lock};
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
    let LockedPair {
        current,
        policy_id,
        master,
    } = lock(tx, entity_type, entity_id).await?;
    let master_id = master.id;
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
            policy_in_force: policy_id.is_some(),
        });
    }
    policy::enforce_by_id(tx, entity_type, policy_id, Some(&current), &next, grants).await?;
    let master = if same_document(&next, &master.metadata) {
        // Only the entity differs (e.g. a repair taking the master's document): writing the
        // entity leaves the master, its version and its history as they are.
        update_entity_metadata(tx, entity_type, entity_id, next).await?;
        master
    } else {
        write_master(tx, master, next).await?
    };
    Ok(MetadataPair {
        entity_type,
        entity_id,
        entity_metadata: master.metadata.clone(),
        master,
        changed: true,
        policy_in_force: policy_id.is_some(),
    })
}

/// Writes `metadata` to the locked `master` row (its trigger copies it to the entity) and
/// returns the row as written. PostgreSQL: the BEFORE trigger sets only the version and
/// `updated_at` (the row's identity cannot change, and the cross reference it would add is
/// already in `metadata`), so only those two come back; the document is not sent back to be
/// decoded again. SQLite bumps the version in an AFTER trigger, which `RETURNING` does not
/// see: read back.
async fn write_master(
    tx: &WriteTransaction,
    master: metadata_master::Model,
    metadata: Value,
) -> Result<metadata_master::Model, SyncError> {
    use metadata_master::Column;
    if tx.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let update = Query::update()
            .table(metadata_master::Entity)
            .value(
                Column::Metadata,
                Expr::val(metadata.to_string()).cast_as(Alias::new("jsonb")),
            )
            .and_where(Expr::col(Column::Id).eq(master.id))
            .returning(Query::returning().columns([Column::Version, Column::UpdatedAt]))
            .to_owned();
        let row = tx
            .query_one(&update)
            .await?
            .ok_or(SyncError::MasterNotFound(master.id))?;
        return Ok(metadata_master::Model {
            metadata,
            version: row.try_get("", Column::Version.as_str())?,
            updated_at: row.try_get("", Column::UpdatedAt.as_str())?,
            metadata_text: None,
            ..master
        });
    }
    metadata_master::Entity::update_many()
        .col_expr(Column::Metadata, Expr::value(metadata))
        .filter(Column::Id.eq(master.id))
        .exec(tx)
        .await?;
    super::find_master(tx, master.id)
        .await?
        .ok_or(SyncError::MasterNotFound(master.id))
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
