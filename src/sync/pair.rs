//! Reading master rows, one at a time or in batches.

use chrono::{DateTime, Utc};
use entity::metadata_master;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use super::{EntityType, SyncError};

/// Both halves of a synced pair as they stand after a write.
#[derive(Clone, Debug)]
pub struct MetadataPair {
    pub entity_type: EntityType,
    pub entity_id: Uuid,
    pub entity_metadata: Value,
    pub master: metadata_master::Model,
    /// Whether the write changed the document (false: it already was what was asked).
    pub changed: bool,
}

pub async fn find_master(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<metadata_master::Model>, SyncError> {
    Ok(metadata_master::Entity::find_by_id(id).one(db).await?)
}

/// Master rows by id, in one statement.
pub async fn find_masters(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<metadata_master::Model>, SyncError> {
    Ok(metadata_master::Entity::find()
        .filter(metadata_master::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// A master row's columns except its document.
type MasterHeader = (
    Uuid,
    String,
    Uuid,
    String,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// Master rows by id without their documents (`metadata` is `null`), in one statement:
/// for readers that only want ids, versions and times, which then neither fetch nor
/// decode the documents.
pub async fn find_master_headers(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<metadata_master::Model>, SyncError> {
    use metadata_master::Column;
    let rows: Vec<MasterHeader> = metadata_master::Entity::find()
        .select_only()
        .columns([
            Column::Id,
            Column::EntityType,
            Column::EntityId,
            Column::EntityTable,
            Column::Version,
            Column::CreatedAt,
            Column::UpdatedAt,
        ])
        .filter(Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, entity_type, entity_id, entity_table, version, created_at, updated_at)| {
                metadata_master::Model {
                    id,
                    entity_type,
                    entity_id,
                    entity_table,
                    metadata: Value::Null,
                    version,
                    created_at,
                    updated_at,
                }
            },
        )
        .collect())
}

/// Master rows of one entity type by entity id, in one statement.
pub async fn find_masters_by_entities(
    db: &impl ConnectionTrait,
    entity_type: EntityType,
    entity_ids: Vec<Uuid>,
) -> Result<Vec<metadata_master::Model>, SyncError> {
    Ok(metadata_master::Entity::find()
        .filter(metadata_master::Column::EntityType.eq(entity_type.as_str()))
        .filter(metadata_master::Column::EntityId.is_in(entity_ids))
        .all(db)
        .await?)
}

/// One keyset page of master rows ordered by id, optionally of one entity type.
/// Fetches `limit` rows; callers ask for one more than they show to learn if more follow.
pub async fn page_masters(
    db: &impl ConnectionTrait,
    entity_type: Option<EntityType>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<metadata_master::Model>, SyncError> {
    let mut select = metadata_master::Entity::find();
    if let Some(entity_type) = entity_type {
        select = select.filter(metadata_master::Column::EntityType.eq(entity_type.as_str()));
    }
    if let Some(after) = after {
        select = select.filter(metadata_master::Column::Id.gt(after));
    }
    Ok(select
        .order_by_asc(metadata_master::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
