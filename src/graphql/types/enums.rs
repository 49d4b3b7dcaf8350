use async_graphql::Enum;

/// The kinds of entity whose metadata is mirrored in `_metadata_master`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::sync::EntityType")]
pub enum EntityType {
    /// A marketing campaign (`service_campaign_main`).
    Campaign,
    /// A sellable product (`service_product_main`).
    Product,
    /// A customer survey (`service_survey_main`).
    Survey,
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
