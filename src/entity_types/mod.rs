//! The registry of entity types whose metadata is mirrored in `_metadata_master`.
//!
//! Each type is declared once, in its own module, with `entity_type!` (its name, table,
//! SeaORM model, GraphQL names and own fields, plus its input types and how they set its
//! own columns), and listed once below. Everything else — the sync, the catalog, events,
//! localization, federation — is generic over [`EntityType`]. README's "Adding an entity
//! type" lists the steps; `tests/api/registry.rs` fails when this list and the database's
//! `_metadata_entity_types` disagree.

mod declare;
mod object;

use declare::entity_registry;

entity_registry! {
    /// A marketing campaign (`service_campaign_main`).
    Campaign => campaign,
    /// A sellable product (`service_product_main`).
    Product => product,
    /// A customer survey (`service_survey_main`).
    Survey => survey,
    /// A discount voucher (`service_voucher_main`).
    Voucher => voucher,
}

pub use campaign::{CampaignStatus, CreateCampaignInput, UpdateCampaignInput};
pub use product::{CreateProductInput, UpdateProductInput};
pub use survey::{CreateSurveyInput, UpdateSurveyInput};
pub use voucher::{CreateVoucherInput, UpdateVoucherInput};

impl std::fmt::Display for EntityType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EntityType {
    type Err = crate::sync::SyncError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        EntityType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| crate::sync::SyncError::UnknownEntityType(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::EntityType;

    #[test]
    fn round_trips_through_its_stored_name() {
        for t in EntityType::ALL {
            assert_eq!(t.as_str().parse::<EntityType>().unwrap(), *t);
        }
        assert!("service_campaign_main".parse::<EntityType>().is_err());
    }
}
