use async_graphql::{InputObject, Json};
use entity::survey;
use serde_json::Value;

use super::EntityType;
use super::entity_object::metadata_entity_object;
use crate::catalog::{NewSurvey, SurveyChanges};

/// A customer survey (`service_survey_main`).
pub struct Survey(pub survey::Model);

metadata_entity_object!(
    /// A customer survey (`service_survey_main`).
    Survey,
    EntityType::Survey,
    {
    /// Title shown to respondents.
    async fn title(&self) -> &str {
        &self.0.title
    }
});

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

impl From<CreateSurveyInput> for NewSurvey {
    fn from(input: CreateSurveyInput) -> Self {
        NewSurvey {
            title: input.title,
            metadata: input.metadata.map(|json| json.0),
        }
    }
}

impl From<UpdateSurveyInput> for SurveyChanges {
    fn from(input: UpdateSurveyInput) -> Self {
        SurveyChanges {
            title: input.title,
            metadata: input.metadata.map(|json| json.0),
        }
    }
}
