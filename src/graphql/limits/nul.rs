//! Text with NUL characters is refused up front: PostgreSQL cannot store `\u0000` in
//! `text` or `jsonb`, and SQLite would then hold what PostgreSQL refuses. Refusing it for
//! every argument and variable gives one behaviour on both databases.

use async_graphql::parser::types::{
    Directive, ExecutableDocument, Selection, SelectionSet, VariableDefinition,
};
use async_graphql::{Positioned, Variables};
use async_graphql_value::{ConstValue, Value};

/// True when any string (or object key) in the document's arguments, directives, variable
/// defaults or in the variables contains a NUL character.
pub fn contains_nul(document: &ExecutableDocument, variables: &Variables) -> bool {
    variables.values().any(const_has_nul)
        || document.operations.iter().any(|(_, operation)| {
            operation
                .node
                .variable_definitions
                .iter()
                .any(variable_default_has_nul)
                || directives_have_nul(&operation.node.directives)
                || selection_set_has_nul(&operation.node.selection_set.node)
        })
        || document.fragments.values().any(|fragment| {
            directives_have_nul(&fragment.node.directives)
                || selection_set_has_nul(&fragment.node.selection_set.node)
        })
}

fn variable_default_has_nul(definition: &Positioned<VariableDefinition>) -> bool {
    definition
        .node
        .default_value
        .as_ref()
        .is_some_and(|value| const_has_nul(&value.node))
        || directives_have_nul(&definition.node.directives)
}

fn selection_set_has_nul(set: &SelectionSet) -> bool {
    set.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => {
            field
                .node
                .arguments
                .iter()
                .any(|(_, value)| value_has_nul(&value.node))
                || directives_have_nul(&field.node.directives)
                || selection_set_has_nul(&field.node.selection_set.node)
        }
        Selection::InlineFragment(fragment) => {
            directives_have_nul(&fragment.node.directives)
                || selection_set_has_nul(&fragment.node.selection_set.node)
        }
        Selection::FragmentSpread(spread) => directives_have_nul(&spread.node.directives),
    })
}

fn directives_have_nul(directives: &[Positioned<Directive>]) -> bool {
    directives.iter().any(|directive| {
        directive
            .node
            .arguments
            .iter()
            .any(|(_, value)| value_has_nul(&value.node))
    })
}

fn value_has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::List(items) => items.iter().any(value_has_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || value_has_nul(value)),
        _ => false,
    }
}

fn const_has_nul(value: &ConstValue) -> bool {
    match value {
        ConstValue::String(text) => text.contains('\0'),
        ConstValue::List(items) => items.iter().any(const_has_nul),
        ConstValue::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || const_has_nul(value)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    #[test]
    fn finds_nul_in_literals_keys_and_variables() {
        let clean = parse_query(r#"{ a(x: "fine", y: {k: ["v"]}) }"#).unwrap();
        assert!(!contains_nul(&clean, &Variables::default()));
        let literal = parse_query(r#"{ a(x: {k: ["v\u0000"]}) }"#).unwrap();
        assert!(contains_nul(&literal, &Variables::default()));
        let variables = Variables::from_json(serde_json::json!({ "m": { "a\u{0}b": 1 } }));
        assert!(contains_nul(&clean, &variables));
    }
}
