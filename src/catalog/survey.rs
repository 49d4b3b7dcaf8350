//! Surveys: a title.

use entity::survey;
use sea_orm::{DatabaseConnection, Set};
use serde_json::Value;
use uuid::Uuid;

use super::CatalogError;
use super::record::{CatalogEntity, Record, create_record, require_text, update_record};
use crate::sync::{EntityType, WriteOrigin};

impl CatalogEntity for survey::Entity {
    const TYPE: EntityType = EntityType::Survey;

    fn id_column() -> Self::Column {
        survey::Column::Id
    }

    fn id_of(model: &Self::Model) -> Uuid {
        model.id
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
        let NewSurvey { title, metadata } = self;
        create_record::<survey::Entity, _>(db, origin, metadata, move |row| survey::ActiveModel {
            id: Set(row.id),
            title: Set(title.clone()),
            metadata: Set(row.metadata),
            metadata_master_id: Set(row.master_id),
            created_at: Set(row.now),
            updated_at: Set(row.now),
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
