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
    pub kind: EventKind,
    /// The master's version after the change.
    pub version: i64,
    pub origin: EventOrigin,
    pub actor: Option<String>,
    /// The whole document after the change (the last one for `DELETED`).
    #[sea_orm(column_type = "JsonBinary")]
    pub document: Json,
    pub occurred_at: DateTimeUtc,
}

/// What happened to the master row (a CHECK constraint in the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EventKind {
    #[sea_orm(string_value = "CREATED")]
    Created,
    #[sea_orm(string_value = "UPDATED")]
    Updated,
    #[sea_orm(string_value = "DELETED")]
    Deleted,
}

/// The write path of the change (a CHECK constraint in the table): the service marks its
/// own transactions; anything unmarked is `sql`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum EventOrigin {
    #[sea_orm(string_value = "api")]
    Api,
    #[sea_orm(string_value = "sql")]
    Sql,
    #[sea_orm(string_value = "localization")]
    Localization,
    #[sea_orm(string_value = "reconcile")]
    Reconcile,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
