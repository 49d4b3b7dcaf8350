//! Campaigns: name and lifecycle status.

use chrono::Utc;
use entity::campaign::{self, CampaignStatus};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::Value;
use uuid::Uuid;

use super::CatalogError;
use super::record::{CatalogEntity, Record, find, initial_metadata, require_text, update_record};
use crate::sync::{EntityType, WriteOrigin, in_write_transaction};

impl CatalogEntity for campaign::Entity {
    const TYPE: EntityType = EntityType::Campaign;

    fn id_column() -> Self::Column {
        campaign::Column::Id
    }

    fn into_record(model: Self::Model) -> Record {
        Record::Campaign(model)
    }
}

#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub name: String,
    pub status: CampaignStatus,
    pub metadata: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub status: Option<CampaignStatus>,
    pub metadata: Option<Value>,
}

impl NewCampaign {
    /// Inserts the campaign; its trigger creates the master row in the same transaction.
    pub async fn create(
        self,
        db: &DatabaseConnection,
        origin: &WriteOrigin,
    ) -> Result<campaign::Model, CatalogError> {
        require_text("name", &self.name)?;
        let (id, master_id) = (Uuid::now_v7(), Uuid::now_v7());
        let metadata = initial_metadata(self.metadata, master_id)?;
        in_write_transaction(db, origin, |tx| {
            let now = Utc::now();
            let row = campaign::ActiveModel {
                id: Set(id),
                name: Set(self.name.clone()),
                status: Set(self.status),
                metadata: Set(metadata.clone()),
                metadata_master_id: Set(master_id),
                created_at: Set(now),
                updated_at: Set(now),
            };
            Box::pin(async move {
                row.insert(tx).await?;
                find::<campaign::Entity>(tx, id)
                    .await?
                    .ok_or(CatalogError::NotFound {
                        entity_type: "campaign",
                        id,
                    })
            })
        })
        .await
    }
}

impl CampaignChanges {
    pub async fn apply(
        self,
        db: &DatabaseConnection,
        id: Uuid,
        origin: &WriteOrigin,
    ) -> Result<campaign::Model, CatalogError> {
        if let Some(name) = &self.name {
            require_text("name", name)?;
        }
        let CampaignChanges {
            name,
            status,
            metadata,
        } = self;
        update_record::<campaign::Entity, _>(db, id, metadata, origin, move |row| {
            if let Some(name) = &name {
                row.name = Set(name.clone());
            }
            if let Some(status) = status {
                row.status = Set(status);
            }
        })
        .await
    }
}
