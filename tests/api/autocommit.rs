//! Single statements on `db::Autocommit`'s own PostgreSQL connections: a connection is
//! handed on after its statement was answered (an error answer included), closed when its
//! statement was cancelled half-way, and never more than the pool's size are open. On
//! SQLite the statements run on the pool.

use std::collections::HashSet;
use std::time::Duration;

use metadata_synergy::db::{self, Autocommit};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::helpers::fresh_database;

fn statement(sql: &str) -> Statement {
    Statement::from_string(DatabaseBackend::Postgres, sql)
}

async fn backend_pid(autocommit: &Autocommit) -> i32 {
    let row = autocommit
        .query_one_raw(statement("SELECT pg_backend_pid() AS pid"))
        .await
        .expect("a pid")
        .expect("a row");
    row.try_get("", "pid").expect("an int4")
}

#[tokio::test]
async fn connections_are_handed_on_only_after_an_answer() {
    let (url, database) = fresh_database().await;
    let pool = db::connect(&url).await.expect("connect");
    let autocommit = Autocommit::new(pool.clone());
    if pool.get_database_backend() != DatabaseBackend::Postgres {
        let sql = Statement::from_string(DatabaseBackend::Sqlite, "SELECT 41 + 1 AS n");
        let row = autocommit.query_one_raw(sql).await.unwrap().unwrap();
        assert_eq!(row.try_get::<i32>("", "n").unwrap(), 42);
        return;
    }
    let first = backend_pid(&autocommit).await;
    assert_eq!(
        backend_pid(&autocommit).await,
        first,
        "an answered statement's connection is reused"
    );

    // PostgreSQL's error answer leaves the protocol in step: the connection is reused and
    // answers the next statement, not the error's leftovers.
    let error = autocommit
        .query_one_raw(statement("SELECT 1 / 0 AS n"))
        .await
        .expect_err("division by zero");
    assert_eq!(db::error_code(&error).as_deref(), Some("22012"));
    assert_eq!(backend_pid(&autocommit).await, first);
    let rows = autocommit
        .query_all_raw(statement("SELECT generate_series(1, 3) AS n"))
        .await
        .expect("three rows");
    let numbers: Vec<i32> = rows.iter().map(|r| r.try_get("", "n").unwrap()).collect();
    assert_eq!(numbers, [1, 2, 3]);

    // Dropped while PostgreSQL is still working: that connection is closed, not handed on.
    let cancelled = tokio::time::timeout(
        Duration::from_millis(300),
        autocommit.execute_raw(statement("SELECT pg_sleep(30)")),
    )
    .await;
    assert!(cancelled.is_err(), "the sleep was cancelled");
    let after = backend_pid(&autocommit).await;
    assert_ne!(
        after, first,
        "a cancelled statement's connection is not reused"
    );
    assert_eq!(backend_pid(&autocommit).await, after);

    // Many statements at once share at most the pool's size of connections.
    let sleepers = (0..40).map(|_| async {
        let row = autocommit
            .query_one_raw(statement(
                "SELECT pg_backend_pid() AS pid FROM pg_sleep(0.05)",
            ))
            .await
            .expect("a pid")
            .expect("a row");
        row.try_get::<i32>("", "pid").expect("an int4")
    });
    let pids: HashSet<i32> = futures_util::future::join_all(sleepers)
        .await
        .into_iter()
        .collect();
    assert!(pids.len() > 1, "statements ran side by side");
    assert!(
        pids.len() <= db::MAX_CONNECTIONS,
        "{} connections for 40 statements",
        pids.len()
    );

    drop(autocommit);
    pool.close().await.ok();
    database.drop_now().await;
}
