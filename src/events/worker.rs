//! Running a named consumer: claim due deliveries, hand each event to the handler,
//! complete or fail it, and sleep until woken or the poll interval passes.

use std::sync::Arc;
use std::time::Duration;

use entity::metadata_event;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::delivery::{self, Claimed};
use super::wakeup::events_written;

/// What a consumer does with one event. An `Err` is retried with backoff and becomes a
/// dead letter after the consumer's `max_attempts`.
pub trait EventHandler: Send + Sync + 'static {
    /// The consumer's name in `_metadata_consumers`.
    fn consumer(&self) -> &str;
    fn handle<'a>(&'a self, event: &'a metadata_event::Model) -> BoxFuture<'a, Result<(), String>>;
}

/// How a worker paces itself.
#[derive(Clone, Copy, Debug)]
pub struct WorkerConfig {
    /// Deliveries claimed at once.
    pub batch: u64,
    /// How long a claim is held before another worker may take it over.
    pub lease: Duration,
    /// The longest sleep without a wake-up signal (the fallback of LISTEN/NOTIFY).
    pub poll: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch: 32,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
        }
    }
}

/// Runs `handler` until `stop` turns true. Errors talking to the database are logged and
/// retried after the poll interval; they never end the loop. The deliveries of a batch
/// are completed together after it (one commit instead of one per event); if the worker
/// dies before that, they are handed out again and the idempotent handlers skip them.
pub async fn run(
    db: DatabaseConnection,
    handler: Arc<dyn EventHandler>,
    config: WorkerConfig,
    mut stop: watch::Receiver<bool>,
) {
    let consumer = handler.consumer().to_owned();
    while !*stop.borrow() {
        let woken = events_written().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let handled = match delivery::claim(&db, &consumer, config.batch, config.lease).await {
            Ok(claimed) => {
                let mut done = Vec::with_capacity(claimed.len());
                for delivery in &claimed {
                    if process(&db, handler.as_ref(), &consumer, delivery).await {
                        done.push(delivery.event.id);
                    }
                }
                if let Err(error) = delivery::complete_many(&db, &consumer, &done).await {
                    // The leases run out and the events are handled again: handlers are idempotent.
                    tracing::warn!(%error, consumer, "recording handled deliveries failed");
                }
                claimed.len()
            }
            Err(error) => {
                tracing::warn!(%error, consumer, "claiming deliveries failed");
                0
            }
        };
        if handled == 0 {
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(config.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// Hands one event to the handler; true when it succeeded (the caller completes it),
/// otherwise the failure is recorded for a retry or a dead letter.
async fn process(
    db: &DatabaseConnection,
    handler: &dyn EventHandler,
    consumer: &str,
    claimed: &Claimed,
) -> bool {
    match handler.handle(&claimed.event).await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(
                consumer,
                event = claimed.event.id,
                attempts = claimed.attempts,
                error,
                "event handler failed"
            );
            if let Err(error) = delivery::fail(db, claimed, consumer, &error).await {
                tracing::warn!(%error, consumer, event = claimed.event.id, "recording a failed delivery failed");
            }
            false
        }
    }
}
