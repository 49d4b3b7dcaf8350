//! Products: name and a unique SKU.

use entity::product;
use sea_orm::{DatabaseConnection, Set};
use serde_json::Value;
use uuid::Uuid;

use super::CatalogError;
use super::record::{CatalogEntity, Record, create_record, require_text, update_record};
use crate::sync::{EntityType, WriteOrigin};

impl CatalogEntity for product::Entity {
    const TYPE: EntityType = EntityType::Product;

    fn id_column() -> Self::Column {
        product::Column::Id
    }

    fn id_of(model: &Self::Model) -> Uuid {
        model.id
    }

    fn into_record(model: Self::Model) -> Record {
        Record::Product(model)
    }
}

#[derive(Clone, Debug)]
pub struct NewProduct {
    pub name: String,
    pub sku: String,
    pub metadata: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub sku: Option<String>,
    pub metadata: Option<Value>,
}

impl NewProduct {
    /// Inserts the product; its trigger creates the master row in the same transaction.
    pub async fn create(
        self,
        db: &DatabaseConnection,
        origin: &WriteOrigin,
    ) -> Result<product::Model, CatalogError> {
        require_text("name", &self.name)?;
        require_text("sku", &self.sku)?;
        let NewProduct {
            name,
            sku,
            metadata,
        } = self;
        create_record::<product::Entity, _>(db, origin, metadata, move |row| product::ActiveModel {
            id: Set(row.id),
            name: Set(name.clone()),
            sku: Set(sku.clone()),
            metadata: Set(row.metadata),
            metadata_master_id: Set(row.master_id),
            created_at: Set(row.now),
            updated_at: Set(row.now),
        })
        .await
    }
}

impl ProductChanges {
    pub async fn apply(
        self,
        db: &DatabaseConnection,
        id: Uuid,
        origin: &WriteOrigin,
    ) -> Result<product::Model, CatalogError> {
        for (field, value) in [("name", &self.name), ("sku", &self.sku)] {
            if let Some(value) = value {
                require_text(field, value)?;
            }
        }
        let ProductChanges {
            name,
            sku,
            metadata,
        } = self;
        update_record::<product::Entity, _>(db, id, metadata, origin, move |row| {
            if let Some(name) = &name {
                row.name = Set(name.clone());
            }
            if let Some(sku) = &sku {
                row.sku = Set(sku.clone());
            }
        })
        .await
    }
}
