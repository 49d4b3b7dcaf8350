use async_graphql::{Json, SimpleObject};
use serde_json::Value;
use uuid::Uuid;

use super::EntityTypeName;

/// New translations of one locale of one entity, as the localization worker writes them.
#[derive(SimpleObject, Clone, Debug)]
pub struct TranslationUpdate {
    /// Type of the entity.
    pub entity_type: EntityTypeName,
    /// Id of the entity.
    pub entity_id: Uuid,
    /// Id of the master row.
    pub master_id: Uuid,
    /// The locale, e.g. `es`.
    pub locale: String,
    /// Dot-path keys added, changed or removed in this locale by this write.
    pub changed_keys: Vec<String>,
    /// The locale's translated scripts after the write (same shape as the scripts).
    pub translations: Json<Value>,
    /// The master's version after the write.
    pub version: i64,
    /// The translation provider, e.g. `pseudo` or `apertium`.
    pub provider: Option<String>,
}
