use async_graphql::Object;

use super::MetadataEvent;
use crate::events::delivery;

/// An event a consumer failed to handle `maxAttempts` times; `retryEvent` puts it back.
pub struct DeadLetter(pub delivery::DeadLetter);

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

    /// The event that was not handled.
    async fn event(&self) -> MetadataEvent {
        MetadataEvent::from(self.0.event.clone())
    }
}
