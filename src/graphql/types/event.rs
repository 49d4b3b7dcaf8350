use async_graphql::{Enum, ID, Json, Object};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::EntityType;
use crate::events::HistoryEntry;

/// What happened to a metadata document.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataEventKind {
    /// The entity and its master row were created.
    Created,
    /// The metadata changed (on either side).
    Updated,
    /// The entity and its master row were deleted.
    Deleted,
}

/// The write path a change came through.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOrigin {
    /// This API.
    Api,
    /// Any other SQL client (psql, another service).
    Sql,
    /// The localization worker.
    Localization,
}

/// One effective change of a metadata document, recorded in the same transaction.
pub struct MetadataEvent(pub HistoryEntry);

#[Object]
impl MetadataEvent {
    /// Monotonic event id.
    async fn id(&self) -> ID {
        ID(self.0.event.id.to_string())
    }

    /// Created, updated or deleted.
    async fn kind(&self) -> MetadataEventKind {
        match self.0.event.kind.as_str() {
            "CREATED" => MetadataEventKind::Created,
            "DELETED" => MetadataEventKind::Deleted,
            _ => MetadataEventKind::Updated,
        }
    }

    /// The master's version after this change.
    async fn version(&self) -> i64 {
        self.0.event.version
    }

    /// The write path: API, raw SQL or the localization worker.
    async fn origin(&self) -> WriteOrigin {
        match self.0.event.origin.as_str() {
            "api" => WriteOrigin::Api,
            "localization" => WriteOrigin::Localization,
            _ => WriteOrigin::Sql,
        }
    }

    /// Who made the change, when known (the `x-actor` header of API requests).
    async fn actor(&self) -> Option<&str> {
        self.0.event.actor.as_deref()
    }

    /// When the change was committed to the history.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.event.occurred_at
    }

    /// Type of the entity.
    async fn entity_type(&self) -> Option<EntityType> {
        self.0
            .event
            .entity_type
            .parse::<crate::sync::EntityType>()
            .ok()
            .map(Into::into)
    }

    /// Id of the entity.
    async fn entity_id(&self) -> Uuid {
        self.0.event.entity_id
    }

    /// Id of the master row.
    async fn master_id(&self) -> Uuid {
        self.0.event.master_id
    }

    /// The whole document after this change.
    async fn document(&self) -> Json<&Value> {
        Json(&self.0.event.document)
    }

    /// RFC 6902 JSON patch from the previous version's document to this one's.
    async fn patch(&self) -> Json<&Value> {
        Json(&self.0.patch)
    }
}
