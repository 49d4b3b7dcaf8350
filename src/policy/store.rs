//! Policies in the database: the version in force (compiled once per process), setting a
//! new version, and enforcing it inside a write transaction.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use entity::metadata_policy;
use sea_orm::sea_query::{Alias, InsertStatement, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use super::{AUDIT_CONSUMER, Grants, Policy, PolicyError, ProtectedPath};
use crate::db::is_unique_violation;
use crate::sync::EntityType;

/// Compiled policies by row id. Ids are UUIDv7, unique across databases, so one process
/// serving several databases (the tests) cannot mix them up. Rows never change.
static COMPILED: LazyLock<Mutex<HashMap<Uuid, Arc<Policy>>>> = LazyLock::new(Default::default);
const MAX_COMPILED: usize = 256;

/// A policy to set: what `setMetadataPolicy` was given.
pub struct PolicyDraft {
    pub entity_type: EntityType,
    pub schema: Value,
    pub protected_paths: Vec<ProtectedPath>,
    pub actor: Option<String>,
}

/// The policy in force for `entity_type`, if any: one indexed read of its id, and the row
/// itself only the first time this process sees that version.
pub async fn current(
    conn: &impl ConnectionTrait,
    entity_type: EntityType,
) -> Result<Option<Arc<Policy>>, PolicyError> {
    let id: Option<Uuid> = metadata_policy::Entity::find()
        .select_only()
        .column(metadata_policy::Column::Id)
        .filter(metadata_policy::Column::EntityType.eq(entity_type.as_str()))
        .order_by_desc(metadata_policy::Column::Version)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    by_id(conn, entity_type, id).await
}

/// The policy with row id `id` (compiled once per process), or `None` for no id.
pub async fn by_id(
    conn: &impl ConnectionTrait,
    entity_type: EntityType,
    id: Option<Uuid>,
) -> Result<Option<Arc<Policy>>, PolicyError> {
    let Some(id) = id else { return Ok(None) };
    if let Some(policy) = compiled(id) {
        return Ok(Some(policy));
    }
    let row = metadata_policy::Entity::find_by_id(id).one(conn).await?;
    row.map(|row| remember(row, entity_type)).transpose()
}

/// The id of the policy in force for `entity_type`, as a subquery a statement of the write
/// path can carry (saving the write a round trip).
pub fn current_id_subquery(entity_type: EntityType) -> sea_orm::sea_query::SelectStatement {
    metadata_policy::Entity::find()
        .select_only()
        .column(metadata_policy::Column::Id)
        .filter(metadata_policy::Column::EntityType.eq(entity_type.as_str()))
        .order_by_desc(metadata_policy::Column::Version)
        .limit(1)
        .into_query()
}

/// A given version of `entity_type`'s policy, if it exists.
pub async fn find_version(
    conn: &impl ConnectionTrait,
    entity_type: EntityType,
    version: i32,
) -> Result<Option<Arc<Policy>>, PolicyError> {
    let row = metadata_policy::Entity::find()
        .filter(metadata_policy::Column::EntityType.eq(entity_type.as_str()))
        .filter(metadata_policy::Column::Version.eq(version))
        .one(conn)
        .await?;
    row.map(|row| remember(row, entity_type)).transpose()
}

/// Refuses `after` (written over `before`; `None` for a new entity) when it breaks the
/// policy in force for `entity_type`. Runs inside the write's transaction.
pub async fn enforce(
    conn: &impl ConnectionTrait,
    entity_type: EntityType,
    before: Option<&Value>,
    after: &Value,
    grants: &Grants,
) -> Result<(), PolicyError> {
    let policy = current(conn, entity_type).await?;
    check_against(policy, entity_type, before, after, grants)
}

/// [`enforce`] with the policy's id already read (see [`current_id_subquery`]).
pub async fn enforce_by_id(
    conn: &impl ConnectionTrait,
    entity_type: EntityType,
    policy_id: Option<Uuid>,
    before: Option<&Value>,
    after: &Value,
    grants: &Grants,
) -> Result<(), PolicyError> {
    let policy = by_id(conn, entity_type, policy_id).await?;
    check_against(policy, entity_type, before, after, grants)
}

fn check_against(
    policy: Option<Arc<Policy>>,
    entity_type: EntityType,
    before: Option<&Value>,
    after: &Value,
    grants: &Grants,
) -> Result<(), PolicyError> {
    let Some(policy) = policy else {
        return Ok(());
    };
    let violations = policy.check(before, after, grants);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(PolicyError::Violated {
            entity_type: entity_type.as_str(),
            version: policy.version,
            violations,
        })
    }
}

/// Stores `draft` as the next version of its entity type's policy (checked and compiled
/// first) and makes sure the audit consumer receives events from now on. Two concurrent
/// setters cannot both win: the second gets [`PolicyError::Conflict`].
pub async fn set_policy(
    db: &DatabaseConnection,
    draft: PolicyDraft,
) -> Result<Arc<Policy>, PolicyError> {
    let entity_type = draft.entity_type;
    let protected_paths = serde_json::to_value(&draft.protected_paths)
        .map_err(|e| PolicyError::Invalid(format!("protected paths: {e}")))?;
    let mut policy = Policy::compile(entity_type, 1, draft.schema.clone(), draft.protected_paths)?;
    // SQLite: take the write lock first; a read that later wants to write could not wait.
    let tx = db.begin_with_options(write_first()).await?;
    let latest: Option<i32> = metadata_policy::Entity::find()
        .select_only()
        .column(metadata_policy::Column::Version)
        .filter(metadata_policy::Column::EntityType.eq(entity_type.as_str()))
        .order_by_desc(metadata_policy::Column::Version)
        .limit(1)
        .into_tuple()
        .one(&tx)
        .await?;
    let row = metadata_policy::ActiveModel {
        id: Set(Uuid::now_v7()),
        entity_type: Set(entity_type.as_str().to_owned()),
        version: Set(latest.unwrap_or(0) + 1),
        schema: Set(draft.schema),
        protected_paths: Set(protected_paths),
        actor: Set(draft.actor),
        created_at: Set(chrono::Utc::now()),
    };
    let inserted = metadata_policy::Entity::insert(row)
        .exec_with_returning(&tx)
        .await
        .map_err(|error| match is_unique_violation(&error) {
            true => PolicyError::Conflict(entity_type.as_str()),
            false => PolicyError::Database(error),
        })?;
    tx.execute(&register_audit_consumer()).await?;
    tx.commit().await?;
    // The row as stored, with the validator compiled above.
    policy.id = inserted.id;
    policy.version = inserted.version;
    policy.actor = inserted.actor;
    policy.created_at = inserted.created_at;
    Ok(cache(Arc::new(policy)))
}

/// Registers the audit consumer (when a policy is set, so that events are only kept for it
/// once there is something to check them against); one already registered stays as it is.
fn register_audit_consumer() -> InsertStatement {
    Query::insert()
        .into_table(Alias::new("_metadata_consumers"))
        .columns([Alias::new("name"), Alias::new("max_attempts")])
        .values_panic([AUDIT_CONSUMER.into(), 8.into()])
        .on_conflict(
            OnConflict::column(Alias::new("name"))
                .do_nothing()
                .to_owned(),
        )
        .to_owned()
}

fn write_first() -> TransactionOptions {
    TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    }
}

fn compiled(id: Uuid) -> Option<Arc<Policy>> {
    COMPILED.lock().ok()?.get(&id).cloned()
}

fn remember(
    row: metadata_policy::Model,
    entity_type: EntityType,
) -> Result<Arc<Policy>, PolicyError> {
    Ok(cache(Arc::new(Policy::from_row(row, entity_type)?)))
}

fn cache(policy: Arc<Policy>) -> Arc<Policy> {
    if let Ok(mut cache) = COMPILED.lock() {
        if cache.len() >= MAX_COMPILED {
            cache.clear();
        }
        cache.insert(policy.id, policy.clone());
    }
    policy
}
