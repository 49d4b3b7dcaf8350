//! Entity rows together with their master rows, in one statement: for a selection that
//! reads an entity and its `metadataMaster`, one round trip instead of two in a row.

use entity::{HasDocumentText, metadata_master};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, EntityName, FromQueryResult, Iterable, QueryResult,
    QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use super::documents::{DOCUMENT_TEXT, Documents, document_columns, read_with_text};
use super::record::{CatalogEntity, records_by_id};
use super::{CatalogError, Record};

/// Prefix of the master's columns in the joined row.
const MASTER: &str = "m_";

/// An entity row and its master row (`None` only when the pair drifted apart).
pub type RecordWithMaster = (Record, Option<metadata_master::Model>);

/// A row read with [`join_masters`]: the entity's columns and its master's.
pub struct Joined<M> {
    pub record: M,
    pub master: Option<metadata_master::Model>,
}

impl<M: FromQueryResult + HasDocumentText> FromQueryResult for Joined<M> {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        // Rows are read without a prefix: no string is built per row then.
        let master_prefix = if prefix.is_empty() {
            std::borrow::Cow::Borrowed(MASTER)
        } else {
            std::borrow::Cow::Owned(format!("{prefix}{MASTER}"))
        };
        let master_id: Option<Uuid> = row.try_get(&master_prefix, "id")?;
        Ok(Joined {
            record: read_with_text(row, prefix)?,
            master: match master_id {
                Some(_) => Some(read_with_text(row, &master_prefix)?),
                None => None,
            },
        })
    }
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
    let select = records_by_id::<E>(backend, ids, documents);
    let select = join_masters(select, backend, E::TYPE.table(), master_documents);
    let rows = select.into_model::<Joined<E::Model>>().all(db).await?;
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
    let (document, text) = document_columns(backend, masters, master_documents);
    for column in metadata_master::Column::iter() {
        let name = sea_orm::IdenStatic::as_str(&column);
        let value = match name {
            "metadata" => document.clone(),
            _ => Expr::col((Alias::new(masters), Alias::new(name))),
        };
        select = select.column_as(value, format!("{MASTER}{name}"));
    }
    select.column_as(text, format!("{MASTER}{DOCUMENT_TEXT}"))
}
