//! Filtered reads by id for writers: how many entities match, and whether one still does
//! once its row is locked.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::bounded;
use super::page::entity_condition;
use super::{MetadataFilter, SearchError, SearchTimeout};
use crate::sync::EntityType;

/// How many rows of `entity_type` after `after` (in id order) match `filter`, counting at
/// most `cap`: a dry run never counts a whole table. Bounded by the search statement
/// timeout on PostgreSQL.
pub async fn count_entities(
    db: &DatabaseConnection,
    entity_type: EntityType,
    filter: &MetadataFilter,
    after: Option<Uuid>,
    cap: u64,
    timeout: SearchTimeout,
) -> Result<u64, SearchError> {
    let mut matching = Query::select();
    matching
        .expr(Expr::val(1))
        .from(Alias::new(entity_type.table()))
        .and_where(entity_condition(
            db.get_database_backend(),
            entity_type,
            filter,
        )?)
        .limit(cap);
    if let Some(after) = after {
        matching.and_where(Expr::col(Alias::new(entity_type.id_column())).gt(after));
    }
    let statement = Query::select()
        .expr_as(Expr::cust("count(*)"), Alias::new("n"))
        .from_subquery(matching.to_owned(), Alias::new("matching"))
        .to_owned();
    let rows = bounded::query_all(db, timeout, &statement).await?;
    let count: i64 = match rows.first() {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Locks the entity row (`FOR UPDATE`, the first lock of the service's lock order) if it
/// still matches `filter`; PostgreSQL re-evaluates the condition on the row version it
/// locks, so a row changed by a concurrent writer is judged by its new document.
pub async fn lock_if_matching(
    tx: &impl ConnectionTrait,
    entity_type: EntityType,
    id: Uuid,
    filter: &MetadataFilter,
) -> Result<bool, SearchError> {
    let table = Alias::new(entity_type.table());
    let statement = Query::select()
        .expr(Expr::val(1))
        .from(table.clone())
        .and_where(Expr::col(Alias::new(entity_type.id_column())).eq(id))
        .and_where(entity_condition(
            tx.get_database_backend(),
            entity_type,
            filter,
        )?)
        .lock_with_tables(LockType::Update, [table])
        .to_owned();
    Ok(tx.query_one(&statement).await?.is_some())
}

/// Ids of `entity_type` rows matching `filter`, in id order after `after`, at most `limit`;
/// bounded by the search statement timeout on PostgreSQL.
pub async fn matching_ids(
    db: &DatabaseConnection,
    entity_type: EntityType,
    filter: &MetadataFilter,
    after: Option<Uuid>,
    limit: u64,
    timeout: SearchTimeout,
) -> Result<Vec<Uuid>, SearchError> {
    let mut statement = Query::select();
    let id = Alias::new(entity_type.id_column());
    statement
        .expr_as(Expr::col(id.clone()), Alias::new("id"))
        .from(Alias::new(entity_type.table()))
        .and_where(entity_condition(
            db.get_database_backend(),
            entity_type,
            filter,
        )?)
        .order_by(id.clone(), sea_orm::Order::Asc)
        .limit(limit);
    if let Some(after) = after {
        statement.and_where(Expr::col(id).gt(after));
    }
    let rows = bounded::query_all(db, timeout, &statement).await?;
    rows.iter()
        .map(|row| row.try_get("", "id").map_err(SearchError::from))
        .collect()
}
