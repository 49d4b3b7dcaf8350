//! SeaORM entities of metadata-synergy: the canonical `_metadata_master` table and the
//! domain tables whose `metadata` column it mirrors (see the `migration` crate for the
//! triggers that keep both sides in sync).

/// The SeaORM model of an entity table: `id`, the table's own columns, then the columns
/// every entity table shares (`metadata`, `metadata_master_id`, `created_at`,
/// `updated_at`; see `sync_triggers::install_entity` in the migration crate), and the
/// document's text when a read asked for it ([`DocumentText`], not a column).
#[macro_export]
macro_rules! metadata_entity_model {
    ($table:literal { $($own:tt)* }) => {
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            $($own)*
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

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

mod document_text;

pub use document_text::{DocumentText, HasDocumentText};

pub mod campaign;
pub mod metadata_event;
pub mod metadata_master;
pub mod metadata_policy;
pub mod metadata_policy_violation;
pub mod product;
pub mod survey;
pub mod voucher;
