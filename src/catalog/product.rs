//! Products: name and a unique SKU.

use chrono::Utc;
use entity::product;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::Value;
use uuid::Uuid;

use super::CatalogError;
use super::record::{CatalogEntity, Record, find, initial_metadata, require_text, update_record};
use crate::sync::{EntityType, WriteOrigin, in_write_transaction};

impl CatalogEntity for product::Entity {
    const TYPE: EntityType = EntityType::Product;

    fn id_column() -> Self::Column {
        product::Column::Id
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
    /// A SKU already in use is a conflict.
    pub async fn create(
        self,
        db: &DatabaseConnection,
        origin: &WriteOrigin,
    ) -> Result<product::Model, CatalogError> {
        require_text("name", &self.name)?;
        require_text("sku", &self.sku)?;
        let (id, master_id) = (Uuid::now_v7(), Uuid::now_v7());
        let metadata = initial_metadata(self.metadata, master_id)?;
        in_write_transaction(db, origin, |tx| {
            let now = Utc::now();
            let row = product::ActiveModel {
                id: Set(id),
                name: Set(self.name.clone()),
                sku: Set(self.sku.clone()),
                metadata: Set(metadata.clone()),
                metadata_master_id: Set(master_id),
                created_at: Set(now),
                updated_at: Set(now),
            };
            Box::pin(async move {
                row.insert(tx).await?;
                find::<product::Entity>(tx, id)
                    .await?
                    .ok_or(CatalogError::NotFound {
                        entity_type: "product",
                        id,
                    })
            })
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
