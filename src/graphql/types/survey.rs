use async_graphql::{Context, InputObject, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::survey;
use serde_json::Value;
use uuid::Uuid;

use super::{EntityType, MetadataMaster, TranslationStatus, status_of, translations_of};
use crate::catalog::{NewSurvey, SurveyChanges};
use crate::graphql::loaders::load_master;

/// A customer survey (`service_survey_main`).
pub struct Survey(pub survey::Model);

#[Object]
impl Survey {
    /// Id of the survey.
    pub(crate) async fn id(&self, _ctx: &Context<'_>) -> Uuid {
        self.0.id
    }

    /// Always `SURVEY`.
    pub(crate) async fn entity_type(&self, _ctx: &Context<'_>) -> EntityType {
        EntityType::Survey
    }

    /// Title shown to respondents.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The survey's metadata document, equal to its master's.
    pub(crate) async fn metadata(&self, _ctx: &Context<'_>) -> Json<Value> {
        Json(self.0.metadata.clone())
    }

    /// The canonical master row of this survey's metadata.
    pub(crate) async fn metadata_master(&self, ctx: &Context<'_>) -> Result<MetadataMaster> {
        load_master(ctx, self.0.metadata_master_id).await
    }

    /// The translated scripts of one locale (same shape as the scripts), if any.
    pub(crate) async fn translations(
        &self,
        _ctx: &Context<'_>,
        locale: String,
    ) -> Option<Json<Value>> {
        translations_of(&self.0.metadata, &locale).map(Json)
    }

    /// Per target locale: keys translated, missing and failed, and the provider.
    pub(crate) async fn translation_status(&self, _ctx: &Context<'_>) -> Vec<TranslationStatus> {
        status_of(&self.0.metadata)
    }

    /// When the survey was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the survey last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
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
