//! Reading a master's history: newest first, each entry with the RFC 6902 patch from the
//! version before it; and the document as it was at any version (time travel).
//!
//! Every event stores the whole document after its change, so `metadataAt` is one indexed
//! lookup and patches are computed on read from neighbouring snapshots.

use entity::metadata_event;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::json_patch;

/// One history entry: the event and what it changed.
#[derive(Clone, Debug)]
pub struct HistoryEntry {
    pub event: metadata_event::Model,
    /// RFC 6902 operations from the previous version's document to this one's.
    pub patch: Value,
}

/// Up to `limit` entries of `master_id`, newest first, older than `before_version` when
/// given; and whether older entries remain.
#[tracing::instrument(name = "events.history_page", skip(db))]
pub async fn history_page(
    db: &impl ConnectionTrait,
    master_id: Uuid,
    before_version: Option<i64>,
    limit: u64,
) -> Result<(Vec<HistoryEntry>, bool), DbErr> {
    let mut select =
        metadata_event::Entity::find().filter(metadata_event::Column::MasterId.eq(master_id));
    if let Some(version) = before_version {
        select = select.filter(metadata_event::Column::Version.lt(version));
    }
    // One extra row tells whether more follow and is the oldest entry's predecessor.
    let rows = select
        .order_by_desc(metadata_event::Column::Version)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > limit;
    let empty = json!({});
    let entries = rows
        .iter()
        .take(limit as usize)
        .enumerate()
        .map(|(i, event)| {
            let previous = rows.get(i + 1).map_or(&empty, |older| &older.document);
            HistoryEntry {
                event: event.clone(),
                patch: json_patch::diff(previous, &event.document),
            }
        })
        .collect();
    Ok((entries, has_more))
}

/// The document of `master_id` as it was right after reaching `version`.
pub async fn document_at(
    db: &impl ConnectionTrait,
    master_id: Uuid,
    version: i64,
) -> Result<Option<Value>, DbErr> {
    let event = metadata_event::Entity::find()
        .filter(metadata_event::Column::MasterId.eq(master_id))
        .filter(metadata_event::Column::Version.eq(version))
        .filter(metadata_event::Column::Kind.ne(metadata_event::EventKind::Deleted))
        .one(db)
        .await?;
    Ok(event.map(|event| event.document))
}
