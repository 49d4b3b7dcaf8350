//! metadata-synergy: a GraphQL Federation v2 subgraph that keeps each domain entity's
//! `metadata` and the canonical `_metadata_master` row in two-way sync.
//!
//! `sync` and `catalog` are the domain; `graphql` is a thin adapter over them; `server`
//! is the HTTP surface; `main.rs` only wires configuration and tracing.

pub mod auth;
pub mod catalog;
pub mod config;
pub mod db;
pub mod entity_types;
pub mod events;
pub mod graphql;
pub mod localization;
pub mod maintenance;
pub mod observability;
pub mod orchestration;
pub mod policy;
pub mod runtime;
pub mod search;
pub mod server;
pub mod sync;
