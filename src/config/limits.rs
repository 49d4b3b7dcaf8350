//! Flags for every limit on what clients may send; the defaults are the safe ones
//! documented in README.

use std::time::Duration;

use clap::Args;

use crate::graphql::{ApiLimits, QueryLimits};
use crate::server::WsLimits;
use crate::sync::{DATABASE_MAX_DEPTH, DocumentLimits};

#[derive(Clone, Debug, Args)]
pub struct LimitArgs {
    /// Lexical tokens one query text may have.
    #[arg(long, env = "MAX_QUERY_TOKENS", default_value_t = QueryLimits::default().max_tokens, global = true)]
    pub max_query_tokens: usize,
    /// How deeply `{`, `[` and `(` may nest in a query text.
    #[arg(long, env = "MAX_QUERY_NESTING", default_value_t = QueryLimits::default().max_nesting, global = true)]
    pub max_query_nesting: usize,
    /// How deeply fields may nest in an operation.
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = QueryLimits::default().max_depth, global = true)]
    pub max_query_depth: usize,
    /// Field selections of an operation, counting every fragment spread.
    #[arg(long, env = "MAX_QUERY_FIELDS", default_value_t = QueryLimits::default().max_fields, global = true)]
    pub max_query_fields: usize,
    /// Aliased fields of an operation, counting every fragment spread.
    #[arg(long, env = "MAX_QUERY_ALIASES", default_value_t = QueryLimits::default().max_aliases, global = true)]
    pub max_query_aliases: usize,
    /// Top-level fields of an operation.
    #[arg(long, env = "MAX_ROOT_FIELDS", default_value_t = QueryLimits::default().max_root_fields, global = true)]
    pub max_root_fields: usize,
    /// Representations one operation may give `_entities`.
    #[arg(long, env = "MAX_REPRESENTATIONS", default_value_t = QueryLimits::default().max_representations, global = true)]
    pub max_representations: usize,
    /// Serialized size of a metadata document (or patch) a client writes, in bytes.
    #[arg(long, env = "MAX_DOCUMENT_BYTES", default_value_t = DocumentLimits::default().max_bytes, global = true)]
    pub max_document_bytes: usize,
    /// Nesting of a metadata document a client writes (the database refuses more than 100).
    #[arg(long, env = "MAX_DOCUMENT_DEPTH", default_value_t = DocumentLimits::default().max_depth, global = true)]
    pub max_document_depth: usize,
    /// Milliseconds one read by a metadata filter (a filtered page, a dry run's count) may
    /// run on PostgreSQL before it is stopped and answered as BAD_USER_INPUT; 0: no limit.
    #[arg(long, env = "SEARCH_TIMEOUT_MS", default_value_t = 5000, global = true)]
    pub search_timeout_ms: u64,
    /// Open WebSocket connections per process.
    #[arg(long, env = "WS_MAX_CONNECTIONS", default_value_t = WsLimits::default().max_sockets, global = true)]
    pub ws_max_connections: usize,
    /// Operations running at once on one WebSocket connection.
    #[arg(long, env = "WS_MAX_SUBSCRIPTIONS", default_value_t = WsLimits::default().max_subscriptions, global = true)]
    pub ws_max_subscriptions: usize,
    /// Seconds a WebSocket connection may wait before `connection_init`.
    #[arg(long, env = "WS_INIT_TIMEOUT_SECS", default_value_t = WsLimits::default().init_timeout.as_secs(), global = true)]
    pub ws_init_timeout_secs: u64,
}

impl LimitArgs {
    pub fn api_limits(&self) -> Result<ApiLimits, String> {
        if self.max_document_depth > DATABASE_MAX_DEPTH {
            return Err(format!(
                "--max-document-depth may be at most {DATABASE_MAX_DEPTH} (the database's own limit)"
            ));
        }
        Ok(ApiLimits {
            query: QueryLimits {
                max_tokens: self.max_query_tokens,
                max_nesting: self.max_query_nesting,
                max_depth: self.max_query_depth,
                max_fields: self.max_query_fields,
                max_aliases: self.max_query_aliases,
                max_root_fields: self.max_root_fields,
                max_representations: self.max_representations,
            },
            documents: DocumentLimits {
                max_bytes: self.max_document_bytes,
                max_depth: self.max_document_depth,
            },
            search_timeout: crate::search::SearchTimeout(Duration::from_millis(
                self.search_timeout_ms,
            )),
        })
    }

    pub fn ws_limits(&self) -> WsLimits {
        WsLimits {
            max_sockets: self.ws_max_connections,
            max_subscriptions: self.ws_max_subscriptions,
            init_timeout: Duration::from_secs(self.ws_init_timeout_secs.max(1)),
        }
    }
}
