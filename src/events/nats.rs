//! Entity events on NATS JetStream, for services that do not read this database.
//!
//! The `nats` consumer rides the same delivery machinery as the others (at-least-once, in
//! order per entity, retries with backoff, then dead letters). Each event is published to
//! `metadata.events.<entity_type>.<kind>` in the stream `METADATA_EVENTS` (created when
//! missing) with the event id as `Nats-Msg-Id`, so JetStream drops a re-delivery of an
//! event it already holds (within the stream's duplicate window), and the worker completes
//! a delivery only after JetStream acknowledged the message.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use chrono::{DateTime, Utc};
use entity::metadata_event::{self, EventKind, EventOrigin};
use futures_util::future::BoxFuture;
use serde::Serialize;
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::worker::{EventHandler, HandlerError};

/// The consumer's name in `_metadata_consumers`.
pub const NATS_CONSUMER: &str = "nats";
/// How long a publish waits for JetStream's acknowledgement.
const ACK_WAIT: Duration = Duration::from_secs(10);
/// Re-deliveries within this window are dropped by JetStream.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);

/// Where events go.
#[derive(Clone, Debug)]
pub struct NatsConfig {
    /// `nats://host:port` (or `tls://…`).
    pub url: String,
    /// The JetStream stream, `METADATA_EVENTS` by default.
    pub stream: String,
    /// Subjects are `<prefix>.<entity_type>.<kind>`; `metadata.events` by default.
    pub subject_prefix: String,
}

impl NatsConfig {
    pub fn new(url: impl Into<String>) -> Self {
        NatsConfig {
            url: url.into(),
            stream: "METADATA_EVENTS".into(),
            subject_prefix: "metadata.events".into(),
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
/// and again after a failure, so that a NATS outage at start is one more retried delivery.
pub struct NatsPublisher {
    config: NatsConfig,
    jetstream: OnceCell<jetstream::Context>,
}

impl NatsPublisher {
    pub fn new(config: NatsConfig) -> Self {
        NatsPublisher {
            config,
            jetstream: OnceCell::new(),
        }
    }

    async fn context(&self) -> Result<&jetstream::Context, HandlerError> {
        self.jetstream
            .get_or_try_init(|| async {
                let client = tokio::time::timeout(ACK_WAIT, async_nats::connect(&self.config.url))
                    .await
                    .map_err(|elapsed| HandlerError::transient("NATS is unreachable", elapsed))?
                    .map_err(|error| HandlerError::transient("NATS is unreachable", error))?;
                let context = jetstream::new(client);
                context
                    .get_or_create_stream(stream::Config {
                        name: self.config.stream.clone(),
                        subjects: vec![format!("{}.>", self.config.subject_prefix)],
                        duplicate_window: DUPLICATE_WINDOW,
                        ..Default::default()
                    })
                    .await
                    .map_err(|error| {
                        HandlerError::transient("the JetStream stream cannot be created", error)
                    })?;
                Ok(context)
            })
            .await
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

    async fn publish(&self, event: &metadata_event::Model) -> Result<(), HandlerError> {
        let context = self.context().await?;
        let payload = serde_json::to_vec(&EventMessage::from(event))
            .map_err(|error| HandlerError::permanent("the event cannot be encoded", error))?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.id.to_string().as_str());
        let published = async {
            context
                .publish_with_headers(self.subject(event), headers, payload.into())
                .await?
                .await
                .map(drop)
                .map_err(async_nats::Error::from)
        };
        match tokio::time::timeout(ACK_WAIT, published).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(HandlerError::transient(
                "JetStream did not acknowledge the event",
                error,
            )),
            Err(elapsed) => Err(HandlerError::transient(
                "JetStream did not acknowledge the event in time",
                elapsed,
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
