//! metadata-synergy: a GraphQL Federation v2 subgraph that keeps each domain entity's
//! `metadata` and the canonical `_metadata_master` row in two-way sync.

pub mod db;
pub mod sync;
pub mod catalog;
