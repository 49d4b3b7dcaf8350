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
/// retried after the poll interval; they never end the loop.
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
                let count = claimed.len();
                for delivery in claimed {
                    process(&db, handler.as_ref(), &consumer, &delivery).await;
                }
                count
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

async fn process(
    db: &DatabaseConnection,
    handler: &dyn EventHandler,
    consumer: &str,
    claimed: &Claimed,
) {
    let outcome = handler.handle(&claimed.event).await;
    let recorded = match &outcome {
        Ok(()) => delivery::complete(db, consumer, claimed.event.id).await,
        Err(error) => {
            tracing::warn!(
                consumer,
                event = claimed.event.id,
                attempts = claimed.attempts,
                error,
                "event handler failed"
            );
            delivery::fail(db, claimed, consumer, error).await
        }
    };
    if let Err(error) = recorded {
        // The lease runs out and the delivery is retried: handlers are idempotent.
        tracing::warn!(%error, consumer, event = claimed.event.id, "recording a delivery outcome failed");
    }
}
