//! `_metadata_policies`: one row per version of an entity type's metadata policy.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "_metadata_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub entity_type: String,
    /// 1 for the first policy of the entity type, +1 for each one set after it.
    pub version: i32,
    /// The JSON Schema every API write of the type's documents must satisfy.
    #[sea_orm(column_type = "JsonBinary")]
    pub schema: Json,
    /// `[{"pointer": "/pricing", "scope": "pricing:write"}, …]`.
    #[sea_orm(column_type = "JsonBinary")]
    pub protected_paths: Json,
    /// Who set it (the token subject), when known.
    pub actor: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
