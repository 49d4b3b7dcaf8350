//! Metadata policies as GraphQL types.

use std::sync::Arc;

use async_graphql::{ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::metadata_policy_violation;
use serde_json::Value;
use uuid::Uuid;

use super::EntityTypeName;
use super::event::WriteOrigin;
use crate::policy::{self, DocumentViolation, Policy, ScanReport};

/// One version of an entity type's metadata policy.
pub struct MetadataPolicy {
    pub policy: Arc<Policy>,
    /// False for the answer of a dry run.
    pub stored: bool,
}

/// One version of an entity type's metadata policy: a JSON Schema every service write of
/// the type's documents must satisfy, and paths that need an extra scope to change.
#[Object]
impl MetadataPolicy {
    /// The entity type it governs.
    async fn entity_type(&self) -> EntityTypeName {
        self.policy.entity_type.into()
    }

    /// 1 for the first policy of the type, +1 for each one set after it.
    async fn version(&self) -> i32 {
        self.policy.version
    }

    /// The JSON Schema (draft 2020-12 unless `$schema` says otherwise). It sees the
    /// document without the service's cross reference `metadata_master_id`.
    async fn schema(&self) -> Json<&Value> {
        Json(&self.policy.schema)
    }

    /// JSON paths that only writers holding their scope may change.
    async fn protected_paths(&self) -> Vec<ProtectedPath> {
        self.policy
            .protected_paths
            .iter()
            .map(|path| ProtectedPath {
                pointer: path.pointer.clone(),
                scope: path.scope.clone(),
            })
            .collect()
    }

    /// Who set it (the token's subject), when known.
    async fn set_by(&self) -> Option<&str> {
        self.policy.actor.as_deref()
    }

    /// When it was set; null for a dry run, which sets nothing.
    async fn set_at(&self) -> Option<DateTime<Utc>> {
        self.stored.then_some(self.policy.created_at)
    }
}

/// A JSON pointer into metadata documents and the scope a writer needs to change it.
#[derive(SimpleObject)]
pub struct ProtectedPath {
    /// A JSON pointer, e.g. `/pricing`.
    pub pointer: String,
    /// The token scope that may change it, e.g. `pricing:write`.
    pub scope: String,
}

/// A JSON pointer into metadata documents and the scope a writer needs to change it.
#[derive(InputObject)]
pub struct ProtectedPathInput {
    /// A JSON pointer, e.g. `/pricing`.
    pub pointer: String,
    /// The token scope that may change it, e.g. `pricing:write`.
    pub scope: String,
}

impl From<ProtectedPathInput> for policy::ProtectedPath {
    fn from(input: ProtectedPathInput) -> Self {
        policy::ProtectedPath {
            pointer: input.pointer,
            scope: input.scope,
        }
    }
}

/// What `setMetadataPolicy` did, or with `dryRun` would do.
pub struct SetMetadataPolicyResult {
    pub policy: MetadataPolicy,
    pub report: Option<ScanReport>,
}

/// What `setMetadataPolicy` did, or with `dryRun` would do.
#[Object]
impl SetMetadataPolicyResult {
    /// The policy as set (or as it would be set).
    async fn policy(&self) -> &MetadataPolicy {
        &self.policy
    }

    /// True when the policy was stored and is in force.
    async fn applied(&self) -> bool {
        self.policy.stored
    }

    /// Dry run: how many existing documents of the type were checked.
    async fn checked_documents(&self) -> Option<u64> {
        self.report.as_ref().map(|report| report.checked)
    }

    /// Dry run: how many of them the policy's schema would refuse.
    async fn violating_documents(&self) -> Option<u64> {
        self.report.as_ref().map(|report| report.violating)
    }

    /// Dry run: the first violations found in existing documents (at most 100).
    async fn violations(&self) -> Option<Vec<ExistingViolation>> {
        let report = self.report.as_ref()?;
        Some(
            report
                .violations
                .iter()
                .cloned()
                .map(ExistingViolation)
                .collect(),
        )
    }
}

/// Where an existing document breaks a policy.
pub struct ExistingViolation(DocumentViolation);

/// Where an existing document breaks a policy.
#[Object]
impl ExistingViolation {
    /// Id of the entity.
    async fn entity_id(&self) -> Uuid {
        self.0.entity_id
    }

    /// Id of its master row.
    async fn master_id(&self) -> Uuid {
        self.0.master_id
    }

    /// The document's current version.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// JSON pointer to the offending value (empty for the whole document).
    async fn pointer(&self) -> &str {
        &self.0.pointer
    }

    /// What is wrong there.
    async fn message(&self) -> &str {
        &self.0.message
    }
}

/// A violation the policy audit found in a recorded event, typically of a write that went
/// around the API (raw SQL).
pub struct PolicyViolation(pub metadata_policy_violation::Model);

/// A violation the policy audit found in a recorded event, typically of a write that went
/// around the API (raw SQL).
#[Object]
impl PolicyViolation {
    /// The event whose document breaks the policy.
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.to_string())
    }

    /// Type of the entity.
    async fn entity_type(&self) -> Option<EntityTypeName> {
        Some(EntityTypeName::stored(&self.0.entity_type))
    }

    /// Id of the entity.
    async fn entity_id(&self) -> Uuid {
        self.0.entity_id
    }

    /// Id of its master row.
    async fn master_id(&self) -> Uuid {
        self.0.master_id
    }

    /// The master's version the event recorded.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// The policy version the document was checked against.
    async fn policy_version(&self) -> i32 {
        self.0.policy_version
    }

    /// JSON pointer to the offending value (empty for the whole document).
    async fn pointer(&self) -> &str {
        &self.0.pointer
    }

    /// What is wrong there.
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// The write path of the change.
    async fn origin(&self) -> WriteOrigin {
        self.0.origin.into()
    }

    /// Who made the change, when known.
    async fn actor(&self) -> Option<&str> {
        self.0.actor.as_deref()
    }

    /// When the audit recorded it.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}
