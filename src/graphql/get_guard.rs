//! GraphQL over GET runs queries only. Requests whose text is known are checked in the HTTP
//! handler (405); this extension also catches automatic persisted queries sent by hash
//! only, whose text is known only once the persisted-query cache has resolved it.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ServerError, ServerResult, Variables};

use super::ErrorCode;

/// Request data marking a request that came with HTTP GET.
#[derive(Clone, Copy, Debug)]
pub struct ViaHttpGet;

pub struct QueriesOnlyOverGet;

impl ExtensionFactory for QueriesOnlyOverGet {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueriesOnlyOverGet)
    }
}

#[async_trait::async_trait]
impl Extension for QueriesOnlyOverGet {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let over_get = ctx.data_opt::<ViaHttpGet>().is_some();
        if over_get
            && document
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
        Ok(document)
    }
}
