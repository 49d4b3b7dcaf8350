//! Masters read in the same statement as their entities: how a selection asks for them,
//! and where they wait for the `metadataMaster` field that reads them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::Context;
use entity::metadata_master;
use uuid::Uuid;

use super::loader_key::IdKey;
use super::loaders::{entity_documents, master_documents};
use crate::catalog::Documents;

/// Master rows read together with their entities (one statement for both), kept for the
/// `metadataMaster` field that asked for them; per request, each taken once.
#[derive(Clone, Default)]
pub struct PrefetchedMasters(Arc<Mutex<HashMap<IdKey<Documents>, metadata_master::Model>>>);

impl PrefetchedMasters {
    /// Keeps `masters`, read with `documents` (one lock, one growth of the map).
    pub(super) fn put_all(&self, documents: Documents, masters: Vec<metadata_master::Model>) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        kept.reserve(masters.len());
        kept.extend(
            masters
                .into_iter()
                .map(|master| (IdKey::new(master.id, documents), master)),
        );
    }

    /// The master read with `documents`, or with more of its document.
    pub(super) fn take(&self, id: Uuid, documents: Documents) -> Option<metadata_master::Model> {
        let mut masters = self.0.lock().unwrap_or_else(|p| p.into_inner());
        [Documents::Skip, Documents::Text, Documents::Read]
            .into_iter()
            .filter(|read| *read >= documents)
            .find_map(|read| masters.remove(&IdKey::new(id, read)))
    }
}

/// The fields selected on a connection's nodes (`edges { node }` or `nodes`),
/// fragments included.
pub(super) fn page_node_fields<'a>(
    field: async_graphql::SelectionField<'a>,
) -> Vec<async_graphql::SelectionField<'a>> {
    field
        .selection_set()
        .flat_map(|field| match field.name() {
            "edges" => field
                .selection_set()
                .filter(|edge| edge.name() == "node")
                .flat_map(|node| node.selection_set().collect::<Vec<_>>())
                .collect::<Vec<_>>(),
            "nodes" => field.selection_set().collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// For a connection of entities: how its nodes read their documents, and how they
/// select `metadataMaster` (see [`master_selection`]).
pub fn page_selection(ctx: &Context<'_>) -> (Documents, Option<Documents>) {
    let nodes = page_node_fields(ctx.field());
    (
        entity_documents(nodes.iter().copied()),
        master_selection(nodes.into_iter()),
    )
}

/// Masters read together with their entities, for the `metadataMaster` fields below.
pub fn prefetch_masters(
    ctx: &Context<'_>,
    documents: Documents,
    masters: impl IntoIterator<Item = metadata_master::Model>,
) {
    ctx.data_unchecked::<PrefetchedMasters>()
        .put_all(documents, masters.into_iter().collect());
}

/// Whether `fields` (an entity's selection, fragments included) select `metadataMaster`,
/// and then how those selections read the master's document.
pub(super) fn master_selection<'a>(
    fields: impl Iterator<Item = async_graphql::SelectionField<'a>>,
) -> Option<Documents> {
    fields
        .filter(|field| field.name() == "metadataMaster")
        .map(|master| master_documents(master.selection_set()))
        .max()
}
