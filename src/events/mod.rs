//! Entity events: the audit history recorded by the `_metadata_events` triggers on every
//! write path, and what is read from it.

mod history;
pub mod json_patch;

pub use history::{HistoryEntry, document_at, history_page};
