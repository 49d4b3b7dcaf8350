//! Write transactions that retry on transient conflicts.
//!
//! Lock order: every service write locks the entity row first, then its master row, the
//! same order as a raw `UPDATE` of an entity table (whose trigger then updates the master).
//! Only a raw `UPDATE _metadata_master` locks the other way round; if it deadlocks with a
//! service write, PostgreSQL aborts one of the two and the service retries its side here,
//! so a client of the API never sees the deadlock.

use std::time::Duration;

use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DbErr};

use super::{WriteOrigin, WriteTransaction};
use crate::db::is_transient;

const MAX_ATTEMPTS: u32 = 30;

/// Errors that may carry a database error worth retrying.
pub trait MaybeTransient: From<DbErr> {
    fn database_error(&self) -> Option<&DbErr>;
}

/// Runs `work` in a transaction and commits it; on a deadlock, serialization failure or
/// busy SQLite file the whole transaction is rolled back and run again (with backoff).
/// SQLite transactions begin `IMMEDIATE`, taking the write lock before the first read.
/// The transaction is marked with `origin` for the event triggers.
#[tracing::instrument(name = "sync.transaction", skip_all, fields(origin = origin.kind.as_str(), actor = origin.actor.as_deref()))]
pub async fn in_write_transaction<T, E, F>(
    db: &DatabaseConnection,
    origin: &WriteOrigin,
    mut work: F,
) -> Result<T, E>
where
    E: MaybeTransient,
    F: for<'t> FnMut(&'t WriteTransaction) -> BoxFuture<'t, Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        let outcome = async {
            let tx = WriteTransaction::begin(db, origin).await?;
            let value = work(&tx).await?;
            tx.commit().await?;
            crate::events::announce_commit();
            Ok::<T, E>(value)
        }
        .await;
        match outcome {
            Err(error)
                if attempt < MAX_ATTEMPTS && error.database_error().is_some_and(is_transient) =>
            {
                tracing::debug!(attempt, error = ?error.database_error(), "retrying write transaction");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Exponential backoff with jitter, 2 ms doubling up to about 250 ms.
fn backoff(attempt: u32) -> Duration {
    let base = 2u64 << attempt.min(7);
    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % base.max(1);
    Duration::from_millis(base / 2 + jitter)
}

impl MaybeTransient for super::SyncError {
    fn database_error(&self) -> Option<&DbErr> {
        match self {
            super::SyncError::Database(error) => Some(error),
            super::SyncError::Policy(error) => error.database_error(),
            _ => None,
        }
    }
}
