use sea_orm::DbErr;

/// What can go wrong when searching by metadata.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The filter or cursor cannot be used as given (a client error).
    #[error("{0}")]
    Invalid(String),
    /// The filter ran longer than the search statement timeout (a client error).
    #[error("{0}")]
    TooCostly(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}
