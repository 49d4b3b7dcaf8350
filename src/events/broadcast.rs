//! This process's fan-out of events to GraphQL subscribers.
//!
//! Every server process registers an ephemeral consumer of its own
//! (`subscriptions:<uuid>`), so each process receives every event — including those
//! written through another process or raw SQL — and publishes it on an in-memory
//! broadcast channel that subscriptions filter. What subscribers share is computed once
//! per event here (e.g. the translations a localization write changed), never once per
//! subscriber. A subscriber that falls more than the channel's capacity behind skips the
//! events it missed (logged) rather than slowing everyone else down.

use std::sync::Arc;

use entity::metadata_event;
use futures_util::Stream;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use super::worker::{EventHandler, HandlerError};
use crate::localization::{TranslationChange, translation_changes};

/// Events buffered per subscriber before it starts skipping.
pub const CAPACITY: usize = 4096;

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
}

impl Broadcaster {
    /// A fan-out that reads what it needs to prepare events from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Broadcaster {
            consumer: format!("subscriptions:{}", uuid::Uuid::new_v4()),
            db,
            sender,
        }
    }

    /// The consumer name this process registers for its subscribers.
    pub fn consumer_name(&self) -> &str {
        &self.consumer
    }

    /// A stream of every event published from now on.
    pub fn subscribe(&self) -> impl Stream<Item = Arc<Published>> + Send + 'static {
        futures_util::stream::unfold(self.sender.subscribe(), |mut receiver| async move {
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
