use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::EntityTypeName;
use crate::orchestration::drift;

/// Kinds of drift between entity tables and the master table.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::orchestration::drift::DriftKind")]
pub enum DriftKind {
    /// The entity's document and its master's differ.
    DocumentsDiffer,
    /// The entity names a master row that does not exist.
    MissingMaster,
    /// A master row whose entity is gone.
    OrphanMaster,
    /// An entity and a master row that do not name each other (reported, not repaired).
    CrossReference,
}

/// One drifted pair.
#[derive(SimpleObject)]
pub struct Drift {
    /// What is wrong.
    pub kind: DriftKind,
    /// The entity's type.
    pub entity_type: EntityTypeName,
    /// The entity (for an orphan master: the entity id the master names).
    pub entity_id: Uuid,
    /// The master (for a missing master: the id the entity names).
    pub master_id: Uuid,
}

/// How many drifts of one kind an entity type has.
#[derive(SimpleObject)]
pub struct DriftCount {
    /// The entity type.
    pub entity_type: EntityTypeName,
    /// The kind of drift.
    pub kind: DriftKind,
    /// How many.
    pub count: u64,
}

/// Drift between the entity tables and `_metadata_master` (`metadata-synergy reconcile
/// --repair` repairs it).
#[derive(SimpleObject)]
pub struct DriftReport {
    /// Drifts of every kind and type.
    pub total: u64,
    /// Counts per entity type and kind (only those with drift).
    pub counts: Vec<DriftCount>,
    /// The first drifts found (at most `first`).
    pub drifts: Vec<Drift>,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
}

impl From<drift::DriftReport> for DriftReport {
    fn from(report: drift::DriftReport) -> Self {
        DriftReport {
            total: report.total(),
            counts: report
                .counts
                .iter()
                .map(|&(entity_type, kind, count)| DriftCount {
                    entity_type: entity_type.into(),
                    kind: kind.into(),
                    count,
                })
                .collect(),
            drifts: report
                .sample
                .into_iter()
                .map(|drift| Drift {
                    kind: drift.kind.into(),
                    entity_type: drift.entity_type.into(),
                    entity_id: drift.entity_id,
                    master_id: drift.master_id,
                })
                .collect(),
            checked_at: report.checked_at.unwrap_or_else(Utc::now),
        }
    }
}
