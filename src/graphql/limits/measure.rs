//! Measures a parsed operation after fragment expansion — without expanding anything:
//! each fragment is measured once and its numbers reused at every spread, so the cost is
//! linear in the document even when fragments spread each other exponentially often.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned, Variables};
use async_graphql_value::{ConstValue, Value};

/// The numbers the limits are checked against. Counts saturate instead of overflowing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measure {
    /// Field selections, every fragment spread expanded.
    pub fields: usize,
    /// The deepest chain of nested fields (a leaf field is 1).
    pub depth: usize,
    /// Fields selected under an alias.
    pub aliases: usize,
    /// Fields selected at the top of the selection set (through fragments too).
    pub top_fields: usize,
    /// Representations passed to top-level `_entities` fields.
    pub representations: usize,
}

/// How deeply fragments may spread each other (async-graphql's own recursion limit); it
/// also bounds this measurer's recursion.
pub const MAX_SPREAD_DEPTH: usize = 32;

/// Why a document could not be measured.
#[derive(Debug, PartialEq, Eq)]
pub enum MeasureError {
    /// A fragment spreads itself, directly or through others.
    FragmentCycle(String),
    /// Fragments spread each other more than [`MAX_SPREAD_DEPTH`] deep.
    SpreadsTooDeep,
}

/// The largest measure over the document's operations (they share the limits).
pub fn measure_document(
    document: &ExecutableDocument,
    variables: &Variables,
) -> Result<Measure, MeasureError> {
    // A variable's default counts when the request leaves it out; across operations the
    // longest default of a name is taken (fragments are measured once for all of them).
    let mut defaults: HashMap<&Name, usize> = HashMap::new();
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(ConstValue::List(items)) =
                definition.node.default_value.as_ref().map(|v| &v.node)
            {
                let longest = defaults.entry(&definition.node.name.node).or_default();
                *longest = (*longest).max(items.len());
            }
        }
    }
    let mut measurer = Measurer {
        document,
        variables,
        defaults,
        fragments: HashMap::new(),
    };
    let mut largest = Measure::default();
    for (_, operation) in document.operations.iter() {
        let measure = measurer.selection_set(&operation.node.selection_set.node, 0)?;
        largest = largest.max_each(measure);
    }
    Ok(largest)
}

enum FragmentState {
    InProgress,
    Done(Measure),
}

struct Measurer<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    defaults: HashMap<&'a Name, usize>,
    fragments: HashMap<&'a Name, FragmentState>,
}

impl<'a> Measurer<'a> {
    /// `spreads`: how many fragment spreads led here.
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        spreads: usize,
    ) -> Result<Measure, MeasureError> {
        let mut total = Measure::default();
        for selection in &set.items {
            let part = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let inner = self.selection_set(&field.selection_set.node, spreads)?;
                    let representations = if field.name.node.as_str() == "_entities" {
                        self.representations(&field.arguments)
                    } else {
                        0
                    };
                    Measure {
                        fields: inner.fields.saturating_add(1),
                        depth: inner.depth.saturating_add(1),
                        aliases: inner
                            .aliases
                            .saturating_add(usize::from(field.alias.is_some())),
                        top_fields: 1,
                        representations,
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node, spreads)?
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(&spread.node.fragment_name.node, spreads + 1)?
                }
            };
            total = total.add(part);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a Name, spreads: usize) -> Result<Measure, MeasureError> {
        match self.fragments.get(name) {
            Some(FragmentState::Done(measure)) => return Ok(*measure),
            Some(FragmentState::InProgress) => {
                return Err(MeasureError::FragmentCycle(name.to_string()));
            }
            None => {}
        }
        // An unknown fragment is the validator's to report; it adds nothing here.
        let Some(definition) = self.document.fragments.get(name) else {
            return Ok(Measure::default());
        };
        if spreads > MAX_SPREAD_DEPTH {
            return Err(MeasureError::SpreadsTooDeep);
        }
        self.fragments.insert(name, FragmentState::InProgress);
        let measure = self.selection_set(&definition.node.selection_set.node, spreads)?;
        self.fragments.insert(name, FragmentState::Done(measure));
        Ok(measure)
    }

    /// How many representations an `_entities` field is given, as a literal list or a variable.
    fn representations(&self, arguments: &[(Positioned<Name>, Positioned<Value>)]) -> usize {
        let Some((_, value)) = arguments
            .iter()
            .find(|(name, _)| name.node.as_str() == "representations")
        else {
            return 0;
        };
        match &value.node {
            Value::List(items) => items.len(),
            Value::Variable(name) => match self.variables.get(name) {
                Some(ConstValue::List(items)) => items.len(),
                Some(_) => 0,
                None => self.defaults.get(name).copied().unwrap_or(0),
            },
            _ => 0,
        }
    }
}

impl Measure {
    /// Two sibling selections: counts add up, depth is the deeper one.
    fn add(self, other: Measure) -> Measure {
        Measure {
            fields: self.fields.saturating_add(other.fields),
            depth: self.depth.max(other.depth),
            aliases: self.aliases.saturating_add(other.aliases),
            top_fields: self.top_fields.saturating_add(other.top_fields),
            representations: self.representations.saturating_add(other.representations),
        }
    }

    fn max_each(self, other: Measure) -> Measure {
        Measure {
            fields: self.fields.max(other.fields),
            depth: self.depth.max(other.depth),
            aliases: self.aliases.max(other.aliases),
            top_fields: self.top_fields.max(other.top_fields),
            representations: self.representations.max(other.representations),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn measure(query: &str) -> Result<Measure, MeasureError> {
        measure_document(&parse_query(query).unwrap(), &Variables::default())
    }

    #[test]
    fn counts_fields_depth_aliases_and_top_fields() {
        let m = measure(
            "{ a: campaigns { edges { node { id name } } } products { pageInfo { hasNextPage } } }",
        )
        .unwrap();
        assert_eq!(m.fields, 8);
        assert_eq!(m.depth, 4);
        assert_eq!(m.aliases, 1);
        assert_eq!(m.top_fields, 2);
    }

    #[test]
    fn fragments_count_at_every_spread_but_are_measured_once() {
        // 30 levels of fragments, each spreading the previous twice: 2^30 fields.
        let mut query = String::from("query { ...F30 }\nfragment F0 on Query { __typename }\n");
        for level in 1..=30 {
            let previous = level - 1;
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{previous} ...F{previous} }}\n"
            ));
        }
        let m = measure(&query).unwrap();
        assert_eq!(m.fields, 1usize << 30);
        assert_eq!(m.top_fields, 1usize << 30);
        assert_eq!(m.depth, 1);
    }

    #[test]
    fn long_spread_chains_are_refused_without_deep_recursion() {
        let mut query = String::from("query { ...F0 }\n");
        for level in 0..10_000 {
            let next = level + 1;
            query.push_str(&format!("fragment F{level} on Query {{ ...F{next} }}\n"));
        }
        query.push_str("fragment F10000 on Query { __typename }\n");
        assert_eq!(measure(&query), Err(MeasureError::SpreadsTooDeep));
    }

    #[test]
    fn default_representations_count() {
        let document = parse_query(
            r#"query($r: [_Any!]! = [{a: 1}, {a: 2}]) { _entities(representations: $r) { __typename } }"#,
        )
        .unwrap();
        let m = measure_document(&document, &Variables::default()).unwrap();
        assert_eq!(m.representations, 2);
    }

    #[test]
    fn cycles_are_reported() {
        let error = measure("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
            .unwrap_err();
        assert!(matches!(error, MeasureError::FragmentCycle(_)));
    }

    #[test]
    fn representations_come_from_literals_and_variables() {
        let literal =
            measure(r#"{ _entities(representations: [{a: 1}, {a: 2}]) { __typename } }"#).unwrap();
        assert_eq!(literal.representations, 2);
        let document =
            parse_query("query($r: [_Any!]!) { _entities(representations: $r) { __typename } }")
                .unwrap();
        let variables = Variables::from_json(serde_json::json!({ "r": [{}, {}, {}] }));
        assert_eq!(
            measure_document(&document, &variables)
                .unwrap()
                .representations,
            3
        );
    }
}
