//! Reading a model from a row by column position. sea-orm's derived reader looks every
//! column up by name (a hash of the name per value, and a `{prefix}{column}` string when
//! there is a prefix); the service's reads list a model's columns in a known order, so
//! reading them by index skips the lookups.

use chrono::{DateTime, Utc};
use sea_orm::sqlx::postgres::types::Oid;
use sea_orm::sqlx::postgres::{PgRow, PgValueFormat};
use sea_orm::sqlx::{Row, ValueRef};
use sea_orm::{DbErr, QueryResult};

/// A model read from consecutive columns of a row: its columns in the order of its
/// `Column::iter()`, which is the order a select of the model lists them in.
pub trait ReadAt: Sized {
    /// The names of the columns the model reads, in order.
    const COLUMN_NAMES: &'static [&'static str];

    /// Reads the model from columns `first ..` of `row`. Only the caller's select makes the
    /// columns be there: a column of the wrong type fails, but two of the same type in each
    /// other's place would be read swapped. Callers check the layout by name in debug builds
    /// ([`layout_matches`]) and the column after the model's on every row.
    fn read_at(row: &QueryResult, first: usize) -> Result<Self, DbErr>;
}

/// Whether `row`'s columns from `first` on are `M`'s, each named `{prefix}{column}`: what
/// [`ReadAt::read_at`]'s callers assert in debug builds.
pub fn layout_matches<M: ReadAt>(row: &QueryResult, first: usize, prefix: &str) -> bool {
    let names = row.column_names();
    M::COLUMN_NAMES.iter().enumerate().all(|(i, column)| {
        names
            .get(first + i)
            .is_some_and(|name| name.strip_prefix(prefix) == Some(column))
    })
}

/// The `timestamptz` column at `index` of `row` (not `NULL`). On PostgreSQL its binary value
/// (microseconds since 2000-01-01 UTC) is converted by arithmetic; sqlx's decoder builds
/// the epoch's date and adds the value to it, at about three times the cost. Any other
/// value (text format, another type, out of range) is decoded the usual way.
pub fn timestamp_at(row: &QueryResult, index: usize) -> Result<DateTime<Utc>, DbErr> {
    if let Some(at) = row
        .try_as_pg_row()
        .and_then(|pg| binary_timestamp(pg, index))
    {
        return Ok(at);
    }
    row.try_get_by_index(index)
}

/// `timestamptz`'s type id in PostgreSQL's catalog.
const TIMESTAMPTZ: Oid = Oid(1184);
/// 2000-01-01T00:00:00Z, PostgreSQL's epoch, in microseconds since the Unix epoch.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

fn binary_timestamp(row: &PgRow, index: usize) -> Option<DateTime<Utc>> {
    let value = row.try_get_raw(index).ok()?;
    if value.is_null()
        || value.format() != PgValueFormat::Binary
        || value.type_info().oid() != Some(TIMESTAMPTZ)
    {
        return None;
    }
    let micros = i64::from_be_bytes(value.as_bytes().ok()?.try_into().ok()?);
    DateTime::from_timestamp_micros(micros.checked_add(POSTGRES_EPOCH_MICROS)?)
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, IdenStatic, Iterable};

    use super::ReadAt;
    use crate::{campaign, metadata_master, product, survey, voucher};

    fn columns<E: EntityTrait>() -> Vec<&'static str> {
        E::Column::iter().map(|column| column.as_str()).collect()
    }

    /// A select of a model lists its columns in `Column::iter()`'s order: `read_at` reads
    /// them in that order.
    #[test]
    fn column_names_are_the_selected_columns_in_order() {
        assert_eq!(campaign::Model::COLUMN_NAMES, columns::<campaign::Entity>());
        assert_eq!(product::Model::COLUMN_NAMES, columns::<product::Entity>());
        assert_eq!(survey::Model::COLUMN_NAMES, columns::<survey::Entity>());
        assert_eq!(voucher::Model::COLUMN_NAMES, columns::<voucher::Entity>());
        assert_eq!(
            metadata_master::Model::COLUMN_NAMES,
            columns::<metadata_master::Entity>()
        );
    }
}
