//! `AttachedEntity`: a row of a table attached at run time, served without a compiled type.

use async_graphql::{Context, Json, Object, Result};
use serde_json::Value;
use uuid::Uuid;

use super::{EntityTypeName, MetadataMaster, TranslationStatus, status_of, translations_of};
use crate::catalog::AttachedRow;
use crate::graphql::raw_json::RawJson;

/// A row of a table attached with `metadata-synergy attach`: the service knows its id,
/// table and metadata, not its other columns.
pub struct AttachedEntity(pub AttachedRow);

/// A row of a table attached with `metadata-synergy attach`: the service knows its id,
/// table and metadata, not its other columns.
#[Object]
impl AttachedEntity {
    /// Id of the entity.
    pub(crate) async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The kind of entity (the name it was attached under).
    pub(crate) async fn entity_type(&self) -> EntityTypeName {
        self.0.entity_type.into()
    }

    /// The attached table.
    async fn table(&self) -> &str {
        self.0.entity_type.table()
    }

    /// The entity's metadata document, equal to its master's.
    pub(crate) async fn metadata(&self) -> RawJson {
        RawJson::of(&self.0.metadata)
    }

    /// The canonical master row of this entity's metadata.
    pub(crate) async fn metadata_master(&self, ctx: &Context<'_>) -> Result<MetadataMaster> {
        crate::graphql::load_master_for_selection(ctx, self.0.metadata_master_id).await
    }

    /// The translated scripts of one locale (same shape as the scripts), if any.
    pub(crate) async fn translations(&self, locale: String) -> Option<Json<Value>> {
        translations_of(&self.0.metadata, &locale).map(Json)
    }

    /// Per target locale: keys translated, missing and failed, and the provider.
    pub(crate) async fn translation_status(&self) -> Vec<TranslationStatus> {
        status_of(&self.0.metadata)
    }
}
