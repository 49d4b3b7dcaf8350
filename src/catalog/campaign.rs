//! Campaigns: name and lifecycle status.

use entity::campaign::{self, CampaignStatus};
use sea_orm::{DatabaseConnection, Set};
use serde_json::Value;
use uuid::Uuid;

use super::CatalogError;
use super::record::{CatalogEntity, Record, create_record, require_text, update_record};
use crate::sync::{EntityType, WriteOrigin};

impl CatalogEntity for campaign::Entity {
    const TYPE: EntityType = EntityType::Campaign;

    fn id_column() -> Self::Column {
        campaign::Column::Id
    }

    fn id_of(model: &Self::Model) -> Uuid {
        model.id
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
        let NewCampaign {
            name,
            status,
            metadata,
        } = self;
        create_record::<campaign::Entity, _>(db, origin, metadata, move |row| {
            campaign::ActiveModel {
                id: Set(row.id),
                name: Set(name.clone()),
                status: Set(status),
                metadata: Set(row.metadata),
                metadata_master_id: Set(row.master_id),
                created_at: Set(row.now),
                updated_at: Set(row.now),
            }
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
