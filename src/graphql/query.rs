use async_graphql::connection::Connection;
use async_graphql::{Context, MergedObject, Object, Result};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::error::{IntoGraphql, internal};
use super::loaders::{find_master, load_master_by_entity, master_page_documents};
use super::orchestration::OrchestrationQueries;
use super::pagination::{PageCursor, PageRequest, page_size};
use super::policy::PolicyQueries;
use super::types::{
    DeadLetter, EntityTypeName, MetadataFilter, MetadataMaster, MetadataOrder, resolve_optional,
    search_filter,
};
use crate::entity_types::EntityQueries;
use crate::events::delivery;
use crate::search;

/// Read access to entities and their metadata masters.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Query(
    EntityQueries,
    MasterQueries,
    OrchestrationQueries,
    PolicyQueries,
);

/// The queries of master rows, events and dead letters.
#[derive(Default)]
pub struct MasterQueries;

#[Object]
impl MasterQueries {
    /// The master row with this id, or null.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
    async fn metadata_master(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<MetadataMaster>> {
        self.find_master_by_id(ctx, id).await
    }

    /// The master row of an entity, or null.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
    async fn metadata_master_by_entity(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityTypeName,
        entity_id: Uuid,
    ) -> Result<Option<MetadataMaster>> {
        load_master_by_entity(ctx, entity_type.resolve(ctx).await?, entity_id).await
    }

    /// Master rows of every entity type or of one, optionally filtered by their metadata,
    /// a page at a time (`first` at most 100, default 20; creation order by default).
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
    async fn metadata_masters(
        &self,
        ctx: &Context<'_>,
        entity_type: Option<EntityTypeName>,
        filter: Option<MetadataFilter>,
        order_by: Option<MetadataOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<PageCursor, MetadataMaster>> {
        let filter = search_filter(filter)?;
        let page = PageRequest::new(first, after, order_by.into())?;
        let rows = search::masters(
            super::mutation::autocommit(ctx),
            resolve_optional(ctx, entity_type).await?,
            page.query(filter.as_ref(), *ctx.data_unchecked()),
            master_page_documents(ctx),
        )
        .await
        .graphql()?;
        Ok(page.connection(rows, |row| row.id, MetadataMaster))
    }

    /// Events a consumer gave up on (oldest first), waiting for `retryEvent`.
    #[graphql(guard = "crate::auth::ScopeGuard(crate::auth::Scope::Admin)")]
    async fn dead_letters(
        &self,
        ctx: &Context<'_>,
        consumer: String,
        first: Option<i32>,
    ) -> Result<Vec<DeadLetter>> {
        let limit = page_size(first)?;
        let letters = delivery::dead_letters(db(ctx), &consumer, limit)
            .await
            .map_err(|e| internal(&e))?;
        Ok(letters.into_iter().map(DeadLetter).collect())
    }

    #[graphql(entity, guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
    async fn find_master_by_id(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> Result<Option<MetadataMaster>> {
        find_master(ctx, id).await
    }

    #[graphql(entity, guard = "crate::auth::ScopeGuard(crate::auth::Scope::Read)")]
    async fn find_master_by_entity(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityTypeName,
        entity_id: Uuid,
    ) -> Result<Option<MetadataMaster>> {
        load_master_by_entity(ctx, entity_type.resolve(ctx).await?, entity_id).await
    }
}

fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}
