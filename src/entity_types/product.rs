//! Products: a name and a unique SKU.

use entity::product;
use sea_orm::Set;

use super::declare::entity_type;
use crate::catalog::{CatalogError, OwnColumns, require_text};

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
        create: create_product,
        update: update_product,
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
    /// A new product.
    create CreateProductInput {
        /// Display name (not blank).
        name: String,
        /// Stock keeping unit (not blank, unique).
        sku: String,
    }
    /// Changes to a product; omitted fields stay as they are.
    update UpdateProductInput {
        /// New display name (not blank).
        name: Option<String>,
        /// New SKU (not blank, unique).
        sku: Option<String>,
    }
}

impl OwnColumns for product::Entity {
    type Create = CreateProductInput;
    type Update = UpdateProductInput;

    fn new_row(input: &Self::Create) -> Result<product::ActiveModel, CatalogError> {
        require_text("name", &input.name)?;
        require_text("sku", &input.sku)?;
        Ok(product::ActiveModel {
            name: Set(input.name.clone()),
            sku: Set(input.sku.clone()),
            ..Default::default()
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
