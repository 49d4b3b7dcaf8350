use async_graphql::{ID, Object};

use super::MetadataEvent;
use crate::events::delivery;

/// An event a consumer failed to handle `maxAttempts` times; `retryEvent` puts it back.
pub struct DeadLetter(pub delivery::DeadLetter);

/// An event a consumer failed to handle `maxAttempts` times; `retryEvent` puts it back.
#[Object]
impl DeadLetter {
    /// The consumer that gave up.
    async fn consumer(&self) -> &str {
        &self.0.consumer
    }

    /// How many attempts were made.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// The error of the last attempt.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// Id of the event that was not handled (what `retryEvent` takes).
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.to_string())
    }

    /// The event that was not handled; null when its stored row cannot be read (then
    /// `lastError` says so).
    async fn event(&self) -> Option<MetadataEvent> {
        self.0.event.clone().map(MetadataEvent::from)
    }
}
