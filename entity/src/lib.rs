//! SeaORM entities of metadata-synergy: the canonical `_metadata_master` table and the
//! domain tables whose `metadata` column it mirrors (see the `migration` crate for the
//! triggers that keep both sides in sync).

pub mod campaign;
pub mod metadata_event;
pub mod metadata_master;
pub mod product;
pub mod survey;
pub mod voucher;
