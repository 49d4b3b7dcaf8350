use async_graphql::{Interface, Json};
use serde_json::Value;
use uuid::Uuid;

use super::{Campaign, EntityType, MetadataMaster, Product, Survey, TranslationStatus};
use crate::catalog::Record;

/// A domain entity whose `metadata` is kept in two-way sync with a `MetadataMaster`.
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "Uuid", desc = "Id of the entity."),
    field(name = "entity_type", ty = "EntityType", desc = "The kind of entity."),
    field(
        name = "metadata",
        ty = "Json<Value>",
        desc = "The entity's metadata document, equal to its master's."
    ),
    field(
        name = "metadata_master",
        ty = "MetadataMaster",
        desc = "The canonical master row of this entity's metadata."
    ),
    field(
        name = "translations",
        ty = "Option<Json<Value>>",
        desc = "The translated scripts of one locale (same shape as the scripts), if any.",
        arg(name = "locale", ty = "String")
    ),
    field(
        name = "translation_status",
        ty = "Vec<TranslationStatus>",
        desc = "Per target locale: keys translated, missing and failed, and the provider."
    )
)]
pub enum MetadataEntity {
    Campaign(Campaign),
    Product(Product),
    Survey(Survey),
}

impl From<Record> for MetadataEntity {
    fn from(record: Record) -> Self {
        match record {
            Record::Campaign(model) => MetadataEntity::Campaign(Campaign(model)),
            Record::Product(model) => MetadataEntity::Product(Product(model)),
            Record::Survey(model) => MetadataEntity::Survey(Survey(model)),
        }
    }
}
