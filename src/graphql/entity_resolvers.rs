//! The resolvers every entity type's queries and mutations call (see
//! [`crate::entity_types`]): one generic implementation each.

use async_graphql::connection::Connection;
use async_graphql::{Context, OutputType, Result};
use sea_orm::{ActiveModelBehavior, ActiveModelTrait, IntoActiveModel};
use serde_json::Value;
use uuid::Uuid;

use super::error::IntoGraphql;
use super::mutation::{autocommit, check_document, db, origin};
use super::pagination::{PageCursor, PageRequest};
use super::prefetch::{page_selection, prefetch_masters};
use super::types::{MetadataFilter, MetadataOrder, search_filter};
use crate::catalog::{self, CatalogEntity, OwnColumns};
use crate::search;

/// One keyset page of an entity type as a connection, optionally filtered by metadata.
pub async fn entity_page<E: CatalogEntity, N: OutputType>(
    ctx: &Context<'_>,
    filter: Option<MetadataFilter>,
    order_by: Option<MetadataOrder>,
    first: Option<i32>,
    after: Option<String>,
    node: impl Fn(E::Model) -> N,
) -> Result<Connection<PageCursor, N>>
where
    E::Model: Send + Sync,
{
    let filter = search_filter(filter)?;
    let page = PageRequest::new(first, after, order_by.into())?;
    let query = page.query(filter.as_ref(), *ctx.data_unchecked());
    let (documents, masters) = page_selection(ctx);
    let rows = match masters {
        // The nodes read their masters: one statement for both.
        Some(master_documents) => {
            let rows = search::entities_with_masters::<E>(
                autocommit(ctx),
                query,
                documents,
                master_documents,
            )
            .await
            .graphql()?;
            let (rows, masters): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
            prefetch_masters(ctx, master_documents, masters.into_iter().flatten());
            rows
        }
        None => search::entities::<E>(autocommit(ctx), query, documents)
            .await
            .graphql()?,
    };
    Ok(page.connection(rows, E::id_of, node))
}

/// Creates an entity from its input and initial `metadata`.
pub async fn create_entity<E>(
    ctx: &Context<'_>,
    input: E::Create,
    metadata: Option<Value>,
) -> Result<E::Model>
where
    E: OwnColumns,
    E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    check_document(ctx, metadata.as_ref(), "metadata")?;
    catalog::create::<E>(db(ctx), &origin(ctx), input, metadata)
        .await
        .graphql()
}

/// Changes an entity's own columns and, when given, replaces its `metadata`.
pub async fn update_entity<E>(
    ctx: &Context<'_>,
    id: Uuid,
    input: E::Update,
    metadata: Option<Value>,
) -> Result<E::Model>
where
    E: OwnColumns,
    E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    check_document(ctx, metadata.as_ref(), "metadata")?;
    catalog::update::<E>(db(ctx), id, &origin(ctx), input, metadata)
        .await
        .graphql()
}

/// Deletes an entity (its trigger deletes the master row); returns the deleted id.
pub async fn delete_entity<E: CatalogEntity>(ctx: &Context<'_>, id: Uuid) -> Result<Uuid> {
    catalog::delete::<E>(db(ctx), id, &origin(ctx))
        .await
        .graphql()
        .map(|()| id)
}
