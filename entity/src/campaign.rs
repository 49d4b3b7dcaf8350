//! `service_campaign_main`: marketing campaigns.

use sea_orm::entity::prelude::*;

crate::metadata_entity_model!("service_campaign_main" {
    pub name: String,
    pub status: CampaignStatus,
});

/// Lifecycle of a campaign (a CHECK constraint in the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum CampaignStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "archived")]
    Archived,
}
