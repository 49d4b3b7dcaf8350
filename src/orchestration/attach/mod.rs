//! Adopting tables that already exist (`metadata-synergy attach`) and letting them go
//! again (`detach`), PostgreSQL only.
//!
//! Attach checks the table, then in one short transaction adds `metadata_master_id` (and a
//! `metadata` jsonb column when missing), registers the type and installs the shared
//! attached-table triggers; from then on new rows get a master as they are inserted. The
//! existing rows are adopted in primary-key batches of their own transactions (each row
//! lock is held for one batch), and the constraints are added without a long lock
//! (`NOT VALID` + `VALIDATE`, indexes built `CONCURRENTLY`). Every step can run again: an
//! interrupted attach is resumed by running it again.

mod backfill;
mod detach;
mod inspect;
mod sql;

use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};

pub use detach::{DetachReport, detach};

use crate::entity_types::{EntityType, is_valid_name};

/// What to attach.
#[derive(Clone, Debug)]
pub struct AttachOptions {
    /// The name the type is registered under (`_metadata_master.entity_type`).
    pub entity_type: String,
    /// The table, in the connection's current schema.
    pub table: String,
    /// Its single-column uuid primary key.
    pub id_column: String,
    /// Its json/jsonb metadata column (added as jsonb when missing).
    pub metadata_column: String,
    /// Rows adopted per transaction.
    pub batch_size: u64,
    /// Convert a `json` metadata column to `jsonb` (a table rewrite that blocks writers
    /// while it runs); without it such a column is refused.
    pub convert_json: bool,
}

/// What an attach did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttachReport {
    /// Whether an interrupted attach of the same table was resumed.
    pub resumed: bool,
    /// Whether the metadata column was added (false: an existing one is used).
    pub added_metadata_column: bool,
    /// Rows that were given a master by the backfill (rows inserted meanwhile got theirs
    /// from the triggers).
    pub adopted: u64,
    /// Backfill transactions.
    pub batches: u64,
}

/// Why a table cannot be attached or detached.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("attach and detach need PostgreSQL (SQLite tables are created by migrations)")]
    NotPostgres,
    #[error("{what} {name:?} must be lower-case snake_case of at most 48 characters")]
    InvalidName { what: &'static str, name: String },
    #[error("entity type {0:?} is compiled into the service; choose another name")]
    CompiledType(String),
    #[error("no table {0:?} in the current schema")]
    NoSuchTable(String),
    #[error("{0}")]
    AlreadyAttached(String),
    #[error("{0}")]
    PrimaryKey(String),
    #[error("column {column:?} is {found}, not json or jsonb")]
    MetadataType { column: String, found: String },
    #[error(
        "{count} rows hold a {column:?} that is not a JSON object (first ids: {}); \
         make them objects and run attach again",
        sample.join(", ")
    )]
    NonObjectDocuments {
        column: String,
        count: i64,
        sample: Vec<String>,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "column {0:?} is json, which the triggers cannot compare: pass --convert-json to make it \
         jsonb (a table rewrite that blocks writers while it runs) or convert it yourself"
    )]
    JsonColumn(String),
    #[error("{count} rows were not adopted (changed while attach ran): run attach again")]
    NotAdopted { count: i64 },
    #[error("entity type {0:?} is not an attached table")]
    NotAttached(String),
    #[error("the table is busy (a lock was not granted in time); run the command again")]
    LockTimeout,
    #[error("database error: {0}")]
    Database(DbErr),
}

impl From<DbErr> for AttachError {
    fn from(error: DbErr) -> Self {
        if crate::db::error_code(&error).as_deref() == Some("55P03") {
            AttachError::LockTimeout
        } else {
            AttachError::Database(error)
        }
    }
}

impl crate::sync::MaybeTransient for AttachError {
    fn database_error(&self) -> Option<&DbErr> {
        match self {
            AttachError::Database(error) => Some(error),
            _ => None,
        }
    }
}

impl From<crate::sync::SyncError> for AttachError {
    fn from(error: crate::sync::SyncError) -> Self {
        match error {
            crate::sync::SyncError::Database(error) => error.into(),
            crate::sync::SyncError::UnknownEntityType(name) => AttachError::NotAttached(name),
            other => AttachError::Database(DbErr::Custom(other.to_string())),
        }
    }
}

/// Attaches `options.table` as entity type `options.entity_type` (see the module docs).
pub async fn attach(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<AttachReport, AttachError> {
    check_names(db, options)?;
    let plan = inspect::inspect(db, options).await?;
    let mut report = AttachReport {
        resumed: plan.resume,
        added_metadata_column: plan.add_metadata_column,
        ..AttachReport::default()
    };
    if plan.resume {
        sql::reinstall_triggers(db, options).await?;
    } else {
        sql::install(db, options, &plan).await?;
    }
    let (adopted, batches) = backfill::adopt_all(db, options).await?;
    report.adopted = adopted;
    report.batches = batches;
    backfill::check_all_adopted(db, options).await?;
    sql::add_constraints(db, options).await?;
    Ok(report)
}

fn check_names(db: &DatabaseConnection, options: &AttachOptions) -> Result<(), AttachError> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Err(AttachError::NotPostgres);
    }
    for (what, name) in [
        ("entity type", &options.entity_type),
        ("table", &options.table),
        ("id column", &options.id_column),
        ("metadata column", &options.metadata_column),
    ] {
        if !is_valid_name(name) {
            return Err(AttachError::InvalidName {
                what,
                name: name.clone(),
            });
        }
    }
    if EntityType::ALL
        .iter()
        .any(|t| t.as_str() == options.entity_type)
    {
        return Err(AttachError::CompiledType(options.entity_type.clone()));
    }
    Ok(())
}

/// `"name"` for a name [`is_valid_name`] accepted (lower-case snake_case needs no escaping).
fn quoted(name: &str) -> String {
    debug_assert!(is_valid_name(name));
    format!("\"{name}\"")
}
