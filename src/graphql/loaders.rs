//! DataLoaders: every master and entity lookup of a request is batched into one
//! statement per table (per entity type for entities).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};
use entity::metadata_master;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::error::internal;
use super::types::MetadataMaster;
use crate::catalog::{CatalogError, Documents, Record, find_records};
use crate::sync::{
    EntityType, SyncError, find_master_headers, find_masters, find_masters_by_entities,
};

/// Master rows by id.
pub struct MasterLoader {
    db: DatabaseConnection,
}

impl MasterLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<Uuid> for MasterLoader {
    type Value = metadata_master::Model;
    type Error = Arc<SyncError>;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = find_masters(&self.db, ids.iter().copied()).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// Master rows by id without their documents (see [`find_master_headers`]).
pub struct MasterHeaderLoader {
    db: DatabaseConnection,
}

impl MasterHeaderLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<Uuid> for MasterHeaderLoader {
    type Value = metadata_master::Model;
    type Error = Arc<SyncError>;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = find_master_headers(&self.db, ids.iter().copied()).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// The fields of `MetadataMaster` that do not read its document.
const HEADER_FIELDS: &[&str] = &[
    "__typename",
    "id",
    "entityType",
    "entityId",
    "entityTable",
    "version",
    "createdAt",
    "updatedAt",
    "entity",
    "history",
    "metadataAt",
];

/// The master row of an entity for the `metadataMaster` field being resolved: without its
/// document when the selection does not read it.
pub async fn load_master_for_selection(ctx: &Context<'_>, id: Uuid) -> Result<MetadataMaster> {
    let needs_document = ctx
        .field()
        .selection_set()
        .any(|field| !HEADER_FIELDS.contains(&field.name()));
    if needs_document {
        return load_master(ctx, id).await;
    }
    ctx.data_unchecked::<DataLoader<MasterHeaderLoader>>()
        .load_one(id)
        .await
        .map_err(|error| internal(&error))?
        .map(MetadataMaster)
        .ok_or_else(|| internal(&format!("metadata master {id} is missing")))
}

/// Entity rows by (type, id): one statement per entity type present in the batch; with
/// their documents, or (a second loader) without.
pub struct RecordLoader {
    db: DatabaseConnection,
    documents: Documents,
}

impl RecordLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            documents: Documents::Read,
        }
    }
}

/// [`RecordLoader`] without the documents.
pub struct RecordHeaderLoader(pub RecordLoader);

impl RecordHeaderLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self(RecordLoader {
            db,
            documents: Documents::Skip,
        })
    }
}

impl Loader<(EntityType, Uuid)> for RecordHeaderLoader {
    type Value = Record;
    type Error = Arc<CatalogError>;

    async fn load(
        &self,
        keys: &[(EntityType, Uuid)],
    ) -> Result<HashMap<(EntityType, Uuid), Record>, Self::Error> {
        self.0.load(keys).await
    }
}

impl Loader<(EntityType, Uuid)> for RecordLoader {
    type Value = Record;
    type Error = Arc<CatalogError>;

    async fn load(
        &self,
        keys: &[(EntityType, Uuid)],
    ) -> Result<HashMap<(EntityType, Uuid), Record>, Self::Error> {
        let mut ids_by_type: HashMap<EntityType, Vec<Uuid>> = HashMap::new();
        for (entity_type, id) in keys {
            ids_by_type.entry(*entity_type).or_default().push(*id);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for (entity_type, ids) in ids_by_type {
            for record in find_records(&self.db, entity_type, ids, self.documents).await? {
                found.insert((entity_type, record.id()), record);
            }
        }
        Ok(found)
    }
}

/// The master row with `id`, or `None`.
pub async fn find_master(ctx: &Context<'_>, id: Uuid) -> Result<Option<MetadataMaster>> {
    Ok(ctx
        .data_unchecked::<DataLoader<MasterLoader>>()
        .load_one(id)
        .await
        .map_err(|error| internal(&error))?
        .map(MetadataMaster))
}

/// The master row of an entity, which must exist (the triggers create it with the entity).
pub async fn load_master(ctx: &Context<'_>, id: Uuid) -> Result<MetadataMaster> {
    find_master(ctx, id)
        .await?
        .ok_or_else(|| internal(&format!("metadata master {id} is missing")))
}

pub async fn load_record(
    ctx: &Context<'_>,
    entity_type: EntityType,
    id: Uuid,
) -> Result<Option<Record>> {
    ctx.data_unchecked::<DataLoader<RecordLoader>>()
        .load_one((entity_type, id))
        .await
        .map_err(|error| internal(&error))
}

/// The fields of the entity objects that read their document.
const DOCUMENT_FIELDS: &[&str] = &["metadata", "translations", "translationStatus"];

/// An entity for the field being resolved (an entity query or `_entities`): without its
/// document when no field of the selection reads it.
pub async fn load_record_for_selection(
    ctx: &Context<'_>,
    entity_type: EntityType,
    id: Uuid,
) -> Result<Option<Record>> {
    let needs_document = ctx
        .field()
        .selection_set()
        .any(|field| DOCUMENT_FIELDS.contains(&field.name()));
    if needs_document {
        return load_record(ctx, entity_type, id).await;
    }
    ctx.data_unchecked::<DataLoader<RecordHeaderLoader>>()
        .load_one((entity_type, id))
        .await
        .map_err(|error| internal(&error))
}

/// Master rows by (entity type, entity id): one statement per entity type in the batch.
pub struct MasterByEntityLoader {
    db: DatabaseConnection,
}

impl MasterByEntityLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<(EntityType, Uuid)> for MasterByEntityLoader {
    type Value = metadata_master::Model;
    type Error = Arc<SyncError>;

    async fn load(
        &self,
        keys: &[(EntityType, Uuid)],
    ) -> Result<HashMap<(EntityType, Uuid), Self::Value>, Self::Error> {
        let mut ids_by_type: HashMap<EntityType, Vec<Uuid>> = HashMap::new();
        for (entity_type, id) in keys {
            ids_by_type.entry(*entity_type).or_default().push(*id);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for (entity_type, ids) in ids_by_type {
            for row in find_masters_by_entities(&self.db, entity_type, ids).await? {
                found.insert((entity_type, row.entity_id), row);
            }
        }
        Ok(found)
    }
}

pub async fn load_master_by_entity(
    ctx: &Context<'_>,
    entity_type: EntityType,
    entity_id: Uuid,
) -> Result<Option<MetadataMaster>> {
    Ok(ctx
        .data_unchecked::<DataLoader<MasterByEntityLoader>>()
        .load_one((entity_type, entity_id))
        .await
        .map_err(|error| internal(&error))?
        .map(MetadataMaster))
}
