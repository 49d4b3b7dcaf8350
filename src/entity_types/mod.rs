//! The registry of entity types whose metadata is mirrored in `_metadata_master`.
//!
//! Each type is declared once, in its own module, with `entity_type!` (its name, table,
//! SeaORM model, GraphQL names and own fields, plus its input types and how they set its
//! own columns), and listed once below. Everything else — the sync, the catalog, events,
//! localization, federation — is generic over [`EntityType`], which also names the tables
//! attached at run time (`registry`). README's "Adding an entity
//! type" lists the steps; `tests/api/registry.rs` fails when this list and the database's
//! `_metadata_entity_types` disagree.

mod declare;
mod object;
pub mod registry;

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
pub use registry::{EntityType, TypeInfo};
pub use survey::{CreateSurveyInput, UpdateSurveyInput};
pub use voucher::{CreateVoucherInput, UpdateVoucherInput};

/// Whether `name` may name an entity type, table or column: plain lower-case snake_case of
/// at most 48 characters (the rule `install_entity` and `attach` enforce), so that such a
/// name is safe in trigger DDL and in messages.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    valid_start
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 48
}

#[cfg(test)]
mod tests {
    use super::EntityType;

    #[test]
    fn round_trips_through_its_stored_name() {
        for t in EntityType::ALL {
            assert_eq!(t.as_str().parse::<EntityType>().unwrap(), *t);
            assert!(!t.is_attached());
            assert_eq!((t.id_column(), t.metadata_column()), ("id", "metadata"));
        }
        assert!("service_campaign_main".parse::<EntityType>().is_err());
    }

    #[test]
    fn names_are_lower_case_snake_case() {
        assert!(super::is_valid_name("service_order_main"));
        for bad in ["", "Order", "1order", "order-main", "a\"b", &"x".repeat(49)] {
            assert!(!super::is_valid_name(bad), "{bad}");
        }
    }
}
