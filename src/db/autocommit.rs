//! Single statements (each its own transaction) on PostgreSQL connections kept beside the
//! pool, handed back without a round trip.
//!
//! sqlx's pool sends a `Sync` and waits for PostgreSQL's answer each time a connection is
//! returned to it (to drain whatever a cancelled statement left behind): a second round
//! trip, and PostgreSQL work, for every statement run outside a transaction. [`Autocommit`]
//! keeps connections of its own for such statements and returns one to its idle list as
//! soon as its statement has been answered. Why that is safe: a connection goes back only
//! when its statement's future ran to the end, or ended with PostgreSQL's own error answer
//! (the protocol is in step then; sqlx reads the pending `ReadyForQuery` before its next
//! statement). A connection whose future was dropped half-way, or that failed any other
//! way (I/O, protocol), is closed, never handed on. Nothing here opens a transaction, so
//! none can be left open.
//!
//! Transactions, and SQLite (where the pool's check costs no round trip), use the pool.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, ExecResult,
    QueryResult, RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::{ACQUIRE_TIMEOUT, MAX_CONNECTIONS, PING_WHEN_IDLE_FOR};

/// A connection unused for this long is closed rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// A connection is closed when returned after this long, however busy it is.
const MAX_LIFETIME: Duration = Duration::from_secs(1800);

/// Called with every statement run on [`Autocommit`]'s own connections (tests count them).
pub type StatementObserver = Arc<dyn Fn(&Statement) + Send + Sync>;

/// The API's database: single statements on connections of their own (PostgreSQL), and
/// the pool ([`Autocommit::pool`]) for transactions and everything else. Cheap to clone.
#[derive(Clone, Default)]
pub struct Autocommit {
    pool: DatabaseConnection,
    own: Option<Arc<OwnConnections>>,
}

struct OwnConnections {
    options: PgConnectOptions,
    idle: Mutex<Vec<Idle>>,
    slots: Semaphore,
    observer: Option<StatementObserver>,
}

struct Idle {
    connection: PgConnection,
    opened: Instant,
    since: Instant,
}

impl Autocommit {
    /// Single statements beside `pool` (connected), on connections opened as the pool's are.
    pub fn new(pool: DatabaseConnection) -> Self {
        Self::observed(pool, None)
    }

    /// [`Autocommit::new`], with `observer` called for every statement on its own connections.
    pub fn observed(pool: DatabaseConnection, observer: Option<StatementObserver>) -> Self {
        let own = (pool.get_database_backend() == DatabaseBackend::Postgres).then(|| {
            let options = (*pool.get_postgres_connection_pool().connect_options()).clone();
            Arc::new(OwnConnections {
                options,
                idle: Mutex::new(Vec::new()),
                slots: Semaphore::new(MAX_CONNECTIONS),
                observer,
            })
        });
        Self { pool, own }
    }

    /// The pool: for transactions, and for statements that need the pool's connections.
    pub fn pool(&self) -> &DatabaseConnection {
        &self.pool
    }

    /// Its own connections now, idle and in use (`None` on SQLite, where it has none).
    /// A connection being opened counts as in use.
    pub fn connections(&self) -> Option<OwnConnectionCounts> {
        let own = self.own.as_ref()?;
        Some(OwnConnectionCounts {
            idle: own.lock_idle().len(),
            in_use: MAX_CONNECTIONS - own.slots.available_permits(),
        })
    }
}

/// [`Autocommit::connections`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnConnectionCounts {
    pub idle: usize,
    pub in_use: usize,
}

/// A connection taken from the idle list (or opened) for one statement.
struct Checkout<'a> {
    own: &'a OwnConnections,
    connection: Option<Idle>,
    _slot: SemaphorePermit<'a>,
}

impl OwnConnections {
    async fn checkout(&self) -> Result<Checkout<'_>, DbErr> {
        let slot = tokio::time::timeout(ACQUIRE_TIMEOUT, self.slots.acquire())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
        loop {
            let idle = self.lock_idle().pop();
            let Some(mut idle) = idle else { break };
            if idle.since.elapsed() < PING_WHEN_IDLE_FOR || idle.connection.ping().await.is_ok() {
                return Ok(Checkout {
                    own: self,
                    connection: Some(idle),
                    _slot: slot,
                });
            }
        }
        let opened =
            tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&self.options))
                .await
                .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
                .map_err(|error| DbErr::Conn(RuntimeErr::SqlxError(error.into())))?;
        let now = Instant::now();
        Ok(Checkout {
            own: self,
            connection: Some(Idle {
                connection: opened,
                opened: now,
                since: now,
            }),
            _slot: slot,
        })
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // The list is only pushed to and popped from: a panic elsewhere cannot leave it torn.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn observe(&self, statement: &Statement) {
        if let Some(observer) = &self.observer {
            observer(statement);
        }
    }
}

impl Checkout<'_> {
    fn connection(&mut self) -> &mut PgConnection {
        &mut self
            .connection
            .as_mut()
            .expect("a checkout holds its connection until it ends")
            .connection
    }

    /// Ends the checkout after the statement answered `result`: the connection goes back
    /// to the idle list when its protocol is in step, and is closed otherwise.
    fn end<T>(mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        let reusable = matches!(&result, Ok(_) | Err(sqlx::Error::Database(_)));
        if let (true, Some(mut idle)) = (reusable, self.connection.take()) {
            let now = now_unless_expired(&idle);
            if let Some(now) = now {
                idle.since = now;
                let mut list = self.own.lock_idle();
                list.retain(|other| now.duration_since(other.since) < IDLE_TIMEOUT);
                list.push(idle);
            }
        }
        result
    }
}

fn now_unless_expired(idle: &Idle) -> Option<Instant> {
    let now = Instant::now();
    (now.duration_since(idle.opened) < MAX_LIFETIME).then_some(now)
}

fn query(statement: &Statement) -> sqlx::query::Query<'_, sqlx::Postgres, SqlxValues> {
    let values = (statement.values.clone()).unwrap_or(sea_orm::sea_query::Values(Vec::new()));
    sqlx::query_with(
        sqlx::AssertSqlSafe(statement.sql.as_str()),
        SqlxValues(values),
    )
}

fn query_error(error: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(error.into()))
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
        own.observe(&statement);
        let mut checkout = own.checkout().await?;
        let result = query(&statement).execute(checkout.connection()).await;
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
        own.observe(&statement);
        let mut checkout = own.checkout().await?;
        let result = query(&statement)
            .fetch_optional(checkout.connection())
            .await;
        checkout
            .end(result)
            .map(|row| row.map(Into::into))
            .map_err(query_error)
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let Some(own) = &self.own else {
            return self.pool.query_all_raw(statement).await;
        };
        own.observe(&statement);
        let mut checkout = own.checkout().await?;
        let result = query(&statement).fetch_all(checkout.connection()).await;
        checkout
            .end(result)
            .map(|rows| rows.into_iter().map(Into::into).collect())
            .map_err(query_error)
    }
}
