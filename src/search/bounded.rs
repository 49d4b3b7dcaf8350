//! A time limit for filtered reads. Only `contains` is served by an index; any other
//! filter (paths, keys, times, `not`) or order by a time or the version may read a whole
//! table. On PostgreSQL such a read runs in its own transaction with a
//! `statement_timeout`, so a costly filter fails itself instead of holding a pooled
//! connection for as long as it likes. (SQLite, the embedded single-process default, has
//! no statement timeout; it reads without one.)

use std::time::Duration;

use sea_orm::sea_query::SelectStatement;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, QueryResult,
    TransactionTrait,
};

use super::SearchError;

/// How long one filtered statement may run on PostgreSQL (5 s by default; zero: no limit).
/// PostgreSQL takes at most `i32::MAX` milliseconds; longer is that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchTimeout(pub Duration);

impl Default for SearchTimeout {
    fn default() -> Self {
        SearchTimeout(Duration::from_secs(5))
    }
}

/// A read-only transaction whose statements stop after `timeout` on PostgreSQL; dropping
/// it ends it.
pub(super) async fn begin(
    db: &DatabaseConnection,
    timeout: SearchTimeout,
) -> Result<DatabaseTransaction, SearchError> {
    let tx = db.begin().await?;
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        // Read-only whatever the timeout; a number from the configuration, not input: the
        // one statement built with format!.
        let set = match limit_ms(timeout) {
            Some(limit) => {
                format!("SET LOCAL statement_timeout = {limit}; SET TRANSACTION READ ONLY")
            }
            None => "SET TRANSACTION READ ONLY".to_owned(),
        };
        tx.execute_unprepared(&set).await?;
    }
    Ok(tx)
}

/// The `statement_timeout` PostgreSQL is given, in milliseconds (`None`: 0 configured, no
/// limit of ours).
fn limit_ms(timeout: SearchTimeout) -> Option<u128> {
    (!timeout.0.is_zero()).then(|| timeout.0.as_millis().clamp(1, i32::MAX as u128))
}

/// A statement stopped by the timeout is the filter's fault (a client error); any other
/// database error stays internal.
pub(super) fn timed_out(error: DbErr, timeout: SearchTimeout) -> SearchError {
    if crate::db::error_code(&error).as_deref() == Some("57014") {
        let limit = match limit_ms(timeout) {
            Some(limit) => format!("{limit} ms"),
            None => "the server's statement timeout".to_owned(),
        };
        SearchError::TooCostly(format!(
            "the read took longer than {limit}: only `contains` is indexed, and orders other \
             than by id sort every matching row; narrow the filter or order by id"
        ))
    } else {
        SearchError::Database(error)
    }
}

/// Runs `statement` in a [`begin`] transaction: its rows, or the timeout as the filter's
/// fault.
pub(super) async fn query_all(
    db: &DatabaseConnection,
    timeout: SearchTimeout,
    statement: &SelectStatement,
) -> Result<Vec<QueryResult>, SearchError> {
    let tx = begin(db, timeout).await?;
    let rows = tx
        .query_all(statement)
        .await
        .map_err(|error| timed_out(error, timeout))?;
    tx.commit().await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_given_to_postgresql_is_clamped_and_zero_means_none() {
        let limit = |ms| limit_ms(SearchTimeout(Duration::from_millis(ms)));
        assert_eq!(limit(0), None);
        assert_eq!(limit(5_000), Some(5_000));
        assert_eq!(limit(u64::MAX), Some(i32::MAX as u128));
    }
}
