//! Drift between entity tables and `_metadata_master`: what the triggers did not see.
//!
//! Triggers do not fire under `session_replication_role = replica` (pg_restore, logical
//! replication subscribers), when someone disables them, or when one table is restored
//! without the other. [`find`] reports four kinds of drift per entity type, a page at a
//! time in entity id order; [`repair`] fixes one through the service's locked write path
//! in its own transaction, marked with the `reconcile` origin, so that a run can stop
//! anywhere and be started again, while the service is live.

mod find;
mod repair;
mod run;

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use find::{DriftPage, find, report};
pub use repair::{Prefer, Repaired, repair};
pub use run::{ReconcileOptions, ReconcileSummary, reconcile};

use crate::events::dialect::plain_statement as statement;

use crate::sync::EntityType;

/// The kinds of drift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DriftKind {
    /// The entity's document and its master's differ.
    DocumentsDiffer,
    /// The entity's `metadata_master_id` names no master row (and no master row names it).
    MissingMaster,
    /// A master row whose entity is gone (and that no entity names).
    OrphanMaster,
    /// An entity and a master row that do not name each other (the master's `entity_id`
    /// or type is another, or the entity points at another master). Reported, not repaired:
    /// neither side's identity may change, so a person decides.
    CrossReference,
}

impl DriftKind {
    pub const ALL: [DriftKind; 4] = [
        DriftKind::DocumentsDiffer,
        DriftKind::MissingMaster,
        DriftKind::OrphanMaster,
        DriftKind::CrossReference,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::DocumentsDiffer => "DOCUMENTS_DIFFER",
            DriftKind::MissingMaster => "MISSING_MASTER",
            DriftKind::OrphanMaster => "ORPHAN_MASTER",
            DriftKind::CrossReference => "CROSS_REFERENCE",
        }
    }
}

/// One drifted pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub kind: DriftKind,
    pub entity_type: EntityType,
    /// The entity (for an orphan master: the entity id the master names).
    pub entity_id: Uuid,
    /// The master (for a missing master: the id the entity names).
    pub master_id: Uuid,
}

/// Counts of every kind per entity type, and the first drifts found.
#[derive(Clone, Debug, Default)]
pub struct DriftReport {
    pub counts: Vec<(EntityType, DriftKind, u64)>,
    pub sample: Vec<Drift>,
    pub checked_at: Option<DateTime<Utc>>,
}

impl DriftReport {
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, _, count)| count).sum()
    }
}
