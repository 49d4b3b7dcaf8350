//! Products: a name and a unique SKU.

use async_graphql::{InputObject, Json};
use entity::product;
use sea_orm::Set;
use serde_json::Value;

use super::declare::entity_type;
use crate::catalog::{CatalogError, NewRow, OwnColumns, require_text};

entity_type! {
    /// A sellable product (`service_product_main`).
    Product {
        name: "product",
        plural: "Products",
        table: "service_product_main",
        model: product,
        query: product,
        list: products,
        resolver: find_product_by_id,
        create: create_product(CreateProductInput),
        update: update_product(UpdateProductInput),
        delete: delete_product,
    }
    fields {
        /// Display name.
        async fn name(&self) -> &str {
            &self.0.name
        }

        /// Stock keeping unit, unique across products.
        async fn sku(&self) -> &str {
            &self.0.sku
        }
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

impl OwnColumns for product::Entity {
    type Create = CreateProductInput;
    type Update = UpdateProductInput;

    fn new_row(input: &Self::Create, row: NewRow) -> Result<product::ActiveModel, CatalogError> {
        require_text("name", &input.name)?;
        require_text("sku", &input.sku)?;
        Ok(product::ActiveModel {
            id: Set(row.id),
            name: Set(input.name.clone()),
            sku: Set(input.sku.clone()),
            metadata: Set(row.metadata),
            metadata_master_id: Set(row.master_id),
            created_at: Set(row.now),
            updated_at: Set(row.now),
        })
    }

    fn apply_changes(
        input: &Self::Update,
        row: &mut product::ActiveModel,
    ) -> Result<(), CatalogError> {
        if let Some(name) = &input.name {
            require_text("name", name)?;
            row.name = Set(name.clone());
        }
        if let Some(sku) = &input.sku {
            require_text("sku", sku)?;
            row.sku = Set(sku.clone());
        }
        Ok(())
    }
}
