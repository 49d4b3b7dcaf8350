//! Strict validation once per operation text, not once per request.
//!
//! async-graphql validates every request with all of the specification's rules (strict
//! mode), a reused parsed document included: a fifth of a small query's work. Of those
//! rules, one depends on anything but the text, the operation name and the schema:
//! `ArgumentsOfCorrectType`, which checks each argument with the request's variables put
//! in. It checks an argument only when every variable in it has a value (fragments against
//! all of the request's variables, whichever operation they belong to), and then checks
//! the argument whole: its written-out parts and the values put in.
//!
//! So an operation is marked validated when strict validation passed (its answer had no
//! error) for a request that gave every variable the operation declares
//! ([`every_variable_given`]): each of its arguments was then checked whole. A later
//! request with the same text and operation name is validated in async-graphql's fast
//! mode (which keeps the cycle, upload, depth and complexity checks and skips the rules
//! whose outcome is known) when its document holds no other operation, it gives no
//! variable the operation does not declare, and its values are ones
//! `ArgumentsOfCorrectType` accepts wherever such a variable may stand
//! ([`values_need_no_check`]). Any other request is validated strictly. The answer is the
//! same either way; fast mode only skips work whose outcome is known.
//!
//! Why one operation: a fragment only another operation spreads is still checked with
//! the request's variables, at positions the running operation's declarations say nothing
//! about (`$x` may be a `String` here and an `Int` there). With one operation, every
//! fragment is spread by it (`NoUnusedFragments`) and every variable it uses is declared
//! by it at a type its position accepts (`NoUndefinedVariables`,
//! `VariableInAllowedPosition`).

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, Type,
};
use async_graphql::{Name, Value, Variables};

/// Scalars whose validation accepts every value but `null`: they declare no validator,
/// or one that accepts everything (a value they cannot parse fails when the field is
/// resolved, in either mode). `schema_tests.rs` checks this of the schema.
pub const ACCEPT_ANY_VALUE: [&str; 3] = ["UUID", "JSON", "_Any"];

/// True when the request gives every variable the operation it runs declares (a strict
/// validation that passed then checked every argument of the operation).
pub fn every_variable_given(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> bool {
    operation(document, operation_name).is_some_and(|operation| {
        operation
            .variable_definitions
            .iter()
            .all(|definition| variables.contains_key(&definition.node.name.node))
    })
}

/// True when the document holds one operation (see the module documentation), the request
/// gives only variables it declares, and each holds a value that strict validation accepts
/// wherever it may stand: no `null` anywhere along its type's lists (so no non-null
/// position can refuse it), and at its named type a scalar of [`ACCEPT_ANY_VALUE`] or a
/// `String` holding a string. Variables of any other type (enums, numbers, input objects)
/// are left to strict validation.
///
/// Strict validation has already required that a variable used at a position has that
/// position's named type and list structure (`VariableInAllowedPosition`), so checking
/// the value against the variable's declared type is checking it against the position.
pub fn values_need_no_check(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> bool {
    let single = match &document.operations {
        DocumentOperations::Single(_) => true,
        DocumentOperations::Multiple(operations) => operations.len() == 1,
    };
    let Some(operation) = operation(document, operation_name).filter(|_| single) else {
        return false;
    };
    let declared = |name: &Name| {
        operation
            .variable_definitions
            .iter()
            .find(|definition| &definition.node.name.node == name)
    };
    variables.iter().all(|(name, value)| {
        declared(name).is_some_and(|definition| accepted(&definition.node.var_type.node, value))
    })
}

/// The operation a request with `operation_name` runs, as async-graphql picks it.
fn operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), None) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(&Name::new(name))?
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()?
        }
        _ => return None,
    };
    Some(&operation.node)
}

/// `value` holds no `null` along `ty`'s lists and is accepted by `ty`'s named type.
fn accepted(ty: &Type, value: &Value) -> bool {
    match (&ty.base, value) {
        (_, Value::Null) => false,
        (BaseType::List(item), Value::List(items)) => {
            items.iter().all(|value| accepted(item, value))
        }
        // A single value stands for a list of one.
        (BaseType::List(item), value) => accepted(item, value),
        (BaseType::Named(name), value) => {
            ACCEPT_ANY_VALUE.contains(&name.as_str())
                || (name.as_str() == "String" && matches!(value, Value::String(_)))
        }
    }
}

#[cfg(test)]
mod schema_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;
    use serde_json::json;

    fn fast(text: &str, operation_name: Option<&str>, variables: serde_json::Value) -> bool {
        let document = parse_query(text).unwrap();
        values_need_no_check(&document, operation_name, &Variables::from_json(variables))
    }

    #[test]
    fn values_of_scalars_that_accept_anything_need_no_check() {
        let text = "query Q($id: UUID!, $patch: JSON, $r: [_Any!]!, $s: String) { a }";
        let values = json!({ "id": 5, "patch": { "a": null }, "r": [{ "x": 1 }, "y"], "s": "t" });
        assert!(fast(text, None, values.clone()));
        assert!(fast(text, Some("Q"), values));
        assert!(fast(text, None, json!({})), "absent variables");
        assert!(
            !fast(text, None, json!({ "n": "x" })),
            "a variable not declared"
        );
        assert!(
            fast(text, None, json!({ "r": { "x": 1 } })),
            "a list of one"
        );
    }

    #[test]
    fn nulls_and_other_types_are_validated_strictly() {
        let text = "query Q($id: UUID, $r: [_Any], $s: String, $n: Int) { a }";
        assert!(!fast(text, None, json!({ "id": null })));
        assert!(!fast(text, None, json!({ "r": [{ "x": 1 }, null] })));
        assert!(!fast(text, None, json!({ "s": 5 })));
        assert!(!fast(text, None, json!({ "n": 5 })));
        let filter = "query F($f: MetadataFilter) { a }";
        assert!(!fast(filter, None, json!({ "f": {} })));
    }

    #[test]
    fn marking_needs_every_declared_variable() {
        let given = |text: &str, name: Option<&str>, variables: serde_json::Value| {
            let document = parse_query(text).unwrap();
            every_variable_given(&document, name, &Variables::from_json(variables))
        };
        let text = "query Q($id: UUID!, $k: String = \"a\") { a }";
        assert!(given(text, None, json!({ "id": "x", "k": null })));
        assert!(
            !given(text, None, json!({ "id": "x" })),
            "a default is not a value"
        );
        assert!(given("{ a }", None, json!({ "extra": 1 })));
        assert!(!given(text, Some("R"), json!({ "id": "x", "k": "b" })));
    }

    #[test]
    fn the_operation_must_be_the_only_one_and_the_one_that_runs() {
        let values = json!({ "id": "x" });
        let one = "query B($id: UUID!) { b }";
        assert!(fast(one, Some("B"), values.clone()));
        assert!(fast(one, None, values.clone()));
        assert!(!fast(one, Some("C"), values.clone()), "no such operation");
        assert!(!fast("query($id: UUID!) { b }", Some("B"), values.clone()));
        let two = "query A($n: Int) { a } query B($id: UUID!) { b }";
        assert!(!fast(two, Some("B"), values.clone()), "two operations");
        assert!(!fast(two, None, values));
    }
}
