use sea_orm_migration::prelude::*;

use crate::sync_triggers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sync_triggers::install_master(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sync_triggers::uninstall_master(manager).await
    }
}
