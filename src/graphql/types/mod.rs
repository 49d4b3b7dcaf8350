//! GraphQL object, interface, enum and input types. The entity types' own objects and
//! inputs and the `MetadataEntity` interface come from
//! [`crate::entity_types`].

mod attached;
mod dead_letter;
mod drift;
mod entity_type;
mod event;
mod filter;
mod master;
mod patch_where;
mod policy;
mod sync_result;
mod translation_update;
mod translations;

pub use crate::entity_types::MetadataEntity;
pub use attached::AttachedEntity;
pub use dead_letter::DeadLetter;
pub use drift::DriftReport;
pub use entity_type::{EntityTypeLoader, EntityTypeName, resolve_optional};
pub use event::MetadataEvent;
pub use filter::{MetadataFilter, MetadataOrder, search_filter};
pub use master::MetadataMaster;
pub use patch_where::{PatchMetadataWhereFailure, PatchMetadataWhereResult};
pub use policy::{MetadataPolicy, PolicyViolation, ProtectedPathInput, SetMetadataPolicyResult};
pub use sync_result::MetadataSyncResult;
pub use translation_update::TranslationUpdate;
pub use translations::{TranslationStatus, status_of, translations_of};
