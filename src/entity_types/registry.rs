//! Entity types known at run time: the compiled ones (declared with `entity_type!`) and
//! the tables adopted with `metadata-synergy attach`, read from `_metadata_entity_types`.
//!
//! An [`EntityType`] is a copyable handle to a `'static` description. Attached types are
//! read from the database whenever a name is resolved (a table attached while the service
//! runs is served by the next request that names it) and their descriptions are interned:
//! each distinct description is allocated once for the life of the process.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use sea_orm::{ConnectionTrait, DbErr, Statement};

use super::Compiled;
use crate::sync::SyncError;

/// An entity type registered with the sync mechanism. Its table and column names are the
/// allow-list of identifiers used in dynamic SQL.
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct EntityType(&'static TypeInfo);

/// The name only: spans and logs record entity types often.
impl std::fmt::Debug for EntityType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EntityType").field(&self.0.name).finish()
    }
}

/// Equal when the descriptions are (the same one, most of the time: they are interned).
impl PartialEq for EntityType {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0) || self.0 == other.0
    }
}

/// Hashes the name only (equal descriptions have equal names): loader keys hash an entity
/// type several times per lookup.
impl std::hash::Hash for EntityType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
    }
}

/// What the service knows about one entity type.
#[derive(Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeInfo {
    pub(super) name: &'static str,
    pub(super) table: &'static str,
    pub(super) id_column: &'static str,
    pub(super) metadata_column: &'static str,
    pub(super) compiled: Option<Compiled>,
}

impl TypeInfo {
    /// A compiled type's description (its table has the shared column names).
    pub(super) const fn compiled(name: &'static str, table: &'static str, kind: Compiled) -> Self {
        TypeInfo {
            name,
            table,
            id_column: "id",
            metadata_column: "metadata",
            compiled: Some(kind),
        }
    }
}

impl EntityType {
    pub(super) const fn of(info: &'static TypeInfo) -> Self {
        EntityType(info)
    }

    /// The value stored in `_metadata_master.entity_type`.
    pub fn as_str(self) -> &'static str {
        self.0.name
    }

    /// The entity's table.
    pub fn table(self) -> &'static str {
        self.0.table
    }

    /// The table's primary key column (`id` for compiled types).
    pub fn id_column(self) -> &'static str {
        self.0.id_column
    }

    /// The table's metadata column (`metadata` for compiled types).
    pub fn metadata_column(self) -> &'static str {
        self.0.metadata_column
    }

    /// The compiled type, or `None` for a table attached at run time.
    pub fn compiled(self) -> Option<Compiled> {
        self.0.compiled
    }

    /// Whether the table was attached at run time (served as `AttachedEntity`).
    pub fn is_attached(self) -> bool {
        self.0.compiled.is_none()
    }
}

impl std::fmt::Display for EntityType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EntityType {
    type Err = SyncError;

    /// A compiled type (attached ones are read from the database: [`resolve`]).
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        compiled(value).ok_or_else(|| SyncError::UnknownEntityType(value.to_owned()))
    }
}

static INTERNED: LazyLock<Mutex<HashSet<&'static TypeInfo>>> = LazyLock::new(Default::default);
static NAMES: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);

fn compiled(name: &str) -> Option<EntityType> {
    EntityType::ALL.iter().copied().find(|t| t.as_str() == name)
}

/// Every attached type, those being detached included.
const SELECT_ATTACHED: &str = "SELECT entity_type, entity_table, id_column, metadata_column \
                               FROM _metadata_entity_types WHERE attached";
/// The attached types that are served: one being detached has lost its triggers.
const SELECT_SERVED: &str = "SELECT entity_type, entity_table, id_column, metadata_column \
                             FROM _metadata_entity_types WHERE attached AND NOT detaching";

/// The entity type named `name`: a compiled one, or one attached to `db` (read from its
/// registry each time, so a table attached or detached while the service runs is seen
/// by the next request; one primary-key read). Unknown names are
/// [`SyncError::UnknownEntityType`].
pub async fn resolve(db: &impl ConnectionTrait, name: &str) -> Result<EntityType, SyncError> {
    resolve_where(db, name, SELECT_SERVED).await
}

/// [`resolve`], also finding an attached type whose detach has begun (for `detach`, which
/// finishes it).
pub async fn resolve_detaching(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<EntityType, SyncError> {
    resolve_where(db, name, SELECT_ATTACHED).await
}

async fn resolve_where(
    db: &impl ConnectionTrait,
    name: &str,
    select: &str,
) -> Result<EntityType, SyncError> {
    if let Some(compiled) = compiled(name) {
        return Ok(compiled);
    }
    let unknown = || SyncError::UnknownEntityType(name.to_owned());
    if !super::is_valid_name(name) {
        return Err(unknown());
    }
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => format!("{select} AND entity_type = $1"),
        _ => format!("{select} AND entity_type = ?"),
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [name.into()]))
        .await?
        .ok_or_else(unknown)?;
    attached_from_row(&row)
}

/// Every entity type of `db`: the compiled ones, then the attached ones by name.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<EntityType>, SyncError> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("{SELECT_SERVED} ORDER BY entity_type"),
        ))
        .await?;
    let mut all = EntityType::ALL.to_vec();
    for row in rows {
        all.push(attached_from_row(&row)?);
    }
    Ok(all)
}

fn attached_from_row(row: &sea_orm::QueryResult) -> Result<EntityType, SyncError> {
    let name: String = row.try_get("", "entity_type")?;
    let table: String = row.try_get("", "entity_table")?;
    let id_column: String = row.try_get("", "id_column")?;
    let metadata_column: String = row.try_get("", "metadata_column")?;
    if ![&name, &table, &id_column, &metadata_column]
        .iter()
        .all(|name| super::is_valid_name(name))
    {
        return Err(DbErr::Custom(format!("invalid registration of entity type {name:?}")).into());
    }
    Ok(EntityType(intern(TypeInfo {
        name: leak(name),
        table: leak(table),
        id_column: leak(id_column),
        metadata_column: leak(metadata_column),
        compiled: None,
    })))
}

/// The one `'static` copy of `info` (allocated the first time it is seen).
fn intern(info: TypeInfo) -> &'static TypeInfo {
    let mut interned = INTERNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(existing) = interned.get(&info) {
        return existing;
    }
    let leaked: &'static TypeInfo = Box::leak(Box::new(info));
    interned.insert(leaked);
    leaked
}

/// The one `'static` copy of a name (allocated the first time it is seen).
fn leak(text: String) -> &'static str {
    let mut interned = NAMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(existing) = interned.get(text.as_str()) {
        return existing;
    }
    let leaked: &'static str = Box::leak(text.into_boxed_str());
    interned.insert(leaked);
    leaked
}
