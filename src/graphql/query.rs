use async_graphql::connection::Connection;
use async_graphql::{Context, Object, OutputType, Result};
use entity::{campaign, product, survey};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::error::{IntoGraphql, internal};
use super::loaders::{find_master, load_master_by_entity, load_record};
use super::pagination::{IdCursor, PageRequest, page_size};
use super::types::{Campaign, DeadLetter, EntityType, MetadataMaster, Product, Survey};
use crate::catalog::{self, CatalogEntity, Record};
use crate::events::delivery;
use crate::sync;

/// Read access to entities and their metadata masters.
pub struct Query;

/// Read access to entities and their metadata masters.
#[Object]
impl Query {
    /// The campaign with this id, or null.
    async fn campaign(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Campaign>> {
        self.find_campaign_by_id(ctx, id).await
    }

    /// Campaigns in creation order, a page at a time (`first` at most 100, default 20).
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<IdCursor, Campaign>> {
        entity_page::<campaign::Entity, _>(ctx, first, after, Campaign).await
    }

    /// The product with this id, or null.
    async fn product(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Product>> {
        self.find_product_by_id(ctx, id).await
    }

    /// Products in creation order, a page at a time (`first` at most 100, default 20).
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<IdCursor, Product>> {
        entity_page::<product::Entity, _>(ctx, first, after, Product).await
    }

    /// The survey with this id, or null.
    async fn survey(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Survey>> {
        self.find_survey_by_id(ctx, id).await
    }

    /// Surveys in creation order, a page at a time (`first` at most 100, default 20).
    async fn surveys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<IdCursor, Survey>> {
        entity_page::<survey::Entity, _>(ctx, first, after, Survey).await
    }

    /// The master row with this id, or null.
    async fn metadata_master(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<MetadataMaster>> {
        self.find_master_by_id(ctx, id).await
    }

    /// The master row of an entity, or null.
    async fn metadata_master_by_entity(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityType,
        entity_id: Uuid,
    ) -> Result<Option<MetadataMaster>> {
        load_master_by_entity(ctx, entity_type.into(), entity_id).await
    }

    /// Master rows, optionally of one entity type, a page at a time (`first` at most 100).
    async fn metadata_masters(
        &self,
        ctx: &Context<'_>,
        entity_type: Option<EntityType>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<IdCursor, MetadataMaster>> {
        let page = PageRequest::new(first, after)?;
        let rows = sync::page_masters(
            db(ctx),
            entity_type.map(Into::into),
            page.after,
            page.fetch_limit(),
        )
        .await
        .graphql()?;
        Ok(page.connection(rows, |row| row.id, MetadataMaster))
    }

    /// Events a consumer gave up on (oldest first), waiting for `retryEvent`.
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

    #[graphql(entity)]
    async fn find_campaign_by_id(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Campaign>> {
        Ok(
            match load_record(ctx, sync::EntityType::Campaign, id).await? {
                Some(Record::Campaign(model)) => Some(Campaign(model)),
                _ => None,
            },
        )
    }

    #[graphql(entity)]
    async fn find_product_by_id(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Product>> {
        Ok(
            match load_record(ctx, sync::EntityType::Product, id).await? {
                Some(Record::Product(model)) => Some(Product(model)),
                _ => None,
            },
        )
    }

    #[graphql(entity)]
    async fn find_survey_by_id(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<Survey>> {
        Ok(
            match load_record(ctx, sync::EntityType::Survey, id).await? {
                Some(Record::Survey(model)) => Some(Survey(model)),
                _ => None,
            },
        )
    }

    #[graphql(entity)]
    async fn find_master_by_id(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> Result<Option<MetadataMaster>> {
        find_master(ctx, id).await
    }

    #[graphql(entity)]
    async fn find_master_by_entity(
        &self,
        ctx: &Context<'_>,
        entity_type: EntityType,
        entity_id: Uuid,
    ) -> Result<Option<MetadataMaster>> {
        load_master_by_entity(ctx, entity_type.into(), entity_id).await
    }
}

/// One keyset page of an entity type as a connection.
async fn entity_page<E: CatalogEntity, N: OutputType>(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    node: impl Fn(E::Model) -> N,
) -> Result<Connection<IdCursor, N>> {
    let page = PageRequest::new(first, after)?;
    let rows = catalog::page::<E>(db(ctx), page.after, page.fetch_limit())
        .await
        .graphql()?;
    Ok(page.connection(rows, E::id_of, node))
}

fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}
