//! Surveys: a title.

use async_graphql::{InputObject, Json};
use entity::survey;
use sea_orm::Set;
use serde_json::Value;

use super::declare::entity_type;
use crate::catalog::{CatalogError, NewRow, OwnColumns, require_text};

entity_type! {
    /// A customer survey (`service_survey_main`).
    Survey {
        name: "survey",
        plural: "Surveys",
        table: "service_survey_main",
        model: survey,
        query: survey,
        list: surveys,
        resolver: find_survey_by_id,
        create: create_survey(CreateSurveyInput),
        update: update_survey(UpdateSurveyInput),
        delete: delete_survey,
    }
    fields {
        /// Title shown to respondents.
        async fn title(&self) -> &str {
            &self.0.title
        }
    }
}

/// A new survey.
#[derive(InputObject)]
pub struct CreateSurveyInput {
    /// Title (not blank).
    pub title: String,
    /// Initial metadata (a JSON object); `{}` when omitted.
    pub metadata: Option<Json<Value>>,
}

/// Changes to a survey; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateSurveyInput {
    /// New title (not blank).
    pub title: Option<String>,
    /// Replacement metadata document (a JSON object; the cross reference is kept).
    pub metadata: Option<Json<Value>>,
}

impl OwnColumns for survey::Entity {
    type Create = CreateSurveyInput;
    type Update = UpdateSurveyInput;

    fn new_row(input: &Self::Create, row: NewRow) -> Result<survey::ActiveModel, CatalogError> {
        require_text("title", &input.title)?;
        Ok(survey::ActiveModel {
            id: Set(row.id),
            title: Set(input.title.clone()),
            metadata: Set(row.metadata),
            metadata_master_id: Set(row.master_id),
            created_at: Set(row.now),
            updated_at: Set(row.now),
        })
    }

    fn apply_changes(
        input: &Self::Update,
        row: &mut survey::ActiveModel,
    ) -> Result<(), CatalogError> {
        if let Some(title) = &input.title {
            require_text("title", title)?;
            row.title = Set(title.clone());
        }
        Ok(())
    }
}
