//! The checks before anything is changed: the table, its primary key, its metadata column
//! and documents, and whether it is attached already (or half attached: then resume).

use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement, Value};

use super::{AttachError, AttachOptions, quoted};

/// What [`super::sql::install`] has to do.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    /// An earlier attach of this table got past its install step: only the backfill and
    /// the constraints are left.
    pub resume: bool,
    pub add_metadata_column: bool,
    /// The metadata column is `json` and becomes `jsonb` (the triggers compare documents).
    pub convert_json: bool,
}

pub(super) async fn inspect(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<Plan, AttachError> {
    let table = &options.table;
    // The table must live where `_metadata_master` does: the triggers and the service name
    // it unqualified, as they name the master table.
    let kind = "SELECT c.relkind::text AS kind FROM pg_class c WHERE c.relname = $1 \
                AND c.relnamespace = (SELECT relnamespace FROM pg_class \
                                      WHERE oid = '_metadata_master'::regclass)";
    let kind: Option<String> = match one(db, kind, vec![table.into()]).await? {
        Some(row) => Some(row.try_get("", "kind")?),
        None => None,
    };
    match kind.as_deref() {
        Some("r") => {}
        Some("p") => {
            return Err(AttachError::Unsupported(format!(
                "{table} is partitioned: attach its partitions' parent is not supported \
                 (indexes cannot be built concurrently on it)"
            )));
        }
        Some(_) => return Err(AttachError::Unsupported(format!("{table} is not a table"))),
        None => return Err(AttachError::NoSuchTable(table.clone())),
    }
    if let Some(resume) = registration(db, options).await? {
        return Ok(resume);
    }
    if column_type(db, table, "metadata_master_id")
        .await?
        .is_some()
    {
        return Err(AttachError::AlreadyAttached(format!(
            "{table} already has a metadata_master_id column"
        )));
    }
    check_primary_key(db, options).await?;
    let metadata_type = column_type(db, table, &options.metadata_column).await?;
    let convert_json = match metadata_type.as_deref() {
        None | Some("jsonb") => false,
        Some("json") if options.convert_json => true,
        Some("json") => {
            return Err(AttachError::JsonColumn(options.metadata_column.clone()));
        }
        Some(found) => {
            return Err(AttachError::MetadataType {
                column: options.metadata_column.clone(),
                found: found.to_owned(),
            });
        }
    };
    if metadata_type.is_some() {
        check_documents(db, options).await?;
    }
    Ok(Plan {
        resume: false,
        add_metadata_column: metadata_type.is_none(),
        convert_json,
    })
}

/// `Some(resume plan)` when this very attach was started before; an error when the type
/// name or the table is registered otherwise; `None` when neither is registered.
async fn registration(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<Option<Plan>, AttachError> {
    let row = one(
        db,
        "SELECT entity_type, entity_table, id_column, metadata_column, attached, detaching \
         FROM _metadata_entity_types WHERE entity_type = $1 OR entity_table = $2 LIMIT 1",
        vec![
            options.entity_type.clone().into(),
            options.table.clone().into(),
        ],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let entity_type: String = row.try_get("", "entity_type")?;
    let table: String = row.try_get("", "entity_table")?;
    let same = entity_type == options.entity_type
        && table == options.table
        && row.try_get::<String>("", "id_column")? == options.id_column
        && row.try_get::<String>("", "metadata_column")? == options.metadata_column
        && row.try_get::<bool>("", "attached")?;
    if !same {
        return Err(AttachError::AlreadyAttached(format!(
            "entity type {entity_type:?} is already registered for table {table}"
        )));
    }
    if row.try_get::<bool>("", "detaching")? {
        return Err(AttachError::AlreadyAttached(format!(
            "the detach of {entity_type:?} has begun: run detach again to finish it first"
        )));
    }
    let nullable = one(
        db,
        "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(quote_ident($1)) \
         AND attname = 'metadata_master_id' AND NOT attnotnull",
        vec![table.clone().into()],
    )
    .await?;
    if nullable.is_none() {
        return Err(AttachError::AlreadyAttached(format!(
            "{table} is already attached as {entity_type:?}"
        )));
    }
    Ok(Some(Plan {
        resume: true,
        add_metadata_column: false,
        convert_json: false,
    }))
}

async fn check_primary_key(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<(), AttachError> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type \
             FROM pg_index i \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
             WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary",
            vec![Value::from(options.table.clone())],
        ))
        .await?;
    let columns: Vec<(String, String)> = rows
        .iter()
        .map(|row| Ok((row.try_get("", "name")?, row.try_get("", "type")?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let table = &options.table;
    match columns.as_slice() {
        [] => Err(AttachError::PrimaryKey(format!(
            "{table} has no primary key"
        ))),
        [(name, kind)] if name == &options.id_column && kind == "uuid" => Ok(()),
        [(name, kind)] if kind != "uuid" => Err(AttachError::PrimaryKey(format!(
            "the primary key of {table} ({name}) is {kind}, not uuid"
        ))),
        [(name, _)] => Err(AttachError::PrimaryKey(format!(
            "the primary key of {table} is {name}, not {} (see --id-column)",
            options.id_column
        ))),
        many => Err(AttachError::PrimaryKey(format!(
            "the primary key of {table} has {} columns; a single uuid column is needed",
            many.len()
        ))),
    }
}

/// Refuses rows whose metadata is not a JSON object, naming how many and the first ids.
async fn check_documents(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<(), AttachError> {
    let sql = format!(
        "SELECT count(*) AS n, (array_agg({id}::text ORDER BY {id}))[1:10] AS sample \
         FROM {table} WHERE jsonb_typeof({metadata}::jsonb) IS DISTINCT FROM 'object'",
        id = quoted(&options.id_column),
        table = quoted(&options.table),
        metadata = quoted(&options.metadata_column),
    );
    let row = one(db, &sql, Vec::new()).await?;
    let count: i64 = match &row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    if count == 0 {
        return Ok(());
    }
    let sample: Option<Vec<String>> = match &row {
        Some(row) => row.try_get("", "sample")?,
        None => None,
    };
    Err(AttachError::NonObjectDocuments {
        column: options.metadata_column.clone(),
        count,
        sample: sample.unwrap_or_default(),
    })
}

/// The SQL type of `table.column`, or `None` when the column does not exist.
async fn column_type(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
) -> Result<Option<String>, AttachError> {
    let row = one(
        db,
        "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute \
         WHERE attrelid = to_regclass(quote_ident($1)) AND attname = $2 \
           AND attnum > 0 AND NOT attisdropped",
        vec![table.into(), column.into()],
    )
    .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("", "type")?),
        None => None,
    })
}

pub(super) async fn one(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>, sea_orm::DbErr> {
    db.query_one_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await
}
