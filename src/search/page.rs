//! Keyset pages of master rows or of one entity type's rows, filtered and ordered.

use entity::metadata_master;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, Select,
};

use super::order::{MASTER_TABLE, OrderField};
use super::sql::Sql;
use super::{MetadataFilter, Order, Position, SearchError, postgres, sqlite};
use crate::catalog::{CatalogEntity, Documents, Joined, WithText, join_masters, select_documents};
use crate::db::Autocommit;
use crate::sync::EntityType;

/// One page's request: which rows, in which order, after which position, how many.
#[derive(Clone, Copy, Debug)]
pub struct PageQuery<'a> {
    pub filter: Option<&'a MetadataFilter>,
    pub order: Order,
    pub after: Option<Position>,
    /// Rows to fetch (callers ask for one more than they show).
    pub limit: u64,
    /// How long a filtered read may run (PostgreSQL).
    pub timeout: super::SearchTimeout,
}

/// A row with its sort key, from which the next page's position is made.
#[derive(Clone, Debug)]
pub struct Keyed<M> {
    pub model: M,
    pub key: i64,
}

impl<M: FromQueryResult> FromQueryResult for Keyed<M> {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Keyed {
            model: M::from_query_result(row, prefix)?,
            key: row.try_get(prefix, SORT_KEY)?,
        })
    }
}

const SORT_KEY: &str = "sort_key";

/// Master rows, of every entity type or of one, with their documents as `documents` says.
pub async fn masters(
    db: &Autocommit,
    entity_type: Option<EntityType>,
    query: PageQuery<'_>,
    documents: Documents,
) -> Result<Vec<Keyed<metadata_master::Model>>, SearchError> {
    let backend = db.get_database_backend();
    let mut select = select_documents(
        metadata_master::Entity::find(),
        backend,
        MASTER_TABLE,
        documents,
    );
    if let Some(entity_type) = entity_type {
        select = select.filter(metadata_master::Column::EntityType.eq(entity_type.as_str()));
    }
    let rows: Vec<Keyed<WithText<_>>> = run(db, select, MASTER_TABLE, query).await?;
    Ok(rows.into_iter().map(Keyed::unwrap_text).collect())
}

/// Rows of one entity type, with their documents as `documents` says.
pub async fn entities<E: CatalogEntity>(
    db: &Autocommit,
    query: PageQuery<'_>,
    documents: Documents,
) -> Result<Vec<Keyed<E::Model>>, SearchError>
where
    E::Model: Send + Sync,
{
    let table = E::TYPE.table();
    let select = select_documents(E::find(), db.get_database_backend(), table, documents);
    let rows: Vec<Keyed<WithText<_>>> = run(db, select, table, query).await?;
    Ok(rows.into_iter().map(Keyed::unwrap_text).collect())
}

/// Rows of one entity type with their master rows joined (one statement), for a page
/// whose nodes read their masters; each side's document as asked for.
pub async fn entities_with_masters<E: CatalogEntity>(
    db: &Autocommit,
    query: PageQuery<'_>,
    documents: Documents,
    master_documents: Documents,
) -> Result<Vec<(Keyed<E::Model>, Option<metadata_master::Model>)>, SearchError>
where
    E::Model: Send + Sync,
{
    let backend = db.get_database_backend();
    let table = E::TYPE.table();
    let select = select_documents(E::find(), backend, table, documents);
    let select = join_masters(select, backend, table, master_documents);
    let rows: Vec<Keyed<Joined<E::Model>>> = run(db, select, table, query).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let Joined { record, master } = row.model;
            (
                Keyed {
                    model: record,
                    key: row.key,
                },
                master,
            )
        })
        .collect())
}

impl<M> Keyed<WithText<M>> {
    fn unwrap_text(self) -> Keyed<M> {
        Keyed {
            model: self.model.0,
            key: self.key,
        }
    }
}

/// `table` is the master table or a registry table name (the allow-list), never input.
async fn run<E: EntityTrait, R: FromQueryResult + Send + Sync>(
    db: &Autocommit,
    mut select: Select<E>,
    table: &'static str,
    query: PageQuery<'_>,
) -> Result<Vec<Keyed<R>>, SearchError> {
    let backend = db.get_database_backend();
    if let Some(filter) = query.filter {
        select = select.filter(condition(backend, table, filter)?);
    }
    let key = query.order.key_sql(backend, table);
    let id = format!("\"{table}\".\"id\"");
    if let Some(after) = query.after {
        let mut sql = Sql::new(backend, table);
        let operator = query.order.after();
        match &key {
            Some(key) => sql
                .push(&format!("({key}, {id}) {operator} ("))
                .param(after.key)
                .push(", ")
                .param(after.id)
                .push(")"),
            None => sql.push(&format!("{id} {operator} ")).param(after.id),
        };
        select = select.filter(sql.into_expr());
    }
    let direction = query.order.sql_order();
    select = select.column_as(
        Expr::cust(key.clone().unwrap_or_else(|| "CAST(0 AS BIGINT)".into())),
        SORT_KEY,
    );
    if let Some(key) = key {
        select = select.order_by(Expr::cust(key), direction.clone());
    }
    let select = select
        .order_by(Expr::cust(id), direction)
        .limit(query.limit)
        .into_model::<Keyed<R>>();
    // Unfiltered pages in id order walk the primary key; anything else may scan.
    if query.filter.is_none() && query.order.field == OrderField::Id {
        return Ok(select.all(db).await?);
    }
    let tx = super::bounded::begin(db.pool(), query.timeout).await?;
    let rows = select
        .all(&tx)
        .await
        .map_err(|error| super::bounded::timed_out(error, query.timeout))?;
    tx.commit().await?;
    Ok(rows)
}

/// The SQL condition of `filter` on `table`'s `metadata` and `updated_at` columns (a
/// registry table or the master table, never input), qualified so that it stays
/// unambiguous when another table is joined.
pub(super) fn condition(
    backend: DatabaseBackend,
    table: &'static str,
    filter: &MetadataFilter,
) -> Result<Expr, SearchError> {
    render(Sql::new(backend, table), filter)
}

/// [`condition`] on an entity type's table, with its registered metadata column. Attached
/// tables have no `updated_at` of the service's: a time filter on them is refused; their
/// rows not adopted yet never match.
pub(super) fn entity_condition(
    backend: DatabaseBackend,
    entity_type: crate::sync::EntityType,
    filter: &MetadataFilter,
) -> Result<Expr, SearchError> {
    if entity_type.is_attached() && filter.reads_updated_at() {
        return Err(SearchError::Invalid(format!(
            "{} is an attached table without the service's updated_at: filter its masters \
             (metadataMasters) by time instead",
            entity_type.table()
        )));
    }
    let sql =
        Sql::with_metadata_column(backend, entity_type.table(), entity_type.metadata_column());
    let condition = render(sql, filter)?;
    Ok(match entity_type.is_attached() {
        // Rows attach has not adopted yet have no master and are not served.
        true => sea_orm::ExprTrait::and(
            condition,
            Expr::cust(format!(
                "\"{}\".\"metadata_master_id\" IS NOT NULL",
                entity_type.table()
            )),
        ),
        false => condition,
    })
}

fn render(mut sql: Sql, filter: &MetadataFilter) -> Result<Expr, SearchError> {
    filter.check()?;
    let backend = sql.backend();
    match backend {
        DatabaseBackend::Postgres => postgres::render(&mut sql, filter),
        _ => sqlite::render(&mut sql, filter),
    }
    Ok(sql.into_expr())
}
