use async_graphql::{InputObject, Json};
use entity::product;
use serde_json::Value;

use super::EntityType;
use super::entity_object::metadata_entity_object;
use crate::catalog::{NewProduct, ProductChanges};

/// A sellable product (`service_product_main`).
pub struct Product(pub product::Model);

metadata_entity_object!(
    /// A sellable product (`service_product_main`).
    Product,
    EntityType::Product,
    {
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Stock keeping unit, unique across products.
    async fn sku(&self) -> &str {
        &self.0.sku
    }
});

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
