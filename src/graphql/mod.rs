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
mod parsed;
mod persisted;
mod policy;
mod prefetch;
mod query;
pub mod raw_json;
mod subscription;
mod types;

use std::num::NonZeroUsize;

use crate::db::Autocommit;
use async_graphql::{Request, SDLExportOptions, Schema, ServerResult};

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
const PERSISTED_QUERIES: NonZeroUsize = NonZeroUsize::new(1024).unwrap();

/// The executable schema of the subgraph.
pub type Executable = Schema<Query, Mutation, Subscription>;

/// The subgraph's schema, and what every request goes through before it executes.
///
/// The schema is built twice: without extensions, and with inline tracing (ftv1) for the
/// requests a gateway asked to trace. async-graphql resolves each field directly only when
/// a schema has no extension at all (any extension wraps every field's resolution in a
/// boxed future of its own), so the checks that were extensions — the operation limits,
/// automatic persisted queries, the GET rule, error codes — run around execution instead
/// ([`AppSchema::prepare`], [`execute`]).
#[derive(Clone)]
pub struct AppSchema {
    plain: Executable,
    traced: Executable,
    limits: QueryLimits,
    persisted: persisted::PersistedQueries,
    parsed: parsed::ParsedQueries,
}

impl AppSchema {
    /// The schema that runs `request`.
    fn for_request(&self, request: &Request) -> &Executable {
        match request_data::<ftv1::IncludeTrace>(request) {
            Some(_) => &self.traced,
            None => &self.plain,
        }
    }

    /// In order: the text limits (before anything parses the text), automatic persisted
    /// queries, the document limits (the document is parsed once, here, and handed on),
    /// and over GET the queries-only rule. A refused request answers with the error.
    fn prepare(&self, request: Request) -> ServerResult<Request> {
        limits::check_text(&self.limits, &request.query)?;
        let mut request = self.persisted.resolve(request)?;
        let reused = self.parsed.reuse(&mut request);
        let parsed = limits::check(&self.limits, &mut request)?;
        if parsed && !reused {
            self.parsed.remember(&mut request);
        }
        get_guard::queries_only_over_get(&mut request)?;
        Ok(request)
    }
}

/// The request data of type `T` that the HTTP handler attached, if any.
fn request_data<T: std::any::Any + Send + Sync>(request: &Request) -> Option<&T> {
    request
        .data
        .get(&std::any::TypeId::of::<T>())
        .and_then(|data| data.downcast_ref::<T>())
}

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
/// prepares them and adds the per-request loaders.
pub fn build_schema(db: Autocommit, broadcaster: Broadcaster, limits: ApiLimits) -> AppSchema {
    let types_with_policy = crate::sync::TypesWithPolicy::default();
    let builder = || {
        Schema::build(Query::default(), Mutation::default(), Subscription)
            .enable_federation()
            .enable_subscription_in_federation()
            .data(db.pool().clone())
            .data(db.clone())
            .data(types_with_policy.clone())
            .data(broadcaster.clone())
            .data(limits.documents)
            .data(limits.search_timeout)
    };
    AppSchema {
        plain: builder().finish(),
        traced: builder().extension(ftv1::InlineTracing).finish(),
        limits: limits.query,
        persisted: persisted::PersistedQueries::new(PERSISTED_QUERIES),
        parsed: parsed::ParsedQueries::default(),
    }
}

/// The federation SDL, exactly as `_service { sdl }` returns it (and `schema.graphql` holds).
pub fn federation_sdl(schema: &AppSchema) -> String {
    schema
        .plain
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}
