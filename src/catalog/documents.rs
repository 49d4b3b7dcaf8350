//! How a read fetches metadata documents: decoded, as text, or not at all. A selection
//! that only answers whole documents gets their stored JSON text, copied into the
//! response as it is; only fields that look inside a document have it decoded.

use entity::{DocumentText, HasDocumentText, ReadAt, metadata_master};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityName, EntityTrait, FromQueryResult,
    IdenStatic, Iterable, QueryFilter, QueryResult, QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use super::CatalogError;

/// How rows are read with their metadata documents, from reading least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Documents {
    /// Not at all: the document reads as JSON `null` (neither sent nor decoded).
    Skip,
    /// As its JSON text only ([`DocumentText`]); the decoded document reads as `null`.
    Text,
    /// Decoded, for fields that look inside it.
    Read,
}

/// The column (alias) a document's text is read into.
pub const DOCUMENT_TEXT: &str = "metadata_text";

/// What to select for the `metadata` column of `table` and for its text
/// ([`DOCUMENT_TEXT`]) when reading `documents`. `table` is the master table or a
/// registry table name (the allow-list), never input.
pub fn document_columns(
    backend: DatabaseBackend,
    table: &str,
    documents: Documents,
) -> (SimpleExpr, SimpleExpr) {
    let column = Expr::col((Alias::new(table), Alias::new("metadata")));
    let no_text = Expr::cust(match backend {
        DatabaseBackend::Postgres => "NULL::text",
        _ => "NULL",
    });
    match documents {
        Documents::Read => (column, no_text),
        Documents::Skip => (Expr::cust(null_document(backend)), no_text),
        Documents::Text => {
            let text = match backend {
                DatabaseBackend::Postgres => column.cast_as(Alias::new("text")),
                // `json()` answers the stored text minified.
                _ => Func::cust(Alias::new("json")).arg(column).into(),
            };
            (Expr::cust(null_document(backend)), text)
        }
    }
}

/// `select` of every column of `E` (whose document column is `metadata`, in `table`)
/// reading the document as `documents` says, plus [`DOCUMENT_TEXT`] for [`WithText`].
pub fn select_documents<E: EntityTrait>(
    mut select: Select<E>,
    backend: DatabaseBackend,
    table: &str,
    documents: Documents,
) -> Select<E> {
    let (document, text) = document_columns(backend, table, documents);
    if documents != Documents::Read {
        select = select.select_only();
        for column in E::Column::iter() {
            select = match column.as_str() {
                "metadata" => select.column_as(document.clone(), "metadata"),
                _ => select.column(column),
            };
        }
    }
    select.column_as(text, DOCUMENT_TEXT)
}

/// A document read as JSON `null` (neither sent nor decoded).
pub fn null_document(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "'null'::jsonb",
        _ => "'null'",
    }
}

/// Reads a model and the text of its document from a row selected by [`select_documents`]
/// (then perhaps [`super::join_masters`] and more columns): unprefixed, the model's columns
/// come first, in [`ReadAt`]'s order, and the text right after them.
pub fn read_with_text<M: FromQueryResult + HasDocumentText + ReadAt>(
    row: &QueryResult,
    prefix: &str,
) -> Result<M, DbErr> {
    let (mut model, text) = match prefix.is_empty() {
        true => {
            let text_at = M::COLUMN_NAMES.len();
            super::columns::expect_name(row, text_at, DOCUMENT_TEXT)?;
            debug_assert!(
                entity::layout_matches::<M>(row, 0, ""),
                "{:?} are not {:?}",
                row.column_names(),
                M::COLUMN_NAMES
            );
            let text: Option<String> = super::columns::get_at(row, text_at)?;
            (M::read_at(row, 0)?, text)
        }
        false => (
            M::from_query_result(row, prefix)?,
            row.try_get(prefix, DOCUMENT_TEXT)?,
        ),
    };
    model.set_document_text(text.map(DocumentText::from_stored));
    Ok(model)
}

/// A model read with [`read_with_text`].
pub struct WithText<M>(pub M);

impl<M: FromQueryResult + HasDocumentText + ReadAt> FromQueryResult for WithText<M> {
    fn from_query_result(row: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        read_with_text(row, prefix).map(WithText)
    }
}

/// The select of master rows by id, with their documents as `documents` says.
pub(super) fn masters_by_id(
    backend: DatabaseBackend,
    ids: Vec<Uuid>,
    documents: Documents,
) -> Select<metadata_master::Entity> {
    let select = metadata_master::Entity::find().filter(metadata_master::Column::Id.is_in(ids));
    let table = EntityName::table_name(&metadata_master::Entity);
    select_documents(select, backend, table, documents)
}

/// Master rows by id, in one statement, with their documents as `documents` says.
pub async fn find_masters(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
    documents: Documents,
) -> Result<Vec<metadata_master::Model>, CatalogError> {
    let backend = db.get_database_backend();
    let table = EntityName::table_name(&metadata_master::Entity);
    let shape = super::shapes::Shape {
        backend,
        table,
        documents,
        master_documents: None,
    };
    let statement = super::shapes::by_ids(shape, ids, |ids| {
        masters_by_id(backend, ids, documents).build(backend)
    });
    let rows = WithText::<metadata_master::Model>::find_by_statement(statement)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|WithText(master)| master).collect())
}
