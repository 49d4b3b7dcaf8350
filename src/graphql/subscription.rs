use async_graphql::{Context, Subscription};
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use sea_orm::DatabaseConnection;

use super::translation_updates::updates_of;
use super::types::{EntityType, MetadataChange, TranslationUpdate};
use crate::events::Broadcaster;

/// Live changes, over WebSocket (graphql-transport-ws or graphql-ws) at `/ws`.
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// New translations written by the localization worker: one update per changed locale,
    /// optionally only of one entity type, one entity and/or one locale.
    async fn translations_updated(
        &self,
        ctx: &Context<'_>,
        entity_type: Option<EntityType>,
        entity_id: Option<Uuid>,
        locale: Option<String>,
    ) -> impl Stream<Item = TranslationUpdate> {
        let entity_type = entity_type.map(|t| crate::sync::EntityType::from(t).as_str());
        let db = ctx.data_unchecked::<DatabaseConnection>().clone();
        ctx.data_unchecked::<Broadcaster>()
            .subscribe()
            .filter(move |event| {
                let wanted = event.origin == "localization"
                    && entity_type.is_none_or(|t| t == event.entity_type)
                    && entity_id.is_none_or(|id| id == event.entity_id);
                std::future::ready(wanted)
            })
            .then(move |event| {
                let (db, locale) = (db.clone(), locale.clone());
                async move { updates_of(&db, &event, locale.as_deref()).await }
            })
            .flat_map(futures_util::stream::iter)
    }

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
