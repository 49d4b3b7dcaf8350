use sea_orm::DbErr;

/// What can go wrong when searching by metadata.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The filter or cursor cannot be used as given (a client error).
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}
