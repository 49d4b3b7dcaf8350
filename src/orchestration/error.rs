use sea_orm::DbErr;

use crate::search::SearchError;
use crate::sync::{MaybeTransient, SyncError};

/// What can stop a change to many entities.
#[derive(Debug, thiserror::Error)]
pub enum OrchestrationError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl From<DbErr> for OrchestrationError {
    fn from(error: DbErr) -> Self {
        OrchestrationError::Sync(SyncError::Database(error))
    }
}

impl MaybeTransient for OrchestrationError {
    fn database_error(&self) -> Option<&DbErr> {
        match self {
            OrchestrationError::Search(SearchError::Database(error)) => Some(error),
            OrchestrationError::Search(_) => None,
            OrchestrationError::Sync(error) => error.database_error(),
        }
    }
}
