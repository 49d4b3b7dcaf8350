//! Reads by column position answer what sea-orm's reads by name and type answer.

use chrono::{DateTime, Utc};
use entity::campaign;
use metadata_synergy::catalog::WithText;
use sea_orm::sqlx::postgres::PgValueFormat;
use sea_orm::sqlx::{Row, TypeInfo, ValueRef};
use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement};
use serde_json::json;

use crate::helpers::{create_campaign, spawn_app};

/// `entity::timestamp_at` (arithmetic on PostgreSQL's binary value) reads every instant as
/// sqlx's decoder does: before Christ, before and after 1970 and 2000, to the microsecond,
/// up to the last instant PostgreSQL's `timestamptz` and four-digit years share.
#[tokio::test]
async fn timestamps_read_by_arithmetic_as_decoded() {
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    if backend != DatabaseBackend::Postgres {
        // Elsewhere `timestamp_at` is the decoder itself.
        return;
    }
    let instants = [
        "0044-03-15 12:00:00+00 BC",
        "0001-01-01 00:00:00+00",
        "1969-12-31 23:59:59.999999+00",
        "1970-01-01 00:00:00+00",
        "1999-12-31 23:59:59.000001+00",
        "2000-01-01 00:00:00+00",
        "2026-11-30 06:27:21.123456+00",
        "9999-12-31 23:59:59.999999+00",
    ];
    for instant in instants {
        let sql = "SELECT CAST($1 AS timestamptz) AS at";
        let row = app
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [instant.into()],
            ))
            .await
            .expect("query")
            .expect("a row");
        // What the arithmetic reads: a binary `timestamptz`.
        let value = row
            .try_as_pg_row()
            .expect("a PostgreSQL row")
            .try_get_raw(0);
        let value = value.expect("the column");
        assert_eq!(value.format(), PgValueFormat::Binary);
        assert_eq!(value.type_info().name(), "TIMESTAMPTZ");
        let decoded: DateTime<Utc> = row.try_get_by_index(0).expect("decoded");
        let read = entity::timestamp_at(&row, 0).expect("read");
        assert_eq!(read, decoded, "{instant}");
    }
}

/// A select whose columns are not where the positional reader expects them fails with an
/// error, in release builds too, rather than reading one column as another.
#[tokio::test]
async fn a_shifted_row_fails_instead_of_being_misread() {
    let app = spawn_app().await;
    create_campaign(&app, json!({ "n": 1 })).await;
    let backend = app.db.get_database_backend();
    let read = |sql: &str| {
        let statement = Statement::from_string(backend, sql.to_owned());
        WithText::<campaign::Model>::find_by_statement(statement).all(&app.db)
    };
    let columns = "c.id, c.name, c.status, c.metadata, c.metadata_master_id, c.created_at, \
                   c.updated_at, NULL AS metadata_text";
    let rows = read(&format!("SELECT {columns} FROM service_campaign_main c"))
        .await
        .expect("the select's own layout reads");
    assert_eq!(rows.len(), 1);
    let error = read(&format!(
        "SELECT 'x' AS extra, {columns} FROM service_campaign_main c"
    ))
    .await
    .err()
    .expect("a shifted layout fails");
    assert!(error.to_string().contains("metadata_text"), "{error}");
}
