//! SeaORM entities of metadata-synergy: the canonical `_metadata_master` table and the
//! domain tables whose `metadata` column it mirrors (see the `migration` crate for the
//! triggers that keep both sides in sync).

/// The SeaORM model of an entity table: `id`, the table's own columns, then the columns
/// every entity table shares (`metadata`, `metadata_master_id`, `created_at`,
/// `updated_at`; see `sync_triggers::install_entity` in the migration crate), and the
/// document's text when a read asked for it ([`DocumentText`], not a column). Own columns
/// are written `pub name: Type,` (attributes allowed); the model reads them by position
/// too ([`ReadAt`]).
#[macro_export]
macro_rules! metadata_entity_model {
    ($table:literal { $($(#[$meta:meta])* pub $field:ident: $type:ty,)* }) => {
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            $($(#[$meta])* pub $field: $type,)*
            #[sea_orm(column_type = "JsonBinary")]
            pub metadata: Json,
            #[sea_orm(unique)]
            pub metadata_master_id: Uuid,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            #[sea_orm(ignore)]
            pub metadata_text: Option<$crate::DocumentText>,
        }

        impl $crate::HasDocumentText for Model {
            fn set_document_text(&mut self, text: Option<$crate::DocumentText>) {
                self.metadata_text = text;
            }
        }

        impl $crate::ReadAt for Model {
            const COLUMN_NAMES: &'static [&'static str] = &[
                "id",
                $(stringify!($field),)*
                "metadata",
                "metadata_master_id",
                "created_at",
                "updated_at",
            ];

            fn read_at(row: &sea_orm::QueryResult, first: usize) -> Result<Self, DbErr> {
                let mut at = first;
                let mut next = || {
                    at += 1;
                    at - 1
                };
                // Fields are evaluated in the order written: the columns' order.
                Ok(Model {
                    id: row.try_get_by_index(next())?,
                    $($field: row.try_get_by_index(next())?,)*
                    metadata: row.try_get_by_index(next())?,
                    metadata_master_id: row.try_get_by_index(next())?,
                    created_at: $crate::timestamp_at(row, next())?,
                    updated_at: $crate::timestamp_at(row, next())?,
                    metadata_text: None,
                })
            }
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

mod document_text;
mod read_at;

pub use document_text::{DocumentText, HasDocumentText};
pub use read_at::{ReadAt, layout_matches, timestamp_at};

pub mod campaign;
pub mod metadata_event;
pub mod metadata_master;
pub mod metadata_policy;
pub mod metadata_policy_violation;
pub mod product;
pub mod survey;
pub mod voucher;
