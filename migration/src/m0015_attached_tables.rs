//! Tables adopted at run time (`metadata-synergy attach`, PostgreSQL only).
//!
//! `_metadata_entity_types` records each type's id and metadata column names and whether
//! the table was attached rather than created by a migration. Attached tables get their
//! own trigger functions, generic over those names (passed as trigger arguments, read and
//! written through `to_jsonb(NEW)` / `jsonb_populate_record`), because they have no
//! `updated_at` of ours and their rows are adopted one batch at a time: a row whose
//! `metadata_master_id` is still null is not synced yet, and the backfill's
//! `SET metadata_master_id = gen_random_uuid()` creates its master as an insert would
//! (in an AFTER trigger, so that an `INSERT … ON CONFLICT` that inserts nothing creates
//! no master either).
//!
//! The master-side copy and delete guard now read the registered column names, so they
//! serve both kinds of table. Why nothing loops is unchanged (see `sync_triggers`): each
//! copy writes only where the other side differs, and the echo matches no row.

use sea_orm_migration::prelude::*;

use crate::execute_for_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(
            manager,
            &format!("{REGISTRY_PG}\n;;\n{UP_PG}"),
            REGISTRY_SQLITE,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_for_backend(manager, DOWN_PG, DOWN_SQLITE).await
    }
}

const REGISTRY_PG: &str = r#"
ALTER TABLE _metadata_entity_types
    ADD COLUMN id_column text NOT NULL DEFAULT 'id',
    ADD COLUMN metadata_column text NOT NULL DEFAULT 'metadata',
    ADD COLUMN attached boolean NOT NULL DEFAULT false,
    ADD COLUMN detaching boolean NOT NULL DEFAULT false
"#;

const REGISTRY_SQLITE: &str = r#"
ALTER TABLE _metadata_entity_types ADD COLUMN id_column text NOT NULL DEFAULT 'id'
;;
ALTER TABLE _metadata_entity_types ADD COLUMN metadata_column text NOT NULL DEFAULT 'metadata'
;;
ALTER TABLE _metadata_entity_types ADD COLUMN attached integer NOT NULL DEFAULT 0
;;
ALTER TABLE _metadata_entity_types ADD COLUMN detaching integer NOT NULL DEFAULT 0
"#;

const UP_PG: &str = r#"
-- Attached tables, BEFORE INSERT OR UPDATE. Arguments: entity type, id column, metadata
-- column. Chooses the master id of a new row or of a row the backfill adopts, keeps the
-- cross reference in the document and refuses identity changes and non-object documents.
CREATE FUNCTION metadata_sync_attached_before() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    new_row   jsonb := to_jsonb(NEW);
    old_row   jsonb;
    document  jsonb := new_row -> TG_ARGV[2];
    master_id uuid := (new_row ->> 'metadata_master_id')::uuid;
BEGIN
    IF jsonb_typeof(document) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '%.% must be a JSON object', TG_TABLE_NAME, TG_ARGV[2]
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_metadata_is_object';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        old_row := to_jsonb(OLD);
        IF old_row ->> 'metadata_master_id' IS NULL THEN
            IF master_id IS NULL THEN
                RETURN NEW; -- not adopted yet: attach's backfill will reach it
            END IF;
        ELSIF new_row -> TG_ARGV[1] IS DISTINCT FROM old_row -> TG_ARGV[1]
           OR new_row -> 'metadata_master_id' IS DISTINCT FROM old_row -> 'metadata_master_id' THEN
            RAISE EXCEPTION '%.% and %.metadata_master_id cannot change',
                TG_TABLE_NAME, TG_ARGV[1], TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    master_id := coalesce(master_id, gen_random_uuid());
    IF document -> 'metadata_master_id' IS DISTINCT FROM to_jsonb(master_id)
       OR new_row -> 'metadata_master_id' IS DISTINCT FROM to_jsonb(master_id) THEN
        RETURN jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[2],
            document || jsonb_build_object('metadata_master_id', master_id),
            'metadata_master_id', master_id));
    END IF;
    RETURN NEW;
END
$fn$
;;
-- Attached tables, AFTER INSERT OR UPDATE OF metadata_master_id (arguments as above):
-- creates the master of a row that was inserted or adopted. AFTER, so that a proposed row
-- that an INSERT … ON CONFLICT does not insert creates nothing (the entity's foreign key to
-- its master is deferred to the commit for this).
CREATE FUNCTION metadata_sync_attached_adopt() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    new_row jsonb := to_jsonb(NEW);
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> 'metadata_master_id' IS NOT NULL
                             OR new_row ->> 'metadata_master_id' IS NULL) THEN
        RETURN NULL;
    END IF;
    INSERT INTO _metadata_master (id, entity_type, entity_id, entity_table, metadata)
    VALUES ((new_row ->> 'metadata_master_id')::uuid, TG_ARGV[0],
            (new_row ->> TG_ARGV[1])::uuid, TG_TABLE_NAME, new_row -> TG_ARGV[2]);
    RETURN NULL;
END
$fn$
;;
-- Attached tables, AFTER UPDATE OF the metadata column (argument: its name): copy the
-- document to the master row, but only when it differs there.
CREATE FUNCTION metadata_sync_attached_to_master() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    new_row jsonb := to_jsonb(NEW);
BEGIN
    UPDATE _metadata_master
       SET metadata = new_row -> TG_ARGV[0]
     WHERE id = (new_row ->> 'metadata_master_id')::uuid
       AND metadata IS DISTINCT FROM new_row -> TG_ARGV[0];
    RETURN NULL;
END
$fn$
;;
CREATE FUNCTION metadata_sync_attached_deleted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM _metadata_master WHERE id = (to_jsonb(OLD) ->> 'metadata_master_id')::uuid;
    RETURN NULL;
END
$fn$
;;
CREATE OR REPLACE FUNCTION metadata_sync_master_to_entity() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    registered record;
BEGIN
    SELECT id_column, metadata_column INTO registered
      FROM _metadata_entity_types WHERE entity_type = NEW.entity_type;
    EXECUTE format(
        'UPDATE %I SET %I = $1 WHERE %I = $2 AND %I IS DISTINCT FROM $1',
        NEW.entity_table, registered.metadata_column, registered.id_column,
        registered.metadata_column)
    USING NEW.metadata, NEW.entity_id;
    RETURN NULL;
END
$fn$
;;
-- A master row goes with its entity, never alone, except while `detach` removes an
-- attached type's masters (its registration is marked detaching, and the detach's
-- transactions set metadata_synergy.detaching to the type).
CREATE OR REPLACE FUNCTION metadata_sync_master_delete_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    registered record;
    entity_exists boolean;
BEGIN
    IF current_setting('metadata_synergy.detaching', true) = OLD.entity_type
       AND EXISTS (SELECT 1 FROM _metadata_entity_types
                   WHERE entity_type = OLD.entity_type AND attached AND detaching) THEN
        RETURN OLD;
    END IF;
    SELECT id_column INTO registered
      FROM _metadata_entity_types WHERE entity_type = OLD.entity_type;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)',
                   OLD.entity_table, coalesce(registered.id_column, 'id'))
    INTO entity_exists
    USING OLD.entity_id;
    IF entity_exists THEN
        RAISE EXCEPTION 'metadata master % still belongs to %.%: delete the entity instead',
            OLD.id, OLD.entity_table, OLD.entity_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END
$fn$
"#;

const DOWN_PG: &str = r#"
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM _metadata_entity_types WHERE attached) THEN
        RAISE EXCEPTION 'detach the attached tables before reverting m0015';
    END IF;
END
$$
;;
CREATE OR REPLACE FUNCTION metadata_sync_master_to_entity() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE format(
        'UPDATE %I SET metadata = $1 WHERE id = $2 AND metadata IS DISTINCT FROM $1',
        NEW.entity_table)
    USING NEW.metadata, NEW.entity_id;
    RETURN NULL;
END
$fn$
;;
CREATE OR REPLACE FUNCTION metadata_sync_master_delete_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    entity_exists boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', OLD.entity_table)
    INTO entity_exists
    USING OLD.entity_id;
    IF entity_exists THEN
        RAISE EXCEPTION 'metadata master % still belongs to %.%: delete the entity instead',
            OLD.id, OLD.entity_table, OLD.entity_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END
$fn$
;;
DROP FUNCTION IF EXISTS metadata_sync_attached_before, metadata_sync_attached_adopt,
    metadata_sync_attached_to_master, metadata_sync_attached_deleted
;;
ALTER TABLE _metadata_entity_types
    DROP COLUMN id_column, DROP COLUMN metadata_column, DROP COLUMN attached,
    DROP COLUMN detaching
"#;

const DOWN_SQLITE: &str = r#"
ALTER TABLE _metadata_entity_types DROP COLUMN detaching
;;
ALTER TABLE _metadata_entity_types DROP COLUMN id_column
;;
ALTER TABLE _metadata_entity_types DROP COLUMN metadata_column
;;
ALTER TABLE _metadata_entity_types DROP COLUMN attached
"#;
