//! Two-way sync between each entity's `metadata` and its `_metadata_master` row.
//!
//! The database triggers (see the `migration` crate) keep both documents equal on every
//! write path. This module is the service's own write path on top of them: it takes the
//! row locks in one fixed order (entity row, then master row), applies a replacement or an
//! RFC 7396 merge patch under those locks, checks `expectedVersion`, and retries the whole
//! transaction when the database reports a deadlock, a serialization failure or a busy
//! SQLite file. On PostgreSQL most writes can skip the round trips: see
//! [`write_in_place`].

mod document;
mod error;
mod in_place;
mod limits;
mod lock;
mod origin;
mod pair;
mod policy_hint;
mod retry;
mod transaction;
mod write;

pub use crate::entity_types::EntityType;
pub use document::{
    CROSS_REFERENCE_KEY, MetadataChange, apply_merge_patch, require_object, same_document,
    with_cross_reference,
};
pub use error::SyncError;
pub use in_place::{Answer, write_in_place};
pub use limits::{DATABASE_MAX_DEPTH, DocumentLimits};
pub use lock::lock_pair;
pub use origin::{OriginKind, WriteOrigin};
pub use pair::{MetadataPair, find_master, find_masters, find_masters_by_entities, page_masters};
pub use policy_hint::TypesWithPolicy;
pub use retry::{MaybeTransient, in_write_transaction};
pub use transaction::WriteTransaction;
pub use write::{Side, write_metadata};
