//! Metadata policies: per entity type, a versioned JSON Schema plus protected JSON paths
//! (`_metadata_policies`, one row per version, never updated), and the violations the
//! policy audit found in events written around the API (`_metadata_policy_violations`).

use sea_orm_migration::prelude::*;

use crate::execute_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, POSTGRES, SQLITE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, DROP, DROP).await
    }
}

const POSTGRES: &str = r#"
CREATE TABLE _metadata_policies (
    id              uuid PRIMARY KEY,
    entity_type     text NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    schema          jsonb NOT NULL,
    protected_paths jsonb NOT NULL DEFAULT '[]',
    actor           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (entity_type, version)
)
;;
CREATE TABLE _metadata_policy_violations (
    id             bigserial PRIMARY KEY,
    event_id       bigint NOT NULL REFERENCES _metadata_events (id),
    entity_type    text NOT NULL,
    entity_id      uuid NOT NULL,
    master_id      uuid NOT NULL,
    version        bigint NOT NULL,
    policy_version integer NOT NULL,
    pointer        text NOT NULL,
    message        text NOT NULL,
    origin         text NOT NULL,
    actor          text,
    recorded_at    timestamptz NOT NULL DEFAULT now()
)
;;
CREATE INDEX _metadata_policy_violations_type ON _metadata_policy_violations (entity_type, id)
;;
CREATE INDEX _metadata_policy_violations_event ON _metadata_policy_violations (event_id)
"#;

const SQLITE: &str = r#"
CREATE TABLE _metadata_policies (
    id              blob PRIMARY KEY NOT NULL,
    entity_type     text NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    schema          text NOT NULL,
    protected_paths text NOT NULL DEFAULT '[]',
    actor           text,
    created_at      text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (entity_type, version)
)
;;
CREATE TABLE _metadata_policy_violations (
    id             integer PRIMARY KEY AUTOINCREMENT,
    event_id       integer NOT NULL REFERENCES _metadata_events (id),
    entity_type    text NOT NULL,
    entity_id      blob NOT NULL,
    master_id      blob NOT NULL,
    version        integer NOT NULL,
    policy_version integer NOT NULL,
    pointer        text NOT NULL,
    message        text NOT NULL,
    origin         text NOT NULL,
    actor          text,
    recorded_at    text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
)
;;
CREATE INDEX _metadata_policy_violations_type ON _metadata_policy_violations (entity_type, id)
;;
CREATE INDEX _metadata_policy_violations_event ON _metadata_policy_violations (event_id)
"#;

const DROP: &str = r#"
DROP TABLE IF EXISTS _metadata_policy_violations
;;
DROP TABLE IF EXISTS _metadata_policies
"#;
