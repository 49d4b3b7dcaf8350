use async_graphql::SimpleObject;

use super::{MetadataEntity, MetadataMaster};

/// Both sides of a metadata pair after a write, already in sync.
#[derive(SimpleObject)]
pub struct MetadataSyncResult {
    /// The entity with its updated `metadata`.
    pub entity: MetadataEntity,
    /// The master row with the same document and its new version.
    pub master: MetadataMaster,
}
