use async_graphql::SimpleObject;
use uuid::Uuid;

/// What `patchMetadataWhere` found or did.
#[derive(SimpleObject)]
pub struct PatchMetadataWhereResult {
    /// True when nothing was written (the default): `matched` counts the matching
    /// entities up to `limit`, `ids` lists the first 100 of them, and `continueAfter` is
    /// set when more than `limit` match.
    pub dry_run: bool,
    /// Entities that matched (a real run: when locked, at most `limit`).
    pub matched: u64,
    /// Entities the patch changed (a real run; each committed with one event).
    pub changed: u64,
    /// Entities the patch left as they were (nothing written, no event).
    pub unchanged: u64,
    /// A dry run: the first matching ids. A real run: exactly the ids written, in order.
    pub ids: Vec<Uuid>,
    /// Set when more entities match than `limit` let this run write: the last id this run
    /// handled (a dry run: would handle), to pass as `after` to continue.
    pub continue_after: Option<Uuid>,
    /// What stopped a real run early; nothing was written for that entity, everything in
    /// `ids` was.
    pub failure: Option<PatchMetadataWhereFailure>,
}

/// The error that stopped a `patchMetadataWhere` run.
#[derive(SimpleObject)]
pub struct PatchMetadataWhereFailure {
    /// The entity being written when it failed (null when reading the matches failed).
    pub entity_id: Option<Uuid>,
    /// The error code the same write alone would have had (e.g. `FORBIDDEN` for a policy).
    pub code: String,
    /// What went wrong (never database text).
    pub message: String,
}
