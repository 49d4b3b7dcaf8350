//! `patchMetadataWhere`: one RFC 7396 merge patch for every entity of a type whose
//! metadata matches a filter.
//!
//! Each entity is written in its own transaction through [`write_metadata`] (so one event
//! per changed entity, with the writer's origin and actor, and the type's policy checked
//! per document), after locking its row only if it still matches: no lock is held longer
//! than one entity's write, and an entity changed meanwhile is judged by its new document.
//! The first failure stops the run; everything written before it is committed and listed.

use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::OrchestrationError;
use crate::search::{self, MetadataFilter, SearchTimeout};
use crate::sync::{
    DocumentLimits, EntityType, MetadataChange, Side, WriteOrigin, in_write_transaction,
    write_metadata,
};

/// At most this many entities per call.
pub const MAX_PATCH_LIMIT: u64 = 10_000;
/// A dry run lists this many of the matching ids.
pub const PREVIEW_IDS: u64 = 100;
/// Matching ids are read this many at a time.
const ID_BATCH: u64 = 100;

/// One change to many entities.
#[derive(Clone, Debug)]
pub struct PatchWhere {
    pub entity_type: EntityType,
    pub filter: MetadataFilter,
    /// An RFC 7396 merge patch (a JSON object).
    pub patch: Value,
    /// At most this many matching entities are written.
    pub limit: u64,
    /// Only entities with a greater id (to continue an earlier run).
    pub after: Option<Uuid>,
    /// How long one read of matching entities may run (PostgreSQL).
    pub timeout: SearchTimeout,
}

/// What a dry run finds: how many entities a run with the same limit would handle, the
/// first of them, and where a next run would continue when more match.
#[derive(Clone, Debug)]
pub struct Preview {
    /// Matching entities, counted up to the limit.
    pub matched: u64,
    pub first_ids: Vec<Uuid>,
    /// The `limit`-th matching id, when more than `limit` entities match.
    pub continue_after: Option<Uuid>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct PatchOutcome {
    /// Entities that matched when their row was locked (at most the limit).
    pub matched: u64,
    /// Entities the patch changed, in the order written (each committed).
    pub changed: Vec<Uuid>,
    /// Entities the patch left as they were (nothing written, no event).
    pub unchanged: u64,
    /// Set when more entities match than the limit let this run write: the last id this
    /// run handled, after which another run continues.
    pub continue_after: Option<Uuid>,
    /// The entity that stopped the run, and why; nothing was written for it.
    pub failure: Option<PatchFailure>,
}

#[derive(Debug)]
pub struct PatchFailure {
    /// The entity being written, or `None` when reading the next matching ids failed.
    pub entity_id: Option<Uuid>,
    pub error: OrchestrationError,
}

/// Counts the entities a run of `request` would handle (at most its limit, so a dry run
/// never counts a whole table) and lists the first [`PREVIEW_IDS`]; writes nothing.
pub async fn preview(
    db: &DatabaseConnection,
    request: &PatchWhere,
) -> Result<Preview, OrchestrationError> {
    let (entity_type, filter, after) = (request.entity_type, &request.filter, request.after);
    let ids = |limit| search::matching_ids(db, entity_type, filter, after, limit, request.timeout);
    let cap = request.limit + 1;
    let counted = search::count_entities(db, entity_type, filter, after, cap, request.timeout);
    let counted = counted.await?;
    let continue_after = if counted > request.limit {
        // The id a real run with this limit would stop at.
        ids(request.limit).await?.last().copied()
    } else {
        None
    };
    Ok(Preview {
        matched: counted.min(request.limit),
        // What a run would touch: never more than its limit.
        first_ids: ids(PREVIEW_IDS.min(request.limit)).await?,
        continue_after,
    })
}

/// Applies the patch to every matching entity (up to the limit), one transaction each.
/// An error before the first write (a bad filter, the database down) is returned as is;
/// one after it ends the run and is reported in [`PatchOutcome::failure`].
pub async fn apply(
    db: &DatabaseConnection,
    origin: &WriteOrigin,
    limits: DocumentLimits,
    request: &PatchWhere,
) -> Result<PatchOutcome, OrchestrationError> {
    let change = MetadataChange::from_arguments(None, Some(request.patch.clone()))?;
    let mut outcome = PatchOutcome::default();
    let mut after = request.after;
    loop {
        let ids = search::matching_ids(
            db,
            request.entity_type,
            &request.filter,
            after,
            ID_BATCH,
            request.timeout,
        )
        .await;
        let ids = match ids {
            Ok(ids) => ids,
            Err(error) if outcome.matched == 0 => return Err(error.into()),
            Err(error) => {
                outcome.failure = Some(PatchFailure {
                    entity_id: None,
                    error: error.into(),
                });
                return Ok(outcome);
            }
        };
        if ids.is_empty() {
            return Ok(outcome);
        }
        for id in ids {
            if outcome.matched >= request.limit {
                outcome.continue_after = after;
                return Ok(outcome);
            }
            match write_one(db, origin, limits, request, &change, id).await {
                Ok(None) => {}
                Ok(Some(changed)) => {
                    outcome.matched += 1;
                    if changed {
                        outcome.changed.push(id);
                    } else {
                        outcome.unchanged += 1;
                    }
                }
                Err(error) => {
                    outcome.failure = Some(PatchFailure {
                        entity_id: Some(id),
                        error,
                    });
                    return Ok(outcome);
                }
            }
            after = Some(id);
        }
    }
}

/// Writes one entity if it still matches: `None` when it no longer does, else whether
/// the patch changed it.
async fn write_one(
    db: &DatabaseConnection,
    origin: &WriteOrigin,
    limits: DocumentLimits,
    request: &PatchWhere,
    change: &MetadataChange,
    id: Uuid,
) -> Result<Option<bool>, OrchestrationError> {
    let entity_type = request.entity_type;
    in_write_transaction(db, origin, |tx| {
        let grants = origin.grants.clone();
        let filter = request.filter.clone();
        let change = change.clone();
        Box::pin(async move {
            if !search::lock_if_matching(tx, entity_type, id, &filter).await? {
                return Ok(None);
            }
            let side = Side::Entity(entity_type, id);
            let pair = write_metadata(tx, side, &change, None, &grants).await?;
            limits.check(&pair.master.metadata, "the resulting metadata")?;
            Ok(Some(pair.changed))
        })
    })
    .await
}
