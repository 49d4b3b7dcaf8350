//! The GraphQL adapter: a thin layer of types, loaders and resolvers over the
//! [`crate::sync`] and [`crate::catalog`] domains.

mod batching;
mod entity_resolvers;
mod error;
mod error_codes;
mod fast_validation;
pub mod ftv1;
mod get_guard;
mod http_get;
pub(crate) mod limits;
mod loader_key;
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
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, SDLExportOptions, Schema, ServerResult, ValidationMode, Variables};

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
/// ([`AppSchema::prepare`], [`execute`]). A third build validates in async-graphql's fast
/// mode, for operations that passed strict validation before ([`fast_validation`]).
#[derive(Clone)]
pub struct AppSchema {
    plain: Executable,
    traced: Executable,
    fast: Executable,
    limits: QueryLimits,
    persisted: persisted::PersistedQueries,
    parsed: parsed::ParsedQueries,
}

/// A request that passed [`AppSchema::prepare`], and how it is validated.
struct Prepared {
    request: Request,
    validation: Validation,
}

enum Validation {
    /// Its operation passed strict validation before and its variables' values need no
    /// check: fast mode.
    Fast,
    /// Strict. `remember`: the text and operation name to mark as validated when the
    /// answer has no error.
    Strict {
        remember: Option<(String, Option<String>)>,
    },
}

impl AppSchema {
    /// The schema that runs `prepared`.
    fn for_request(&self, prepared: &Prepared) -> &Executable {
        if request_data::<ftv1::IncludeTrace>(&prepared.request).is_some() {
            return &self.traced;
        }
        match prepared.validation {
            Validation::Fast => &self.fast,
            Validation::Strict { .. } => &self.plain,
        }
    }

    /// In order: the text limits (before anything parses the text), automatic persisted
    /// queries, the document limits (the document is parsed once, here, and handed on),
    /// and over GET the queries-only rule. A refused request answers with the error. Then
    /// how the request is validated: fast when its operation was validated before and its
    /// variables allow it ([`fast_validation`]), strictly otherwise.
    fn prepare(&self, request: Request) -> ServerResult<Prepared> {
        limits::check_text(&self.limits, &request.query)?;
        let mut request = self.persisted.resolve(request)?;
        let known = self.parsed.reuse(&mut request);
        let parsed = limits::check(&self.limits, &mut request)?;
        if parsed && known == parsed::Known::Nothing {
            self.parsed.remember(&mut request);
        }
        get_guard::queries_only_over_get(&mut request)?;
        let validation = match known {
            parsed::Known::Validated
                if with_document(&mut request, fast_validation::values_need_no_check) =>
            {
                Validation::Fast
            }
            parsed::Known::Validated => Validation::Strict { remember: None },
            _ => Validation::Strict {
                remember: (parsed
                    && parsed::cacheable(&request.query)
                    && with_document(&mut request, fast_validation::every_variable_given))
                .then(|| (request.query.clone(), request.operation_name.clone())),
            },
        };
        Ok(Prepared {
            request,
            validation,
        })
    }

    /// Records that `prepared`'s operation passed strict validation, if it was validated
    /// strictly and `answered_without_error`.
    fn remember_validation(&self, validation: Validation, answered_without_error: bool) {
        let Validation::Strict {
            remember: Some((text, operation)),
        } = validation
        else {
            return;
        };
        if answered_without_error {
            self.parsed.mark_validated(&text, operation.as_deref());
        }
    }
}

/// `check` of the request's parsed document, operation name and variables; false when its
/// text does not parse.
fn with_document(
    request: &mut Request,
    check: impl FnOnce(&ExecutableDocument, Option<&str>, &Variables) -> bool,
) -> bool {
    let variables = std::mem::take(&mut request.variables);
    let operation_name = request.operation_name.take();
    let outcome = request
        .parsed_query()
        .is_ok_and(|document| check(document, operation_name.as_deref(), &variables));
    request.variables = variables;
    request.operation_name = operation_name;
    outcome
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
        fast: builder().validation_mode(ValidationMode::Fast).finish(),
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
