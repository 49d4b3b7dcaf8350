//! `_metadata_policy_violations`: what the policy audit found in recorded events.

use sea_orm::entity::prelude::*;

use crate::metadata_event::EventOrigin;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "_metadata_policy_violations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub master_id: Uuid,
    /// The master's version the event recorded.
    pub version: i64,
    /// The policy version the document was checked against.
    pub policy_version: i32,
    /// JSON pointer into the document.
    pub pointer: String,
    pub message: String,
    /// The write path, as in the event.
    pub origin: EventOrigin,
    pub actor: Option<String>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
