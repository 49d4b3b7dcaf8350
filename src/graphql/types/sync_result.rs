use async_graphql::{ComplexObject, Result, SimpleObject};

use super::{MetadataEntity, MetadataMaster};
use crate::graphql::error::internal;

/// Both sides of a metadata pair after a write, already in sync.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct MetadataSyncResult {
    /// Read in the write's transaction only when the selection asks for it.
    #[graphql(skip)]
    pub entity: Option<MetadataEntity>,
    /// The master row with the same document and its new version.
    pub master: MetadataMaster,
}

#[ComplexObject]
impl MetadataSyncResult {
    /// The entity with its updated `metadata`.
    async fn entity(&self) -> Result<&MetadataEntity> {
        self.entity
            .as_ref()
            .ok_or_else(|| internal(&"the entity of a write was selected but not read"))
    }
}
