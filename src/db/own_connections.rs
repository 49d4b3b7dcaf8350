//! [`super::Autocommit`]'s own PostgreSQL connections: an idle list, at most
//! [`MAX_CONNECTIONS`] open, and the rule for when a connection may be handed on.
//!
//! A connection goes back to the idle list at once when its statement's future ran to the
//! end, or ended with PostgreSQL's error answer of severity `ERROR`: the protocol is in step
//! then (sqlx reads a pending `ReadyForQuery` before its next statement), and the session
//! lives on. After a `FATAL` answer (a terminated backend, a restart) or any other failure
//! (I/O, protocol) the connection is closed. A checkout dropped half-way (its statement's
//! future was cancelled) is drained in a task of its own, as sqlx's pool drains every
//! connection it gets back: a `Sync` waits until PostgreSQL has finished the statement, and
//! the connection's slot stays taken meanwhile, so cancelled statements cannot pile up on
//! the server beyond the limit. Nothing run here opens a transaction, so none is left open.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgDatabaseError, PgSeverity};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::timeout_at;

use super::{ACQUIRE_TIMEOUT, MAX_CONNECTIONS, PING_WHEN_IDLE_FOR};

/// An idle connection unused for this long is closed when the list is next touched.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// A connection is closed when it comes back after this long, however busy it is.
const MAX_LIFETIME: Duration = Duration::from_secs(1800);
/// The longest wait between two attempts to connect while the server refuses.
const MAX_CONNECT_BACKOFF: Duration = Duration::from_secs(1);

pub(super) struct OwnConnections {
    options: PgConnectOptions,
    idle: Mutex<Vec<Idle>>,
    slots: Arc<Semaphore>,
}

struct Idle {
    connection: PgConnection,
    opened: Instant,
    since: Instant,
}

/// [`super::Autocommit::connections`]: idle, and in use (one being opened or drained after
/// a cancelled statement counts as in use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnConnectionCounts {
    pub idle: usize,
    pub in_use: usize,
}

/// A connection taken (or opened) for one statement, with its slot.
pub(super) struct Checkout {
    own: Arc<OwnConnections>,
    connection: Option<Idle>,
    slot: Option<OwnedSemaphorePermit>,
}

impl OwnConnections {
    pub(super) fn new(options: PgConnectOptions) -> Self {
        Self {
            options,
            idle: Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        }
    }

    pub(super) fn counts(&self) -> OwnConnectionCounts {
        OwnConnectionCounts {
            idle: self.lock_idle().len(),
            in_use: MAX_CONNECTIONS - self.slots.available_permits(),
        }
    }

    /// A connection within [`ACQUIRE_TIMEOUT`]: the most recently used idle one (pinged
    /// first when it idled for [`PING_WHEN_IDLE_FOR`]), or a new one.
    pub(super) async fn checkout(self: &Arc<Self>) -> Result<Checkout, DbErr> {
        let deadline = tokio::time::Instant::now() + ACQUIRE_TIMEOUT;
        let slot = timeout_at(deadline, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .expect("the semaphore is never closed");
        loop {
            let idle = self.lock_idle().pop();
            let Some(mut idle) = idle else { break };
            if idle.since.elapsed() < PING_WHEN_IDLE_FOR
                || matches!(
                    timeout_at(deadline, idle.connection.ping()).await,
                    Ok(Ok(()))
                )
            {
                return Ok(self.checkout_of(idle, slot));
            }
        }
        let connection = self.connect(deadline).await?;
        let now = Instant::now();
        let idle = Idle {
            connection,
            opened: now,
            since: now,
        };
        Ok(self.checkout_of(idle, slot))
    }

    fn checkout_of(self: &Arc<Self>, idle: Idle, slot: OwnedSemaphorePermit) -> Checkout {
        Checkout {
            own: self.clone(),
            connection: Some(idle),
            slot: Some(slot),
        }
    }

    /// Connects, retrying (as sqlx's pool does) while the server refuses connections or
    /// is starting, until `deadline`.
    async fn connect(&self, deadline: tokio::time::Instant) -> Result<PgConnection, DbErr> {
        let mut backoff = Duration::from_millis(10);
        loop {
            let error = match timeout_at(deadline, PgConnection::connect_with(&self.options)).await
            {
                Err(_) => return Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
                Ok(Ok(connection)) => return Ok(connection),
                Ok(Err(error)) => error,
            };
            let retry = match &error {
                sqlx::Error::Io(io) => io.kind() == std::io::ErrorKind::ConnectionRefused,
                sqlx::Error::Database(database) => database.is_transient_in_connect_phase(),
                _ => false,
            };
            if !retry || tokio::time::Instant::now() + backoff >= deadline {
                return Err(DbErr::Conn(RuntimeErr::SqlxError(error.into())));
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_CONNECT_BACKOFF);
        }
    }

    fn give_back(&self, mut idle: Idle) {
        let now = Instant::now();
        if now.duration_since(idle.opened) >= MAX_LIFETIME {
            return;
        }
        idle.since = now;
        let mut list = self.lock_idle();
        list.retain(|other| now.duration_since(other.since) < IDLE_TIMEOUT);
        list.push(idle);
    }

    fn lock_idle(&self) -> MutexGuard<'_, Vec<Idle>> {
        // Only pushed to, popped from and filtered: a panic elsewhere cannot leave it torn.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Checkout {
    pub(super) fn connection(&mut self) -> &mut PgConnection {
        &mut self
            .connection
            .as_mut()
            .expect("a checkout holds its connection until it ends")
            .connection
    }

    /// Ends the checkout after its statement answered `result`: the connection is handed
    /// on when its session and protocol are sound, and closed otherwise.
    pub(super) fn end<T>(mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        let sound = match &result {
            Ok(_) => true,
            Err(sqlx::Error::Database(error)) => error
                .try_downcast_ref::<PgDatabaseError>()
                .is_some_and(|error| matches!(error.severity(), PgSeverity::Error)),
            Err(_) => false,
        };
        if let Some(idle) = self.connection.take()
            && sound
        {
            self.own.give_back(idle);
        }
        result
    }
}

impl Drop for Checkout {
    /// Only a checkout whose statement was dropped half-way still holds its connection.
    fn drop(&mut self) {
        let (Some(mut idle), Some(slot)) = (self.connection.take(), self.slot.take()) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let own = self.own.clone();
        runtime.spawn(async move {
            let deadline = tokio::time::Instant::now() + ACQUIRE_TIMEOUT;
            if let Ok(Ok(())) = timeout_at(deadline, idle.connection.ping()).await {
                own.give_back(idle);
            }
            drop(slot);
        });
    }
}
