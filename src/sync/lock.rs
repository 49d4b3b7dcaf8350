//! The row locks of a service write, in the service's one lock order: the entity row,
//! then its master row.

use entity::metadata_master;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, LockBehavior, LockType, Query};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use super::{EntityType, SyncError, WriteTransaction};
use crate::policy;

/// A locked pair: the entity's document, the id of the policy in force for its type, and
/// the master row.
pub(super) struct LockedPair {
    pub current: Value,
    pub policy_id: Option<Uuid>,
    pub master: metadata_master::Model,
}

/// Locks an entity row and then its master row — the one lock order of the service — and
/// returns the entity's document and the master row.
///
/// The master is locked `NOWAIT`: if someone holds it, that is a raw master-side writer
/// (every service write takes the entity first), which may in turn be waiting for the
/// entity row we now hold. Instead of waiting in PostgreSQL's deadlock detector
/// (`deadlock_timeout` per round), the transaction fails at once with SQLSTATE 55P03,
/// releases the entity, and [`super::in_write_transaction`] runs it again after a short
/// backoff, by when the other writer has finished.
pub async fn lock_pair(
    tx: &WriteTransaction,
    entity_type: EntityType,
    entity_id: Uuid,
) -> Result<(Value, metadata_master::Model), SyncError> {
    let locked = lock(tx, entity_type, entity_id).await?;
    Ok((locked.current, locked.master))
}

/// [`lock_pair`], with the id of the policy in force.
pub(super) async fn lock(
    tx: &WriteTransaction,
    entity_type: EntityType,
    id: Uuid,
) -> Result<LockedPair, SyncError> {
    if let Some(locked) = lock_joined(tx, entity_type, id).await? {
        return Ok(locked);
    }
    // The join found no pair: the entity or its master is missing; these two reads tell
    // which (and lock what there is, in the same order).
    let (master_id, current, policy_id) = lock_entity_metadata(tx, entity_type, id).await?;
    let master = lock_master(tx, master_id).await?;
    Ok(LockedPair {
        current,
        policy_id,
        master,
    })
}

/// Aliases of the joined statement (fixed names, never input).
const ENTITY: &str = "e";
const MASTER: &str = "m";
const MASTER_PREFIX: &str = "m_";

/// Both rows in one statement: `SELECT … FROM <table> e JOIN _metadata_master m ON …
/// WHERE e.<id> = … FOR UPDATE OF e FOR UPDATE OF m NOWAIT`. PostgreSQL locks the rows
/// in the order of the locking clauses, the entity first (SQLite, whose writers are
/// serialized, takes no row locks). On PostgreSQL, as a transaction's first statement it
/// also carries the origin mark (see [`WriteTransaction::query_one_marking`]). Table and
/// column names come from the [`EntityType`] registry (the allow-list).
async fn lock_joined(
    tx: &WriteTransaction,
    entity_type: EntityType,
    id: Uuid,
) -> Result<Option<LockedPair>, SyncError> {
    let (entity, master) = (Alias::new(ENTITY), Alias::new(MASTER));
    let mut select = Query::select();
    select
        .expr_as(
            Expr::col((entity.clone(), Alias::new(entity_type.metadata_column()))),
            Alias::new("metadata"),
        )
        .expr_as(policy_id_expr(entity_type), Alias::new("policy_id"));
    for column in metadata_master::Column::iter() {
        let name = column.as_str();
        select.expr_as(
            Expr::col((master.clone(), Alias::new(name))),
            Alias::new(format!("{MASTER_PREFIX}{name}")),
        );
    }
    select
        .from_as(Alias::new(entity_type.table()), entity.clone())
        .join_as(
            JoinType::InnerJoin,
            Alias::new(sea_orm::EntityName::table_name(&metadata_master::Entity)),
            master.clone(),
            Expr::col((master.clone(), Alias::new("id")))
                .equals((entity.clone(), Alias::new("metadata_master_id"))),
        )
        .and_where(Expr::col((entity, Alias::new(entity_type.id_column()))).eq(id));
    let backend = tx.get_database_backend();
    let row = if backend == DatabaseBackend::Postgres {
        tx.query_one_marking(|with_mark| {
            if with_mark {
                for (expr, alias) in tx.origin().marking_columns() {
                    select.expr_as(expr, Alias::new(alias));
                }
            }
            let mut statement = backend.build(&select);
            statement.sql.push_str(&format!(
                " FOR UPDATE OF \"{ENTITY}\" FOR UPDATE OF \"{MASTER}\" NOWAIT"
            ));
            statement
        })
        .await?
    } else {
        tx.query_one_raw(backend.build(&select)).await?
    };
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(LockedPair {
        current: row.try_get("", "metadata")?,
        policy_id: row.try_get("", "policy_id")?,
        master: metadata_master::Model::from_query_result(&row, MASTER_PREFIX)?,
    }))
}

fn policy_id_expr(entity_type: EntityType) -> Expr {
    Expr::SubQuery(
        None,
        Box::new(policy::current_id_subquery(entity_type).into()),
    )
}

async fn lock_master(
    tx: &WriteTransaction,
    master_id: Uuid,
) -> Result<metadata_master::Model, SyncError> {
    metadata_master::Entity::find_by_id(master_id)
        .lock_with_behavior(LockType::Update, LockBehavior::Nowait)
        .one(tx)
        .await?
        .ok_or(SyncError::MasterNotFound(master_id))
}

/// `SELECT metadata_master_id, metadata, (the id of the policy in force) FROM <table>
/// WHERE id = $1 FOR UPDATE`, with the table and column names taken from the
/// [`EntityType`] registry (the allow-list).
async fn lock_entity_metadata(
    tx: &WriteTransaction,
    entity_type: EntityType,
    id: Uuid,
) -> Result<(Uuid, Value, Option<Uuid>), SyncError> {
    let statement = Query::select()
        .column(Alias::new("metadata_master_id"))
        .expr_as(
            Expr::col(Alias::new(entity_type.metadata_column())),
            Alias::new("metadata"),
        )
        .expr_as(policy_id_expr(entity_type), Alias::new("policy_id"))
        .from(Alias::new(entity_type.table()))
        .and_where(Expr::col(Alias::new(entity_type.id_column())).eq(id))
        .lock_with_tables(LockType::Update, [Alias::new(entity_type.table())])
        .to_owned();
    let not_found = || SyncError::EntityNotFound {
        entity_type: entity_type.as_str(),
        id,
    };
    let row = tx.query_one(&statement).await?.ok_or_else(not_found)?;
    // An attached table's row that attach has not adopted yet has no master: not served.
    let master_id: Option<Uuid> = row.try_get("", "metadata_master_id")?;
    let master_id = master_id.ok_or_else(not_found)?;
    Ok((
        master_id,
        row.try_get("", "metadata")?,
        row.try_get("", "policy_id")?,
    ))
}
