//! Campaigns: a name and a lifecycle status.

use async_graphql::Enum;
use entity::campaign;
use sea_orm::Set;

use super::declare::entity_type;
use crate::catalog::{CatalogError, OwnColumns, require_text};

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
        create: create_campaign,
        update: update_campaign,
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
    /// A new campaign.
    create CreateCampaignInput {
        /// Display name (not blank).
        name: String,
        /// Lifecycle status; `DRAFT` when omitted.
        status: Option<CampaignStatus>,
    }
    /// Changes to a campaign; omitted fields stay as they are.
    update UpdateCampaignInput {
        /// New display name (not blank).
        name: Option<String>,
        /// New lifecycle status.
        status: Option<CampaignStatus>,
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

impl OwnColumns for campaign::Entity {
    type Create = CreateCampaignInput;
    type Update = UpdateCampaignInput;

    fn new_row(input: &Self::Create) -> Result<campaign::ActiveModel, CatalogError> {
        require_text("name", &input.name)?;
        Ok(campaign::ActiveModel {
            name: Set(input.name.clone()),
            status: Set(input
                .status
                .map_or(campaign::CampaignStatus::Draft, Into::into)),
            ..Default::default()
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
