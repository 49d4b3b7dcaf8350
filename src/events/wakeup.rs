//! Waking workers when events are written: an in-process signal (the service's own
//! writes, and the only one SQLite needs) plus PostgreSQL `LISTEN metadata_events` for
//! the service's writes in other processes, which each process announces with one `NOTIFY`
//! per burst of commits, outside the write transactions (a `NOTIFY` inside them would
//! serialize their commits; see migration `m0012`). Both are best-effort; workers also poll,
//! and the poll is how writes of other SQL clients are found.

use std::sync::LazyLock;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::{Notify, watch};

static EVENTS_WRITTEN: LazyLock<Notify> = LazyLock::new(Notify::new);
static COMMITS_TO_ANNOUNCE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// How long the announcer gathers commits before one `NOTIFY` covers them all.
const ANNOUNCE_GATHER: Duration = Duration::from_millis(2);

/// The in-process signal workers wait on.
pub(crate) fn events_written() -> &'static Notify {
    &EVENTS_WRITTEN
}

/// Tells this process's workers that new events may be waiting.
pub fn notify_local() {
    EVENTS_WRITTEN.notify_waiters();
}

/// Called after each service commit: wakes this process's workers and has the announcer
/// tell the other processes.
pub fn announce_commit() {
    notify_local();
    COMMITS_TO_ANNOUNCE.notify_one();
}

/// Sends `NOTIFY metadata_events` after service commits (PostgreSQL), one per burst, until
/// `stop` turns true. A failure is logged; the other processes' polls cover it.
pub async fn announce_commits(db: DatabaseConnection, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = COMMITS_TO_ANNOUNCE.notified() => {}
            _ = stop.changed() => return,
        }
        tokio::time::sleep(ANNOUNCE_GATHER).await;
        if let Err(error) = db.execute_unprepared("NOTIFY metadata_events").await {
            tracing::debug!(%error, "announcing commits failed");
        }
    }
}

/// Forwards PostgreSQL notifications on `metadata_events` to this process's workers until
/// `stop` turns true; reconnects with backoff when the connection drops.
pub async fn listen_for_events(database_url: String, mut stop: watch::Receiver<bool>) {
    let mut delay = Duration::from_millis(200);
    while !*stop.borrow() {
        match listen_once(&database_url, &mut stop).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, "LISTEN metadata_events failed; polling meanwhile");
                notify_local();
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.changed() => return,
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn listen_once(
    database_url: &str,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen("metadata_events").await?;
    loop {
        tokio::select! {
            notification = listener.recv() => {
                notification?;
                notify_local();
            }
            _ = stop.changed() => return Ok(()),
        }
    }
}
