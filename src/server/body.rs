//! The body of a GraphQL POST: read whole (within the body limit) and parsed as one
//! operation straight from its bytes. (async-graphql's extractor parses a batch-or-single
//! enum, which makes serde buffer the whole JSON as an intermediate tree first, and copies
//! the body through a reader.)

use async_graphql::ParseRequestError;

use super::Rejection;

/// The operation a POST carries; a batch (a JSON array) is refused.
pub async fn graphql_request(
    request: axum::extract::Request,
    max_bytes: usize,
) -> Result<async_graphql::Request, Rejection> {
    // The body limit layer caps what this reads too; both errors say "length limit exceeded".
    let body = axum::body::to_bytes(request.into_body(), max_bytes)
        .await
        .map_err(|error| ParseRequestError::Io(std::io::Error::other(error.to_string())))?;
    Ok(parse(&body)?)
}

fn parse(body: &[u8]) -> Result<async_graphql::Request, ParseRequestError> {
    // JSON's whitespace: space, tab, line feed, carriage return.
    let first = body
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    if first == Some(&b'[') {
        return Err(ParseRequestError::UnsupportedBatch);
    }
    serde_json::from_slice(body).map_err(|error| ParseRequestError::InvalidRequest(Box::new(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_operation_is_read_with_its_variables_name_and_extensions() {
        let body = br#" {"query": "query Q($n: Int) { a }", "operationName": "Q",
            "variables": {"n": 12345678901234, "s": "\u00e9\"", "f": 1.5, "l": [null, {"x": true}]},
            "extensions": {"persistedQuery": {"version": 1}}} "#;
        let request = parse(body).expect("a request");
        assert_eq!(request.query, "query Q($n: Int) { a }");
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        let variables = serde_json::to_value(&request.variables).unwrap();
        assert_eq!(
            variables,
            serde_json::json!({"n": 12345678901234_i64, "s": "é\"", "f": 1.5, "l": [null, {"x": true}]})
        );
        assert!(request.extensions.contains_key("persistedQuery"));
    }

    #[test]
    fn batches_and_bodies_that_are_not_one_operation_are_refused() {
        assert!(matches!(
            parse(b" \n[{\"query\": \"{ a }\"}]"),
            Err(ParseRequestError::UnsupportedBatch)
        ));
        for body in [
            &b""[..],
            b"{",
            b"42",
            b"{\"query\": 1}",
            b"{\"variables\": 7}",
        ] {
            assert!(
                matches!(parse(body), Err(ParseRequestError::InvalidRequest(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
