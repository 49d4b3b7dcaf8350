//! Waking workers when events are written: an in-process signal (the service's own
//! writes, and the only one SQLite needs) plus PostgreSQL `LISTEN metadata_events` for
//! writes from other processes. Both are best-effort; workers also poll.

use std::sync::LazyLock;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use tokio::sync::{Notify, watch};

static EVENTS_WRITTEN: LazyLock<Notify> = LazyLock::new(Notify::new);

/// The in-process signal workers wait on.
pub(crate) fn events_written() -> &'static Notify {
    &EVENTS_WRITTEN
}

/// Tells this process's workers that new events may be waiting (called after commits).
pub fn notify_local() {
    EVENTS_WRITTEN.notify_waiters();
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
