use sea_orm::DbErr;
use uuid::Uuid;

/// What can go wrong when reading or writing a metadata pair.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{entity_type} {id} not found")]
    EntityNotFound { entity_type: &'static str, id: Uuid },
    #[error("metadata master {0} not found")]
    MasterNotFound(Uuid),
    #[error("unknown entity type {0:?}")]
    UnknownEntityType(String),
    #[error("{0}")]
    InvalidMetadata(String),
    #[error("expected version {expected} but the current version is {actual}")]
    VersionConflict { expected: i64, actual: i64 },
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}
