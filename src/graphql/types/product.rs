use async_graphql::{Context, InputObject, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::product;
use serde_json::Value;
use uuid::Uuid;

use super::{EntityType, MetadataMaster, TranslationStatus, status_of, translations_of};
use crate::catalog::{NewProduct, ProductChanges};
use crate::graphql::loaders::load_master;

/// A sellable product (`service_product_main`).
pub struct Product(pub product::Model);

#[Object]
impl Product {
    /// Id of the product.
    pub(crate) async fn id(&self, _ctx: &Context<'_>) -> Uuid {
        self.0.id
    }

    /// Always `PRODUCT`.
    pub(crate) async fn entity_type(&self, _ctx: &Context<'_>) -> EntityType {
        EntityType::Product
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Stock keeping unit, unique across products.
    async fn sku(&self) -> &str {
        &self.0.sku
    }

    /// The product's metadata document, equal to its master's.
    pub(crate) async fn metadata(&self, _ctx: &Context<'_>) -> Json<Value> {
        Json(self.0.metadata.clone())
    }

    /// The canonical master row of this product's metadata.
    pub(crate) async fn metadata_master(&self, ctx: &Context<'_>) -> Result<MetadataMaster> {
        load_master(ctx, self.0.metadata_master_id).await
    }

    /// The translated scripts of one locale (same shape as the scripts), if any.
    pub(crate) async fn translations(
        &self,
        _ctx: &Context<'_>,
        locale: String,
    ) -> Option<Json<Value>> {
        translations_of(&self.0.metadata, &locale).map(Json)
    }

    /// Per target locale: keys translated, missing and failed, and the provider.
    pub(crate) async fn translation_status(&self, _ctx: &Context<'_>) -> Vec<TranslationStatus> {
        status_of(&self.0.metadata)
    }

    /// When the product was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the product last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A new product.
#[derive(InputObject)]
pub struct CreateProductInput {
    /// Display name (not blank).
    pub name: String,
    /// Stock keeping unit (not blank, unique).
    pub sku: String,
    /// Initial metadata (a JSON object); `{}` when omitted.
    pub metadata: Option<Json<Value>>,
}

/// Changes to a product; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateProductInput {
    /// New display name (not blank).
    pub name: Option<String>,
    /// New SKU (not blank, unique).
    pub sku: Option<String>,
    /// Replacement metadata document (a JSON object; the cross reference is kept).
    pub metadata: Option<Json<Value>>,
}

impl From<CreateProductInput> for NewProduct {
    fn from(input: CreateProductInput) -> Self {
        NewProduct {
            name: input.name,
            sku: input.sku,
            metadata: input.metadata.map(|json| json.0),
        }
    }
}

impl From<UpdateProductInput> for ProductChanges {
    fn from(input: UpdateProductInput) -> Self {
        ProductChanges {
            name: input.name,
            sku: input.sku,
            metadata: input.metadata.map(|json| json.0),
        }
    }
}
