//! Reads by column position answer what sea-orm's reads by name and type answer.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::helpers::spawn_app;

/// `entity::timestamp_at` (arithmetic on PostgreSQL's binary value) reads every instant as
/// sqlx's decoder does: before and after 1970 and 2000, to the microsecond, at the ends of
/// the range a `DateTime<Utc>` holds.
#[tokio::test]
async fn timestamps_read_by_arithmetic_as_decoded() {
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    if backend != DatabaseBackend::Postgres {
        // Elsewhere `timestamp_at` is the decoder itself.
        return;
    }
    let instants = [
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
        let decoded: DateTime<Utc> = row.try_get_by_index(0).expect("decoded");
        let read = entity::timestamp_at(&row, 0).expect("read");
        assert_eq!(read, decoded, "{instant}");
    }
}
