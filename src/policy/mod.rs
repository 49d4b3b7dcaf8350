//! Metadata policies: per entity type, a versioned JSON Schema that every service write of
//! the type's documents must satisfy, plus protected JSON paths that only writers holding an
//! extra scope may change.
//!
//! Service writes (API and localization) are checked inside their write transaction and
//! refused as a whole. Writes around the service (raw SQL) cannot be refused here; the
//! `policy-audit` consumer checks their events afterwards and records what it finds.

mod audit;
mod rules;
mod scan;
mod store;

use std::collections::BTreeSet;
use std::sync::Arc;

use sea_orm::DbErr;

pub use audit::{AUDIT_CONSUMER, PolicyAudit, violations_page};
pub use rules::{MAX_PROTECTED_PATHS, MAX_SCHEMA_BYTES, Policy, ProtectedPath};
pub use scan::{DocumentViolation, ScanReport, dry_run, scan_existing};
pub use store::{
    PolicyDraft, current, current_id_subquery, enforce, enforce_by_id, find_version, set_policy,
};

/// The scopes a writer holds, for protected paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grants {
    /// The service itself (the localization worker), or authentication is off.
    All,
    Scopes(Arc<BTreeSet<String>>),
}

impl Grants {
    pub fn allows(&self, scope: &str) -> bool {
        match self {
            Grants::All => true,
            Grants::Scopes(scopes) => scopes.contains(scope),
        }
    }
}

/// Why a document breaks a policy: where (a JSON pointer) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub pointer: String,
    pub message: String,
    pub kind: ViolationKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// The document does not satisfy the policy's JSON Schema.
    Schema,
    /// The write changes a protected path without the scope it needs.
    ProtectedPath,
}

/// What can go wrong with policies.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the {entity_type} metadata breaks its policy (version {version}) in {} place(s)", violations.len())]
    Violated {
        entity_type: &'static str,
        version: i32,
        violations: Vec<Violation>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("the {0} policy was changed at the same time; read it and try again")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl PolicyError {
    /// The database error inside, for transaction retries.
    pub fn database_error(&self) -> Option<&DbErr> {
        match self {
            PolicyError::Database(error) => Some(error),
            _ => None,
        }
    }
}
