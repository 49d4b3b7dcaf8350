//! `metadata-synergy reconcile`: every kind of drift of every (or one) entity type, a page
//! at a time, each optionally repaired in its own transaction. Stopping anywhere is safe;
//! the next run finds what is left.

use std::collections::BTreeMap;

use sea_orm::{DatabaseConnection, DbErr};

use super::{Drift, DriftKind, Prefer, Repaired, find, repair};
use crate::sync::{EntityType, SyncError};

/// Drifts read per statement.
const PAGE: u64 = 200;

/// What to check and whether to repair.
#[derive(Clone, Debug)]
pub struct ReconcileOptions {
    pub entity_types: Vec<EntityType>,
    pub repair: bool,
    pub prefer: Prefer,
}

/// What a run found and did.
#[derive(Clone, Debug, Default)]
pub struct ReconcileSummary {
    pub found: BTreeMap<(EntityType, DriftKind), u64>,
    pub repaired: u64,
    pub already_gone: u64,
    pub not_repairable: u64,
    pub failed: u64,
}

impl ReconcileSummary {
    /// Whether drift is left: any found when only reporting, else any not repaired.
    pub fn drift_left(&self, repaired: bool) -> bool {
        if repaired {
            self.failed + self.not_repairable > 0
        } else {
            !self.found.is_empty()
        }
    }
}

/// Runs the check (and the repairs); `report` sees each drift with its repair's outcome.
pub async fn reconcile(
    db: &DatabaseConnection,
    options: &ReconcileOptions,
    mut report: impl FnMut(&Drift, Option<&Result<Repaired, SyncError>>),
) -> Result<ReconcileSummary, DbErr> {
    let mut summary = ReconcileSummary::default();
    for &entity_type in &options.entity_types {
        for kind in DriftKind::ALL {
            let mut after = None;
            loop {
                let page = find(db, entity_type, kind, after, PAGE).await?;
                for drift in &page.drifts {
                    *summary.found.entry((entity_type, kind)).or_default() += 1;
                    if !options.repair {
                        report(drift, None);
                        continue;
                    }
                    let outcome = repair(db, drift, options.prefer).await;
                    match &outcome {
                        Ok(Repaired::AlreadyGone) => summary.already_gone += 1,
                        Ok(Repaired::NotRepairable) => summary.not_repairable += 1,
                        Ok(_) => summary.repaired += 1,
                        Err(_) => summary.failed += 1,
                    }
                    report(drift, Some(&outcome));
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
    }
    Ok(summary)
}
