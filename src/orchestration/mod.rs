//! Orchestration across many entities through the one sync path: a merge patch applied to
//! every entity that matches a metadata filter, and finding and repairing drift between
//! the entity tables and the master table, and adopting tables that already exist.

pub mod attach;
pub mod drift;
mod error;
mod patch_where;

pub use error::OrchestrationError;
pub use patch_where::{
    MAX_PATCH_LIMIT, PREVIEW_IDS, PatchFailure, PatchOutcome, PatchWhere, Preview, apply, preview,
};
