use std::sync::Arc;

use async_graphql::{ID, Object};
use entity::metadata_event;
use uuid::Uuid;

use super::{EntityType, MetadataEventKind, WriteOrigin};

/// A metadata change as it happens.
pub struct MetadataChange(pub Arc<metadata_event::Model>);

impl From<Arc<metadata_event::Model>> for MetadataChange {
    fn from(event: Arc<metadata_event::Model>) -> Self {
        MetadataChange(event)
    }
}

/// A metadata change as it happens.
#[Object]
impl MetadataChange {
    /// Id of the event in the history.
    async fn event_id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Created, updated or deleted.
    async fn kind(&self) -> MetadataEventKind {
        MetadataEventKind::of(&self.0)
    }

    /// Type of the entity.
    async fn entity_type(&self) -> Option<EntityType> {
        self.0
            .entity_type
            .parse::<crate::sync::EntityType>()
            .ok()
            .map(Into::into)
    }

    /// Id of the entity.
    async fn entity_id(&self) -> Uuid {
        self.0.entity_id
    }

    /// Id of the master row.
    async fn master_id(&self) -> Uuid {
        self.0.master_id
    }

    /// The master's version after the change.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// The write path: API, raw SQL or the localization worker.
    async fn origin(&self) -> WriteOrigin {
        WriteOrigin::of(&self.0)
    }

    /// Who made the change, when known.
    async fn actor(&self) -> Option<&str> {
        self.0.actor.as_deref()
    }
}
