//! Entity rows together with their master rows, in one statement: for a selection that
//! reads an entity and its `metadataMaster`, one round trip instead of two in a row.

use entity::{DocumentText, HasDocumentText, ReadAt, metadata_master};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, EntityName, FromQueryResult, QueryResult, QuerySelect,
    QueryTrait, Select,
};
use uuid::Uuid;

use super::columns::{expect_name, get, get_at};
use super::documents::{Documents, document_columns, read_with_text};
use super::record::{CatalogEntity, records_by_id};
use super::shapes::{self, Shape};
use super::{CatalogError, Record};

// The master's columns' aliases in the joined row (`m_` and the column's name, as
// `layout_matches` expects).
const M_ID: &str = "m_id";
const M_ENTITY_TYPE: &str = "m_entity_type";
const M_ENTITY_ID: &str = "m_entity_id";
const M_ENTITY_TABLE: &str = "m_entity_table";
const M_METADATA: &str = "m_metadata";
const M_VERSION: &str = "m_version";
const M_CREATED_AT: &str = "m_created_at";
const M_UPDATED_AT: &str = "m_updated_at";
/// The master's columns in the joined row, in select order, with their aliases.
const MASTER_COLUMNS: [(&str, &str); 8] = [
    ("id", M_ID),
    ("entity_type", M_ENTITY_TYPE),
    ("entity_id", M_ENTITY_ID),
    ("entity_table", M_ENTITY_TABLE),
    ("metadata", M_METADATA),
    ("version", M_VERSION),
    ("created_at", M_CREATED_AT),
    ("updated_at", M_UPDATED_AT),
];
/// The alias of the master document's text ([`super::DOCUMENT_TEXT`]) in the joined row.
const MASTER_TEXT: &str = "m_metadata_text";

/// An entity row and its master row (`None` only when the pair drifted apart).
pub type RecordWithMaster = (Record, Option<metadata_master::Model>);

/// A row read with [`join_masters`]: the entity's columns and its master's.
pub struct Joined<M> {
    pub record: M,
    pub master: Option<metadata_master::Model>,
}

impl<M: FromQueryResult + HasDocumentText + ReadAt> FromQueryResult for Joined<M> {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        let master = match prefix.is_empty() {
            // The record's columns and its document's text, then the master's.
            true => read_joined_master_at(row, M::COLUMN_NAMES.len() + 1)?,
            false => read_joined_master(row, prefix)?,
        };
        Ok(Joined {
            record: read_with_text(row, prefix)?,
            master,
        })
    }
}

/// The master's columns of a joined row from column `first` on: [`MASTER_COLUMNS`] in
/// order, then [`MASTER_TEXT`] (`None` when the join found no master). Its document is
/// `NULL` unless it was read decoded, which is why this is not
/// `metadata_master::Model::read_at`: selecting `'null'::jsonb` instead, as a read of
/// master rows alone does, costs 2 % more instructions for (b) and (c) (measured).
fn read_joined_master_at(
    row: &QueryResult,
    first: usize,
) -> Result<Option<metadata_master::Model>, DbErr> {
    expect_name(row, first + MASTER_COLUMNS.len(), MASTER_TEXT)?;
    debug_assert!(
        entity::layout_matches::<metadata_master::Model>(row, first, "m_"),
        "{:?} from {first} are not the master's",
        row.column_names()
    );
    let Some(id) = get_at::<Option<Uuid>>(row, first)? else {
        return Ok(None);
    };
    let document = get_at::<Option<serde_json::Value>>(row, first + 4)?;
    let text = get_at::<Option<String>>(row, first + MASTER_COLUMNS.len())?;
    Ok(Some(metadata_master::Model {
        id,
        entity_type: get_at(row, first + 1)?,
        entity_id: get_at(row, first + 2)?,
        entity_table: get_at(row, first + 3)?,
        metadata: document.unwrap_or(serde_json::Value::Null),
        version: get_at(row, first + 5)?,
        created_at: entity::timestamp_at(row, first + 6)?,
        updated_at: entity::timestamp_at(row, first + 7)?,
        metadata_text: text.map(DocumentText::from_stored),
    }))
}

/// [`read_joined_master_at`] by the columns' names under `prefix`.
fn read_joined_master(
    row: &QueryResult,
    prefix: &str,
) -> Result<Option<metadata_master::Model>, DbErr> {
    let column = |alias: &'static str| aliased(prefix, alias);
    let Some(id) = get::<Option<Uuid>>(row, &column(M_ID))? else {
        return Ok(None);
    };
    let document = get::<Option<serde_json::Value>>(row, &column(M_METADATA))?;
    let text = get::<Option<String>>(row, &column(MASTER_TEXT))?;
    Ok(Some(metadata_master::Model {
        id,
        entity_type: get(row, &column(M_ENTITY_TYPE))?,
        entity_id: get(row, &column(M_ENTITY_ID))?,
        entity_table: get(row, &column(M_ENTITY_TABLE))?,
        metadata: document.unwrap_or(serde_json::Value::Null),
        version: get(row, &column(M_VERSION))?,
        created_at: get(row, &column(M_CREATED_AT))?,
        updated_at: get(row, &column(M_UPDATED_AT))?,
        metadata_text: text.map(DocumentText::from_stored),
    }))
}

/// Rows of one entity type by id with their master rows, in one statement; each side's
/// document is read as asked for.
pub async fn find_many_with_masters<E: CatalogEntity>(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
    documents: Documents,
    master_documents: Documents,
) -> Result<Vec<RecordWithMaster>, CatalogError> {
    let backend = db.get_database_backend();
    let shape = Shape {
        backend,
        table: E::TYPE.table(),
        documents,
        master_documents: Some(master_documents),
    };
    let statement = shapes::by_ids(shape, ids, |ids| {
        let select = records_by_id::<E>(backend, ids, documents);
        join_masters(select, backend, E::TYPE.table(), master_documents).build(backend)
    });
    let rows = Joined::<E::Model>::find_by_statement(statement)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (E::into_record(row.record), row.master))
        .collect())
}

/// `select` of rows of `table` (a registry table, never input) with each row's master
/// row joined, read as [`Joined`]; the master's document as `master_documents` says.
/// The master's columns are prefixed; a condition added afterwards must qualify its
/// columns (both tables have `id`, `metadata`, `updated_at`), as `search` conditions do.
pub fn join_masters<E: sea_orm::EntityTrait>(
    mut select: Select<E>,
    backend: DatabaseBackend,
    table: &str,
    master_documents: Documents,
) -> Select<E> {
    let masters = metadata_master::Entity.table_name();
    QueryTrait::query(&mut select).join(
        JoinType::LeftJoin,
        Alias::new(masters),
        Expr::col((Alias::new(masters), Alias::new("id")))
            .equals((Alias::new(table), Alias::new("metadata_master_id"))),
    );
    let (_, text) = document_columns(backend, masters, master_documents);
    for (name, alias) in MASTER_COLUMNS {
        let value = match (name, master_documents) {
            // Not decoded: NULL, which reads as JSON `null` without a parse.
            ("metadata", Documents::Skip | Documents::Text) => Expr::cust(null_json(backend)),
            _ => Expr::col((Alias::new(masters), Alias::new(name))),
        };
        select = select.column_as(value, alias);
    }
    select.column_as(text, MASTER_TEXT)
}

/// `alias` as read under `prefix` (rows read without one are read by position).
fn aliased(prefix: &str, alias: &'static str) -> std::borrow::Cow<'static, str> {
    match prefix.is_empty() {
        true => alias.into(),
        false => format!("{prefix}{alias}").into(),
    }
}

fn null_json(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "NULL::jsonb",
        _ => "NULL",
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{Statement, Value};

    use super::*;
    use crate::catalog::documents::masters_by_id;

    type Campaign = entity::campaign::Entity;

    /// What `shapes::by_ids` relies on: the SQL of a read by id depends on its shape only
    /// (backend, table, documents, joined master, number of ids), and its parameters are
    /// exactly the ids, in order.
    #[test]
    fn reads_by_id_depend_on_their_shape_only() {
        let modes = [Documents::Skip, Documents::Text, Documents::Read];
        let table = <Campaign as CatalogEntity>::TYPE.table();
        for backend in [DatabaseBackend::Postgres, DatabaseBackend::Sqlite] {
            for n in 1..=3 {
                let first: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
                let second: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
                for documents in modes {
                    let records = |ids: &[Uuid]| {
                        records_by_id::<Campaign>(backend, ids.to_vec(), documents).build(backend)
                    };
                    same_shape(records(&first), records(&second), &second);
                    let masters = |ids: &[Uuid]| {
                        masters_by_id(backend, ids.to_vec(), documents).build(backend)
                    };
                    same_shape(masters(&first), masters(&second), &second);
                    for master_documents in modes {
                        let joined = |ids: &[Uuid]| {
                            let select =
                                records_by_id::<Campaign>(backend, ids.to_vec(), documents);
                            join_masters(select, backend, table, master_documents).build(backend)
                        };
                        same_shape(joined(&first), joined(&second), &second);
                    }
                }
            }
        }
    }

    fn same_shape(first: Statement, second: Statement, ids: &[Uuid]) {
        assert_eq!(first.sql, second.sql);
        let expected: Vec<Value> = ids.iter().copied().map(Value::from).collect();
        assert_eq!(
            second.values.expect("parameters").0,
            expected,
            "{}",
            second.sql
        );
    }
}
