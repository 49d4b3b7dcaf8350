//! Single statements on `db::Autocommit`'s own PostgreSQL connections: a connection is
//! handed on after its statement was answered (an error answer included), drained before
//! it is handed on when its statement was cancelled half-way, closed after a fatal error,
//! and never more than the pool's size are open. On SQLite the statements run on the pool.

use std::collections::HashSet;
use std::time::Duration;

use metadata_synergy::db::{self, Autocommit};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

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

/// What `pg_stat_activity` says of backend `pid` (read through the pool).
async fn session_state(pool: &DatabaseConnection, pid: i32) -> Option<String> {
    let sql = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT state FROM pg_stat_activity WHERE pid = $1",
        [pid.into()],
    );
    let row = pool.query_one_raw(sql).await.expect("pg_stat_activity")?;
    row.try_get("", "state").expect("a state")
}

fn in_use(autocommit: &Autocommit) -> usize {
    autocommit.connections().expect("own connections").in_use
}

/// Waits (up to 20 s) until no own connection is in use.
async fn settled(autocommit: &Autocommit) {
    for _ in 0..200 {
        if in_use(autocommit) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{:?} after 20 s", autocommit.connections());
}

#[tokio::test]
async fn connections_are_handed_on_only_in_step() {
    let (url, database) = fresh_database().await;
    let pool = db::connect(&url).await.expect("connect");
    let autocommit = Autocommit::new(pool.clone());
    if pool.get_database_backend() != DatabaseBackend::Postgres {
        assert_eq!(autocommit.connections(), None);
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
    assert_eq!(in_use(&autocommit), 0);
    assert_eq!(session_state(&pool, first).await.as_deref(), Some("idle"));

    // A large answer, and errors before and after rows arrived: the connection is reused
    // and answers the next statement, not the previous one's leftovers.
    let rows = autocommit
        .query_all_raw(statement("SELECT generate_series(1, 100000) AS n"))
        .await
        .expect("many rows");
    assert_eq!(rows.len(), 100_000);
    let error = autocommit
        .query_one_raw(statement("SELECT 1 / 0 AS n"))
        .await
        .expect_err("division by zero");
    assert_eq!(db::error_code(&error).as_deref(), Some("22012"));
    let error = autocommit
        .query_all_raw(statement(
            "SELECT 1 / (3 - n) AS q FROM generate_series(1, 5) n",
        ))
        .await
        .expect_err("division by zero on the third row");
    assert_eq!(db::error_code(&error).as_deref(), Some("22012"));
    assert_eq!(backend_pid(&autocommit).await, first);
    let rows = autocommit
        .query_all_raw(statement("SELECT generate_series(1, 3) AS n"))
        .await
        .expect("three rows");
    let numbers: Vec<i32> = rows.iter().map(|r| r.try_get("", "n").unwrap()).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(session_state(&pool, first).await.as_deref(), Some("idle"));

    // Dropped while PostgreSQL is still working: that connection keeps its slot until the
    // statement is over, meanwhile another one answers; then it is handed on, in step.
    let cancelled = tokio::time::timeout(
        Duration::from_millis(300),
        autocommit.execute_raw(statement("SELECT pg_sleep(1.5)")),
    )
    .await;
    assert!(cancelled.is_err(), "the sleep was cancelled");
    assert_eq!(
        in_use(&autocommit),
        1,
        "the cancelled connection is being drained"
    );
    let other = backend_pid(&autocommit).await;
    assert_ne!(
        other, first,
        "a connection is not handed on while its statement runs"
    );
    settled(&autocommit).await;
    assert_eq!(
        backend_pid(&autocommit).await,
        first,
        "drained, then handed on"
    );

    // Cancelled many times over: the slots come back, nothing is stuck.
    for _ in 0..20 {
        let _ = tokio::time::timeout(
            Duration::from_millis(20),
            autocommit.execute_raw(statement("SELECT pg_sleep(0.2)")),
        )
        .await;
    }
    settled(&autocommit).await;
    assert!(backend_pid(&autocommit).await > 0);

    // A session ended by the server (FATAL): the connection that met it is closed, so
    // the next statement gets a live one.
    let victim = backend_pid(&autocommit).await;
    let terminate = Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_terminate_backend($1)",
        [victim.into()],
    );
    pool.execute_raw(terminate).await.expect("terminate");
    for _ in 0..100 {
        if session_state(&pool, victim).await.is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = autocommit
        .query_one_raw(statement("SELECT pg_backend_pid() AS pid"))
        .await;
    let next = backend_pid(&autocommit).await;
    assert_ne!(next, victim);

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
    assert_eq!(in_use(&autocommit), 0);

    drop(autocommit);
    pool.close().await.ok();
    database.drop_now().await;
}
