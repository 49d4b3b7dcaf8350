//! The transaction a service write runs in: a database transaction marked with its
//! [`WriteOrigin`] before its first statement, so that the event triggers record who wrote.
//!
//! On PostgreSQL the mark is transaction-local settings. When the first statement is a
//! write's row lock ([`WriteTransaction::query_one_marking`]), the settings ride on it and
//! save a round trip; any other first statement is preceded by the mark on its own. Either
//! way no statement runs unmarked. SQLite marks at once (its mark is a row, see `origin.rs`).

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::OnceCell;

use super::WriteOrigin;

/// A write's transaction; statements run through [`ConnectionTrait`].
pub struct WriteTransaction {
    tx: DatabaseTransaction,
    origin: WriteOrigin,
    marked: OnceCell<()>,
}

impl WriteTransaction {
    /// Begins a transaction for `origin`'s writes (SQLite: `IMMEDIATE`, taking the write
    /// lock before the first read).
    pub(super) async fn begin(
        db: &DatabaseConnection,
        origin: &WriteOrigin,
    ) -> Result<Self, DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let write = WriteTransaction {
            tx: db.begin_with_options(options).await?,
            origin: origin.clone(),
            marked: OnceCell::new(),
        };
        if write.get_database_backend() != DatabaseBackend::Postgres {
            write.mark().await?;
        }
        Ok(write)
    }

    /// Commits (SQLite: after removing the mark).
    pub(super) async fn commit(self) -> Result<(), DbErr> {
        WriteOrigin::unmark(&self.tx).await?;
        self.tx.commit().await
    }

    /// The origin this transaction writes for.
    pub(super) fn origin(&self) -> &WriteOrigin {
        &self.origin
    }

    async fn mark(&self) -> Result<(), DbErr> {
        self.marked
            .get_or_try_init(|| self.origin.mark(&self.tx))
            .await?;
        Ok(())
    }

    /// Runs the statement `build(with_mark)` makes, once: with the mark (a statement that
    /// also sets it, see [`WriteOrigin::marking_columns`]) when the transaction is not
    /// marked yet, else without; both must answer the same row. A marking statement that
    /// answers no row may not have set the mark, so the mark is then sent on its own.
    pub(super) async fn query_one_marking(
        &self,
        build: impl FnOnce(bool) -> Statement,
    ) -> Result<Option<QueryResult>, DbErr> {
        let mut build = Some(build);
        let mut answer = None;
        self.marked
            .get_or_try_init(|| async {
                if let Some(build) = build.take() {
                    answer = self.tx.query_one_raw(build(true)).await?;
                }
                if answer.is_none() {
                    self.origin.mark(&self.tx).await?;
                }
                Ok::<(), DbErr>(())
            })
            .await?;
        match build {
            Some(build) => self.tx.query_one_raw(build(false)).await,
            None => Ok(answer),
        }
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.tx.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.mark().await?;
        self.tx.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.mark().await?;
        self.tx.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.mark().await?;
        self.tx.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.mark().await?;
        self.tx.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.tx.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.tx.is_mock_connection()
    }
}
