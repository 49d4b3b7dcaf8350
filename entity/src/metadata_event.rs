//! `_metadata_events`: the append-only history of every master row, written by trigger.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "_metadata_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub master_id: Uuid,
    /// `CREATED`, `UPDATED` or `DELETED`.
    pub kind: String,
    /// The master's version after the change.
    pub version: i64,
    /// `api`, `sql` or `localization`.
    pub origin: String,
    pub actor: Option<String>,
    /// The whole document after the change (the last one for `DELETED`).
    #[sea_orm(column_type = "JsonBinary")]
    pub document: Json,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
