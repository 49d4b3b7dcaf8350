//! Reading master rows, one at a time or in batches.

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
    /// Whether a metadata policy was in force for the type when the pair was locked.
    pub policy_in_force: bool,
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
