use sea_orm::DbErr;
use uuid::Uuid;

use crate::db::is_unique_violation;
use crate::sync::{MaybeTransient, SyncError};

/// What can go wrong when creating, changing or deleting a domain entity.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{entity_type} {id} not found")]
    NotFound { entity_type: &'static str, id: Uuid },
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("database error: {0}")]
    Database(DbErr),
}

impl From<DbErr> for CatalogError {
    fn from(error: DbErr) -> Self {
        if is_unique_violation(&error) {
            CatalogError::Conflict("a row with the same unique value already exists".into())
        } else {
            CatalogError::Database(error)
        }
    }
}

impl MaybeTransient for CatalogError {
    fn database_error(&self) -> Option<&DbErr> {
        match self {
            CatalogError::Database(error) => Some(error),
            CatalogError::Sync(error) => error.database_error(),
            _ => None,
        }
    }
}
