//! The drift queries: one small statement per kind, keyset-paged by (entity id, master
//! id) — an entity can be in several cross-reference pairs, so the entity id alone could
//! skip some at a page boundary. The table name comes from the entity type registry (the
//! allow-list), never from input.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Value};
use uuid::Uuid;

use super::{Drift, DriftKind, DriftReport, statement};
use crate::sync::{EntityType, same_document};

/// Rows read per statement while counting.
const PAGE: u64 = 500;

/// Where a page of drifts ends: the last (entity id, master id) pair it looked at.
pub type DriftPosition = (Uuid, Uuid);

/// One page of drifts and where the next page starts.
#[derive(Clone, Debug, Default)]
pub struct DriftPage {
    pub drifts: Vec<Drift>,
    /// The last pair this page looked at, when more may follow.
    pub next: Option<DriftPosition>,
}

/// Drifts of one kind and type after `after` in (entity id, master id) order, looking at
/// `limit` rows.
pub async fn find(
    db: &impl ConnectionTrait,
    entity_type: EntityType,
    kind: DriftKind,
    after: Option<DriftPosition>,
    limit: u64,
) -> Result<DriftPage, DbErr> {
    // Registry names (lower-case snake_case, checked when registered), quoted: an
    // attached table may be named by a reserved word.
    let table = format!("\"{}\"", entity_type.table());
    let id = format!("\"{}\"", entity_type.id_column());
    let metadata = format!("\"{}\"", entity_type.metadata_column());
    let sql = match kind {
        DriftKind::DocumentsDiffer => format!(
            "SELECT e.{id} AS entity_id, m.id AS master_id, e.{metadata} AS entity_metadata, \
                    m.metadata AS master_metadata \
             FROM {table} e JOIN _metadata_master m \
               ON m.id = e.metadata_master_id AND m.entity_id = e.{id} AND m.entity_type = $1 \
             WHERE {differ} AND (e.{id}, m.id) > ($2, $4) ORDER BY e.{id}, m.id LIMIT $3",
            differ = differ(db.get_database_backend(), &metadata),
        ),
        DriftKind::MissingMaster => format!(
            "SELECT e.{id} AS entity_id, e.metadata_master_id AS master_id FROM {table} e \
             WHERE e.metadata_master_id IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM _metadata_master m WHERE m.id = e.metadata_master_id) \
               AND NOT EXISTS (SELECT 1 FROM _metadata_master m \
                               WHERE m.entity_type = $1 AND m.entity_id = e.{id}) \
               AND (e.{id}, e.metadata_master_id) > ($2, $4) \
             ORDER BY e.{id}, e.metadata_master_id LIMIT $3"
        ),
        DriftKind::OrphanMaster => format!(
            "SELECT m.entity_id AS entity_id, m.id AS master_id FROM _metadata_master m \
             WHERE m.entity_type = $1 AND NOT EXISTS (SELECT 1 FROM {table} e WHERE e.{id} = m.entity_id) \
               AND NOT EXISTS (SELECT 1 FROM {table} e WHERE e.metadata_master_id = m.id) \
               AND (m.entity_id, m.id) > ($2, $4) ORDER BY m.entity_id, m.id LIMIT $3"
        ),
        DriftKind::CrossReference => format!(
            "SELECT entity_id, master_id FROM ( \
                SELECT m.entity_id AS entity_id, m.id AS master_id FROM _metadata_master m \
                  JOIN {table} e ON e.{id} = m.entity_id \
                 WHERE m.entity_type = $1 AND e.metadata_master_id <> m.id \
                UNION \
                SELECT e.{id} AS entity_id, m.id AS master_id FROM {table} e \
                  JOIN _metadata_master m ON m.id = e.metadata_master_id \
                 WHERE m.entity_id <> e.{id} OR m.entity_type <> $1 \
             ) pairs WHERE (entity_id, master_id) > ($2, $4) \
             ORDER BY entity_id, master_id LIMIT $3"
        ),
    };
    let (after_entity, after_master) = after.unwrap_or((Uuid::nil(), Uuid::nil()));
    let values: Vec<Value> = vec![
        entity_type.as_str().into(),
        after_entity.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
        after_master.into(),
    ];
    let rows = db
        .query_all_raw(statement(db.get_database_backend(), &sql, values))
        .await?;
    let mut page = DriftPage::default();
    if rows.len() as u64 == limit
        && let Some(last) = rows.last()
    {
        page.next = Some((
            last.try_get("", "entity_id")?,
            last.try_get("", "master_id")?,
        ));
    }
    for row in rows {
        if kind == DriftKind::DocumentsDiffer {
            // SQLite compares normalized text; equal documents with keys in another order
            // are no drift (and a repair would find nothing to write).
            let entity: serde_json::Value = row.try_get("", "entity_metadata")?;
            let master: serde_json::Value = row.try_get("", "master_metadata")?;
            if same_document(&entity, &master) {
                continue;
            }
        }
        page.drifts.push(Drift {
            kind,
            entity_type,
            entity_id: row.try_get("", "entity_id")?,
            master_id: row.try_get("", "master_id")?,
        });
    }
    Ok(page)
}

/// Counts every kind of drift of `entity_types` (reading them a page at a time) and keeps
/// the first `sample` drifts found.
pub async fn report(
    db: &impl ConnectionTrait,
    entity_types: &[EntityType],
    sample: usize,
) -> Result<DriftReport, DbErr> {
    let mut report = DriftReport {
        checked_at: Some(Utc::now()),
        ..DriftReport::default()
    };
    for &entity_type in entity_types {
        for kind in DriftKind::ALL {
            let mut count = 0;
            let mut after = None;
            loop {
                let page = find(db, entity_type, kind, after, PAGE).await?;
                count += page.drifts.len() as u64;
                let room = sample.saturating_sub(report.sample.len());
                report.sample.extend(page.drifts.into_iter().take(room));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            if count > 0 {
                report.counts.push((entity_type, kind, count));
            }
        }
    }
    Ok(report)
}

/// PostgreSQL compares `jsonb`; SQLite normalized JSON text.
fn differ(backend: DatabaseBackend, metadata: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("e.{metadata} IS DISTINCT FROM m.metadata"),
        _ => format!("json(e.{metadata}) IS NOT json(m.metadata)"),
    }
}
