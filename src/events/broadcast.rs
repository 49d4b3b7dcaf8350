//! This process's fan-out of events to GraphQL subscribers.
//!
//! Every server process registers an ephemeral consumer of its own
//! (`subscriptions:<uuid>`), so each process receives every event — including those
//! written through another process or raw SQL — and publishes it on an in-memory
//! broadcast channel that subscriptions filter. A subscriber that falls more than the
//! channel's capacity behind skips the events it missed (logged) rather than slowing
//! everyone else down.

use std::sync::Arc;

use entity::metadata_event;
use futures_util::Stream;
use futures_util::future::BoxFuture;
use tokio::sync::broadcast;

use super::worker::EventHandler;

/// Events buffered per subscriber before it starts skipping.
pub const CAPACITY: usize = 4096;

/// Publishes events to this process's subscribers.
#[derive(Clone)]
pub struct Broadcaster {
    consumer: String,
    sender: broadcast::Sender<Arc<metadata_event::Model>>,
}

impl Broadcaster {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Broadcaster {
            consumer: format!("subscriptions:{}", uuid::Uuid::new_v4()),
            sender,
        }
    }

    /// The consumer name this process registers for its subscribers.
    pub fn consumer_name(&self) -> &str {
        &self.consumer
    }

    /// A stream of every event published from now on.
    pub fn subscribe(&self) -> impl Stream<Item = Arc<metadata_event::Model>> + Send + 'static {
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

impl Default for Broadcaster {
    fn default() -> Self {
        Self::new()
    }
}

impl EventHandler for Broadcaster {
    fn consumer(&self) -> &str {
        &self.consumer
    }

    fn handle<'a>(&'a self, event: &'a metadata_event::Model) -> BoxFuture<'a, Result<(), String>> {
        // No subscriber listening is not a failure: there is simply nobody to tell.
        let _ = self.sender.send(Arc::new(event.clone()));
        Box::pin(async { Ok(()) })
    }
}
