//! The policy audit: a consumer of the event stream that checks every recorded document
//! against the policy in force and records what breaks it. Service writes were refused
//! before they happened; this catches the writes that went around the service (raw SQL,
//! restores) and documents written before a stricter policy version.

use entity::metadata_event::{self, EventKind, EventOrigin};
use entity::metadata_policy_violation as violation;
use futures_util::future::BoxFuture;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde_json::Value;

use super::{Grants, PolicyError, Violation, current};
use crate::events::worker::{EventHandler, HandlerError};
use crate::sync::EntityType;

/// The consumer name of the policy audit.
pub const AUDIT_CONSUMER: &str = "policy-audit";

pub struct PolicyAudit {
    db: DatabaseConnection,
}

impl PolicyAudit {
    pub fn new(db: DatabaseConnection) -> Self {
        PolicyAudit { db }
    }

    /// Checks one event and records its violations (replacing any recorded for it
    /// before, so a re-delivered event is recorded once). Returns how many it found.
    #[tracing::instrument(name = "policy.audit", skip_all, fields(event_id = event.id))]
    pub async fn audit(&self, event: &metadata_event::Model) -> Result<usize, PolicyError> {
        if event.kind == EventKind::Deleted {
            return Ok(0);
        }
        let Ok(entity_type) =
            crate::entity_types::registry::resolve(&self.db, &event.entity_type).await
        else {
            return Ok(0);
        };
        let Some(policy) = current(&self.db, entity_type).await? else {
            return Ok(0);
        };
        let mut violations = policy.schema_violations(&event.document);
        // A raw SQL writer holds no scope: any change to a protected path is recorded.
        if event.origin == EventOrigin::Sql && !policy.protected_paths.is_empty() {
            let before = previous_document(&self.db, event).await?;
            let no_scopes = Grants::Scopes(Default::default());
            violations.extend(policy.protected_path_violations(
                before.as_ref(),
                &event.document,
                &no_scopes,
            ));
        }
        record(&self.db, event, policy.version, &violations).await?;
        Ok(violations.len())
    }
}

impl EventHandler for PolicyAudit {
    fn consumer(&self) -> &str {
        AUDIT_CONSUMER
    }

    fn handle<'a>(
        &'a self,
        event: &'a metadata_event::Model,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            self.audit(event)
                .await
                .map(drop)
                .map_err(|error| match error {
                    PolicyError::Database(_) => HandlerError::transient(
                        "a database error interrupted the policy audit",
                        error,
                    ),
                    other => HandlerError::permanent("the stored policy cannot be read", other),
                })
        })
    }
}

/// Recorded violations, newest first, optionally of one entity type; `before` is the id
/// of the last one of the previous page.
pub async fn violations_page(
    db: &impl ConnectionTrait,
    entity_type: Option<EntityType>,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<violation::Model>, PolicyError> {
    let mut select = violation::Entity::find();
    if let Some(entity_type) = entity_type {
        select = select.filter(violation::Column::EntityType.eq(entity_type.as_str()));
    }
    if let Some(before) = before {
        select = select.filter(violation::Column::Id.lt(before));
    }
    Ok(select
        .order_by_desc(violation::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The document of the master's previous event, if it has one.
async fn previous_document(
    db: &DatabaseConnection,
    event: &metadata_event::Model,
) -> Result<Option<Value>, PolicyError> {
    Ok(metadata_event::Entity::find()
        .select_only()
        .column(metadata_event::Column::Document)
        .filter(metadata_event::Column::MasterId.eq(event.master_id))
        .filter(metadata_event::Column::Version.lt(event.version))
        .order_by_desc(metadata_event::Column::Version)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?)
}

async fn record(
    db: &DatabaseConnection,
    event: &metadata_event::Model,
    policy_version: i32,
    violations: &[Violation],
) -> Result<(), PolicyError> {
    let tx = db.begin().await?;
    violation::Entity::delete_many()
        .filter(violation::Column::EventId.eq(event.id))
        .exec(&tx)
        .await?;
    if !violations.is_empty() {
        let now = chrono::Utc::now();
        let rows = violations.iter().map(|found| violation::ActiveModel {
            id: NotSet,
            event_id: Set(event.id),
            entity_type: Set(event.entity_type.clone()),
            entity_id: Set(event.entity_id),
            master_id: Set(event.master_id),
            version: Set(event.version),
            policy_version: Set(policy_version),
            pointer: Set(found.pointer.clone()),
            message: Set(found.message.clone()),
            origin: Set(event.origin),
            actor: Set(event.actor.clone()),
            recorded_at: Set(now),
        });
        violation::Entity::insert_many(rows).exec(&tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
