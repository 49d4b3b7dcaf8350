//! The one-statement write: a flat merge patch or a replacement that PostgreSQL applies
//! itself.
//!
//! Most API writes set a few top-level keys to scalars or arrays. Such a patch is the
//! jsonb `||` of the stored document and the patch, and a replacement is the new document
//! with the cross reference, so the read-modify-write of [`super::write_metadata`] (begin,
//! lock and read, write, commit: four round trips) is not needed: one autocommit statement
//! locks the pair in the service's lock order, checks everything the full path would
//! check, and writes. When any check does not pass, the statement writes nothing and the
//! caller takes the full path, which answers precisely (conflict, policy violation,
//! limits, not found, nothing to change).
//!
//! The statement, in order:
//! 1. `e` locks the entity row (`FOR UPDATE`) and marks the transaction with its origin
//!    (the same settings [`WriteOrigin::marking_columns`] sets, read by the event
//!    triggers);
//! 2. `m` locks the master row `NOWAIT` (why `NOWAIT`: see [`super::lock_pair`]), only if
//!    the pair is in sync, the master is at `expectedVersion` (when given) and no metadata
//!    policy exists for the type (policies are checked in Rust, on the full path);
//! 3. the `UPDATE` of the master writes the new document only if that changes it and (for a
//!    patch) the result is within the [`DocumentLimits`] (see [`size_cap`] and
//!    [`depth_path`]; a replacement was checked whole before); the master's triggers then
//!    bump the version, copy the document to the entity and record the event, as for any
//!    master write.
//!
//! Under the row locks the merge reads the latest committed document, so no update is
//! lost; a failed statement rolls back whole.
//!
//! Two differences from the full path, both deliberate:
//! - Numbers are compared and kept as PostgreSQL stores them. Keys a patch does not touch
//!   keep their stored value exactly, and a replacement differing from the stored document
//!   only in a number's precision beyond a double is a change. The full path re-encodes
//!   whole documents through `serde_json`, whose numbers are 64-bit integers or doubles, so
//!   there such a number is rounded (or, out of range, refused) and such a replacement
//!   changes nothing.
//! - A statement that waited for the entity row (another writer of the same entity held
//!   it) compares it with the master as the statement first saw it, finds them apart and
//!   writes nothing: under contention on one entity, writes take the full path.

use entity::metadata_master;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, FromQueryResult, QueryResult, Statement,
    Value as SqlValue,
};
use serde_json::Value;
use uuid::Uuid;

use super::{CROSS_REFERENCE_KEY, DATABASE_MAX_DEPTH, DocumentLimits, EntityType, SyncError};
use super::{MetadataChange, WriteOrigin};
use crate::db::is_transient;

/// What the answer needs besides the master row's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The master row without its document.
    WithoutDocument,
    /// The master row and the text of its new document.
    WithDocumentText,
}

/// What [`DocumentLimits::check`] counts for the cross reference a replacement gains: one
/// more entry, its key and `": "`, and a hyphenated UUID in quotes.
const CROSS_REFERENCE_COUNT: usize = 1 + CROSS_REFERENCE_KEY.len() + 3 + 36 + 2;

/// A change the statement can make.
#[derive(Clone, Copy)]
enum InPlace<'a> {
    /// A flat merge patch (see [`flat_patch`]).
    Merge(&'a Value),
    /// A replacement document (an object).
    Replace(&'a Value),
}

/// Applies `change` to the entity's pair in one statement when it is a flat merge patch
/// (see [`flat_patch`]) or a replacement, on PostgreSQL, and every check passes; answers
/// the master row as written. Its `metadata` is not decoded (it is `null`); with
/// [`Answer::WithDocumentText`] the new document is in `metadata_text`. `Ok(None)`:
/// nothing was written, take the full path.
#[tracing::instrument(
    name = "sync.write_in_place",
    skip_all,
    fields(entity_type = entity_type.as_str(), %entity_id, ?expected_version)
)]
pub async fn write_in_place(
    db: &impl ConnectionTrait,
    origin: &WriteOrigin,
    (entity_type, entity_id): (EntityType, Uuid),
    change: &MetadataChange,
    expected_version: Option<i64>,
    limits: &DocumentLimits,
    answer: Answer,
) -> Result<Option<metadata_master::Model>, SyncError> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(None);
    }
    let in_place = match change {
        MetadataChange::Replace(document) if document.is_object() => InPlace::Replace(document),
        MetadataChange::MergePatch(_) => match flat_patch(change) {
            Some(patch) => InPlace::Merge(patch),
            None => return Ok(None),
        },
        MetadataChange::Replace(_) => return Ok(None),
    };
    let limit_values: Vec<SqlValue> = match in_place {
        InPlace::Merge(patch) => {
            let patch_size = limits.check(patch, "patch")?;
            vec![
                size_cap(limits, patch_size).into(),
                depth_path(limits).into(),
            ]
        }
        InPlace::Replace(document) => {
            // With its cross reference the document must still be within the limit.
            let size = limits.check(document, "metadata")?;
            if size.saturating_add(CROSS_REFERENCE_COUNT) > limits.max_bytes {
                return Ok(None);
            }
            Vec::new()
        }
    };
    let (InPlace::Merge(document) | InPlace::Replace(document)) = in_place;
    let mut values: Vec<SqlValue> = vec![
        origin.kind.as_str().into(),
        origin.actor.clone().into(),
        entity_id.into(),
        expected_version.into(),
        entity_type.as_str().into(),
        serde_json::to_string(document)
            .map_err(|error| SyncError::InvalidMetadata(error.to_string()))?
            .into(),
    ];
    values.extend(limit_values);
    let sql = sql(entity_type, answer, in_place);
    let statement = Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values);
    let row = match db.query_one_raw(statement).await {
        Ok(Some(row)) => row,
        Ok(None) => return Ok(None),
        // A held master (NOWAIT) or a deadlock: the full path waits and retries.
        Err(error) if is_transient(&error) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    // Committed: whatever happens to the answer, the event is announced.
    crate::events::announce_commit();
    read_answer(&row, answer).map(Some).map_err(|error| {
        tracing::error!(%error, "a one-statement write committed but its answer is unreadable");
        error.into()
    })
}

fn read_answer(row: &QueryResult, answer: Answer) -> Result<metadata_master::Model, DbErr> {
    let mut master = metadata_master::Model::from_query_result(row, "")?;
    if answer == Answer::WithDocumentText {
        let text: String = row.try_get("", crate::catalog::DOCUMENT_TEXT)?;
        master.metadata_text = Some(entity::DocumentText::from_stored(text));
    }
    Ok(master)
}

/// The patch, when it is a non-empty object whose values are all neither `null` nor
/// objects and which leaves the cross reference alone: RFC 7396 then sets each key to its
/// value, which is exactly jsonb's `||`.
fn flat_patch(change: &MetadataChange) -> Option<&Value> {
    let MetadataChange::MergePatch(patch) = change else {
        return None;
    };
    let map = patch.as_object()?;
    let flat = !map.is_empty()
        && !map.contains_key(CROSS_REFERENCE_KEY)
        && map
            .values()
            .all(|value| !value.is_null() && !value.is_object());
    flat.then_some(patch)
}

/// The largest stored document (as `jsonb::text` bytes) this patch may be merged into
/// here. [`DocumentLimits::check`] counts at most three bytes per byte of `jsonb::text`
/// (its per-entry and per-item overhead is below the text's `": "`/`", "` separators and
/// quotes, and a number's text grows by at most `.0`), and a flat patch adds at most its
/// own count. So a document under the cap is certainly within the limit after the merge;
/// a larger one takes the full path, which counts exactly.
fn size_cap(limits: &DocumentLimits, patch_size: usize) -> i64 {
    let room = limits.max_bytes.saturating_sub(patch_size) / 3;
    i64::try_from(room).unwrap_or(i64::MAX)
}

/// A jsonpath that finds a container deeper than the limit (the document is level 1, so a
/// container at `.**` level N sits N + 1 deep). A flat patch's values sit where they sit in
/// the patch, which was checked against the same limit.
fn depth_path(limits: &DocumentLimits) -> String {
    let max_depth = limits.max_depth.min(DATABASE_MAX_DEPTH);
    format!(r#"strict $.**{{{max_depth}}} ? (@.type() == "object" || @.type() == "array")"#)
}

/// Table and column names come from the [`EntityType`] registry (the allow-list) and are
/// quoted; everything else is a parameter.
fn sql(entity_type: EntityType, answer: Answer, change: InPlace<'_>) -> String {
    let table = quoted(entity_type.table());
    let id = quoted(entity_type.id_column());
    let metadata = quoted(entity_type.metadata_column());
    let document_text = match answer {
        Answer::WithoutDocument => String::new(),
        Answer::WithDocumentText => {
            format!(", t.metadata::text AS {}", crate::catalog::DOCUMENT_TEXT)
        }
    };
    let mark = super::origin::marking_sql(1, 2)
        .map(|(expression, alias)| format!("{expression} AS {alias}"))
        .join(",\n           ");
    // A merge reads the master as locked (`t`); a replacement's document is built once, in
    // `m` (a materialized CTE), rather than parsed again for each use.
    let (built_in_m, next, within_limits) = match change {
        InPlace::Merge(_) => (
            "",
            "t.metadata || $6::jsonb",
            "\n   AND octet_length(t.metadata::text) <= $7\n   AND NOT jsonb_path_exists(t.metadata, $8::jsonpath)",
        ),
        InPlace::Replace(_) => (
            ",\n           $6::jsonb || jsonb_build_object('metadata_master_id', m.id) AS next",
            "m.next",
            "",
        ),
    };
    format!(
        r#"WITH e AS (
    SELECT e.metadata_master_id AS master_id, e.{metadata} AS document,
           {mark}
      FROM {table} e WHERE e.{id} = $3
       FOR UPDATE),
m AS (
    SELECT m.id{built_in_m}
      FROM _metadata_master m JOIN e ON m.id = e.master_id
     WHERE m.metadata = e.document
       AND ($4::bigint IS NULL OR m.version = $4)
       AND NOT EXISTS (SELECT 1 FROM _metadata_policies p WHERE p.entity_type = $5)
       FOR UPDATE OF m NOWAIT)
UPDATE _metadata_master t SET metadata = {next}
  FROM m
 WHERE t.id = m.id
   AND {next} <> t.metadata{within_limits}
RETURNING t.id, t.entity_type, t.entity_id, t.entity_table, 'null'::jsonb AS metadata,
          t.version, t.created_at, t.updated_at{document_text}"#
    )
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(value: Value) -> MetadataChange {
        MetadataChange::MergePatch(value)
    }

    #[test]
    fn only_flat_patches_are_applied_in_place() {
        assert!(flat_patch(&patch(json!({ "a": 1, "b": [1, { "c": null }], "d": "x" }))).is_some());
        assert!(
            flat_patch(&patch(json!({ "a": { "b": 1 } }))).is_none(),
            "objects merge"
        );
        assert!(
            flat_patch(&patch(json!({ "a": null }))).is_none(),
            "null removes"
        );
        assert!(flat_patch(&patch(json!({}))).is_none(), "changes nothing");
        assert!(flat_patch(&patch(json!({ CROSS_REFERENCE_KEY: "x" }))).is_none());
        assert!(flat_patch(&patch(json!([1]))).is_none());
        assert!(flat_patch(&MetadataChange::Replace(json!({ "a": 1 }))).is_none());
    }

    #[test]
    fn the_cross_reference_counts_what_check_counts() {
        let limits = DocumentLimits::default();
        let with = json!({ CROSS_REFERENCE_KEY: Uuid::new_v4().to_string() });
        let counted = limits.check(&with, "d").unwrap() - limits.check(&json!({}), "d").unwrap();
        assert_eq!(counted, CROSS_REFERENCE_COUNT);
    }

    #[test]
    fn the_size_cap_leaves_room_for_the_patch() {
        let limits = DocumentLimits {
            max_bytes: 3_000,
            max_depth: 32,
        };
        assert_eq!(size_cap(&limits, 0), 1_000);
        assert_eq!(size_cap(&limits, 300), 900);
        assert_eq!(size_cap(&limits, 5_000), 0);
    }

    #[test]
    fn the_depth_path_names_the_first_level_over_the_limit() {
        let limits = DocumentLimits {
            max_bytes: 1,
            max_depth: 32,
        };
        assert!(depth_path(&limits).starts_with("strict $.**{32} ?"));
        let limits = DocumentLimits {
            max_bytes: 1,
            max_depth: 500,
        };
        assert!(depth_path(&limits).starts_with("strict $.**{100} ?"));
    }
}
