//! Single statements (each its own transaction) on PostgreSQL connections kept beside the
//! pool, handed back without a round trip.
//!
//! sqlx's pool sends a `Sync` and waits for PostgreSQL's answer each time a connection is
//! returned to it (to drain whatever a cancelled statement left behind): a second round
//! trip, and PostgreSQL work, for every statement run outside a transaction. [`Autocommit`]
//! runs such statements on connections of its own, which go back to their idle list as
//! soon as the statement is answered; `own_connections` has the rule for when that is safe.
//!
//! Transactions, and SQLite (where the pool's check costs no round trip), use the pool.

use std::sync::Arc;

use sea_orm::sqlx;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;

use super::own_connections::{OwnConnectionCounts, OwnConnections};
use super::query_error;

/// Called with every statement run on [`Autocommit`]'s own connections, once it ran
/// (tests count them).
pub type StatementObserver = Arc<dyn Fn(&Statement) + Send + Sync>;

/// The API's database: single statements on connections of their own (PostgreSQL), and
/// the pool ([`Autocommit::pool`]) for transactions and everything else. Cheap to clone.
#[derive(Clone, Default)]
pub struct Autocommit {
    pool: DatabaseConnection,
    own: Option<Arc<OwnConnections>>,
    observer: Option<StatementObserver>,
}

impl Autocommit {
    /// Single statements beside `pool` (a connected sqlx pool), on connections opened with
    /// the pool's connect options. (Options sea-orm applies after connecting, such as a
    /// schema search path, are not among them; `db::connect` sets none.)
    pub fn new(pool: DatabaseConnection) -> Self {
        Self::observed(pool, None)
    }

    /// [`Autocommit::new`], with `observer` called for every statement on its own connections.
    pub fn observed(pool: DatabaseConnection, observer: Option<StatementObserver>) -> Self {
        let own = (pool.get_database_backend() == DatabaseBackend::Postgres).then(|| {
            let options = pool.get_postgres_connection_pool().connect_options();
            Arc::new(OwnConnections::new((*options).clone()))
        });
        Self {
            pool,
            own,
            observer,
        }
    }

    /// The pool: for transactions, and for statements that need the pool's connections.
    pub fn pool(&self) -> &DatabaseConnection {
        &self.pool
    }

    /// Its own connections now (`None` on SQLite, where it has none).
    pub fn connections(&self) -> Option<OwnConnectionCounts> {
        Some(self.own.as_ref()?.counts())
    }

    fn observe(&self, statement: &Statement) {
        if let Some(observer) = &self.observer {
            observer(statement);
        }
    }
}

fn query(statement: &Statement) -> sqlx::query::Query<'_, sqlx::Postgres, SqlxValues> {
    let values = (statement.values.clone()).unwrap_or(sea_orm::sea_query::Values(Vec::new()));
    sqlx::query_with(
        sqlx::AssertSqlSafe(statement.sql.as_str()),
        SqlxValues(values),
    )
}

fn exec_error(error: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(error.into()))
}

#[async_trait::async_trait]
impl ConnectionTrait for Autocommit {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        let Some(own) = &self.own else {
            return self.pool.execute_raw(statement).await;
        };
        let mut checkout = own.checkout().await?;
        let result = query(&statement).execute(checkout.connection()).await;
        self.observe(&statement);
        checkout.end(result).map(Into::into).map_err(exec_error)
    }

    /// Unprepared SQL (possibly several statements) runs on the pool.
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        let Some(own) = &self.own else {
            return self.pool.query_one_raw(statement).await;
        };
        let mut checkout = own.checkout().await?;
        let result = query(&statement)
            .fetch_optional(checkout.connection())
            .await;
        self.observe(&statement);
        checkout
            .end(result)
            .map(|row| row.map(Into::into))
            .map_err(query_error)
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let Some(own) = &self.own else {
            return self.pool.query_all_raw(statement).await;
        };
        let mut checkout = own.checkout().await?;
        let result = query(&statement).fetch_all(checkout.connection()).await;
        self.observe(&statement);
        checkout
            .end(result)
            .map(|rows| rows.into_iter().map(Into::into).collect())
            .map_err(query_error)
    }
}
