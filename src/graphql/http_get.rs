//! Rules for GraphQL over HTTP GET: queries only, so that a GET can never change data.

use async_graphql::Request;
use async_graphql::parser::parse_query;
use async_graphql::parser::types::{DocumentOperations, OperationType};

/// True when the operation `request` would run is a mutation or subscription.
/// Unparsable documents are left to the executor, which reports them properly, and so are
/// texts over the default token or nesting limits: they are not parsed here (the
/// executor's limits refuse them before parsing).
pub fn changes_data(request: &Request) -> bool {
    let limits = super::QueryLimits::default();
    if !super::limits::within_text_limits(&request.query, &limits) {
        return false;
    }
    let Ok(document) = parse_query(&request.query) else {
        return false;
    };
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_some_and(|operation| operation.node.ty != OperationType::Query)
}

#[cfg(test)]
mod tests {
    use super::changes_data;
    use async_graphql::Request;

    #[test]
    fn only_queries_pass() {
        assert!(!changes_data(&Request::new(
            "{ campaigns { edges { cursor } } }"
        )));
        assert!(!changes_data(&Request::new("query Q { __typename }")));
        assert!(changes_data(&Request::new(
            "mutation { deleteSurvey(id: \"x\") }"
        )));
        let named = "query A { __typename } mutation B { deleteSurvey(id: \"x\") }";
        assert!(changes_data(&Request::new(named).operation_name("B")));
        assert!(!changes_data(&Request::new(named).operation_name("A")));
        // Not parsed at all: the executor refuses it before parsing.
        let deep = format!("mutation {}", "{".repeat(100_000));
        assert!(!changes_data(&Request::new(deep)));
    }
}
