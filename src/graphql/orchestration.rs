//! Changes to many entities at once, and drift between entity tables and the masters.

use async_graphql::{Context, Json, Object, Result};
use serde_json::Value;
use uuid::Uuid;

use super::ErrorCode;
use super::error::{IntoGraphql, internal, orchestration_error};
use super::mutation::{check_document, db, origin};
use super::types::{
    DriftReport, EntityTypeName, MetadataFilter, PatchMetadataWhereFailure,
    PatchMetadataWhereResult,
};
use crate::orchestration::{self, MAX_PATCH_LIMIT, PatchWhere, drift};
use crate::sync::DocumentLimits;

/// Checks across entity types (admin).
#[derive(Default)]
pub struct OrchestrationQueries;

#[Object]
impl OrchestrationQueries {
    /// Drift between the entity tables and `_metadata_master` (restores, replication or
    /// disabled triggers that bypassed the sync), of one entity type or all: counts per
    /// kind and the first `first` drifts (at most 100, default 20). Reads every entity and
    /// master row of the types checked; `metadata-synergy reconcile --repair` repairs.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Admin)")]
    async fn drift_report(
        &self,
        ctx: &Context<'_>,
        entity_type: Option<EntityTypeName>,
        first: Option<i32>,
    ) -> Result<DriftReport> {
        let sample = super::pagination::page_size(first)? as usize;
        let types = match entity_type {
            Some(entity_type) => vec![entity_type.resolve(ctx).await?],
            None => crate::entity_types::registry::all(db(ctx))
                .await
                .map_err(|error| internal(&error))?,
        };
        let report = drift::report(db(ctx), &types, sample)
            .await
            .map_err(|error| internal(&error))?;
        Ok(report.into())
    }
}

/// Bulk metadata writes.
#[derive(Default)]
pub struct OrchestrationMutations;

#[Object]
impl OrchestrationMutations {
    /// Applies an RFC 7396 merge `patch` to every entity of `entityType` whose metadata
    /// matches `filter`, each through the same write path as `updateEntityMetadata` (one
    /// transaction and one event per changed entity, the type's policy per document).
    /// `dryRun` (the default) writes nothing: it counts the entities a run with the same
    /// `limit` and `after` would handle, lists the first 100, and sets `continueAfter` when
    /// more than `limit` match (so it never counts a whole table). A real run writes at most
    /// `limit` entities (default 1000, at most 10000) in id order and stops at the first
    /// failure, reporting it and exactly which ids were written; when more match, pass
    /// `continueAfter` as `after` to go on with the next entities.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Write)")]
    #[allow(clippy::too_many_arguments)] // the GraphQL arguments
    async fn patch_metadata_where(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityTypeName,
        filter: MetadataFilter,
        patch: Json<Value>,
        #[graphql(default = true)] dry_run: bool,
        #[graphql(default = 1000)] limit: i32,
        after: Option<Uuid>,
    ) -> Result<PatchMetadataWhereResult> {
        let limit = u64::try_from(limit)
            .ok()
            .filter(|limit| (1..=MAX_PATCH_LIMIT).contains(limit))
            .ok_or_else(|| {
                ErrorCode::BadUserInput
                    .error(format!("`limit` must be between 1 and {MAX_PATCH_LIMIT}"))
            })?;
        check_document(ctx, Some(&patch.0), "patch")?;
        crate::sync::require_object(&patch.0, "patch").graphql()?;
        let filter = super::types::search_filter(Some(filter))?
            .unwrap_or(crate::search::MetadataFilter::All(Vec::new()));
        let request = PatchWhere {
            entity_type: entity_type.resolve(ctx).await?,
            filter,
            patch: patch.0,
            limit,
            after,
            timeout: *ctx.data_unchecked(),
        };
        if dry_run {
            let preview = orchestration::preview(db(ctx), &request).await.graphql()?;
            return Ok(PatchMetadataWhereResult {
                dry_run: true,
                matched: preview.matched,
                changed: 0,
                unchanged: 0,
                ids: preview.first_ids,
                continue_after: preview.continue_after,
                failure: None,
            });
        }
        let limits = *ctx.data_unchecked::<DocumentLimits>();
        let outcome = orchestration::apply(db(ctx), &origin(ctx), limits, &request)
            .await
            .graphql()?;
        let failure = outcome.failure.map(|failure| {
            let error = orchestration_error(&failure.error);
            let code = match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
                Some(async_graphql::Value::String(code)) => code.clone(),
                _ => ErrorCode::Internal.as_str().to_owned(),
            };
            PatchMetadataWhereFailure {
                entity_id: failure.entity_id,
                code,
                message: error.message,
            }
        });
        Ok(PatchMetadataWhereResult {
            dry_run: false,
            matched: outcome.matched,
            changed: outcome.changed.len() as u64,
            unchanged: outcome.unchanged,
            ids: outcome.changed,
            continue_after: outcome.continue_after,
            failure,
        })
    }
}
