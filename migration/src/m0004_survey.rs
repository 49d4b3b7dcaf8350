use sea_orm_migration::prelude::*;

use crate::sync_triggers;

const ENTITY_TYPE: &str = "survey";
const TABLE: &str = "service_survey_main";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sync_triggers::install_entity(
            manager,
            ENTITY_TYPE,
            TABLE,
            &["title text NOT NULL CHECK (length(title) > 0)"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sync_triggers::uninstall_entity(manager, ENTITY_TYPE, TABLE).await
    }
}
