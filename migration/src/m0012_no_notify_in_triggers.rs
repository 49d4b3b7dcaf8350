//! The fan-out trigger no longer calls `pg_notify`. A `NOTIFY` takes PostgreSQL's
//! cluster-wide notification lock at commit and holds it until the commit is flushed, so
//! every writer that notified committed one at a time: raw `UPDATE`s of entity tables ran
//! at two thirds of their speed without it. The service now announces its own commits
//! itself (one `NOTIFY` per burst, outside the write transactions); writes from other SQL
//! clients reach the workers by their poll (every 250 ms).

use sea_orm_migration::prelude::*;

use crate::execute_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, &fan_out(""), "").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(
            manager,
            &fan_out("    PERFORM pg_notify('metadata_events', NEW.id::text);\n"),
            "",
        )
        .await
    }
}

/// The fan-out function of `m0011`, with `notify` before its `RETURN`.
fn fan_out(notify: &str) -> String {
    format!(
        r#"
CREATE OR REPLACE FUNCTION metadata_fan_out_event() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    consumer_name text;
    is_head boolean;
BEGIN
    FOR consumer_name IN SELECT name FROM _metadata_consumers LOOP
        -- Waits for a worker that is completing or burying the head (see m0011).
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
{notify}    RETURN NULL;
END
$fn$
"#
    )
}
