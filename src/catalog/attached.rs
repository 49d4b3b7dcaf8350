//! Rows of tables attached at run time (`metadata-synergy attach`): only what the sync
//! shares — id, document, cross reference — read with the column names the registry holds.

use entity::metadata_master;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use serde_json::Value;
use uuid::Uuid;

use super::{CatalogError, Record, RecordWithMaster};
use crate::entity_types::EntityType;

/// A row of an attached table.
#[derive(Clone, Debug)]
pub struct AttachedRow {
    pub entity_type: EntityType,
    pub id: Uuid,
    pub metadata: Value,
    pub metadata_master_id: Uuid,
}

/// Rows of an attached type by id, in one statement. Rows the attach backfill has not
/// adopted yet (no master) are not served.
pub async fn find_attached(
    db: &impl ConnectionTrait,
    entity_type: EntityType,
    ids: Vec<Uuid>,
) -> Result<Vec<Record>, CatalogError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let id = Alias::new(entity_type.id_column());
    let statement = Query::select()
        .expr_as(Expr::col(id.clone()), Alias::new("id"))
        .expr_as(
            Expr::col(Alias::new(entity_type.metadata_column())),
            Alias::new("metadata"),
        )
        .column(Alias::new("metadata_master_id"))
        .from(Alias::new(entity_type.table()))
        .and_where(Expr::col(id).is_in(ids))
        .and_where(Expr::col(Alias::new("metadata_master_id")).is_not_null())
        .to_owned();
    let rows = db.query_all(&statement).await?;
    rows.into_iter()
        .map(|row| {
            Ok(Record::Attached(AttachedRow {
                entity_type,
                id: row.try_get("", "id")?,
                metadata: row.try_get("", "metadata")?,
                metadata_master_id: row.try_get("", "metadata_master_id")?,
            }))
        })
        .collect()
}

/// Rows of an attached type by id with their master rows (two statements: attached
/// tables are not joined, their reads are not on the hot path).
pub async fn find_attached_with_masters(
    db: &impl ConnectionTrait,
    entity_type: EntityType,
    ids: Vec<Uuid>,
) -> Result<Vec<RecordWithMaster>, CatalogError> {
    let records = find_attached(db, entity_type, ids).await?;
    let master_ids: Vec<Uuid> = records.iter().map(Record::metadata_master_id).collect();
    let mut masters = crate::sync::find_masters(db, master_ids)
        .await?
        .into_iter()
        .map(|master| (master.id, master))
        .collect::<std::collections::HashMap<Uuid, metadata_master::Model>>();
    Ok(records
        .into_iter()
        .map(|record| {
            let master = masters.remove(&record.metadata_master_id());
            (record, master)
        })
        .collect())
}
