//! Campaigns: a name and a lifecycle status.

use async_graphql::{Enum, InputObject, Json};
use entity::campaign;
use sea_orm::Set;
use serde_json::Value;

use super::declare::entity_type;
use crate::catalog::{CatalogError, NewRow, OwnColumns, require_text};

entity_type! {
    /// A marketing campaign (`service_campaign_main`).
    Campaign {
        name: "campaign",
        plural: "Campaigns",
        table: "service_campaign_main",
        model: campaign,
        query: campaign,
        list: campaigns,
        resolver: find_campaign_by_id,
        create: create_campaign(CreateCampaignInput),
        update: update_campaign(UpdateCampaignInput),
        delete: delete_campaign,
    }
    fields {
        /// Display name.
        async fn name(&self) -> &str {
            &self.0.name
        }

        /// Lifecycle status.
        async fn status(&self) -> CampaignStatus {
            self.0.status.into()
        }
    }
}

/// Lifecycle of a campaign.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::campaign::CampaignStatus")]
pub enum CampaignStatus {
    /// Being prepared; not visible to customers.
    Draft,
    /// Running.
    Active,
    /// Temporarily stopped.
    Paused,
    /// Finished and kept for reference.
    Archived,
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

impl OwnColumns for campaign::Entity {
    type Create = CreateCampaignInput;
    type Update = UpdateCampaignInput;

    fn new_row(input: &Self::Create, row: NewRow) -> Result<campaign::ActiveModel, CatalogError> {
        require_text("name", &input.name)?;
        Ok(campaign::ActiveModel {
            id: Set(row.id),
            name: Set(input.name.clone()),
            status: Set(input
                .status
                .map_or(campaign::CampaignStatus::Draft, Into::into)),
            metadata: Set(row.metadata),
            metadata_master_id: Set(row.master_id),
            created_at: Set(row.now),
            updated_at: Set(row.now),
        })
    }

    fn apply_changes(
        input: &Self::Update,
        row: &mut campaign::ActiveModel,
    ) -> Result<(), CatalogError> {
        if let Some(name) = &input.name {
            require_text("name", name)?;
            row.name = Set(name.clone());
        }
        if let Some(status) = input.status {
            row.status = Set(status.into());
        }
        Ok(())
    }
}
