//! `service_product_main`: sellable products.

use sea_orm::entity::prelude::*;

crate::metadata_entity_model!("service_product_main" {
    pub name: String,
    #[sea_orm(unique)]
    pub sku: String,
});
