//! Limits on what one operation may ask for, checked before validation and execution in
//! time linear in the request: a request over a limit is refused with
//! `extensions.code = QUERY_TOO_COMPLEX` and costs the server next to nothing.
//!
//! Order: the query text is scanned (tokens, bracket nesting) before it is parsed; the
//! parsed document is then measured with every fragment measured once
//! ([`measure::measure_document`]), so fragments that spread each other exponentially
//! often cannot make the check itself expensive. The parsed document is handed on, so the
//! query is parsed once.

mod lexer;
mod measure;
mod nul;

use async_graphql::{ErrorExtensionValues, Request, ServerError, ServerResult, Value};

use super::ErrorCode;

/// What one GraphQL operation may ask for. Defaults follow Apollo Router's where it has
/// one (tokens, parser recursion); the rest are generous for this schema's real queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// Lexical tokens of the query text (Apollo Router: 15,000).
    pub max_tokens: usize,
    /// Nesting of `{`, `[` and `(` in the query text (Apollo Router: 500).
    pub max_nesting: usize,
    /// Nested fields (a page of campaigns with their masters' history is 8 deep).
    pub max_depth: usize,
    /// Field selections after expanding every fragment; repeated fields count each time.
    pub max_fields: usize,
    /// Aliased fields after expanding every fragment.
    pub max_aliases: usize,
    /// Top-level fields of an operation.
    pub max_root_fields: usize,
    /// Representations given to `_entities` in one operation.
    pub max_representations: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_tokens: 15_000,
            max_nesting: 500,
            max_depth: 15,
            max_fields: 1_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_representations: 1_000,
        }
    }
}

/// True when `text` is within the token and nesting limits (what makes parsing it safe).
pub fn within_text_limits(text: &str, limits: &QueryLimits) -> bool {
    let shape = lexer::scan(text, limits.max_tokens, limits.max_nesting);
    shape.tokens <= limits.max_tokens && shape.nesting <= limits.max_nesting
}

/// Checks the document of `request` (its text was checked before) against `limits` and,
/// when it passes, stores it parsed. `Ok(false)`: the text does not parse (the executor
/// reports that the usual way).
pub(super) fn check(limits: &QueryLimits, request: &mut Request) -> ServerResult<bool> {
    let variables = std::mem::take(&mut request.variables);
    let outcome = check_document(limits, request, &variables);
    request.variables = variables;
    outcome
}

/// The token and nesting limits of a query text, checked before anything parses it.
pub(super) fn check_text(limits: &QueryLimits, query: &str) -> ServerResult<()> {
    let text = lexer::scan(query, limits.max_tokens, limits.max_nesting);
    if text.tokens > limits.max_tokens {
        return Err(too_complex(format!(
            "the query has more than {} tokens",
            limits.max_tokens
        )));
    }
    if text.nesting > limits.max_nesting {
        return Err(too_complex(format!(
            "the query nests brackets more than {} deep",
            limits.max_nesting
        )));
    }
    Ok(())
}

/// The checks of the parsed document (parsed here once, and kept in `request`).
fn check_document(
    limits: &QueryLimits,
    request: &mut Request,
    variables: &async_graphql::Variables,
) -> ServerResult<bool> {
    // A syntax error is left for the parser to report the usual way.
    let Ok(document) = request.parsed_query() else {
        return Ok(false);
    };
    if nul::contains_nul(document, variables) {
        return Err(refusal(
            ErrorCode::BadUserInput,
            "text must not contain NUL (\\u0000) characters".into(),
        ));
    }
    let measure = measure::measure_document(document, variables).map_err(|error| match error {
        measure::MeasureError::FragmentCycle(name) => refusal(
            ErrorCode::GraphqlValidationFailed,
            format!("fragment {name} spreads itself"),
        ),
        measure::MeasureError::SpreadsTooDeep => too_complex(format!(
            "fragments spread each other more than {} deep",
            measure::MAX_SPREAD_DEPTH
        )),
    })?;
    let checks = [
        (measure.depth, limits.max_depth, "fields nested deeper than"),
        (measure.fields, limits.max_fields, "more fields than"),
        (measure.aliases, limits.max_aliases, "more aliases than"),
        (
            measure.top_fields,
            limits.max_root_fields,
            "more root fields than",
        ),
        (
            measure.representations,
            limits.max_representations,
            "more _entities representations than",
        ),
    ];
    for (actual, limit, what) in checks {
        if actual > limit {
            return Err(too_complex(format!(
                "the operation has {what} {limit} (counting every fragment spread)"
            )));
        }
    }
    Ok(true)
}

fn too_complex(message: String) -> ServerError {
    refusal(ErrorCode::QueryTooComplex, message)
}

fn refusal(code: ErrorCode, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", Value::from(code.as_str()));
    error.extensions = Some(extensions);
    error
}
