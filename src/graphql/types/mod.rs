//! GraphQL object, interface, enum and input types.

mod campaign;
mod change;
mod dead_letter;
mod entity_object;
mod enums;
mod event;
mod master;
mod metadata_entity;
mod product;
mod survey;
mod sync_result;
mod translation_update;
mod translations;

pub use campaign::{Campaign, CreateCampaignInput, UpdateCampaignInput};
pub use change::MetadataChange;
pub use dead_letter::DeadLetter;
pub use enums::{CampaignStatus, EntityType};
pub use event::{MetadataEvent, MetadataEventKind, WriteOrigin};
pub use master::MetadataMaster;
pub use metadata_entity::MetadataEntity;
pub use product::{CreateProductInput, Product, UpdateProductInput};
pub use survey::{CreateSurveyInput, Survey, UpdateSurveyInput};
pub use sync_result::MetadataSyncResult;
pub use translation_update::TranslationUpdate;
pub use translations::{TranslationStatus, status_of, translations_of};
