//! Gives errors raised by async-graphql itself (argument coercion, `_entities`
//! representations, validation) an `extensions.code` too.

use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};

use super::ErrorCode;

/// Gives every error of `response` without a code one (HTTP: [`super::execute`]; WebSocket:
/// the connection, per response).
pub fn add_codes(response: &mut Response) {
    for error in &mut response.errors {
        add_code(error);
        crate::observability::record_error_code(code_label(error));
    }
}

/// The error's code as one of a fixed set of labels.
fn code_label(error: &ServerError) -> &'static str {
    let code = match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(Value::String(code)) => code.as_str(),
        _ => return "OTHER",
    };
    const CODES: &[&str] = &[
        "NOT_FOUND",
        "BAD_USER_INPUT",
        "BAD_REQUEST",
        "QUERY_TOO_COMPLEX",
        "GRAPHQL_VALIDATION_FAILED",
        "CONFLICT",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "INTERNAL",
        "PERSISTED_QUERY_NOT_FOUND",
    ];
    CODES
        .iter()
        .find(|known| **known == code)
        .copied()
        .unwrap_or("OTHER")
}

fn add_code(error: &mut ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let code = if error.message == "PersistedQueryNotFound" {
        // What Apollo clients look for before they resend the full query.
        "PERSISTED_QUERY_NOT_FOUND"
    } else if error.message == "Entity not found." {
        error.message = "a representation matches no @key of its type (check __typename and the key fields and their formats)".into();
        ErrorCode::BadUserInput.as_str()
    } else if error.path.is_empty() && !is_input_error(&error.message) {
        "GRAPHQL_VALIDATION_FAILED"
    } else {
        ErrorCode::BadUserInput.as_str()
    };
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", Value::from(code));
}

fn is_input_error(message: &str) -> bool {
    [
        "Failed to parse",
        "Invalid value for argument",
        "Invalid value for variable",
    ]
    .iter()
    .any(|prefix| message.contains(prefix))
}
