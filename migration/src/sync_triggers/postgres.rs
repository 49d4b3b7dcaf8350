//! PostgreSQL: one generic plpgsql function per direction, shared by all entity tables.
//! Statements are separated by a line holding only `;;`.

pub(super) const MASTER: &str = r#"
CREATE TABLE _metadata_entity_types (
    entity_type  text PRIMARY KEY,
    entity_table text NOT NULL UNIQUE,
    UNIQUE (entity_type, entity_table)
)
;;
CREATE TABLE _metadata_master (
    id           uuid PRIMARY KEY,
    entity_type  text NOT NULL,
    entity_id    uuid NOT NULL,
    entity_table text NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb
        CONSTRAINT _metadata_master_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object'),
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT _metadata_master_entity_key UNIQUE (entity_type, entity_id),
    CONSTRAINT _metadata_master_registered_type
        FOREIGN KEY (entity_type, entity_table)
        REFERENCES _metadata_entity_types (entity_type, entity_table)
)
;;
CREATE INDEX _metadata_master_type_id ON _metadata_master (entity_type, id)
;;
-- Entity side, BEFORE INSERT OR UPDATE: create the master row on insert, keep the cross
-- reference inside the document, refuse identity changes and non-object documents.
CREATE FUNCTION metadata_sync_entity_before() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF jsonb_typeof(NEW.metadata) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'metadata of % must be a JSON object', TG_TABLE_NAME
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_metadata_is_object';
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.metadata_master_id := coalesce(NEW.metadata_master_id, gen_random_uuid());
        NEW.metadata := NEW.metadata || jsonb_build_object('metadata_master_id', NEW.metadata_master_id);
        INSERT INTO _metadata_master (id, entity_type, entity_id, entity_table, metadata)
        VALUES (NEW.metadata_master_id, TG_ARGV[0], NEW.id, TG_TABLE_NAME, NEW.metadata);
        RETURN NEW;
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.metadata_master_id IS DISTINCT FROM OLD.metadata_master_id THEN
        RAISE EXCEPTION '%.id and %.metadata_master_id cannot change', TG_TABLE_NAME, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.metadata -> 'metadata_master_id' IS DISTINCT FROM to_jsonb(NEW.metadata_master_id) THEN
        NEW.metadata := NEW.metadata || jsonb_build_object('metadata_master_id', NEW.metadata_master_id);
    END IF;
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$fn$
;;
-- Entity side, AFTER UPDATE OF metadata: copy the document to the master row, but only
-- when it differs there. The master's echo back finds equal documents and stops.
CREATE FUNCTION metadata_sync_entity_to_master() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE _metadata_master
       SET metadata = NEW.metadata
     WHERE id = NEW.metadata_master_id
       AND metadata IS DISTINCT FROM NEW.metadata;
    RETURN NULL;
END
$fn$
;;
CREATE FUNCTION metadata_sync_entity_deleted() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM _metadata_master WHERE id = OLD.metadata_master_id;
    RETURN NULL;
END
$fn$
;;
-- Master side, BEFORE UPDATE: identity columns are fixed, the cross reference stays in
-- the document, and the version is owned by the database (+1 per effective change).
CREATE FUNCTION metadata_sync_master_before() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.entity_type IS DISTINCT FROM OLD.entity_type
       OR NEW.entity_id IS DISTINCT FROM OLD.entity_id
       OR NEW.entity_table IS DISTINCT FROM OLD.entity_table THEN
        RAISE EXCEPTION 'the identity of a _metadata_master row cannot change'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF jsonb_typeof(NEW.metadata) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'metadata of _metadata_master must be a JSON object'
            USING ERRCODE = 'check_violation', CONSTRAINT = '_metadata_master_metadata_is_object';
    END IF;
    IF NEW.version IS DISTINCT FROM OLD.version AND NEW.version IS DISTINCT FROM OLD.version + 1 THEN
        RAISE EXCEPTION '_metadata_master.version is maintained by the database'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.metadata -> 'metadata_master_id' IS DISTINCT FROM to_jsonb(NEW.id) THEN
        NEW.metadata := NEW.metadata || jsonb_build_object('metadata_master_id', NEW.id);
    END IF;
    IF NEW.metadata IS DISTINCT FROM OLD.metadata THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
    ELSE
        NEW.version := OLD.version;
        NEW.updated_at := OLD.updated_at;
    END IF;
    RETURN NEW;
END
$fn$
;;
-- Master side, AFTER UPDATE OF metadata: copy the document to the entity table named by
-- the row (an identifier from the _metadata_entity_types allow-list, quoted with %I).
CREATE FUNCTION metadata_sync_master_to_entity() RETURNS trigger
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
-- Master side, BEFORE DELETE: a master row goes with its entity, never alone.
CREATE FUNCTION metadata_sync_master_delete_guard() RETURNS trigger
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
CREATE TRIGGER metadata_sync_before BEFORE UPDATE ON _metadata_master
    FOR EACH ROW EXECUTE FUNCTION metadata_sync_master_before()
;;
CREATE TRIGGER metadata_sync_to_entity AFTER UPDATE OF metadata ON _metadata_master
    FOR EACH ROW WHEN (OLD.metadata IS DISTINCT FROM NEW.metadata)
    EXECUTE FUNCTION metadata_sync_master_to_entity()
;;
CREATE TRIGGER metadata_sync_delete_guard BEFORE DELETE ON _metadata_master
    FOR EACH ROW EXECUTE FUNCTION metadata_sync_master_delete_guard()
"#;

pub(super) const DROP_MASTER: &str = r#"
DROP TABLE IF EXISTS _metadata_master
;;
DROP TABLE IF EXISTS _metadata_entity_types
;;
DROP FUNCTION IF EXISTS metadata_sync_entity_before, metadata_sync_entity_to_master,
    metadata_sync_entity_deleted, metadata_sync_master_before, metadata_sync_master_to_entity,
    metadata_sync_master_delete_guard
"#;

pub(super) fn entity(entity_type: &str, table: &str, own_columns: &[&str]) -> String {
    let own = own_columns.join(",\n    ");
    let lz4_available = crate::m0016_lz4_documents::LZ4_AVAILABLE;
    format!(
        r#"
INSERT INTO _metadata_entity_types (entity_type, entity_table) VALUES ('{entity_type}', '{table}')
;;
CREATE TABLE {table} (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    {own},
    metadata jsonb NOT NULL DEFAULT '{{}}'::jsonb
        CONSTRAINT {table}_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object'),
    metadata_master_id uuid NOT NULL UNIQUE REFERENCES _metadata_master (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
;;
CREATE INDEX IF NOT EXISTS {table}_metadata_gin ON {table} USING gin (metadata jsonb_path_ops)
;;
DO $$
BEGIN
    IF {lz4_available} THEN
        EXECUTE 'ALTER TABLE {table} ALTER COLUMN metadata SET COMPRESSION lz4';
    END IF;
END
$$
;;
CREATE TRIGGER metadata_sync_before BEFORE INSERT OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION metadata_sync_entity_before('{entity_type}')
;;
CREATE TRIGGER metadata_sync_to_master AFTER UPDATE OF metadata ON {table}
    FOR EACH ROW WHEN (OLD.metadata IS DISTINCT FROM NEW.metadata)
    EXECUTE FUNCTION metadata_sync_entity_to_master()
;;
CREATE TRIGGER metadata_sync_deleted AFTER DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION metadata_sync_entity_deleted()
"#
    )
}

pub(super) fn drop_entity(entity_type: &str, table: &str) -> String {
    format!(
        r#"
DROP TABLE IF EXISTS {table}
;;
ALTER TABLE _metadata_master DISABLE TRIGGER metadata_sync_delete_guard
;;
DELETE FROM _metadata_master WHERE entity_type = '{entity_type}'
;;
ALTER TABLE _metadata_master ENABLE TRIGGER metadata_sync_delete_guard
;;
DELETE FROM _metadata_entity_types WHERE entity_type = '{entity_type}'
"#
    )
}
