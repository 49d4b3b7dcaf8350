//! The registry of entity types whose metadata is mirrored in `_metadata_master`.

use std::fmt;
use std::str::FromStr;

use super::SyncError;

/// An entity type registered with the sync mechanism. Adding a type means adding one
/// variant here (and its entity file and migration); the sync code itself is generic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    Campaign,
    Product,
    Survey,
}

impl EntityType {
    pub const ALL: [EntityType; 3] = [
        EntityType::Campaign,
        EntityType::Product,
        EntityType::Survey,
    ];

    /// The value stored in `_metadata_master.entity_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Campaign => "campaign",
            EntityType::Product => "product",
            EntityType::Survey => "survey",
        }
    }

    /// The entity's table: a fixed allow-list, the only table names used in dynamic SQL.
    pub fn table(self) -> &'static str {
        match self {
            EntityType::Campaign => "service_campaign_main",
            EntityType::Product => "service_product_main",
            EntityType::Survey => "service_survey_main",
        }
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntityType {
    type Err = SyncError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        EntityType::ALL
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| SyncError::UnknownEntityType(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::EntityType;

    #[test]
    fn round_trips_through_its_stored_name() {
        for t in EntityType::ALL {
            assert_eq!(t.as_str().parse::<EntityType>().unwrap(), t);
        }
        assert!("service_campaign_main".parse::<EntityType>().is_err());
    }
}
