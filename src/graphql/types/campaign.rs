use async_graphql::{Context, InputObject, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::campaign;
use serde_json::Value;
use uuid::Uuid;

use super::{
    CampaignStatus, EntityType, MetadataMaster, TranslationStatus, status_of, translations_of,
};
use crate::catalog::{CampaignChanges, NewCampaign};
use crate::graphql::loaders::load_master;

/// A marketing campaign (`service_campaign_main`).
pub struct Campaign(pub campaign::Model);

#[Object]
impl Campaign {
    /// Id of the campaign.
    pub(crate) async fn id(&self, _ctx: &Context<'_>) -> Uuid {
        self.0.id
    }

    /// Always `CAMPAIGN`.
    pub(crate) async fn entity_type(&self, _ctx: &Context<'_>) -> EntityType {
        EntityType::Campaign
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Lifecycle status.
    async fn status(&self) -> CampaignStatus {
        self.0.status.into()
    }

    /// The campaign's metadata document, equal to its master's.
    pub(crate) async fn metadata(&self, _ctx: &Context<'_>) -> Json<Value> {
        Json(self.0.metadata.clone())
    }

    /// The canonical master row of this campaign's metadata.
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

    /// When the campaign was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the campaign last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A new campaign.
#[derive(InputObject)]
pub struct CreateCampaignInput {
    /// Display name (not blank).
    pub name: String,
    /// Lifecycle status; `DRAFT` when omitted.
    pub status: Option<CampaignStatus>,
    /// Initial metadata (a JSON object); `{}` when omitted.
    pub metadata: Option<Json<Value>>,
}

/// Changes to a campaign; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    /// New display name (not blank).
    pub name: Option<String>,
    /// New lifecycle status.
    pub status: Option<CampaignStatus>,
    /// Replacement metadata document (a JSON object; the cross reference is kept).
    pub metadata: Option<Json<Value>>,
}

impl From<CreateCampaignInput> for NewCampaign {
    fn from(input: CreateCampaignInput) -> Self {
        NewCampaign {
            name: input.name,
            status: input
                .status
                .map_or(campaign::CampaignStatus::Draft, Into::into),
            metadata: input.metadata.map(|json| json.0),
        }
    }
}

impl From<UpdateCampaignInput> for CampaignChanges {
    fn from(input: UpdateCampaignInput) -> Self {
        CampaignChanges {
            name: input.name,
            status: input.status.map(Into::into),
            metadata: input.metadata.map(|json| json.0),
        }
    }
}
