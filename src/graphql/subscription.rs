use async_graphql::{Context, Subscription};
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use super::types::{EntityType, MetadataChange};
use crate::events::Broadcaster;

/// Live changes, over WebSocket (graphql-transport-ws or graphql-ws) at `/ws`.
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Every effective metadata change (created, updated, deleted) from any write path and
    /// any server process, optionally only of one entity type and/or one entity.
    async fn metadata_changed(
        &self,
        ctx: &Context<'_>,
        entity_type: Option<EntityType>,
        entity_id: Option<Uuid>,
    ) -> impl Stream<Item = MetadataChange> {
        let entity_type = entity_type.map(|t| crate::sync::EntityType::from(t).as_str());
        ctx.data_unchecked::<Broadcaster>()
            .subscribe()
            .filter_map(move |event| {
                let wanted = entity_type.is_none_or(|t| t == event.entity_type)
                    && entity_id.is_none_or(|id| id == event.entity_id);
                std::future::ready(wanted.then(|| MetadataChange::from(event)))
            })
    }
}
