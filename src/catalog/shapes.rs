//! The SQL of reads by id, built once per shape. sea-query builds the same text for every
//! read of one table with the same documents and the same number of ids (only the ids,
//! its only parameters, differ), and building it cost a read of one entity with its master
//! about a fifth of the server's instructions. The text is kept for up to [`MAX_IDS`] ids;
//! larger batches build theirs.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use sea_orm::{DatabaseBackend, Statement, Value};
use uuid::Uuid;

use super::Documents;

/// Batches of more ids build their SQL each time (the cache stays small: a few tables ×
/// documents modes × this many lengths).
const MAX_IDS: usize = 64;

/// What the SQL of a read by id depends on besides the ids' values.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape {
    pub backend: DatabaseBackend,
    /// A registry table (the allow-list) or the master table.
    pub table: &'static str,
    pub documents: Documents,
    /// With the master joined, and its documents.
    pub master_documents: Option<Documents>,
}

impl std::hash::Hash for Shape {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // `DatabaseBackend` is not `Hash`; equal shapes still hash alike.
        (self.backend == DatabaseBackend::Postgres).hash(state);
        self.table.hash(state);
        self.documents.hash(state);
        self.master_documents.hash(state);
    }
}

/// SQL texts by shape and number of ids.
type Built = HashMap<(Shape, usize), Arc<str>>;

static BUILT: LazyLock<Mutex<Built>> = LazyLock::new(Default::default);

/// The statement reading `ids` in `shape`, built by `build` unless a statement of this
/// shape was built before. Only a built statement whose parameters are exactly `ids`, in
/// order, is kept: its text then fits any ids of the same number.
pub(super) fn by_ids(
    shape: Shape,
    ids: Vec<Uuid>,
    build: impl FnOnce(Vec<Uuid>) -> Statement,
) -> Statement {
    let key = (shape, ids.len());
    let cached = (ids.len() <= MAX_IDS)
        .then(|| lock().get(&key).cloned())
        .flatten();
    if let Some(sql) = cached {
        let values: Vec<Value> = ids.into_iter().map(Value::from).collect();
        return Statement::from_sql_and_values(shape.backend, sql.as_ref(), values);
    }
    let parameters: Vec<Value> = ids.iter().copied().map(Value::from).collect();
    let statement = build(ids);
    let only_the_ids = statement
        .values
        .as_ref()
        .is_some_and(|values| values.0 == parameters);
    if key.1 <= MAX_IDS && only_the_ids {
        lock().insert(key, Arc::from(statement.sql.as_str()));
    }
    statement
}

fn lock() -> std::sync::MutexGuard<'static, Built> {
    // Only whole entries are inserted: a panic elsewhere cannot leave one torn.
    BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> Shape {
        Shape {
            backend: DatabaseBackend::Postgres,
            table: "shapes_test_table",
            documents: Documents::Skip,
            master_documents: None,
        }
    }

    fn build(ids: Vec<Uuid>) -> Statement {
        let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {} FROM t WHERE id IN ({})",
            ids.len(),
            list.join(", ")
        );
        let values: Vec<Value> = ids.into_iter().map(Value::from).collect();
        Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
    }

    #[test]
    fn a_shape_is_built_once_and_then_reused_with_other_ids() {
        let first = vec![Uuid::new_v4(), Uuid::new_v4()];
        let built = by_ids(shape(), first.clone(), build);
        assert_eq!(built.sql, "SELECT 2 FROM t WHERE id IN ($1, $2)");
        let second = vec![Uuid::new_v4(), Uuid::new_v4()];
        let reused = by_ids(shape(), second.clone(), |_| panic!("built again"));
        assert_eq!(reused.sql, built.sql);
        let expected: Vec<Value> = second.into_iter().map(Value::from).collect();
        assert_eq!(reused.values.unwrap().0, expected);
    }

    #[test]
    fn statements_with_other_parameters_and_large_batches_are_not_kept() {
        let with_more = |ids: Vec<Uuid>| {
            let mut statement = build(ids);
            if let Some(values) = statement.values.as_mut() {
                values.0.push(Value::from(7));
            }
            statement
        };
        let other = Shape {
            table: "shapes_test_other",
            ..shape()
        };
        by_ids(other, vec![Uuid::new_v4()], with_more);
        let mut built = false;
        by_ids(other, vec![Uuid::new_v4()], |ids| {
            built = true;
            with_more(ids)
        });
        assert!(
            built,
            "a statement with other parameters is built every time"
        );

        let large: Vec<Uuid> = (0..=MAX_IDS).map(|_| Uuid::new_v4()).collect();
        by_ids(shape(), large.clone(), build);
        let mut built = false;
        by_ids(shape(), large, |ids| {
            built = true;
            build(ids)
        });
        assert!(built, "batches over MAX_IDS are built every time");
    }
}
