//! The GraphQL face of [`crate::search`]: `MetadataFilter` and `MetadataOrder` inputs.

use async_graphql::{Enum, InputObject, Json, MaybeUndefined};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::graphql::ErrorCode;
use crate::search::{self, Direction, MAX_FILTER_NESTING, Order, OrderField};

/// Which metadata documents to match; every field given must hold. PostgreSQL `jsonb`
/// semantics on both databases: containment is recursive, numbers compare by value,
/// object key order does not matter. A path lists object keys and, inside arrays,
/// 0-based positions written as text.
#[derive(InputObject, Default)]
pub struct MetadataFilter {
    /// The document contains this JSON object (PostgreSQL `@>`; uses the GIN index):
    /// every key given has a matching value, and an array contains another when each of
    /// its elements is contained in one of the array's elements.
    pub contains: Option<Json<Value>>,
    /// The document has this top-level key.
    pub has_key: Option<String>,
    /// This path exists in the document (its value may be JSON null).
    pub has_path: Option<Vec<String>>,
    /// The path that `equals` or `in` looks at.
    pub path: Option<Vec<String>>,
    /// The value at `path` equals this JSON value (`null` matches a JSON null).
    pub equals: MaybeUndefined<Json<Value>>,
    /// The value at `path` equals one of these.
    #[graphql(name = "in")]
    pub one_of: Option<Vec<Json<Value>>>,
    /// Changed after this instant (exclusive).
    pub updated_after: Option<DateTime<Utc>>,
    /// Changed before this instant (exclusive).
    pub updated_before: Option<DateTime<Utc>>,
    /// Every one of these holds.
    pub and: Option<Vec<MetadataFilter>>,
    /// At least one of these holds.
    pub or: Option<Vec<MetadataFilter>>,
    /// This does not hold.
    pub not: Option<Box<MetadataFilter>>,
}

impl MetadataFilter {
    /// The domain filter; `path` without `equals`/`in` (or the reverse) is BAD_USER_INPUT.
    pub fn into_search(self) -> async_graphql::Result<search::MetadataFilter> {
        self.convert(0)
    }

    fn convert(self, nesting: usize) -> async_graphql::Result<search::MetadataFilter> {
        use search::MetadataFilter as F;
        if nesting > MAX_FILTER_NESTING {
            return Err(ErrorCode::BadUserInput.error(format!(
                "the filter nests and/or/not deeper than {MAX_FILTER_NESTING} levels"
            )));
        }
        let mut terms = Vec::new();
        if let Some(Json(value)) = self.contains {
            terms.push(F::Contains(value));
        }
        if let Some(key) = self.has_key {
            terms.push(F::HasPath(vec![key]));
        }
        if let Some(path) = self.has_path {
            terms.push(F::HasPath(path));
        }
        let equals = match self.equals {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(Value::Null),
            MaybeUndefined::Value(Json(value)) => Some(value),
        };
        match (self.path, equals, self.one_of) {
            (None, None, None) => {}
            (Some(path), equals, one_of) if equals.is_some() || one_of.is_some() => {
                if let Some(value) = equals {
                    terms.push(F::PathEquals {
                        path: path.clone(),
                        value,
                    });
                }
                if let Some(values) = one_of {
                    let values = values.into_iter().map(|Json(value)| value).collect();
                    terms.push(F::PathIn { path, values });
                }
            }
            (Some(_), _, _) => {
                return Err(ErrorCode::BadUserInput.error(
                    "`path` needs `equals` or `in` (use `hasPath` to test that it exists)",
                ));
            }
            (None, _, _) => {
                return Err(ErrorCode::BadUserInput.error("`equals` and `in` need a `path`"));
            }
        }
        if let Some(at) = self.updated_after {
            terms.push(F::UpdatedAfter(at));
        }
        if let Some(at) = self.updated_before {
            terms.push(F::UpdatedBefore(at));
        }
        if let Some(filters) = self.and {
            terms.push(F::All(convert_all(filters, nesting)?));
        }
        if let Some(filters) = self.or {
            terms.push(F::Any(convert_all(filters, nesting)?));
        }
        if let Some(filter) = self.not {
            terms.push(F::Not(Box::new(filter.convert(nesting + 1)?)));
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            F::All(terms)
        })
    }
}

fn convert_all(
    filters: Vec<MetadataFilter>,
    nesting: usize,
) -> async_graphql::Result<Vec<search::MetadataFilter>> {
    filters
        .into_iter()
        .map(|filter| filter.convert(nesting + 1))
        .collect()
}

/// Converts an optional filter argument, checking its size.
pub fn search_filter(
    filter: Option<MetadataFilter>,
) -> async_graphql::Result<Option<search::MetadataFilter>> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    let filter = filter.into_search()?;
    filter
        .check()
        .map_err(|error| ErrorCode::BadUserInput.error(error.to_string()))?;
    Ok(Some(filter))
}

/// How a page is sorted; rows with equal keys follow in creation order.
#[derive(InputObject, Clone, Copy)]
pub struct MetadataOrder {
    /// The sort key.
    pub field: MetadataOrderField,
    /// `ASC` when omitted.
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

/// Sort keys of metadata pages.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataOrderField {
    /// Creation order (the default).
    Id,
    /// When the row was created.
    CreatedAt,
    /// When the row last changed.
    UpdatedAt,
    /// The master's version: how many effective changes the document has had.
    Version,
}

/// Ascending or descending.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

impl From<Option<MetadataOrder>> for Order {
    fn from(order: Option<MetadataOrder>) -> Self {
        let Some(order) = order else {
            return Order::default();
        };
        Order {
            field: match order.field {
                MetadataOrderField::Id => OrderField::Id,
                MetadataOrderField::CreatedAt => OrderField::CreatedAt,
                MetadataOrderField::UpdatedAt => OrderField::UpdatedAt,
                MetadataOrderField::Version => OrderField::Version,
            },
            direction: match order.direction {
                OrderDirection::Asc => Direction::Asc,
                OrderDirection::Desc => Direction::Desc,
            },
        }
    }
}
