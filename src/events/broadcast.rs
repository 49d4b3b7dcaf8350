//! This process's fan-out of events to GraphQL subscribers.
//!
//! Every server process with subscribers registers an ephemeral consumer of its own
//! (`subscriptions:<uuid>`), so each such process receives every event — including those
//! written through another process or raw SQL — and publishes it on an in-memory
//! broadcast channel that subscriptions filter. The consumer is registered by the first
//! subscription and removed after [`IDLE`] without one: a process nobody subscribes to
//! costs writers no delivery rows and its worker nothing. What subscribers share is computed once
//! per event here (e.g. the translations a localization write changed), never once per
//! subscriber. A subscriber that falls more than the channel's capacity behind skips the
//! events it missed (logged) rather than slowing everyone else down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use entity::metadata_event;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{Mutex, broadcast};

use super::delivery;
use super::worker::{EventHandler, HandlerError};
use crate::localization::{TranslationChange, translation_changes};

/// Events buffered per subscriber before it starts skipping.
pub const CAPACITY: usize = 4096;

/// How long the consumer stays registered after the last subscriber left.
pub const IDLE: Duration = Duration::from_secs(30);

/// One event as subscribers receive it.
#[derive(Debug)]
pub struct Published {
    pub event: Arc<metadata_event::Model>,
    /// The translations a localization write changed, per locale (empty otherwise).
    pub translations: Vec<TranslationChange>,
}

/// Publishes events to this process's subscribers.
#[derive(Clone)]
pub struct Broadcaster {
    consumer: String,
    db: DatabaseConnection,
    sender: broadcast::Sender<Arc<Published>>,
    registration: Arc<Mutex<Registration>>,
    /// Mirrors `registration.registered` for the worker, which claims only while it is set.
    registered: Arc<AtomicBool>,
}

/// Whether the consumer is registered, and since when nobody listens.
#[derive(Default)]
struct Registration {
    registered: bool,
    idle_since: Option<Instant>,
}

impl Broadcaster {
    /// A fan-out that reads what it needs to prepare events from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Broadcaster {
            consumer: format!("subscriptions:{}", uuid::Uuid::new_v4()),
            db,
            sender,
            registration: Arc::default(),
            registered: Arc::default(),
        }
    }

    /// The consumer name this process registers for its subscribers.
    pub fn consumer_name(&self) -> &str {
        &self.consumer
    }

    /// A stream of every event written from now on. Registers this process's consumer
    /// first if no one else listens yet (the receiver exists before the registration, so
    /// nothing delivered after it is missed).
    pub async fn subscribe(&self) -> Result<BoxStream<'static, Arc<Published>>, DbErr> {
        let receiver = self.sender.subscribe();
        let mut registration = self.registration.lock().await;
        if !registration.registered {
            // Marked before the await: if this future is dropped after the registration
            // committed, the worker still drains the consumer and `tend` still retires it.
            registration.registered = true;
            self.registered.store(true, Ordering::SeqCst);
            if let Err(error) = delivery::register_consumer(&self.db, &self.consumer, 1, true).await
            {
                registration.registered = false;
                self.registered.store(false, Ordering::SeqCst);
                return Err(error);
            }
        }
        registration.idle_since = None;
        drop(registration);
        Ok(Self::stream(receiver).boxed())
    }

    /// Called every heartbeat: refreshes the registration while anyone listens (and
    /// restores it if another process pruned it), removes it after [`IDLE`] without
    /// subscribers.
    pub async fn tend(&self) -> Result<(), DbErr> {
        let mut registration = self.registration.lock().await;
        if !registration.registered {
            return Ok(());
        }
        if self.sender.receiver_count() > 0 {
            registration.idle_since = None;
            return delivery::register_consumer(&self.db, &self.consumer, 1, true).await;
        }
        let since = *registration.idle_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= IDLE {
            delivery::unregister_consumer(&self.db, &self.consumer).await?;
            registration.registered = false;
            self.registered.store(false, Ordering::SeqCst);
            registration.idle_since = None;
        }
        Ok(())
    }

    fn stream(
        receiver: broadcast::Receiver<Arc<Published>>,
    ) -> impl Stream<Item = Arc<Published>> + Send + 'static {
        futures_util::stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, receiver)),
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "a subscriber fell behind and skipped events");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }
}

impl EventHandler for Broadcaster {
    fn consumer(&self) -> &str {
        &self.consumer
    }

    fn active(&self) -> bool {
        self.registered.load(Ordering::SeqCst)
    }

    fn handle<'a>(
        &'a self,
        event: &'a metadata_event::Model,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if self.sender.receiver_count() == 0 {
                // Nobody listens: nothing to prepare, and nobody to tell.
                return Ok(());
            }
            let published = Published {
                translations: translation_changes(&self.db, event).await,
                event: Arc::new(event.clone()),
            };
            let _ = self.sender.send(Arc::new(published));
            Ok(())
        })
    }
}
