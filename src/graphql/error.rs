//! The one place where domain errors become GraphQL errors with `extensions.code`.
//! Internal causes are logged here and never sent to clients.

use async_graphql::ErrorExtensions;

use crate::catalog::CatalogError;
use crate::orchestration::OrchestrationError;
use crate::policy::{PolicyError, ViolationKind};
use crate::search::SearchError;
use crate::sync::SyncError;

/// The `extensions.code` values this subgraph sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    NotFound,
    BadUserInput,
    /// The HTTP request itself is unreadable (malformed JSON, wrong content type).
    BadRequest,
    /// The operation is over one of the [`super::QueryLimits`].
    QueryTooComplex,
    /// The document is not a valid operation of this schema.
    GraphqlValidationFailed,
    Conflict,
    /// No valid bearer token where one is needed.
    Unauthenticated,
    /// A valid token without the scope this needs.
    Forbidden,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// A GraphQL error with this code.
    pub fn error(self, message: impl Into<String>) -> async_graphql::Error {
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", self.as_str()))
    }
}

/// Converts a domain result into a GraphQL result.
pub trait IntoGraphql<T> {
    fn graphql(self) -> async_graphql::Result<T>;
}

impl<T> IntoGraphql<T> for Result<T, SyncError> {
    fn graphql(self) -> async_graphql::Result<T> {
        self.map_err(|error| sync_error(&error))
    }
}

impl<T> IntoGraphql<T> for Result<T, CatalogError> {
    fn graphql(self) -> async_graphql::Result<T> {
        self.map_err(|error| match error {
            CatalogError::NotFound { .. } => ErrorCode::NotFound.error(error.to_string()),
            CatalogError::InvalidInput(message) => ErrorCode::BadUserInput.error(message),
            CatalogError::Conflict(message) => ErrorCode::Conflict.error(message),
            CatalogError::Sync(error) => sync_error(&error),
            CatalogError::Database(error) => internal(&error),
        })
    }
}

impl<T> IntoGraphql<T> for Result<T, SearchError> {
    fn graphql(self) -> async_graphql::Result<T> {
        self.map_err(|error| search_error(&error))
    }
}

fn search_error(error: &SearchError) -> async_graphql::Error {
    match error {
        SearchError::Invalid(message) | SearchError::TooCostly(message) => {
            ErrorCode::BadUserInput.error(message.clone())
        }
        SearchError::Database(cause) => internal(cause),
    }
}

impl<T> IntoGraphql<T> for Result<T, OrchestrationError> {
    fn graphql(self) -> async_graphql::Result<T> {
        self.map_err(|error| orchestration_error(&error))
    }
}

/// The GraphQL error of a failed bulk change (also used for the failure it reports).
pub fn orchestration_error(error: &OrchestrationError) -> async_graphql::Error {
    match error {
        OrchestrationError::Search(error) => search_error(error),
        OrchestrationError::Sync(error) => sync_error(error),
    }
}

fn sync_error(error: &SyncError) -> async_graphql::Error {
    match error {
        SyncError::EntityNotFound { .. } | SyncError::MasterNotFound(_) => {
            ErrorCode::NotFound.error(error.to_string())
        }
        SyncError::UnknownEntityType(_) => internal(error),
        SyncError::InvalidMetadata(message) => ErrorCode::BadUserInput.error(message.clone()),
        SyncError::VersionConflict { .. } => ErrorCode::Conflict.error(error.to_string()),
        SyncError::Policy(error) => policy_error(error),
        SyncError::Database(cause) => internal(cause),
    }
}

/// A policy violation names every broken place in `extensions.violations`
/// (`{pointer, message, kind}`): `BAD_USER_INPUT` when the document breaks the schema,
/// `FORBIDDEN` when it only changes protected paths without their scopes.
pub fn policy_error(error: &PolicyError) -> async_graphql::Error {
    match error {
        PolicyError::Violated { violations, .. } => {
            let code = if violations.iter().any(|v| v.kind == ViolationKind::Schema) {
                ErrorCode::BadUserInput
            } else {
                ErrorCode::Forbidden
            };
            let list: Vec<async_graphql::Value> = violations
                .iter()
                .map(|v| {
                    let kind = match v.kind {
                        ViolationKind::Schema => "SCHEMA",
                        ViolationKind::ProtectedPath => "PROTECTED_PATH",
                    };
                    async_graphql::Value::from_json(serde_json::json!({
                        "pointer": v.pointer, "message": v.message, "kind": kind,
                    }))
                    .unwrap_or_default()
                })
                .collect();
            code.error(error.to_string())
                .extend_with(|_, ext| ext.set("violations", list.clone()))
        }
        PolicyError::Invalid(message) => ErrorCode::BadUserInput.error(message.clone()),
        PolicyError::Conflict(_) => ErrorCode::Conflict.error(error.to_string()),
        PolicyError::Database(cause) => internal(cause),
    }
}

/// Logs the cause and answers with a generic message.
pub fn internal(cause: &dyn std::fmt::Display) -> async_graphql::Error {
    tracing::error!(%cause, "internal error while resolving a GraphQL request");
    ErrorCode::Internal.error("internal error")
}
