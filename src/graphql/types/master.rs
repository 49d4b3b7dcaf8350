use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::metadata_master;
use serde_json::Value;
use uuid::Uuid;

use sea_orm::DatabaseConnection;

use super::{EntityTypeName, MetadataEntity, MetadataEvent};
use crate::events::{document_at, history_page};
use crate::graphql::ErrorCode;
use crate::graphql::error::internal;
use crate::graphql::loaders::load_record;
use crate::graphql::pagination::{SequenceCursor, decode, page_size};
use crate::graphql::raw_json::RawJson;
use crate::sync::{EntityType, same_document};

/// The canonical metadata document of one domain entity. Its `metadata` always equals the
/// entity's own `metadata` once a transaction has committed.
pub struct MetadataMaster(pub metadata_master::Model);

/// The canonical metadata document of one domain entity. Its `metadata` always equals the
/// entity's own `metadata` once a transaction has committed.
#[Object]
impl MetadataMaster {
    /// Id of this master row; the entity's metadata carries it as `metadata_master_id`.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// Type of the entity this document belongs to.
    async fn entity_type(&self) -> EntityTypeName {
        EntityTypeName::stored(&self.0.entity_type)
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
    async fn metadata(&self) -> RawJson {
        RawJson::document(&self.0.metadata, self.0.metadata_text.as_ref())
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
        let record = load_record(ctx, self.parsed_type(ctx).await?, self.0.entity_id).await?;
        record.map(MetadataEntity::from).ok_or_else(|| {
            internal(&format!(
                "master {} has no entity {}",
                self.0.id, self.0.entity_id
            ))
        })
    }

    /// The history of this document, newest first: one entry per effective change from
    /// any write path, each with the RFC 6902 patch from the version before.
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<SequenceCursor, MetadataEvent>> {
        let limit = page_size(first)?;
        let before = decode::<SequenceCursor>(after)?.map(|cursor| cursor.0);
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let (entries, has_more) = history_page(db, self.0.id, before, limit)
            .await
            .map_err(|e| internal(&e))?;
        let mut connection = Connection::new(before.is_some(), has_more);
        connection.edges = entries
            .into_iter()
            .map(|entry| {
                Edge::new(
                    SequenceCursor(entry.event.version),
                    MetadataEvent::from(entry),
                )
            })
            .collect();
        Ok(connection)
    }

    /// The document as it was right after reaching `version` (null for a version this
    /// master never had). Rebuilt from the snapshot each history entry keeps.
    async fn metadata_at(&self, ctx: &Context<'_>, version: i64) -> Result<Option<Json<Value>>> {
        if version < 1 {
            return Err(ErrorCode::BadUserInput.error("versions start at 1"));
        }
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let document = document_at(db, self.0.id, version)
            .await
            .map_err(|e| internal(&e))?;
        Ok(document.map(Json))
    }

    /// True when this document and the entity's own `metadata` are equal.
    async fn in_sync(&self, ctx: &Context<'_>) -> Result<bool> {
        let record = load_record(ctx, self.parsed_type(ctx).await?, self.0.entity_id).await?;
        Ok(record.is_some_and(|record| same_document(record.metadata(), &self.0.metadata)))
    }
}

impl MetadataMaster {
    async fn parsed_type(&self, ctx: &Context<'_>) -> Result<EntityType> {
        EntityTypeName::stored(&self.0.entity_type)
            .resolve(ctx)
            .await
    }
}
