use chrono::{DateTime, Utc};
use serde_json::Value;

use super::SearchError;

/// At most this many terms per filter: every condition, path element and JSON value in it
/// counts one (a `contains` object of three keys with scalar values counts four).
pub const MAX_FILTER_TERMS: usize = 200;
/// At most this many levels of `and` / `or` / `not`.
pub const MAX_FILTER_NESTING: usize = 8;

/// Which metadata documents match. PostgreSQL's `jsonb` semantics on both databases:
/// containment is recursive (an array contains another when every element of the other is
/// contained in one of its elements), numbers compare by value, and object key order does
/// not matter. Paths are object keys and, inside arrays, 0-based positions written as text.
#[derive(Clone, Debug, PartialEq)]
pub enum MetadataFilter {
    /// The document contains this JSON object (`@>`).
    Contains(Value),
    /// This path exists (its value may be JSON `null`).
    HasPath(Vec<String>),
    /// The value at the path equals this one.
    PathEquals { path: Vec<String>, value: Value },
    /// The value at the path equals one of these.
    PathIn {
        path: Vec<String>,
        values: Vec<Value>,
    },
    /// Changed after this instant (exclusive).
    UpdatedAfter(DateTime<Utc>),
    /// Changed before this instant (exclusive).
    UpdatedBefore(DateTime<Utc>),
    /// Every one holds (an empty list matches everything).
    All(Vec<MetadataFilter>),
    /// At least one holds (an empty list matches nothing).
    Any(Vec<MetadataFilter>),
    /// This does not hold.
    Not(Box<MetadataFilter>),
}

impl MetadataFilter {
    /// Refuses filters over the size limits, non-object `contains` and empty paths.
    pub fn check(&self) -> Result<(), SearchError> {
        let terms = self.terms(0)?;
        if terms > MAX_FILTER_TERMS {
            return Err(SearchError::Invalid(format!(
                "the filter has {terms} terms; at most {MAX_FILTER_TERMS} are allowed"
            )));
        }
        Ok(())
    }

    /// Whether a part of the filter reads `updated_at` (`updatedAfter` / `updatedBefore`).
    pub fn reads_updated_at(&self) -> bool {
        match self {
            MetadataFilter::UpdatedAfter(_) | MetadataFilter::UpdatedBefore(_) => true,
            MetadataFilter::All(filters) | MetadataFilter::Any(filters) => {
                filters.iter().any(MetadataFilter::reads_updated_at)
            }
            MetadataFilter::Not(filter) => filter.reads_updated_at(),
            _ => false,
        }
    }

    fn terms(&self, nesting: usize) -> Result<usize, SearchError> {
        if nesting > MAX_FILTER_NESTING {
            return Err(SearchError::Invalid(format!(
                "the filter nests and/or/not deeper than {MAX_FILTER_NESTING} levels"
            )));
        }
        Ok(1 + match self {
            MetadataFilter::Contains(value) => {
                if !value.is_object() {
                    return Err(SearchError::Invalid(
                        "`contains` must be a JSON object (documents are objects)".into(),
                    ));
                }
                json_terms(value)
            }
            MetadataFilter::HasPath(path) => path_terms(path)?,
            MetadataFilter::PathEquals { path, value } => path_terms(path)? + json_terms(value),
            MetadataFilter::PathIn { path, values } => {
                path_terms(path)? + values.iter().map(json_terms).sum::<usize>()
            }
            MetadataFilter::UpdatedAfter(_) | MetadataFilter::UpdatedBefore(_) => 0,
            MetadataFilter::All(filters) | MetadataFilter::Any(filters) => {
                let mut sum = 0;
                for filter in filters {
                    sum += filter.terms(nesting + 1)?;
                    if sum > MAX_FILTER_TERMS {
                        break;
                    }
                }
                sum
            }
            MetadataFilter::Not(filter) => filter.terms(nesting + 1)?,
        })
    }
}

fn path_terms(path: &[String]) -> Result<usize, SearchError> {
    if path.is_empty() {
        return Err(SearchError::Invalid(
            "a metadata path must not be empty".into(),
        ));
    }
    Ok(path.len())
}

/// JSON nodes, counted without recursing past the limit (the value is already bounded by
/// the request's document limits).
fn json_terms(value: &Value) -> usize {
    let mut count = 0;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        count += 1;
        if count > MAX_FILTER_TERMS {
            break;
        }
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn limits_and_shapes_are_checked() {
        assert!(
            MetadataFilter::Contains(json!({"a": [1, 2]}))
                .check()
                .is_ok()
        );
        assert!(MetadataFilter::Contains(json!([1])).check().is_err());
        assert!(MetadataFilter::HasPath(vec![]).check().is_err());
        let wide = MetadataFilter::Contains(json!({"a": vec![1; MAX_FILTER_TERMS]}));
        assert!(wide.check().is_err());
        let mut deep = MetadataFilter::HasPath(vec!["a".into()]);
        for _ in 0..=MAX_FILTER_NESTING {
            deep = MetadataFilter::Not(Box::new(deep));
        }
        assert!(deep.check().is_err());
    }
}
