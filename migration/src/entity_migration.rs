//! A migration that installs one entity type: its table (the shared columns plus its own),
//! the shared sync triggers and its registration. Adding an entity type is one line in
//! [`crate::Migrator`]'s list.

use sea_orm_migration::prelude::*;

use crate::sync_triggers;

/// Installs (and on `down` removes) one entity type.
pub struct EntityMigration {
    /// Unique, ordered migration name, e.g. `m0009_voucher`.
    pub name: &'static str,
    /// The value stored in `_metadata_master.entity_type`.
    pub entity_type: &'static str,
    /// The entity's table.
    pub table: &'static str,
    /// Its own column definitions, valid on PostgreSQL and SQLite alike.
    pub own_columns: &'static [&'static str],
}

impl MigrationName for EntityMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for EntityMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sync_triggers::install_entity(manager, self.entity_type, self.table, self.own_columns).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sync_triggers::uninstall_entity(manager, self.entity_type, self.table).await
    }
}
