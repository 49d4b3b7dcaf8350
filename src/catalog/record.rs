//! What every entity type shares: lookup by id, keyset pages, deletion.

use entity::{HasDocumentText, ReadAt};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QueryTrait,
    Select,
};
use serde_json::Value;
use uuid::Uuid;

use super::CatalogError;
use super::documents::{Documents, WithText, select_documents};
use super::shapes::{self, Shape};
use crate::entity_types::Record;
use crate::sync::{
    EntityType, MetadataChange, Side, SyncError, WriteOrigin, in_write_transaction, lock_pair,
    write_metadata,
};

/// A SeaORM entity registered as a metadata entity type (implemented by
/// [`crate::entity_types`]'s `entity_type!`).
pub trait CatalogEntity: EntityTrait<Model: HasDocumentText + ReadAt> {
    const TYPE: EntityType;
    /// `row` with the columns every entity table shares set from `shared`.
    fn with_shared_columns(row: Self::ActiveModel, shared: NewRow) -> Self::ActiveModel;
    fn id_column() -> Self::Column;
    fn id_of(model: &Self::Model) -> Uuid;
    fn into_record(model: Self::Model) -> Record;
}

/// The columns an entity type has besides the shared ones, and how input sets them:
/// what each entity type's declaration writes by hand.
pub trait OwnColumns: CatalogEntity {
    /// What creating a row takes.
    type Create: Send + Sync + 'static;
    /// What changing a row takes (omitted fields stay as they are).
    type Update: Send + Sync + 'static;

    /// Validates `input` and builds the new row's own columns (the shared ones are set
    /// from [`NewRow`] by [`CatalogEntity::with_shared_columns`]).
    fn new_row(input: &Self::Create) -> Result<Self::ActiveModel, CatalogError>;

    /// Validates `input` and applies it to `row`.
    fn apply_changes(input: &Self::Update, row: &mut Self::ActiveModel)
    -> Result<(), CatalogError>;
}

/// Creates a row of `E` from `input`, with `metadata` (default `{}`) going through the sync
/// path; the trigger creates its master row in the same transaction.
#[tracing::instrument(name = "catalog.create", skip_all, fields(entity_type = %E::TYPE))]
pub async fn create<E>(
    db: &DatabaseConnection,
    origin: &WriteOrigin,
    input: E::Create,
    metadata: Option<Value>,
) -> Result<E::Model, CatalogError>
where
    E: OwnColumns,
    E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    create_record::<E, _>(db, origin, metadata, move |shared| {
        E::new_row(&input).map(|row| E::with_shared_columns(row, shared))
    })
    .await
}

/// Changes a row of `E` by `input` and, when given, replaces its metadata, in one transaction.
#[tracing::instrument(name = "catalog.update", skip_all, fields(entity_type = %E::TYPE, %id))]
pub async fn update<E>(
    db: &DatabaseConnection,
    id: Uuid,
    origin: &WriteOrigin,
    input: E::Update,
    metadata: Option<Value>,
) -> Result<E::Model, CatalogError>
where
    E: OwnColumns,
    E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    update_record::<E, _>(db, id, metadata, origin, move |row| {
        E::apply_changes(&input, row)
    })
    .await
}

pub async fn find<E: CatalogEntity>(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<E::Model>, CatalogError> {
    Ok(E::find().filter(E::id_column().eq(id)).one(db).await?)
}

/// Rows of one entity type by id, in one statement.
pub async fn find_many<E: CatalogEntity>(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
    documents: Documents,
) -> Result<Vec<Record>, CatalogError> {
    let backend = db.get_database_backend();
    let shape = Shape {
        backend,
        table: E::TYPE.table(),
        documents,
        master_documents: None,
    };
    let statement = shapes::by_ids(shape, ids, |ids| {
        records_by_id::<E>(backend, ids, documents).build(backend)
    });
    let rows = WithText::<E::Model>::find_by_statement(statement)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|WithText(model)| E::into_record(model))
        .collect())
}

/// The select of rows by id, with their documents as `documents` says.
pub(super) fn records_by_id<E: CatalogEntity>(
    backend: DatabaseBackend,
    ids: Vec<Uuid>,
    documents: Documents,
) -> Select<E> {
    let select = E::find().filter(E::id_column().is_in(ids));
    select_documents(select, backend, E::TYPE.table(), documents)
}

/// Deletes an entity; its trigger deletes the master row in the same transaction.
#[tracing::instrument(name = "catalog.delete", skip_all, fields(entity_type = %E::TYPE, %id))]
pub async fn delete<E: CatalogEntity>(
    db: &DatabaseConnection,
    id: Uuid,
    origin: &WriteOrigin,
) -> Result<(), CatalogError> {
    in_write_transaction(db, origin, |tx| {
        Box::pin(async move {
            // The pair is locked first, in the service's lock order (see `lock_pair`).
            match lock_pair(tx, E::TYPE, id).await {
                Ok(_) | Err(SyncError::MasterNotFound(_)) => {}
                Err(SyncError::EntityNotFound { .. }) => {
                    return Err(CatalogError::NotFound {
                        entity_type: E::TYPE.as_str(),
                        id,
                    });
                }
                Err(other) => return Err(other.into()),
            }
            let result = E::delete_many()
                .filter(E::id_column().eq(id))
                .exec(tx)
                .await?;
            if result.rows_affected == 0 {
                return Err(CatalogError::NotFound {
                    entity_type: E::TYPE.as_str(),
                    id,
                });
            }
            Ok(())
        })
    })
    .await
}

/// Refuses blank required text, the API's counterpart of the tables' CHECK constraints.
pub fn require_text(field: &str, value: &str) -> Result<(), CatalogError> {
    if value.trim().is_empty() {
        Err(CatalogError::InvalidInput(format!(
            "{field} must not be empty"
        )))
    } else {
        Ok(())
    }
}

/// Validates a new entity's initial metadata (default `{}`).
fn initial_metadata(metadata: Option<Value>, master_id: Uuid) -> Result<Value, CatalogError> {
    let document = metadata.unwrap_or_else(|| Value::Object(Default::default()));
    crate::sync::require_object(&document, "metadata").map_err(CatalogError::from)?;
    Ok(crate::sync::with_cross_reference(document, master_id))
}

/// Changes an entity's own columns (through `apply`) and, when given, replaces its metadata
/// through the sync write path, all in one retried transaction.
async fn update_record<E, F>(
    db: &DatabaseConnection,
    id: Uuid,
    metadata: Option<Value>,
    origin: &WriteOrigin,
    apply: F,
) -> Result<E::Model, CatalogError>
where
    E: CatalogEntity,
    E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    F: Fn(&mut E::ActiveModel) -> Result<(), CatalogError> + Send + Sync + 'static,
{
    let not_found = move || CatalogError::NotFound {
        entity_type: E::TYPE.as_str(),
        id,
    };
    let apply = std::sync::Arc::new(apply);
    in_write_transaction(db, origin, |tx| {
        let metadata = metadata.clone();
        let apply = apply.clone();
        let grants = origin.grants.clone();
        Box::pin(async move {
            if let Some(document) = metadata {
                let change = MetadataChange::Replace(document);
                write_metadata(tx, Side::Entity(E::TYPE, id), &change, None, &grants).await?;
            }
            let model = find::<E>(tx, id).await?.ok_or_else(not_found)?;
            let mut active = model.into_active_model();
            apply(&mut active)?;
            if active.is_changed() {
                active.update(tx).await?;
            }
            find::<E>(tx, id).await?.ok_or_else(not_found)
        })
    })
    .await
}

/// The ids and the validated initial document of a new entity row, handed to the
/// entity's own `ActiveModel` builder.
pub struct NewRow {
    pub id: Uuid,
    pub master_id: Uuid,
    pub metadata: Value,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Inserts a new entity row built by `build` (UUIDv7 ids, the cross reference in its
/// metadata); its trigger creates the master row in the same transaction.
async fn create_record<E, F>(
    db: &DatabaseConnection,
    origin: &WriteOrigin,
    metadata: Option<Value>,
    build: F,
) -> Result<E::Model, CatalogError>
where
    E: CatalogEntity,
    E::Model: IntoActiveModel<E::ActiveModel> + Send + Sync,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    F: Fn(NewRow) -> Result<E::ActiveModel, CatalogError> + Send + Sync + 'static,
{
    let (id, master_id) = (Uuid::now_v7(), Uuid::now_v7());
    let metadata = initial_metadata(metadata, master_id)?;
    let build = std::sync::Arc::new(build);
    in_write_transaction(db, origin, |tx| {
        let row = build(NewRow {
            id,
            master_id,
            metadata: metadata.clone(),
            now: chrono::Utc::now(),
        });
        let metadata = metadata.clone();
        let grants = origin.grants.clone();
        Box::pin(async move {
            let row = row?;
            crate::policy::enforce(tx, E::TYPE, None, &metadata, &grants)
                .await
                .map_err(SyncError::from)?;
            row.insert(tx).await?;
            find::<E>(tx, id).await?.ok_or(CatalogError::NotFound {
                entity_type: E::TYPE.as_str(),
                id,
            })
        })
    })
    .await
}
