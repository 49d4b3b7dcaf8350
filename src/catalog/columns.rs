//! Reading single columns of a row on the read paths that run for every row of a page or
//! batch. sea-orm looks a column up twice per value and, for a `NULL` read as an
//! `Option`, formats the column's name into an error first; on PostgreSQL these read the
//! row through sqlx once, and `NULL` is just `None`.

use sea_orm::sqlx::postgres::Postgres;
use sea_orm::sqlx::{self, Row};
use sea_orm::{DbErr, QueryResult, RuntimeErr, TryGetable};

/// A value sqlx decodes from PostgreSQL and sea-orm from the other backends.
pub trait ColumnValue:
    TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>
{
}

impl<T> ColumnValue for T where
    T: TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>
{
}

/// `column` of `row`, which must not be `NULL`.
pub fn get<T: ColumnValue>(row: &QueryResult, column: &str) -> Result<T, DbErr> {
    match row.try_as_pg_row() {
        Some(row) => row.try_get(column).map_err(query_error),
        None => row.try_get("", column),
    }
}

/// `column` of `row`; `None` when it is `NULL`.
pub fn get_nullable<T: ColumnValue>(row: &QueryResult, column: &str) -> Result<Option<T>, DbErr> {
    match row.try_as_pg_row() {
        Some(row) => row.try_get(column).map_err(query_error),
        None => row.try_get("", column),
    }
}

fn query_error(error: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(error.into()))
}
