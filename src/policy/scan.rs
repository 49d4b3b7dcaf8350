//! Which existing documents a policy would refuse: the dry run of `setMetadataPolicy`.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{Policy, PolicyDraft, PolicyError, current};
use crate::sync::page_masters;

/// Documents read per statement while scanning.
const SCAN_PAGE: u64 = 500;

/// One violation found in an existing document.
#[derive(Clone, Debug)]
pub struct DocumentViolation {
    pub entity_id: Uuid,
    pub master_id: Uuid,
    pub version: i64,
    pub pointer: String,
    pub message: String,
}

/// What a scan found.
#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    /// Documents checked (every document of the entity type).
    pub checked: u64,
    /// Documents with at least one violation.
    pub violating: u64,
    /// The first violations found (at most the sample size asked for).
    pub violations: Vec<DocumentViolation>,
}

/// Checks every current document of the policy's entity type against its schema, a page
/// at a time (no locks are taken; it reads what is committed while it runs).
pub async fn scan_existing(
    db: &DatabaseConnection,
    policy: &Policy,
    sample: usize,
) -> Result<ScanReport, PolicyError> {
    let mut report = ScanReport::default();
    let mut after = None;
    loop {
        let page = page_masters(db, Some(policy.entity_type), after, SCAN_PAGE)
            .await
            .map_err(|error| match error {
                crate::sync::SyncError::Database(error) => PolicyError::Database(error),
                other => PolicyError::Invalid(other.to_string()),
            })?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for master in &page {
            report.checked += 1;
            let found = policy.schema_violations(&master.metadata);
            if found.is_empty() {
                continue;
            }
            report.violating += 1;
            let room = sample.saturating_sub(report.violations.len());
            report
                .violations
                .extend(found.into_iter().take(room).map(|v| DocumentViolation {
                    entity_id: master.entity_id,
                    master_id: master.id,
                    version: master.version,
                    pointer: v.pointer,
                    message: v.message,
                }));
        }
        if (page.len() as u64) < SCAN_PAGE {
            break;
        }
    }
    Ok(report)
}

/// What setting `draft` would do, without setting it: the policy it would become (with
/// the next version number) and the existing documents it would refuse.
pub async fn dry_run(
    db: &DatabaseConnection,
    draft: PolicyDraft,
    sample: usize,
) -> Result<(Policy, ScanReport), PolicyError> {
    let next_version = current(db, draft.entity_type)
        .await?
        .map_or(1, |policy| policy.version + 1);
    let mut policy = Policy::compile(
        draft.entity_type,
        next_version,
        draft.schema,
        draft.protected_paths,
    )?;
    policy.actor = draft.actor;
    let report = scan_existing(db, &policy, sample).await?;
    Ok((policy, report))
}
