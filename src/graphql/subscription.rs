use std::sync::Arc;

use async_graphql::{Context, Json, Result, Subscription};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use entity::metadata_event::EventOrigin;

use super::error::internal;
use super::types::{EntityTypeName, MetadataEvent, TranslationUpdate, resolve_optional};
use crate::events::{Broadcaster, Published};

/// Live changes, over WebSocket (graphql-transport-ws) at `/ws`.
pub struct Subscription;

/// Live changes, over WebSocket (graphql-transport-ws) at `/ws`.
#[Subscription]
impl Subscription {
    /// New translations written by the localization worker: one update per changed locale,
    /// optionally only of one entity type, one entity and/or one locale.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
    async fn translations_updated(
        &self,
        ctx: &Context<'_>,
        entity_type: Option<EntityTypeName>,
        entity_id: Option<Uuid>,
        locale: Option<String>,
    ) -> Result<impl Stream<Item = TranslationUpdate>> {
        let wanted_type = resolve_optional(ctx, entity_type)
            .await?
            .map(|t| t.as_str());
        Ok(events(ctx)
            .await?
            .filter_map(move |published| {
                let event = &published.event;
                let wanted = event.origin == EventOrigin::Localization
                    && wanted_type.is_none_or(|t| t == event.entity_type)
                    && entity_id.is_none_or(|id| id == event.entity_id);
                let updates: Vec<TranslationUpdate> = match wanted {
                    true => published
                        .translations
                        .iter()
                        .filter(|change| locale.as_deref().is_none_or(|l| l == change.locale))
                        .map(|change| TranslationUpdate {
                            entity_type: EntityTypeName::stored(&event.entity_type),
                            entity_id: event.entity_id,
                            master_id: event.master_id,
                            locale: change.locale.clone(),
                            changed_keys: change.changed_keys.clone(),
                            translations: Json(change.translations.clone()),
                            version: event.version,
                            provider: change.provider.clone(),
                        })
                        .collect(),
                    false => Vec::new(),
                };
                std::future::ready((!updates.is_empty()).then_some(updates))
            })
            .flat_map(futures_util::stream::iter))
    }

    /// Every effective metadata change (created, updated, deleted) from any write path and
    /// any server process, optionally only of one entity type and/or one entity.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
    async fn metadata_changed(
        &self,
        ctx: &Context<'_>,
        entity_type: Option<EntityTypeName>,
        entity_id: Option<Uuid>,
    ) -> Result<impl Stream<Item = MetadataEvent>> {
        let entity_type = resolve_optional(ctx, entity_type)
            .await?
            .map(|t| t.as_str());
        Ok(events(ctx).await?.filter_map(move |published| {
            let event = &published.event;
            let wanted = entity_type.is_none_or(|t| t == event.entity_type)
                && entity_id.is_none_or(|id| id == event.entity_id);
            std::future::ready(wanted.then(|| MetadataEvent::from(event.clone())))
        }))
    }
}

/// Every event from now on, as this process's fan-out publishes it.
async fn events(ctx: &Context<'_>) -> Result<BoxStream<'static, Arc<Published>>> {
    ctx.data_unchecked::<Broadcaster>()
        .subscribe()
        .await
        .map_err(|error| internal(&error))
}
