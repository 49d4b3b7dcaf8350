//! The domain entities: their own columns, created, changed and deleted with their
//! metadata going through [`crate::sync`]. Generic over the entity types declared in
//! [`crate::entity_types`].

mod attached;
mod columns;
mod documents;
mod error;
mod record;
mod shapes;
mod with_master;

pub use crate::entity_types::{Record, find_records, find_records_with_masters};
pub use attached::{AttachedRow, find_attached, find_attached_with_masters};
pub use documents::{
    DOCUMENT_TEXT, Documents, WithText, document_columns, find_masters, null_document,
    read_with_text, select_documents,
};
pub use error::CatalogError;
pub use record::{
    CatalogEntity, NewRow, OwnColumns, create, delete, find, find_many, require_text, update,
};
pub use with_master::{Joined, RecordWithMaster, find_many_with_masters, join_masters};
