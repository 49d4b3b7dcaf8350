use sea_orm_migration::prelude::*;

use crate::sync_triggers;

const ENTITY_TYPE: &str = "campaign";
const TABLE: &str = "service_campaign_main";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sync_triggers::install_entity(manager, ENTITY_TYPE, TABLE, &[
            "name text NOT NULL CHECK (length(name) > 0)",
            "status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'archived'))",
        ])
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sync_triggers::uninstall_entity(manager, ENTITY_TYPE, TABLE).await
    }
}
