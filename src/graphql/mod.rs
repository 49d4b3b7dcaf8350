//! The GraphQL adapter: a thin layer of types, loaders and resolvers over the
//! [`crate::sync`] and [`crate::catalog`] domains.

mod batching;
mod entity_resolvers;
mod error;
mod error_codes;
pub mod ftv1;
mod get_guard;
mod http_get;
pub(crate) mod limits;
mod loaders;
mod mutation;
mod orchestration;
mod pagination;
mod policy;
mod prefetch;
mod query;
pub mod raw_json;
mod subscription;
mod types;

use async_graphql::extensions::apollo_persisted_queries::{
    ApolloPersistedQueries, LruCacheStorage,
};
use async_graphql::{SDLExportOptions, Schema};
use sea_orm::DatabaseConnection;

use crate::events::Broadcaster;
use crate::sync::DocumentLimits;

pub use batching::{execute, execute_stream};
pub use entity_resolvers::{create_entity, delete_entity, entity_page, update_entity};
pub use error::ErrorCode;
pub use error_codes::add_codes as add_error_codes;
pub use get_guard::ViaHttpGet;
pub use http_get::changes_data;
pub use limits::QueryLimits;
pub use loaders::{load_master, load_master_for_selection, load_record, load_record_for_selection};
pub use mutation::Mutation;
pub use pagination::PageCursor;
pub use query::Query;
pub use subscription::Subscription;
pub use types::{
    AttachedEntity, EntityTypeName, MetadataFilter, MetadataMaster, MetadataOrder,
    TranslationStatus, status_of, translations_of,
};

/// Who sent the request (the token's subject, or a trusted `x-actor`), recorded with the events of its writes.
#[derive(Clone, Debug, Default)]
pub struct RequestActor(pub Option<String>);

/// Automatic persisted queries remembered per process (least recently used go first).
const PERSISTED_QUERIES: usize = 1024;

/// The executable schema of the subgraph.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// What clients may send: operations (checked before validation and execution) and the
/// metadata documents they write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApiLimits {
    pub query: QueryLimits,
    pub documents: DocumentLimits,
    /// How long a read by a metadata filter may run (PostgreSQL).
    pub search_timeout: crate::search::SearchTimeout,
}

/// Builds the schema with federation v2 enabled. Run requests through [`execute`], which
/// adds the per-request loaders.
pub fn build_schema(
    db: DatabaseConnection,
    broadcaster: Broadcaster,
    limits: ApiLimits,
) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .enable_federation()
        .enable_subscription_in_federation()
        .extension(error_codes::ErrorCodes)
        .extension(ftv1::InlineTracing)
        .extension(limits::LimitsExtension(limits.query))
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(
            PERSISTED_QUERIES,
        )))
        .extension(get_guard::QueriesOnlyOverGet)
        .data(db)
        .data(broadcaster)
        .data(limits.documents)
        .data(limits.search_timeout)
        .finish()
}

/// The federation SDL, exactly as `_service { sdl }` returns it (and `schema.graphql` holds).
pub fn federation_sdl(schema: &AppSchema) -> String {
    schema.sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}
