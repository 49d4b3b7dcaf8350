//! What a delivery claim costs as the backlog grows (issue 9: it grew with the backlog).
//!
//! ```sh
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench claims
//! ```
//! For each backlog, a fresh database gets that many pending deliveries for one consumer
//! (spread over as many entities, or piled on 10 "hot" ones), then 50 claims of 32 are
//! timed. Without `BENCH_DATABASE_URL` it runs on SQLite.

use std::time::{Duration, Instant};

use metadata_synergy::events::delivery;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

mod support;

use support::{backend_name, fresh_database, ms};

const CLAIMS: usize = 50;
const BATCH: u64 = 32;

#[tokio::main]
async fn main() {
    let mut medians = Vec::new();
    for (pending, entities) in [(1_000, 1_000), (100_000, 100_000), (100_000, 10)] {
        let (url, cleanup) = fresh_database().await;
        let db = metadata_synergy::db::connect(&url).await.expect("connect");
        metadata_synergy::db::migrate(&db).await.expect("migrate");
        delivery::register_consumer(&db, "bench", 8, false)
            .await
            .expect("register");
        let filled = Instant::now();
        fill(&db, pending, entities).await;
        let filled = filled.elapsed();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            // As a live system would have it: autovacuum analyzes a table this size.
            db.execute_unprepared("ANALYZE _metadata_deliveries")
                .await
                .expect("analyze");
        }
        let mut times = Vec::with_capacity(CLAIMS);
        for round in 0..CLAIMS {
            let started = Instant::now();
            let claimed = delivery::claim(&db, "bench", BATCH, Duration::from_secs(600), false)
                .await
                .expect("claim");
            times.push(started.elapsed());
            // 10 hot entities have 10 heads: later claims find them leased and take nothing,
            // which must be as cheap (the old claim ranked the whole backlog to learn that).
            assert!(
                round > 0 || !claimed.is_empty(),
                "the backlog has due heads"
            );
        }
        times.sort();
        let median = times[CLAIMS / 2];
        println!(
            "{}: claim of {BATCH} with {pending} pending on {entities} entities: p50 {:.2} ms, max {:.2} ms (filled in {:.1} s)",
            backend_name(&url),
            ms(median),
            ms(times[CLAIMS - 1]),
            filled.as_secs_f64()
        );
        medians.push(median);
        db.close().await.ok();
        cleanup.await;
    }
    println!(
        "claim p50 at 100,000 pending / at 1,000: {:.2} (spread), {:.2} (10 hot entities)",
        medians[1].as_secs_f64() / medians[0].as_secs_f64(),
        medians[2].as_secs_f64() / medians[0].as_secs_f64()
    );
}

/// `pending` events on `entities` campaigns, written by SQL as another service would: one
/// insert per entity, then updates round-robin until the backlog is there.
async fn fill(db: &DatabaseConnection, pending: usize, entities: usize) {
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    let insert = if postgres {
        format!(
            "INSERT INTO service_campaign_main (name) SELECT 'c' || g FROM generate_series(1, {entities}) g"
        )
    } else {
        format!(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {entities})
             INSERT INTO service_campaign_main (name) SELECT 'c' || n FROM g"
        )
    };
    db.execute_unprepared(&insert).await.expect("insert");
    let rounds = pending.div_ceil(entities) - 1;
    for round in 0..rounds {
        let update = if postgres {
            format!(
                "UPDATE service_campaign_main SET metadata = jsonb_build_object('round', {round})"
            )
        } else {
            format!("UPDATE service_campaign_main SET metadata = json_object('round', {round})")
        };
        db.execute_unprepared(&update).await.expect("update");
    }
}
