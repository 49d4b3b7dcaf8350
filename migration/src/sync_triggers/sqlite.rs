//! SQLite: the same behaviour as the PostgreSQL functions, as plain triggers (SQLite has
//! neither plpgsql nor dynamic SQL, so the master→entity triggers are installed once per
//! entity table). UUIDs are 16-byte BLOBs (SeaORM's SQLite encoding); the cross reference
//! inside the JSON document is the usual hyphenated text. Statements are separated by a
//! line holding only `;;`.

/// `now()` in the RFC 3339 form that chrono reads back.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')";

/// Hyphenated lower-case text of a 16-byte UUID blob.
fn uuid_text(blob: &str) -> String {
    let h = format!("hex({blob})");
    format!(
        "lower(substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-' || substr({h}, 13, 4) || '-' || substr({h}, 17, 4) || '-' || substr({h}, 21, 12))"
    )
}

/// True when both JSON documents are equal as values (object key order ignored, array
/// order significant), the SQLite counterpart of comparing two `jsonb` values. Identical
/// text short-circuits; otherwise both trees are tagged by side and grouped in one sort: a
/// (fullkey, type, atom) seen on one side only means they differ. (An `EXCEPT` of the two
/// trees, used before, compared every row against a temporary index holding the other
/// side's values, re-reading a large string value once per key: 45 s for a 1.9 MB string
/// replaced by 100,000 keys.)
fn json_same(a: &str, b: &str) -> String {
    format!(
        "({a} IS {b} OR NOT EXISTS (SELECT 1 FROM (SELECT fullkey, type, atom, 0 AS side FROM json_tree({a}) \
          UNION ALL SELECT fullkey, type, atom, 1 AS side FROM json_tree({b})) \
          GROUP BY fullkey, type, atom HAVING min(side) = max(side)))"
    )
}

fn is_object(doc: &str) -> String {
    format!("(CASE WHEN json_valid({doc}) THEN json_type({doc}) = 'object' ELSE 0 END)")
}

fn crossref_wrong(doc: &str, master_id: &str) -> String {
    format!(
        "(json_extract({doc}, '$.metadata_master_id') IS NOT {})",
        uuid_text(master_id)
    )
}

fn with_crossref(doc: &str, master_id: &str) -> String {
    format!(
        "json_set({doc}, '$.metadata_master_id', {})",
        uuid_text(master_id)
    )
}

pub(super) const MASTER: &str = r#"
CREATE TABLE _metadata_entity_types (
    entity_type  text PRIMARY KEY NOT NULL,
    entity_table text NOT NULL UNIQUE,
    UNIQUE (entity_type, entity_table)
)
;;
CREATE TABLE _metadata_master (
    id           blob PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    entity_type  text NOT NULL,
    entity_id    blob NOT NULL CHECK (length(entity_id) = 16),
    entity_table text NOT NULL,
    metadata     text NOT NULL DEFAULT '{}'
        CONSTRAINT _metadata_master_metadata_is_object
        CHECK (CASE WHEN json_valid(metadata) THEN json_type(metadata) = 'object' ELSE 0 END),
    version      integer NOT NULL DEFAULT 1,
    created_at   text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at   text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    CONSTRAINT _metadata_master_entity_key UNIQUE (entity_type, entity_id),
    CONSTRAINT _metadata_master_registered_type
        FOREIGN KEY (entity_type, entity_table)
        REFERENCES _metadata_entity_types (entity_type, entity_table)
)
;;
CREATE INDEX _metadata_master_type_id ON _metadata_master (entity_type, id)
;;
CREATE TRIGGER _metadata_master_identity BEFORE UPDATE OF id, entity_type, entity_id, entity_table
ON _metadata_master
WHEN NEW.id IS NOT OLD.id OR NEW.entity_type IS NOT OLD.entity_type
  OR NEW.entity_id IS NOT OLD.entity_id OR NEW.entity_table IS NOT OLD.entity_table
BEGIN
    SELECT RAISE(ABORT, 'the identity of a _metadata_master row cannot change');
END
;;
CREATE TRIGGER _metadata_master_version_guard BEFORE UPDATE OF version ON _metadata_master
WHEN NEW.version IS NOT OLD.version AND NEW.version IS NOT OLD.version + 1
BEGIN
    SELECT RAISE(ABORT, '_metadata_master.version is maintained by the database');
END
"#;

pub(super) const DROP_MASTER: &str = r#"
DROP TABLE IF EXISTS _metadata_master
;;
DROP TABLE IF EXISTS _metadata_entity_types
"#;

pub(super) fn entity(entity_type: &str, table: &str, own_columns: &[&str]) -> String {
    let own = own_columns.join(",\n    ");
    format!(
        r#"
INSERT INTO _metadata_entity_types (entity_type, entity_table) VALUES ('{entity_type}', '{table}')
;;
CREATE TABLE {table} (
    id blob PRIMARY KEY NOT NULL DEFAULT (randomblob(16)) CHECK (length(id) = 16),
    {own},
    metadata text NOT NULL DEFAULT '{{}}'
        CONSTRAINT {table}_metadata_is_object
        CHECK (CASE WHEN json_valid(metadata) THEN json_type(metadata) = 'object' ELSE 0 END),
    metadata_master_id blob NOT NULL UNIQUE DEFAULT (randomblob(16))
        REFERENCES _metadata_master (id),
    created_at text NOT NULL DEFAULT ({NOW}),
    updated_at text NOT NULL DEFAULT ({NOW})
)
;;
{triggers}"#,
        triggers = triggers(entity_type, table)
    )
}

/// The names of the triggers [`triggers`] creates for `table`.
pub(super) fn trigger_names(table: &str) -> Vec<String> {
    [
        "metadata_insert",
        "metadata_crossref",
        "identity",
        "touch",
        "metadata_to_master",
        "metadata_from_master",
        "metadata_deleted",
        "master_delete_guard",
    ]
    .iter()
    .map(|name| format!("{table}_{name}"))
    .collect()
}

/// The sync triggers of one entity table (and its side of `_metadata_master`).
pub(super) fn triggers(entity_type: &str, table: &str) -> String {
    let entity_doc_now = format!("(SELECT metadata FROM {table} WHERE id = NEW.id)");
    let master_doc_now = "(SELECT metadata FROM _metadata_master WHERE id = NEW.id)";
    let new_is_object = is_object("NEW.metadata");
    let entity_changed = format!(
        "NOT {} OR {}",
        json_same("OLD.metadata", "NEW.metadata"),
        crossref_wrong("NEW.metadata", "NEW.metadata_master_id")
    );
    let master_changed = format!(
        "NOT {} OR {}",
        json_same("OLD.metadata", "NEW.metadata"),
        crossref_wrong("NEW.metadata", "NEW.id")
    );
    let entity_crossref_fix = format!(
        "UPDATE {table} SET metadata = {} WHERE id = NEW.id AND {}",
        with_crossref("metadata", "metadata_master_id"),
        crossref_wrong("metadata", "metadata_master_id")
    );
    format!(
        r#"
CREATE TRIGGER {table}_metadata_insert BEFORE INSERT ON {table}
BEGIN
    SELECT RAISE(ABORT, 'metadata of {table} must be a JSON object') WHERE NOT {new_is_object};
    INSERT INTO _metadata_master (id, entity_type, entity_id, entity_table, metadata)
    VALUES (NEW.metadata_master_id, '{entity_type}', NEW.id, '{table}',
            {insert_doc});
END
;;
CREATE TRIGGER {table}_metadata_crossref AFTER INSERT ON {table}
BEGIN
    {entity_crossref_fix};
END
;;
CREATE TRIGGER {table}_identity BEFORE UPDATE OF id, metadata_master_id ON {table}
WHEN NEW.id IS NOT OLD.id OR NEW.metadata_master_id IS NOT OLD.metadata_master_id
BEGIN
    SELECT RAISE(ABORT, '{table}.id and {table}.metadata_master_id cannot change');
END
;;
CREATE TRIGGER {table}_touch AFTER UPDATE ON {table}
WHEN NEW.updated_at IS OLD.updated_at AND OLD.updated_at IS NOT {NOW}
BEGIN
    UPDATE {table} SET updated_at = {NOW} WHERE id = NEW.id;
END
;;
CREATE TRIGGER {table}_metadata_to_master AFTER UPDATE OF metadata ON {table}
WHEN {entity_changed}
BEGIN
    {entity_crossref_fix};
    UPDATE _metadata_master SET metadata = {entity_doc_now}
     WHERE id = NEW.metadata_master_id AND NOT {master_vs_entity};
END
;;
CREATE TRIGGER {table}_metadata_from_master AFTER UPDATE OF metadata ON _metadata_master
WHEN NEW.entity_table = '{table}' AND ({master_changed})
BEGIN
    UPDATE _metadata_master
       SET metadata = {master_with_crossref},
           version = OLD.version + (CASE WHEN {old_same_as_fixed} THEN 0 ELSE 1 END),
           updated_at = (CASE WHEN {old_same_as_fixed} THEN OLD.updated_at ELSE {NOW} END)
     WHERE id = NEW.id;
    UPDATE {table} SET metadata = {master_doc_now}
     WHERE id = NEW.entity_id AND NOT {entity_vs_master};
END
;;
CREATE TRIGGER {table}_metadata_deleted AFTER DELETE ON {table}
BEGIN
    DELETE FROM _metadata_master WHERE id = OLD.metadata_master_id;
END
;;
CREATE TRIGGER {table}_master_delete_guard BEFORE DELETE ON _metadata_master
WHEN OLD.entity_table = '{table}' AND EXISTS (SELECT 1 FROM {table} WHERE id = OLD.entity_id)
BEGIN
    SELECT RAISE(ABORT, 'metadata master still belongs to a {table} row: delete the entity instead');
END
"#,
        insert_doc = with_crossref("NEW.metadata", "NEW.metadata_master_id"),
        master_vs_entity = json_same("metadata", &entity_doc_now),
        master_with_crossref = with_crossref("metadata", "id"),
        old_same_as_fixed = json_same("OLD.metadata", &with_crossref("NEW.metadata", "NEW.id")),
        entity_vs_master = json_same("metadata", master_doc_now),
    )
}

pub(super) fn drop_entity(entity_type: &str, table: &str) -> String {
    format!(
        r#"
DROP TRIGGER IF EXISTS {table}_metadata_from_master
;;
DROP TRIGGER IF EXISTS {table}_master_delete_guard
;;
DROP TABLE IF EXISTS {table}
;;
DELETE FROM _metadata_master WHERE entity_type = '{entity_type}'
;;
DELETE FROM _metadata_entity_types WHERE entity_type = '{entity_type}'
"#
    )
}
