//! Surveys: a title.

use entity::survey;
use sea_orm::Set;

use super::declare::entity_type;
use crate::catalog::{CatalogError, OwnColumns, require_text};

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
        create: create_survey,
        update: update_survey,
        delete: delete_survey,
    }
    fields {
        /// Title shown to respondents.
        async fn title(&self) -> &str {
            &self.0.title
        }
    }
    /// A new survey.
    create CreateSurveyInput {
        /// Title (not blank).
        title: String,
    }
    /// Changes to a survey; omitted fields stay as they are.
    update UpdateSurveyInput {
        /// New title (not blank).
        title: Option<String>,
    }
}

impl OwnColumns for survey::Entity {
    type Create = CreateSurveyInput;
    type Update = UpdateSurveyInput;

    fn new_row(input: &Self::Create) -> Result<survey::ActiveModel, CatalogError> {
        require_text("title", &input.title)?;
        Ok(survey::ActiveModel {
            title: Set(input.title.clone()),
            ..Default::default()
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
