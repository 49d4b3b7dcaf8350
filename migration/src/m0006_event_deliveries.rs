//! Delivery of events to named consumers: a row per (consumer, event) created by trigger
//! in the event's own transaction, so nothing is lost; claimed with a lease (crash-safe),
//! retried with backoff, parked as `dead` after the consumer's `max_attempts`, and deleted
//! once handled (only this bookkeeping is pruned; `_metadata_events` is kept).

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

const POSTGRES: &str = r#"
CREATE TABLE _metadata_consumers (
    name         text PRIMARY KEY,
    max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    ephemeral    boolean NOT NULL DEFAULT false,
    heartbeat_at timestamptz NOT NULL DEFAULT now()
)
;;
CREATE TABLE _metadata_deliveries (
    consumer     text NOT NULL REFERENCES _metadata_consumers (name) ON DELETE CASCADE,
    event_id     bigint NOT NULL REFERENCES _metadata_events (id),
    master_id    uuid NOT NULL,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
    attempts     integer NOT NULL DEFAULT 0,
    available_at timestamptz NOT NULL DEFAULT now(),
    last_error   text,
    PRIMARY KEY (consumer, event_id)
)
;;
CREATE INDEX _metadata_deliveries_due ON _metadata_deliveries (consumer, state, available_at)
;;
CREATE INDEX _metadata_deliveries_order ON _metadata_deliveries (consumer, master_id, event_id)
;;
-- NOTIFY carries the event id only (payloads are limited and best-effort); workers also poll.
CREATE FUNCTION metadata_fan_out_event() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO _metadata_deliveries (consumer, event_id, master_id)
    SELECT name, NEW.id, NEW.master_id FROM _metadata_consumers;
    PERFORM pg_notify('metadata_events', NEW.id::text);
    RETURN NULL;
END
$fn$
;;
CREATE TRIGGER metadata_fan_out AFTER INSERT ON _metadata_events
    FOR EACH ROW EXECUTE FUNCTION metadata_fan_out_event()
;;
-- Registered here, not when a worker starts, so that no event is missed before one runs.
INSERT INTO _metadata_consumers (name, max_attempts) VALUES ('localization', 8)
"#;

const DROP_POSTGRES: &str = r#"
DROP TRIGGER IF EXISTS metadata_fan_out ON _metadata_events
;;
DROP FUNCTION IF EXISTS metadata_fan_out_event
;;
DROP TABLE IF EXISTS _metadata_deliveries
;;
DROP TABLE IF EXISTS _metadata_consumers
"#;

const SQLITE: &str = r#"
CREATE TABLE _metadata_consumers (
    name         text PRIMARY KEY NOT NULL,
    max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    ephemeral    integer NOT NULL DEFAULT 0,
    heartbeat_at text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
)
;;
CREATE TABLE _metadata_deliveries (
    consumer     text NOT NULL REFERENCES _metadata_consumers (name) ON DELETE CASCADE,
    event_id     integer NOT NULL REFERENCES _metadata_events (id),
    master_id    blob NOT NULL,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
    attempts     integer NOT NULL DEFAULT 0,
    available_at text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    last_error   text,
    PRIMARY KEY (consumer, event_id)
)
;;
CREATE INDEX _metadata_deliveries_due ON _metadata_deliveries (consumer, state, available_at)
;;
CREATE INDEX _metadata_deliveries_order ON _metadata_deliveries (consumer, master_id, event_id)
;;
CREATE TRIGGER _metadata_fan_out AFTER INSERT ON _metadata_events
BEGIN
    INSERT INTO _metadata_deliveries (consumer, event_id, master_id)
    SELECT name, NEW.id, NEW.master_id FROM _metadata_consumers;
END
;;
INSERT INTO _metadata_consumers (name, max_attempts) VALUES ('localization', 8)
"#;

const DROP_SQLITE: &str = r#"
DROP TABLE IF EXISTS _metadata_deliveries
;;
DROP TABLE IF EXISTS _metadata_consumers
"#;
