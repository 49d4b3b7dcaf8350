//! `_metadata_master`: one canonical metadata document per domain entity.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "_metadata_master")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Registered entity type, e.g. `campaign`.
    pub entity_type: String,
    pub entity_id: Uuid,
    /// Table of the entity row, e.g. `service_campaign_main` (reverse lookup).
    pub entity_table: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
    /// +1 for every effective metadata change, maintained by the database.
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The document's text, when a read asked for it (not a column).
    #[sea_orm(ignore)]
    pub metadata_text: Option<crate::DocumentText>,
}

impl crate::HasDocumentText for Model {
    fn set_document_text(&mut self, text: Option<crate::DocumentText>) {
        self.metadata_text = text;
    }
}

impl crate::ReadAt for Model {
    const COLUMN_NAMES: &'static [&'static str] = &[
        "id",
        "entity_type",
        "entity_id",
        "entity_table",
        "metadata",
        "version",
        "created_at",
        "updated_at",
    ];

    fn read_at(row: &sea_orm::QueryResult, first: usize) -> Result<Self, DbErr> {
        Ok(Model {
            id: row.try_get_by_index(first)?,
            entity_type: row.try_get_by_index(first + 1)?,
            entity_id: row.try_get_by_index(first + 2)?,
            entity_table: row.try_get_by_index(first + 3)?,
            metadata: row.try_get_by_index(first + 4)?,
            version: row.try_get_by_index(first + 5)?,
            created_at: crate::timestamp_at(row, first + 6)?,
            updated_at: crate::timestamp_at(row, first + 7)?,
            metadata_text: None,
        })
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
