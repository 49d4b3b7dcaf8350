//! GraphQL over GET runs queries only. Requests whose text is known are checked in the HTTP
//! handler (405); this check also catches automatic persisted queries sent by hash only,
//! whose text is known only once the persisted-query cache has resolved it.

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, ServerError, ServerResult};

use super::ErrorCode;

/// Request data marking a request that came with HTTP GET.
#[derive(Clone, Copy, Debug)]
pub struct ViaHttpGet;

/// Refuses a GET request whose document holds anything but queries (a document that does
/// not parse is left for the executor to report).
pub(super) fn queries_only_over_get(request: &mut Request) -> ServerResult<()> {
    if super::request_data::<ViaHttpGet>(request).is_none() {
        return Ok(());
    }
    let Ok(document) = request.parsed_query() else {
        return Ok(());
    };
    if document
        .operations
        .iter()
        .any(|(_, op)| op.node.ty != OperationType::Query)
    {
        let error = ErrorCode::BadUserInput
            .error("only queries may be sent with GET; send mutations with POST");
        let mut server_error = ServerError::new(error.message, None);
        server_error.extensions = error.extensions;
        return Err(server_error);
    }
    Ok(())
}
