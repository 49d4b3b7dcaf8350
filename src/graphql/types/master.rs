use async_graphql::{Context, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::metadata_master;
use serde_json::Value;
use uuid::Uuid;

use super::{EntityType, MetadataEntity};
use crate::graphql::error::internal;
use crate::graphql::loaders::load_record;
use crate::sync::{self, same_document};

/// The canonical metadata document of one domain entity. Its `metadata` always equals the
/// entity's own `metadata` once a transaction has committed.
pub struct MetadataMaster(pub metadata_master::Model);

#[Object]
impl MetadataMaster {
    /// Id of this master row; the entity's metadata carries it as `metadata_master_id`.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// Type of the entity this document belongs to.
    async fn entity_type(&self) -> Result<EntityType> {
        self.parsed_type().map(EntityType::from)
    }

    /// Id of the entity this document belongs to.
    async fn entity_id(&self) -> Uuid {
        self.0.entity_id
    }

    /// Table of the entity row (reverse lookup), e.g. `service_campaign_main`.
    async fn entity_table(&self) -> &str {
        &self.0.entity_table
    }

    /// The canonical metadata document (a JSON object).
    async fn metadata(&self) -> Json<&Value> {
        Json(&self.0.metadata)
    }

    /// Starts at 1 and grows by one with every effective change, from any write path.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When the row was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the metadata last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The entity this document belongs to (reverse navigation).
    async fn entity(&self, ctx: &Context<'_>) -> Result<MetadataEntity> {
        let record = load_record(ctx, self.parsed_type()?, self.0.entity_id).await?;
        record.map(MetadataEntity::from).ok_or_else(|| {
            internal(&format!(
                "master {} has no entity {}",
                self.0.id, self.0.entity_id
            ))
        })
    }

    /// True when this document and the entity's own `metadata` are equal.
    async fn in_sync(&self, ctx: &Context<'_>) -> Result<bool> {
        let record = load_record(ctx, self.parsed_type()?, self.0.entity_id).await?;
        Ok(record.is_some_and(|record| same_document(record.metadata(), &self.0.metadata)))
    }
}

impl MetadataMaster {
    fn parsed_type(&self) -> Result<sync::EntityType> {
        self.0.entity_type.parse().map_err(|error| internal(&error))
    }
}
