//! Reading single columns of a row on the read paths that run for every row of a page or
//! batch. sea-orm looks a column up twice per value and, for a `NULL` read as an
//! `Option`, formats the column's name (or index) into an error first; on PostgreSQL these
//! read the row through sqlx once, and `NULL` is just `None`.

use sea_orm::sqlx::postgres::Postgres;
use sea_orm::sqlx::{self, Column, Row};
use sea_orm::{DbErr, QueryResult, TryGetable};

/// A value sqlx decodes from PostgreSQL and sea-orm from the other backends.
pub trait ColumnValue:
    TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>
{
}

impl<T> ColumnValue for T where
    T: TryGetable + sqlx::Type<Postgres> + for<'r> sqlx::Decode<'r, Postgres>
{
}

/// `column` of `row` (read an `Option` for a column that may be `NULL`).
pub fn get<T: ColumnValue>(row: &QueryResult, column: &str) -> Result<T, DbErr> {
    match row.try_as_pg_row() {
        Some(row) => row.try_get(column).map_err(crate::db::query_error),
        None => row.try_get("", column),
    }
}

/// Fails unless column `index` of `row` is named `name`: a check, cheap enough for every
/// row read by position, that the select put the columns where the reader expects them.
pub fn expect_name(row: &QueryResult, index: usize, name: &str) -> Result<(), DbErr> {
    let found = if let Some(row) = row.try_as_pg_row() {
        row.columns().get(index).map(Column::name)
    } else if let Some(row) = row.try_as_sqlite_row() {
        row.columns().get(index).map(Column::name)
    } else {
        return Ok(());
    };
    match found == Some(name) {
        true => Ok(()),
        false => Err(DbErr::Type(format!(
            "column {index} of the row is {found:?}, where {name} was expected"
        ))),
    }
}

/// The column at `index` of `row`, as [`get`] reads one by name (without looking the name
/// up).
pub fn get_at<T: ColumnValue>(row: &QueryResult, index: usize) -> Result<T, DbErr> {
    match row.try_as_pg_row() {
        Some(row) => row.try_get(index).map_err(crate::db::query_error),
        None => row.try_get_by_index(index),
    }
}
