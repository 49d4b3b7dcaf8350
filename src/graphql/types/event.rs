use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Json, Object, Result};
use chrono::{DateTime, Utc};
use entity::metadata_event;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::EntityTypeName;
use crate::events::{HistoryEntry, document_at, json_patch};
use crate::graphql::error::internal;

/// What happened to a metadata document.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::metadata_event::EventKind")]
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
#[graphql(remote = "entity::metadata_event::EventOrigin")]
pub enum WriteOrigin {
    /// This API.
    Api,
    /// Any other SQL client (psql, another service).
    Sql,
    /// The localization worker.
    Localization,
    /// A drift repair (`metadata-synergy reconcile --repair`).
    Reconcile,
}

/// One effective change of a metadata document, recorded in the same transaction.
pub struct MetadataEvent {
    event: Arc<metadata_event::Model>,
    /// Known when read as part of a history page; computed on demand otherwise.
    patch: Option<Value>,
}

impl From<HistoryEntry> for MetadataEvent {
    fn from(entry: HistoryEntry) -> Self {
        MetadataEvent {
            event: Arc::new(entry.event),
            patch: Some(entry.patch),
        }
    }
}

impl From<metadata_event::Model> for MetadataEvent {
    fn from(event: metadata_event::Model) -> Self {
        MetadataEvent::from(Arc::new(event))
    }
}

/// An event as subscribers receive it: shared, not copied, between them.
impl From<Arc<metadata_event::Model>> for MetadataEvent {
    fn from(event: Arc<metadata_event::Model>) -> Self {
        MetadataEvent { event, patch: None }
    }
}

/// One effective change of a metadata document, recorded in the same transaction.
#[Object]
impl MetadataEvent {
    /// Monotonic event id.
    async fn id(&self) -> ID {
        ID(self.event.id.to_string())
    }

    /// Created, updated or deleted.
    async fn kind(&self) -> MetadataEventKind {
        self.event.kind.into()
    }

    /// The master's version after this change.
    async fn version(&self) -> i64 {
        self.event.version
    }

    /// The write path: API, raw SQL or the localization worker.
    async fn origin(&self) -> WriteOrigin {
        self.event.origin.into()
    }

    /// Who made the change, when known: the bearer token's subject of API requests.
    async fn actor(&self) -> Option<&str> {
        self.event.actor.as_deref()
    }

    /// When the change was committed to the history.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.occurred_at
    }

    /// Type of the entity.
    async fn entity_type(&self) -> EntityTypeName {
        EntityTypeName::stored(&self.event.entity_type)
    }

    /// Id of the entity.
    async fn entity_id(&self) -> Uuid {
        self.event.entity_id
    }

    /// Id of the master row.
    async fn master_id(&self) -> Uuid {
        self.event.master_id
    }

    /// The whole document after this change.
    async fn document(&self) -> Json<&Value> {
        Json(&self.event.document)
    }

    /// RFC 6902 JSON patch from the previous version's document to this one's.
    async fn patch(&self, ctx: &Context<'_>) -> Result<Json<Value>> {
        if let Some(patch) = &self.patch {
            return Ok(Json(patch.clone()));
        }
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let previous = match self.event.version {
            1 => None,
            version => document_at(db, self.event.master_id, version - 1)
                .await
                .map_err(|e| internal(&e))?,
        };
        let empty = Value::Object(Default::default());
        Ok(Json(json_patch::diff(
            previous.as_ref().unwrap_or(&empty),
            &self.event.document,
        )))
    }
}
