//! Surveys: a title.

use chrono::Utc;
use entity::survey;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde_json::Value;
use uuid::Uuid;

use super::CatalogError;
use super::record::{CatalogEntity, Record, find, initial_metadata, require_text, update_record};
use crate::sync::{EntityType, WriteOrigin, in_write_transaction};

impl CatalogEntity for survey::Entity {
    const TYPE: EntityType = EntityType::Survey;

    fn id_column() -> Self::Column {
        survey::Column::Id
    }

    fn into_record(model: Self::Model) -> Record {
        Record::Survey(model)
    }
}

#[derive(Clone, Debug)]
pub struct NewSurvey {
    pub title: String,
    pub metadata: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct SurveyChanges {
    pub title: Option<String>,
    pub metadata: Option<Value>,
}

impl NewSurvey {
    /// Inserts the survey; its trigger creates the master row in the same transaction.
    pub async fn create(
        self,
        db: &DatabaseConnection,
        origin: &WriteOrigin,
    ) -> Result<survey::Model, CatalogError> {
        require_text("title", &self.title)?;
        let (id, master_id) = (Uuid::now_v7(), Uuid::now_v7());
        let metadata = initial_metadata(self.metadata, master_id)?;
        in_write_transaction(db, origin, |tx| {
            let now = Utc::now();
            let row = survey::ActiveModel {
                id: Set(id),
                title: Set(self.title.clone()),
                metadata: Set(metadata.clone()),
                metadata_master_id: Set(master_id),
                created_at: Set(now),
                updated_at: Set(now),
            };
            Box::pin(async move {
                row.insert(tx).await?;
                find::<survey::Entity>(tx, id)
                    .await?
                    .ok_or(CatalogError::NotFound {
                        entity_type: "survey",
                        id,
                    })
            })
        })
        .await
    }
}

impl SurveyChanges {
    pub async fn apply(
        self,
        db: &DatabaseConnection,
        id: Uuid,
        origin: &WriteOrigin,
    ) -> Result<survey::Model, CatalogError> {
        if let Some(title) = &self.title {
            require_text("title", title)?;
        }
        let SurveyChanges { title, metadata } = self;
        update_record::<survey::Entity, _>(db, id, metadata, origin, move |row| {
            if let Some(title) = &title {
                row.title = Set(title.clone());
            }
        })
        .await
    }
}
