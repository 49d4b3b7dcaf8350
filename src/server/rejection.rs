//! Requests that never reach GraphQL (unreadable bodies, wrong content types, batches,
//! bodies over the limit) get a GraphQL-shaped JSON error with `extensions.code`, never
//! the parser's debug text.

use async_graphql::ParseRequestError;
use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request could not be read as a GraphQL request.
pub struct Rejection {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Rejection {
    /// A POST whose content type is not JSON: 400, as Apollo Server's CSRF prevention
    /// answers (browsers send `text/plain`, form and multipart bodies cross-site without a
    /// preflight; a JSON content type needs one).
    pub fn not_json() -> Self {
        Rejection {
            status: StatusCode::BAD_REQUEST,
            code: "BAD_REQUEST",
            message: "send GraphQL requests as `content-type: application/json`".into(),
        }
    }
}

impl Rejection {
    /// A presented token that is not valid (401, `UNAUTHENTICATED`).
    pub fn unauthenticated(error: &crate::auth::AuthError) -> Self {
        Rejection {
            status: StatusCode::UNAUTHORIZED,
            code: "UNAUTHENTICATED",
            message: error.to_string(),
        }
    }

    /// A GET operation without a header that proves it is not a cross-site simple request.
    pub fn missing_preflight_header() -> Self {
        Rejection {
            status: StatusCode::BAD_REQUEST,
            code: "BAD_REQUEST",
            message: "GET operations need a non-empty `apollo-require-preflight` or \
                      `x-apollo-operation-name` header (CSRF prevention)"
                .into(),
        }
    }
}

impl From<ParseRequestError> for Rejection {
    fn from(error: ParseRequestError) -> Self {
        let (status, message) = match &error {
            ParseRequestError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is over the size limit".to_owned(),
            ),
            ParseRequestError::Io(io) if io.to_string().contains("length limit exceeded") => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is over the size limit".to_owned(),
            ),
            ParseRequestError::InvalidRequest(cause)
                if cause.to_string().contains("recursion limit exceeded") =>
            {
                return Rejection {
                    status: StatusCode::BAD_REQUEST,
                    code: "BAD_USER_INPUT",
                    message: "JSON in the request is nested deeper than 127 levels; metadata \
                              documents may be nested at most MAX_DOCUMENT_DEPTH levels \
                              (32 by default)"
                        .into(),
                };
            }
            ParseRequestError::InvalidRequest(cause) => (
                StatusCode::BAD_REQUEST,
                format!("the request is not a valid GraphQL request: {cause}"),
            ),
            ParseRequestError::UnsupportedBatch => (
                StatusCode::BAD_REQUEST,
                "batched requests are not supported: send one operation per request".to_owned(),
            ),
            other => {
                tracing::info!(error = %other, "unreadable GraphQL request");
                (
                    StatusCode::BAD_REQUEST,
                    "the request body could not be read as a GraphQL request".to_owned(),
                )
            }
        };
        Rejection {
            status,
            code: "BAD_REQUEST",
            message,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = json!({ "errors": [{
            "message": self.message,
            "extensions": { "code": self.code }
        }] });
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// True when the POST body is declared as JSON (`application/json`, optionally with
/// parameters, or a `+json` type).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json"))
}
