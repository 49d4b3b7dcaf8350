//! Managing metadata policies and reading what the policy audit recorded (admin).

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Json, Object, Result};
use serde_json::Value;

use super::RequestActor;
use super::error::policy_error;
use super::mutation::{check_document, db};
use super::pagination::{SequenceCursor, decode, page_size};
use super::types::{
    EntityTypeName, MetadataPolicy, PolicyViolation, ProtectedPathInput, SetMetadataPolicyResult,
    resolve_optional,
};
use crate::policy::{self, PolicyDraft};

/// How many violations of existing documents a dry run lists.
const DRY_RUN_SAMPLE: usize = 100;

/// Reading policies and recorded violations.
#[derive(Default)]
pub struct PolicyQueries;

#[Object]
impl PolicyQueries {
    /// The policy in force for an entity type (or the given `version` of it), or null.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Admin)")]
    async fn metadata_policy(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityTypeName,
        version: Option<i32>,
    ) -> Result<Option<MetadataPolicy>> {
        let found = match version {
            Some(version) => {
                policy::find_version(db(ctx), entity_type.resolve(ctx).await?, version).await
            }
            None => policy::current(db(ctx), entity_type.resolve(ctx).await?).await,
        };
        let found = found.map_err(|error| policy_error(&error))?;
        Ok(found.map(|policy| MetadataPolicy {
            policy,
            stored: true,
        }))
    }

    /// What the policy audit found in recorded events (newest first), optionally of one
    /// entity type; `first` at most 100.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Admin)")]
    async fn policy_violations(
        &self,
        ctx: &Context<'_>,
        entity_type: Option<EntityTypeName>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<SequenceCursor, PolicyViolation>> {
        let first = page_size(first)?;
        let before = decode::<SequenceCursor>(after)?.map(|cursor| cursor.0);
        let mut rows = policy::violations_page(
            db(ctx),
            resolve_optional(ctx, entity_type).await?,
            before,
            first + 1,
        )
        .await
        .map_err(|error| policy_error(&error))?;
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let mut connection = Connection::new(before.is_some(), has_next);
        connection.edges = rows
            .into_iter()
            .map(|row| Edge::new(SequenceCursor(row.id), PolicyViolation(row)))
            .collect();
        Ok(connection)
    }
}

/// Setting policies.
#[derive(Default)]
pub struct PolicyMutations;

#[Object]
impl PolicyMutations {
    /// Sets a new version of an entity type's metadata policy: from then on every service
    /// write of the type's documents must satisfy `schema` (a JSON Schema), and changing a
    /// `protectedPaths` entry needs its scope. With `dryRun` nothing is set; the answer
    /// says which existing documents the schema would refuse. A schema of `true` accepts
    /// everything (how a policy is lifted).
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Admin)")]
    async fn set_metadata_policy(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityTypeName,
        schema: Json<Value>,
        #[graphql(default)] protected_paths: Vec<ProtectedPathInput>,
        #[graphql(default)] dry_run: bool,
    ) -> Result<SetMetadataPolicyResult> {
        check_document(ctx, Some(&schema.0), "schema")?;
        let draft = PolicyDraft {
            entity_type: entity_type.resolve(ctx).await?,
            schema: schema.0,
            protected_paths: protected_paths.into_iter().map(Into::into).collect(),
            actor: ctx
                .data_opt::<RequestActor>()
                .and_then(|actor| actor.0.clone()),
        };
        if dry_run {
            let (policy, report) = policy::dry_run(db(ctx), draft, DRY_RUN_SAMPLE)
                .await
                .map_err(|error| policy_error(&error))?;
            return Ok(SetMetadataPolicyResult {
                policy: MetadataPolicy {
                    policy: Arc::new(policy),
                    stored: false,
                },
                report: Some(report),
            });
        }
        let policy = policy::set_policy(db(ctx), draft)
            .await
            .map_err(|error| policy_error(&error))?;
        Ok(SetMetadataPolicyResult {
            policy: MetadataPolicy {
                policy,
                stored: true,
            },
            report: None,
        })
    }
}
