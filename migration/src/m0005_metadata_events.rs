//! `_metadata_events`: one row per effective change of a master row (created, metadata
//! changed, deleted), written by trigger in the same transaction, from any write path.
//! It is the audit history and the source of entity events.

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
        execute_for_backend(manager, DROP_POSTGRES, DROP_SQLITE).await
    }
}

/// The service marks its own transactions with `set_config('metadata_synergy.origin', …,
/// true)` (and `.actor`); anything unmarked is raw SQL.
const POSTGRES: &str = r#"
CREATE TABLE _metadata_events (
    id          bigserial PRIMARY KEY,
    entity_type text NOT NULL,
    entity_id   uuid NOT NULL,
    master_id   uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('CREATED', 'UPDATED', 'DELETED')),
    version     bigint NOT NULL,
    origin      text NOT NULL CHECK (origin IN ('api', 'sql', 'localization')),
    actor       text,
    document    jsonb NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
;;
CREATE UNIQUE INDEX _metadata_events_master_version ON _metadata_events (master_id, version)
;;
CREATE FUNCTION metadata_record_event() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    origin text := coalesce(nullif(current_setting('metadata_synergy.origin', true), ''), 'sql');
    actor  text := nullif(current_setting('metadata_synergy.actor', true), '');
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO _metadata_events (entity_type, entity_id, master_id, kind, version, origin, actor, document)
        VALUES (OLD.entity_type, OLD.entity_id, OLD.id, 'DELETED', OLD.version + 1, origin, actor, OLD.metadata);
        RETURN OLD;
    END IF;
    INSERT INTO _metadata_events (entity_type, entity_id, master_id, kind, version, origin, actor, document)
    VALUES (NEW.entity_type, NEW.entity_id, NEW.id,
            CASE TG_OP WHEN 'INSERT' THEN 'CREATED' ELSE 'UPDATED' END,
            NEW.version, origin, actor, NEW.metadata);
    RETURN NEW;
END
$fn$
;;
CREATE TRIGGER metadata_event_created AFTER INSERT ON _metadata_master
    FOR EACH ROW EXECUTE FUNCTION metadata_record_event()
;;
CREATE TRIGGER metadata_event_updated AFTER UPDATE ON _metadata_master
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version)
    EXECUTE FUNCTION metadata_record_event()
;;
CREATE TRIGGER metadata_event_deleted AFTER DELETE ON _metadata_master
    FOR EACH ROW EXECUTE FUNCTION metadata_record_event()
"#;

const DROP_POSTGRES: &str = r#"
DROP TRIGGER IF EXISTS metadata_event_created ON _metadata_master
;;
DROP TRIGGER IF EXISTS metadata_event_updated ON _metadata_master
;;
DROP TRIGGER IF EXISTS metadata_event_deleted ON _metadata_master
;;
DROP FUNCTION IF EXISTS metadata_record_event
;;
DROP TABLE IF EXISTS _metadata_events
"#;

/// SQLite has no session variables. Its writers are serialized, so the service writes its
/// mark into the one-row `_metadata_write_context` at the start of each write transaction
/// and deletes it before commit: no other connection ever sees it.
const SQLITE: &str = r#"
CREATE TABLE _metadata_write_context (
    id     integer PRIMARY KEY CHECK (id = 1),
    origin text NOT NULL CHECK (origin IN ('api', 'sql', 'localization')),
    actor  text
)
;;
CREATE TABLE _metadata_events (
    id          integer PRIMARY KEY AUTOINCREMENT,
    entity_type text NOT NULL,
    entity_id   blob NOT NULL,
    master_id   blob NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('CREATED', 'UPDATED', 'DELETED')),
    version     integer NOT NULL,
    origin      text NOT NULL CHECK (origin IN ('api', 'sql', 'localization')),
    actor       text,
    document    text NOT NULL,
    occurred_at text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
)
;;
CREATE UNIQUE INDEX _metadata_events_master_version ON _metadata_events (master_id, version)
;;
CREATE TRIGGER _metadata_event_created AFTER INSERT ON _metadata_master
BEGIN
    INSERT INTO _metadata_events (entity_type, entity_id, master_id, kind, version, origin, actor, document)
    VALUES (NEW.entity_type, NEW.entity_id, NEW.id, 'CREATED', NEW.version,
            coalesce((SELECT origin FROM _metadata_write_context WHERE id = 1), 'sql'),
            (SELECT actor FROM _metadata_write_context WHERE id = 1), NEW.metadata);
END
;;
CREATE TRIGGER _metadata_event_updated AFTER UPDATE OF version ON _metadata_master
WHEN NEW.version IS NOT OLD.version
BEGIN
    INSERT INTO _metadata_events (entity_type, entity_id, master_id, kind, version, origin, actor, document)
    VALUES (NEW.entity_type, NEW.entity_id, NEW.id, 'UPDATED', NEW.version,
            coalesce((SELECT origin FROM _metadata_write_context WHERE id = 1), 'sql'),
            (SELECT actor FROM _metadata_write_context WHERE id = 1), NEW.metadata);
END
;;
CREATE TRIGGER _metadata_event_deleted AFTER DELETE ON _metadata_master
BEGIN
    INSERT INTO _metadata_events (entity_type, entity_id, master_id, kind, version, origin, actor, document)
    VALUES (OLD.entity_type, OLD.entity_id, OLD.id, 'DELETED', OLD.version + 1,
            coalesce((SELECT origin FROM _metadata_write_context WHERE id = 1), 'sql'),
            (SELECT actor FROM _metadata_write_context WHERE id = 1), OLD.metadata);
END
"#;

const DROP_SQLITE: &str = r#"
DROP TRIGGER IF EXISTS _metadata_event_created
;;
DROP TRIGGER IF EXISTS _metadata_event_updated
;;
DROP TRIGGER IF EXISTS _metadata_event_deleted
;;
DROP TABLE IF EXISTS _metadata_events
;;
DROP TABLE IF EXISTS _metadata_write_context
"#;
