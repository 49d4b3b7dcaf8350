//! Running a named consumer: claim due deliveries, hand each event to the handler,
//! complete or fail it, and sleep until woken or the poll interval passes.
//!
//! While a batch is being handled its leases are renewed every third of the lease, so a
//! live worker keeps its events however long a handler takes (up to `handler_timeout`),
//! and a killed one loses them to another worker within one lease.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use entity::metadata_event;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use tokio::sync::{Mutex, watch};

use super::delivery::{self, Claimed};
use super::heads;
use super::wakeup::events_written;

/// Why a handler failed. `reason` is stable and safe to show to API clients (it becomes a
/// dead letter's `lastError`); `detail` may hold database or library text and is only logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerError {
    pub reason: String,
    pub detail: String,
    /// Retrying cannot help: the delivery becomes a dead letter at once.
    pub permanent: bool,
}

impl HandlerError {
    /// A failure worth retrying with backoff.
    pub fn transient(reason: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        HandlerError {
            reason: reason.into(),
            detail: detail.to_string(),
            permanent: false,
        }
    }

    /// A failure that no retry can mend.
    pub fn permanent(reason: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        HandlerError {
            reason: reason.into(),
            detail: detail.to_string(),
            permanent: true,
        }
    }
}

/// What a consumer does with one event. A transient `Err` is retried with backoff and
/// becomes a dead letter after the consumer's `max_attempts`; a permanent one at once.
pub trait EventHandler: Send + Sync + 'static {
    /// The consumer's name in `_metadata_consumers`.
    fn consumer(&self) -> &str;
    /// False while the consumer is idle by design (this process's subscription fan-out
    /// without subscribers, whose consumer is not registered): the worker then claims
    /// nothing until it is active again.
    fn active(&self) -> bool {
        true
    }
    /// True when the handler acts on the entity's current state rather than on the event
    /// (it reads the entity when called): handling one event of an entity then also handles
    /// every event of it committed before, so the worker completes the entity's other
    /// pending deliveries read at claim time together with the one it handed over.
    fn handles_current_state(&self) -> bool {
        false
    }
    fn handle<'a>(
        &'a self,
        event: &'a metadata_event::Model,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;
}

/// How a worker paces itself.
#[derive(Clone, Copy, Debug)]
pub struct WorkerConfig {
    /// Deliveries claimed at once.
    pub batch: u64,
    /// How long a claim is held without renewal before another worker may take it over.
    pub lease: Duration,
    /// The longest sleep without a wake-up signal (the fallback of LISTEN/NOTIFY).
    pub poll: Duration,
    /// The longest one event may take; then it counts as a failed attempt.
    pub handler_timeout: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch: 32,
            lease: Duration::from_secs(15),
            poll: Duration::from_millis(250),
            handler_timeout: Duration::from_secs(300),
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
    let mut last_repair = None;
    while !*stop.borrow() {
        let woken = events_written().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if !handler.active() {
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(config.poll) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let handled = match delivery::claim(
            &db,
            &consumer,
            config.batch,
            config.lease,
            handler.handles_current_state(),
        )
        .await
        {
            Ok(claimed) => {
                let held: Mutex<HashSet<i64>> =
                    Mutex::new(claimed.iter().map(|c| c.event_id).collect());
                let work = handle_batch(&db, handler.as_ref(), &consumer, &claimed, &held, config);
                let renew = renew_leases(&db, &consumer, &held, config.lease);
                tokio::select! {
                    (done, covered) = work => {
                        if let Err(error) = delivery::complete_many(&db, &consumer, &done, &covered).await {
                            // The leases run out and the events are handled again: handlers are idempotent.
                            tracing::warn!(%error, consumer, "recording handled deliveries failed");
                        }
                    }
                    never = renew => match never {},
                }
                claimed.len()
            }
            Err(error) => {
                tracing::warn!(%error, consumer, "claiming deliveries failed");
                0
            }
        };
        if handled == 0 {
            if let Err(error) = heads::repair_if_due(&db, &consumer, &mut last_repair).await {
                tracing::warn!(%error, consumer, "checking the delivery queues failed");
            }
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(config.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// Handles a claimed batch in order; returns the ids that succeeded, and the deliveries
/// they cover.
async fn handle_batch(
    db: &DatabaseConnection,
    handler: &dyn EventHandler,
    consumer: &str,
    claimed: &[Claimed],
    held: &Mutex<HashSet<i64>>,
    config: WorkerConfig,
) -> (Vec<i64>, Vec<i64>) {
    let mut done = Vec::with_capacity(claimed.len());
    let mut covered = Vec::new();
    for delivery in claimed {
        match process(handler, consumer, delivery, config.handler_timeout).await {
            Ok(()) => {
                done.push(delivery.event_id);
                covered.extend_from_slice(&delivery.covers);
            }
            Err(error) => {
                // Under the lock renewals take: no renewal can land after `fail` and undo its
                // backoff. Once rescheduled, the delivery is no longer this worker's to renew.
                let mut held = held.lock().await;
                held.remove(&delivery.event_id);
                if let Err(db_error) = delivery::fail(db, delivery, consumer, &error).await {
                    tracing::warn!(error = %db_error, consumer, event = delivery.event_id, "recording a failed delivery failed");
                }
            }
        }
    }
    (done, covered)
}

/// Renews the leases of this batch's deliveries (all but the failed ones, which `fail`
/// rescheduled; handled ones are completed with the batch), every third of a lease,
/// until dropped.
async fn renew_leases(
    db: &DatabaseConnection,
    consumer: &str,
    held: &Mutex<HashSet<i64>>,
    lease: Duration,
) -> std::convert::Infallible {
    loop {
        tokio::time::sleep(lease / 3).await;
        let held = held.lock().await;
        let ids: Vec<i64> = held.iter().copied().collect();
        if let Err(error) = delivery::extend_leases(db, consumer, &ids, lease).await {
            tracing::warn!(%error, consumer, "renewing delivery leases failed");
        }
    }
}

/// Hands one event to the handler (within `timeout`); an unreadable event fails for good.
#[tracing::instrument(name = "events.handle", skip_all, fields(consumer = consumer, event = claimed.event_id, attempts = claimed.attempts))]
async fn process(
    handler: &dyn EventHandler,
    consumer: &str,
    claimed: &Claimed,
    timeout: Duration,
) -> Result<(), HandlerError> {
    let outcome = match &claimed.event {
        Ok(event) => match tokio::time::timeout(timeout, handler.handle(event)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(HandlerError::transient(
                "the handler timed out",
                format!("no result within {timeout:?}"),
            )),
        },
        Err(unreadable) => Err(HandlerError::permanent(
            "the event could not be read",
            unreadable,
        )),
    };
    if let Err(error) = &outcome {
        tracing::warn!(
            consumer,
            event = claimed.event_id,
            attempts = claimed.attempts,
            reason = error.reason,
            detail = error.detail,
            permanent = error.permanent,
            "event handler failed"
        );
    }
    outcome
}
