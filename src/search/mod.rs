//! Finding entities and master rows by their metadata.
//!
//! A [`MetadataFilter`] (containment, keys and paths, values at a path, update times,
//! and/or/not) and an [`Order`] become one parameterised SQL condition and one keyset
//! order: PostgreSQL uses `@>` and `#>` (the GIN `jsonb_path_ops` indexes of migration
//! m0013 serve `contains`), SQLite walks the documents with `json_each` to the same
//! semantics. Input never becomes SQL text: JSON values, keys and paths are bound
//! parameters, and the only identifiers are the registry's table names.

mod bounded;
mod error;
mod filter;
mod matching;
mod order;
mod page;
mod postgres;
mod sql;
mod sqlite;

pub use bounded::SearchTimeout;
pub use error::SearchError;
pub use filter::{MAX_FILTER_NESTING, MAX_FILTER_TERMS, MetadataFilter};
pub use matching::{count_entities, lock_if_matching, matching_ids};
pub use order::{Direction, Order, OrderField, Position};
pub use page::{Keyed, PageQuery, entities, entities_with_masters, masters};
