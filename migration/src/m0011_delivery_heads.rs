//! Claims that cost the same at 100,000 pending deliveries as at 10: each (consumer,
//! entity) queue marks its oldest pending delivery as its `head`, and a claim reads due
//! heads straight from a small partial index instead of ranking the whole backlog.
//!
//! Who keeps the mark right (at most one head per queue, and one whenever it has pending
//! deliveries; see `src/events/heads.rs` for the service's side):
//! - a new delivery is the head when its queue has no pending delivery. The writer holds the
//!   master row lock, so writers of one queue are serialized; it takes `FOR KEY SHARE` on the
//!   current head first, so a worker that is deleting or burying that head (which takes the
//!   row's `FOR UPDATE` lock) finishes first, and the writer's next statement sees the head
//!   that worker promoted;
//! - the worker that deletes (completes) or buries (dead-letters) a head promotes the queue's
//!   next pending delivery in the same transaction. A completion waits at most 200 ms for a
//!   writer's lock (`lock_timeout`) and then runs again, so a lock cycle with a writer that
//!   touches several entities in one transaction is broken on the worker's side, never by
//!   failing the writer.

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
        execute_for_backend(manager, DOWN_POSTGRES, DOWN_SQLITE).await
    }
}

const POSTGRES: &str = r#"
ALTER TABLE _metadata_deliveries ADD COLUMN head boolean NOT NULL DEFAULT false
;;
UPDATE _metadata_deliveries SET head = true
 WHERE state = 'pending' AND event_id = (
     SELECT min(p.event_id) FROM _metadata_deliveries p
      WHERE p.consumer = _metadata_deliveries.consumer
        AND p.master_id = _metadata_deliveries.master_id AND p.state = 'pending')
;;
DROP INDEX IF EXISTS _metadata_deliveries_due
;;
DROP INDEX IF EXISTS _metadata_deliveries_order
;;
CREATE INDEX _metadata_deliveries_pending ON _metadata_deliveries (consumer, master_id, event_id)
    WHERE state = 'pending'
;;
CREATE INDEX _metadata_deliveries_due_heads ON _metadata_deliveries (consumer, available_at, event_id)
    WHERE state = 'pending' AND head
;;
CREATE INDEX _metadata_deliveries_head_of ON _metadata_deliveries (consumer, master_id)
    WHERE state = 'pending' AND head
;;
CREATE INDEX _metadata_deliveries_dead ON _metadata_deliveries (event_id) WHERE state = 'dead'
;;
CREATE OR REPLACE FUNCTION metadata_fan_out_event() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    consumer_name text;
    is_head boolean;
BEGIN
    FOR consumer_name IN SELECT name FROM _metadata_consumers LOOP
        -- Waits for a worker that is completing or burying the head (see the module docs).
        PERFORM 1 FROM _metadata_deliveries
          WHERE consumer = consumer_name AND master_id = NEW.master_id
            AND state = 'pending' AND head
          FOR KEY SHARE;
        IF FOUND THEN
            is_head := false;
        ELSE
            -- A fresh snapshot: sees the head such a worker promoted.
            PERFORM 1 FROM _metadata_deliveries
              WHERE consumer = consumer_name AND master_id = NEW.master_id AND state = 'pending'
              LIMIT 1;
            is_head := NOT FOUND;
        END IF;
        INSERT INTO _metadata_deliveries (consumer, event_id, master_id, head)
        VALUES (consumer_name, NEW.id, NEW.master_id, is_head);
    END LOOP;
    PERFORM pg_notify('metadata_events', NEW.id::text);
    RETURN NULL;
END
$fn$
"#;

const DOWN_POSTGRES: &str = r#"
CREATE OR REPLACE FUNCTION metadata_fan_out_event() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO _metadata_deliveries (consumer, event_id, master_id)
    SELECT name, NEW.id, NEW.master_id FROM _metadata_consumers;
    PERFORM pg_notify('metadata_events', NEW.id::text);
    RETURN NULL;
END
$fn$
;;
DROP INDEX IF EXISTS _metadata_deliveries_pending
;;
DROP INDEX IF EXISTS _metadata_deliveries_due_heads
;;
DROP INDEX IF EXISTS _metadata_deliveries_head_of
;;
DROP INDEX IF EXISTS _metadata_deliveries_dead
;;
CREATE INDEX _metadata_deliveries_due ON _metadata_deliveries (consumer, state, available_at)
;;
CREATE INDEX _metadata_deliveries_order ON _metadata_deliveries (consumer, master_id, event_id)
;;
ALTER TABLE _metadata_deliveries DROP COLUMN head
"#;

/// SQLite's writers are serialized: the new delivery's mark is one `NOT EXISTS`.
const SQLITE: &str = r#"
ALTER TABLE _metadata_deliveries ADD COLUMN head integer NOT NULL DEFAULT 0
;;
UPDATE _metadata_deliveries SET head = 1
 WHERE state = 'pending' AND event_id = (
     SELECT min(p.event_id) FROM _metadata_deliveries p
      WHERE p.consumer = _metadata_deliveries.consumer
        AND p.master_id = _metadata_deliveries.master_id AND p.state = 'pending')
;;
DROP INDEX IF EXISTS _metadata_deliveries_due
;;
DROP INDEX IF EXISTS _metadata_deliveries_order
;;
CREATE INDEX _metadata_deliveries_pending ON _metadata_deliveries (consumer, master_id, event_id)
    WHERE state = 'pending'
;;
CREATE INDEX _metadata_deliveries_due_heads ON _metadata_deliveries (consumer, available_at, event_id)
    WHERE state = 'pending' AND head
;;
CREATE INDEX _metadata_deliveries_head_of ON _metadata_deliveries (consumer, master_id)
    WHERE state = 'pending' AND head
;;
CREATE INDEX _metadata_deliveries_dead ON _metadata_deliveries (event_id) WHERE state = 'dead'
;;
-- One statement batch, so that both run on the same connection (another one may still
-- have the old trigger in its schema cache and refuse the name).
DROP TRIGGER IF EXISTS _metadata_fan_out;
CREATE TRIGGER _metadata_fan_out AFTER INSERT ON _metadata_events
BEGIN
    INSERT INTO _metadata_deliveries (consumer, event_id, master_id, head)
    SELECT c.name, NEW.id, NEW.master_id,
           NOT EXISTS (SELECT 1 FROM _metadata_deliveries p
                        WHERE p.consumer = c.name AND p.master_id = NEW.master_id
                          AND p.state = 'pending')
      FROM _metadata_consumers c;
END
"#;

const DOWN_SQLITE: &str = r#"
DROP TRIGGER IF EXISTS _metadata_fan_out;
CREATE TRIGGER _metadata_fan_out AFTER INSERT ON _metadata_events
BEGIN
    INSERT INTO _metadata_deliveries (consumer, event_id, master_id)
    SELECT name, NEW.id, NEW.master_id FROM _metadata_consumers;
END
;;
DROP INDEX IF EXISTS _metadata_deliveries_pending
;;
DROP INDEX IF EXISTS _metadata_deliveries_due_heads
;;
DROP INDEX IF EXISTS _metadata_deliveries_head_of
;;
DROP INDEX IF EXISTS _metadata_deliveries_dead
;;
CREATE INDEX _metadata_deliveries_due ON _metadata_deliveries (consumer, state, available_at)
;;
CREATE INDEX _metadata_deliveries_order ON _metadata_deliveries (consumer, master_id, event_id)
;;
ALTER TABLE _metadata_deliveries DROP COLUMN head
"#;
