use async_graphql::{InputObject, Json};
use entity::campaign;
use serde_json::Value;

use super::entity_object::metadata_entity_object;
use super::{CampaignStatus, EntityType};
use crate::catalog::{CampaignChanges, NewCampaign};

/// A marketing campaign (`service_campaign_main`).
pub struct Campaign(pub campaign::Model);

metadata_entity_object!(
    /// A marketing campaign (`service_campaign_main`).
    Campaign,
    EntityType::Campaign,
    {
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Lifecycle status.
    async fn status(&self) -> CampaignStatus {
        self.0.status.into()
    }
});

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
