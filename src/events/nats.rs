//! Entity events on NATS JetStream, for services that do not read this database.
//!
//! The `nats` consumer rides the same delivery machinery as the others (at-least-once, in
//! order per entity, retries with backoff, then dead letters). Each event is published to
//! `metadata.events.<entity_type>.<kind>` in the stream `METADATA_EVENTS` (created when
//! missing, and again when it was deleted) with `<master id>:<event id>` as `Nats-Msg-Id`, so
//! JetStream drops a re-delivery of an event it already holds (within the stream's
//! duplicate window), and the worker completes a delivery only after JetStream acknowledged
//! the message. The master id makes the message id unique across databases: event ids
//! restart at 1 in a fresh database, and a bare id would be dropped as a duplicate.

use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind, stream};
use chrono::{DateTime, Utc};
use entity::metadata_event::{self, EventKind, EventOrigin};
use futures_util::future::BoxFuture;
use serde::Serialize;
use tokio::sync::Mutex;
use uuid::Uuid;

use super::worker::{EventHandler, HandlerError};

/// The consumer's name in `_metadata_consumers`.
pub const NATS_CONSUMER: &str = "nats";
/// How long a publish waits for JetStream's acknowledgement.
const ACK_WAIT: Duration = Duration::from_secs(10);
/// Re-deliveries within this window are dropped by JetStream.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);
/// Messages older than this leave the stream unless configured otherwise (7 days).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where events go.
#[derive(Clone, Debug)]
pub struct NatsConfig {
    /// `nats://host:port` (or `tls://…`).
    pub url: String,
    /// The JetStream stream, `METADATA_EVENTS` by default.
    pub stream: String,
    /// Subjects are `<prefix>.<entity_type>.<kind>`; `metadata.events` by default.
    pub subject_prefix: String,
    /// The stream's `max_age` when this service creates it (an existing stream keeps its own).
    pub max_age: Duration,
}

impl NatsConfig {
    pub fn new(url: impl Into<String>) -> Self {
        NatsConfig {
            url: url.into(),
            stream: "METADATA_EVENTS".into(),
            subject_prefix: "metadata.events".into(),
            max_age: DEFAULT_MAX_AGE,
        }
    }
}

/// The message published for each event (JSON).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMessage<'a> {
    /// The event id (also the `Nats-Msg-Id` header); increasing per database.
    pub id: i64,
    pub entity_type: &'a str,
    pub entity_id: Uuid,
    pub master_id: Uuid,
    /// `CREATED`, `UPDATED` or `DELETED`.
    pub kind: &'static str,
    /// The master's version after the change.
    pub version: i64,
    /// `api`, `sql`, `localization` or `reconcile`.
    pub origin: &'static str,
    pub actor: Option<&'a str>,
    pub occurred_at: DateTime<Utc>,
    /// The whole document after the change (the last one for `DELETED`).
    pub document: &'a serde_json::Value,
}

impl<'a> From<&'a metadata_event::Model> for EventMessage<'a> {
    fn from(event: &'a metadata_event::Model) -> Self {
        EventMessage {
            id: event.id,
            entity_type: &event.entity_type,
            entity_id: event.entity_id,
            master_id: event.master_id,
            kind: kind_name(event.kind),
            version: event.version,
            origin: match event.origin {
                EventOrigin::Api => "api",
                EventOrigin::Sql => "sql",
                EventOrigin::Localization => "localization",
                EventOrigin::Reconcile => "reconcile",
            },
            actor: event.actor.as_deref(),
            occurred_at: event.occurred_at,
            document: &event.document,
        }
    }
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Created => "CREATED",
        EventKind::Updated => "UPDATED",
        EventKind::Deleted => "DELETED",
    }
}

/// Publishes events to JetStream. Connecting and creating the stream happen on first use
/// and again after a failure, so that a NATS outage at start (or a deleted stream) is one more
/// retried delivery.
pub struct NatsPublisher {
    config: NatsConfig,
    /// The connected context; emptied when the stream is gone, so the next attempt creates it.
    jetstream: Mutex<Option<jetstream::Context>>,
}

impl NatsPublisher {
    pub fn new(config: NatsConfig) -> Self {
        NatsPublisher {
            config,
            jetstream: Mutex::new(None),
        }
    }

    async fn context(&self) -> Result<jetstream::Context, HandlerError> {
        let mut cached = self.jetstream.lock().await;
        if let Some(context) = cached.as_ref() {
            return Ok(context.clone());
        }
        let client = tokio::time::timeout(ACK_WAIT, async_nats::connect(&self.config.url))
            .await
            .map_err(|elapsed| HandlerError::transient("NATS is unreachable", elapsed))?
            .map_err(|error| HandlerError::transient("NATS is unreachable", error))?;
        let context = jetstream::new(client);
        self.ensure_stream(&context).await?;
        *cached = Some(context.clone());
        Ok(context)
    }

    async fn ensure_stream(&self, context: &jetstream::Context) -> Result<(), HandlerError> {
        context
            .get_or_create_stream(stream::Config {
                name: self.config.stream.clone(),
                subjects: vec![format!("{}.>", self.config.subject_prefix)],
                duplicate_window: DUPLICATE_WINDOW,
                max_age: self.config.max_age,
                ..Default::default()
            })
            .await
            .map(drop)
            .map_err(|error| {
                HandlerError::transient("the JetStream stream cannot be created", error)
            })
    }

    /// `<prefix>.<entity_type>.<kind>`, e.g. `metadata.events.campaign.updated`.
    pub fn subject(&self, event: &metadata_event::Model) -> String {
        format!(
            "{}.{}.{}",
            self.config.subject_prefix,
            event.entity_type,
            kind_name(event.kind).to_ascii_lowercase()
        )
    }

    /// `<master id>:<event id>`: unique across databases, stable across re-deliveries.
    pub fn message_id(event: &metadata_event::Model) -> String {
        format!("{}:{}", event.master_id, event.id)
    }

    async fn publish(&self, event: &metadata_event::Model) -> Result<(), HandlerError> {
        let context = self.context().await?;
        let payload = serde_json::to_vec(&EventMessage::from(event))
            .map_err(|error| HandlerError::permanent("the event cannot be encoded", error))?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", Self::message_id(event).as_str());
        let published = async {
            context
                .publish_with_headers(self.subject(event), headers, payload.into())
                .await?
                .await
        };
        let error = match tokio::time::timeout(ACK_WAIT, published).await {
            Ok(Ok(_ack)) => return Ok(()),
            Ok(Err(error)) => error,
            Err(elapsed) => {
                return Err(HandlerError::transient(
                    "JetStream did not acknowledge the event in time",
                    elapsed,
                ));
            }
        };
        match error.kind() {
            // Retrying cannot make the message smaller: a dead letter at once.
            PublishErrorKind::MaxPayloadExceeded => Err(HandlerError::permanent(
                "the event is larger than the NATS server's max_payload",
                error,
            )),
            PublishErrorKind::StreamNotFound => {
                // Deleted under us: forget the context so the next attempt creates it again.
                self.jetstream.lock().await.take();
                Err(HandlerError::transient(
                    "the JetStream stream is gone",
                    error,
                ))
            }
            _ => Err(HandlerError::transient(
                "JetStream did not acknowledge the event",
                error,
            )),
        }
    }
}

impl EventHandler for NatsPublisher {
    fn consumer(&self) -> &str {
        NATS_CONSUMER
    }

    fn handle<'a>(
        &'a self,
        event: &'a metadata_event::Model,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(self.publish(event))
    }
}
