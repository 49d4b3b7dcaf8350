use async_graphql::{Context, ID, Json, MergedObject, Object, Result};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::error::{IntoGraphql, internal};
use super::loaders::master_documents;
use super::orchestration::OrchestrationMutations;
use super::policy::PolicyMutations;
use super::types::{EntityTypeName, MetadataEntity, MetadataMaster, MetadataSyncResult};
use super::{ErrorCode, RequestActor};
use crate::auth::Principal;
use crate::catalog::{self, CatalogError, Documents};
use crate::entity_types::EntityMutations;
use crate::events::delivery;
use crate::localization::TranslationState;
use crate::policy::Grants;
use crate::sync::{
    Answer, DocumentLimits, MetadataChange, Side, TypesWithPolicy, WriteOrigin,
    in_write_transaction, write_in_place, write_metadata,
};

/// Writes. Every metadata write reaches both the entity and its master in one transaction.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(
    EntityMutations,
    MetadataMutations,
    OrchestrationMutations,
    PolicyMutations,
);

/// Metadata writes addressed to either side of a pair, and event retries.
#[derive(Default)]
pub struct MetadataMutations;

#[Object]
impl MetadataMutations {
    /// Writes an entity's metadata: `metadata` replaces the document, `patch` is an RFC 7396
    /// merge patch applied atomically (give exactly one). With `expectedVersion`, a master
    /// at another version is a CONFLICT and nothing is written.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Write)")]
    async fn update_entity_metadata(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityTypeName,
        entity_id: Uuid,
        metadata: Option<Json<Value>>,
        patch: Option<Json<Value>>,
        expected_version: Option<i64>,
    ) -> Result<MetadataSyncResult> {
        let side = Side::Entity(entity_type.resolve(ctx).await?, entity_id);
        write(ctx, side, metadata, patch, expected_version).await
    }

    /// Forgets the translations state of `locales` (all locales when omitted) so that the
    /// localization worker translates every key of them again, failed ones included.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Admin)")]
    async fn retranslate(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityTypeName,
        entity_id: Uuid,
        locales: Option<Vec<String>>,
    ) -> Result<MetadataSyncResult> {
        let patch = TranslationState::forget_patch(locales.as_deref());
        let side = Side::Entity(entity_type.resolve(ctx).await?, entity_id);
        write(ctx, side, None, Some(Json(patch)), None).await
    }

    /// Puts an event's dead deliveries back in line for every consumer that gave up on it;
    /// returns how many were retried.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Admin)")]
    async fn retry_event(&self, ctx: &Context<'_>, id: ID) -> Result<u64> {
        let event_id: i64 = id
            .parse()
            .map_err(|_| ErrorCode::BadUserInput.error(format!("invalid event id {:?}", id.0)))?;
        let retried = delivery::retry_event(db(ctx), event_id)
            .await
            .map_err(|e| internal(&e))?;
        if retried == 0 {
            return Err(
                ErrorCode::NotFound.error(format!("event {event_id} has no dead deliveries"))
            );
        }
        crate::events::announce_commit();
        Ok(retried)
    }

    /// Writes a master row's metadata, with the same arguments as `updateEntityMetadata`.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Write)")]
    async fn update_master_metadata(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        metadata: Option<Json<Value>>,
        patch: Option<Json<Value>>,
        expected_version: Option<i64>,
    ) -> Result<MetadataSyncResult> {
        write(ctx, Side::Master(id), metadata, patch, expected_version).await
    }
}

async fn write(
    ctx: &Context<'_>,
    side: Side,
    metadata: Option<Json<Value>>,
    patch: Option<Json<Value>>,
    expected_version: Option<i64>,
) -> Result<MetadataSyncResult> {
    if expected_version.is_some_and(|version| version < 1) {
        return Err(ErrorCode::BadUserInput.error("`expectedVersion` starts at 1"));
    }
    check_document(ctx, metadata.as_ref().map(|j| &j.0), "metadata")?;
    check_document(ctx, patch.as_ref().map(|j| &j.0), "patch")?;
    let limits = *ctx.data_unchecked::<DocumentLimits>();
    let change =
        MetadataChange::from_arguments(metadata.map(|j| j.0), patch.map(|j| j.0)).graphql()?;
    let origin = origin(ctx);
    let types_with_policy = ctx.data_unchecked::<TypesWithPolicy>();
    if let (Side::Entity(entity_type, id), Some(answer)) = (side, in_place_answer(ctx))
        && !types_with_policy.contains(entity_type)
    {
        let written = write_in_place(
            autocommit(ctx),
            &origin,
            (entity_type, id),
            &change,
            expected_version,
            &limits,
            answer,
        )
        .await
        .graphql()?;
        if let Some(master) = written {
            return Ok(MetadataSyncResult {
                entity: None,
                master: MetadataMaster(master),
            });
        }
    }
    // The answer is read in the write's own transaction: a write answered as done is
    // exactly what was committed, and an error means nothing was written.
    // The entity row is one more statement: read only when the answer selects it.
    let entity_selected = ctx
        .field()
        .selection_set()
        .any(|field| field.name() == "entity");
    let (pair, record) = in_write_transaction(db(ctx), &origin, |tx| {
        let change = change.clone();
        let grants = origin.grants.clone();
        Box::pin(async move {
            let pair = write_metadata(tx, side, &change, expected_version, &grants).await?;
            limits.check(&pair.master.metadata, "the resulting metadata")?;
            if !entity_selected {
                return Ok::<_, CatalogError>((pair, None));
            }
            let record = catalog::find_records(
                tx,
                pair.entity_type,
                vec![pair.entity_id],
                catalog::Documents::Read,
            )
            .await?
            .pop()
            .ok_or(CatalogError::NotFound {
                entity_type: pair.entity_type.as_str(),
                id: pair.entity_id,
            })?;
            Ok((pair, Some(record)))
        })
    })
    .await
    .graphql()?;
    if pair.policy_in_force {
        types_with_policy.note(pair.entity_type);
    }
    Ok(MetadataSyncResult {
        entity: record.map(MetadataEntity::from),
        master: MetadataMaster(pair.master),
    })
}

/// How a one-statement write ([`write_in_place`]) answers the selection, or `None` when
/// the selection needs what only the full path reads: the entity row in the write's
/// transaction, or the decoded document (e.g. `inSync`; the master's fields are sorted as
/// the loaders sort them, so a field added later reads the decoded document until it is
/// listed as not reading it).
fn in_place_answer(ctx: &Context<'_>) -> Option<Answer> {
    let mut answer = Answer::WithoutDocument;
    for field in ctx.field().selection_set() {
        match field.name() {
            "__typename" => {}
            "master" => match master_documents(field.selection_set()) {
                Documents::Skip => {}
                Documents::Text => answer = Answer::WithDocumentText,
                Documents::Read => return None,
            },
            _ => return None,
        }
    }
    Some(answer)
}

/// Refuses a client's document (or patch) over the configured [`DocumentLimits`].
pub(super) fn check_document(
    ctx: &Context<'_>,
    document: Option<&Value>,
    what: &str,
) -> Result<()> {
    match document {
        Some(document) => ctx
            .data_unchecked::<DocumentLimits>()
            .check(document, what)
            .map(drop)
            .graphql(),
        None => Ok(()),
    }
}

/// An API write on behalf of the request's actor (its token's subject), when known.
pub(super) fn origin(ctx: &Context<'_>) -> WriteOrigin {
    let grants = ctx
        .data_opt::<Principal>()
        .map_or(Grants::Scopes(Default::default()), Principal::grants);
    WriteOrigin::api(
        ctx.data_opt::<RequestActor>()
            .and_then(|actor| actor.0.as_deref()),
        grants,
    )
}

pub(super) fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The request's single statements: on connections returned without a round trip.
pub(super) fn autocommit<'a>(ctx: &Context<'a>) -> &'a crate::db::Autocommit {
    ctx.data_unchecked::<crate::db::Autocommit>()
}
