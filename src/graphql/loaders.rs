//! DataLoaders: every master and entity lookup of a request is batched into one
//! statement per table (per entity type for entities), and per kind of read: with the
//! metadata documents, or without them when the selection does not read them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::db::Autocommit;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};
use entity::metadata_master;
use uuid::Uuid;

use super::error::internal;
use super::loader_key::IdKey;
use super::prefetch::{PrefetchedMasters, master_selection, page_node_fields};
use super::types::MetadataMaster;
use crate::catalog::{
    CatalogError, Documents, Record, find_masters, find_records, find_records_with_masters,
};
use crate::sync::{EntityType, SyncError, find_masters_by_entities};

/// The fields of `MetadataMaster` that do not read its document.
pub(super) const MASTER_HEADER_FIELDS: &[&str] = &[
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

/// The fields of the entity objects that look inside their document (`metadata` answers
/// it whole, from its text).
const ENTITY_DOCUMENT_FIELDS: &[&str] = &["translations", "translationStatus"];

/// Master rows by id.
pub struct MasterLoader {
    db: Autocommit,
}

impl MasterLoader {
    pub fn new(db: Autocommit) -> Self {
        Self { db }
    }
}

impl Loader<IdKey<Documents>> for MasterLoader {
    type Value = metadata_master::Model;
    type Error = Arc<CatalogError>;

    async fn load(
        &self,
        keys: &[IdKey<Documents>],
    ) -> Result<HashMap<IdKey<Documents>, Self::Value>, Self::Error> {
        let mut found = HashMap::with_capacity(keys.len());
        for documents in [Documents::Read, Documents::Text, Documents::Skip] {
            let ids: Vec<Uuid> = keys
                .iter()
                .filter(|key| key.with == documents)
                .map(|key| key.id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let rows = find_masters(&self.db, ids, documents).await?;
            found.extend(
                rows.into_iter()
                    .map(|row| (IdKey::new(row.id, documents), row)),
            );
        }
        Ok(found)
    }
}

/// What one entity lookup asks for: the id, and with it the type, whether its document is
/// read, and whether (and how) its master is read in the same statement.
pub type RecordKey = IdKey<(EntityType, Documents, Option<Documents>)>;

/// Entity rows by (type, id), with their masters when the selection reads them.
pub struct RecordLoader {
    db: Autocommit,
    prefetched: PrefetchedMasters,
}

impl RecordLoader {
    pub fn new(db: Autocommit, prefetched: PrefetchedMasters) -> Self {
        Self { db, prefetched }
    }
}

impl Loader<RecordKey> for RecordLoader {
    type Value = Record;
    type Error = Arc<CatalogError>;

    async fn load(&self, keys: &[RecordKey]) -> Result<HashMap<RecordKey, Record>, Self::Error> {
        let mut ids_by_kind: HashMap<_, Vec<Uuid>> = HashMap::new();
        for key in keys {
            ids_by_kind.entry(key.with).or_default().push(key.id);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for ((entity_type, documents, masters), ids) in ids_by_kind {
            let Some(master_documents) = masters else {
                for record in find_records(&self.db, entity_type, ids, documents).await? {
                    found.insert(
                        IdKey::new(record.id(), (entity_type, documents, None)),
                        record,
                    );
                }
                continue;
            };
            let rows =
                find_records_with_masters(&self.db, entity_type, ids, documents, master_documents)
                    .await?;
            let mut read = Vec::with_capacity(rows.len());
            for (record, master) in rows {
                read.extend(master);
                found.insert(
                    IdKey::new(record.id(), (entity_type, documents, masters)),
                    record,
                );
            }
            self.prefetched.put_all(master_documents, read);
        }
        Ok(found)
    }
}

/// The master row with `id`, or `None`.
pub async fn find_master(ctx: &Context<'_>, id: Uuid) -> Result<Option<MetadataMaster>> {
    load_master_row(ctx, id, Documents::Read).await
}

/// The master row of an entity, which must exist (the triggers create it with the entity).
pub async fn load_master(ctx: &Context<'_>, id: Uuid) -> Result<MetadataMaster> {
    find_master(ctx, id)
        .await?
        .ok_or_else(|| internal(&format!("metadata master {id} is missing")))
}

/// [`load_master`] for the `metadataMaster` field being resolved, reading its document as
/// much as the selection needs.
pub async fn load_master_for_selection(ctx: &Context<'_>, id: Uuid) -> Result<MetadataMaster> {
    let documents = master_documents(ctx.field().selection_set());
    load_master_row(ctx, id, documents)
        .await?
        .ok_or_else(|| internal(&format!("metadata master {id} is missing")))
}

async fn load_master_row(
    ctx: &Context<'_>,
    id: Uuid,
    documents: Documents,
) -> Result<Option<MetadataMaster>> {
    if let Some(master) = ctx
        .data_unchecked::<PrefetchedMasters>()
        .take(id, documents)
    {
        return Ok(Some(MetadataMaster(master)));
    }
    Ok(ctx
        .data_unchecked::<DataLoader<MasterLoader>>()
        .load_one(IdKey::new(id, documents))
        .await
        .map_err(|error| internal(&error))?
        .map(MetadataMaster))
}

pub async fn load_record(
    ctx: &Context<'_>,
    entity_type: EntityType,
    id: Uuid,
) -> Result<Option<Record>> {
    load_record_row(ctx, IdKey::new(id, (entity_type, Documents::Read, None))).await
}

/// An entity for the field being resolved (an entity query or `_entities`), reading its
/// document as much as the selection needs.
pub async fn load_record_for_selection(
    ctx: &Context<'_>,
    entity_type: EntityType,
    id: Uuid,
) -> Result<Option<Record>> {
    let documents = entity_documents(ctx.field().selection_set());
    let masters = master_selection(ctx.field().selection_set());
    load_record_row(ctx, IdKey::new(id, (entity_type, documents, masters))).await
}

async fn load_record_row(ctx: &Context<'_>, key: RecordKey) -> Result<Option<Record>> {
    ctx.data_unchecked::<DataLoader<RecordLoader>>()
        .load_one(key)
        .await
        .map_err(|error| internal(&error))
}

/// How a page of master rows (a connection's `edges { node }` or `nodes`) reads their
/// documents.
pub fn master_page_documents(ctx: &Context<'_>) -> Documents {
    master_documents(page_node_fields(ctx.field()).into_iter())
}

/// How a master's selection (its fields, fragments included) reads its document.
pub(super) fn master_documents<'a>(
    fields: impl Iterator<Item = async_graphql::SelectionField<'a>>,
) -> Documents {
    documents_for(fields, |name| !MASTER_HEADER_FIELDS.contains(&name))
}

/// How an entity's selection (its fields, fragments included) reads its document.
pub(super) fn entity_documents<'a>(
    fields: impl Iterator<Item = async_graphql::SelectionField<'a>>,
) -> Documents {
    documents_for(fields, |name| ENTITY_DOCUMENT_FIELDS.contains(&name))
}

/// `Read` when one of `fields` `looks_inside` the document, else `Text` when one is
/// `metadata` (which answers it whole), else `Skip`.
fn documents_for<'a>(
    fields: impl Iterator<Item = async_graphql::SelectionField<'a>>,
    looks_inside: impl Fn(&str) -> bool,
) -> Documents {
    fields
        .map(|field| match field.name() {
            "metadata" => Documents::Text,
            name if looks_inside(name) => Documents::Read,
            _ => Documents::Skip,
        })
        .max()
        .unwrap_or(Documents::Skip)
}

/// Master rows by (entity type, entity id): one statement per entity type in the batch.
pub struct MasterByEntityLoader {
    db: Autocommit,
}

impl MasterByEntityLoader {
    pub fn new(db: Autocommit) -> Self {
        Self { db }
    }
}

impl Loader<IdKey<EntityType>> for MasterByEntityLoader {
    type Value = metadata_master::Model;
    type Error = Arc<SyncError>;

    async fn load(
        &self,
        keys: &[IdKey<EntityType>],
    ) -> Result<HashMap<IdKey<EntityType>, Self::Value>, Self::Error> {
        let mut ids_by_type: HashMap<EntityType, Vec<Uuid>> = HashMap::new();
        for key in keys {
            ids_by_type.entry(key.with).or_default().push(key.id);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for (entity_type, ids) in ids_by_type {
            for row in find_masters_by_entities(&self.db, entity_type, ids).await? {
                found.insert(IdKey::new(row.entity_id, entity_type), row);
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
        .load_one(IdKey::new(entity_id, entity_type))
        .await
        .map_err(|error| internal(&error))?
        .map(MetadataMaster))
}
