//! Delivery of events to named consumers: in order per entity, retries into dead letters,
//! `retryEvent`, crash recovery through leases, and several workers sharing the work.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entity::metadata_event;
use futures_util::future::BoxFuture;
use metadata_synergy::events::delivery;
use metadata_synergy::events::worker::{self, EventHandler, HandlerError, WorkerConfig};
use serde_json::json;
use tokio::sync::watch;

use crate::helpers::{TestApp, create_campaign, spawn_app};

/// Records what it handled; fails (or hangs) on request.
pub struct Recorder {
    name: String,
    handled: Mutex<Vec<metadata_event::Model>>,
    pub in_flight: Mutex<HashSet<i64>>,
    pub overlaps: Mutex<Vec<i64>>,
    fail: AtomicBool,
    hang_on: Mutex<Option<i64>>,
    work: Duration,
}

impl Recorder {
    pub fn new(name: &str) -> Arc<Self> {
        Arc::new(Recorder {
            name: name.into(),
            handled: Mutex::default(),
            in_flight: Mutex::default(),
            overlaps: Mutex::default(),
            fail: AtomicBool::new(false),
            hang_on: Mutex::new(None),
            work: Duration::ZERO,
        })
    }

    /// A recorder whose every event takes `work`.
    pub fn slow(name: &str, work: Duration) -> Arc<Self> {
        Arc::new(Recorder {
            work,
            ..Arc::into_inner(Recorder::new(name)).unwrap()
        })
    }

    pub fn handled_ids(&self) -> Vec<i64> {
        self.handled.lock().unwrap().iter().map(|e| e.id).collect()
    }
}

impl EventHandler for Recorder {
    fn consumer(&self) -> &str {
        &self.name
    }

    fn handle<'a>(
        &'a self,
        event: &'a metadata_event::Model,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if !self.in_flight.lock().unwrap().insert(event.id) {
                self.overlaps.lock().unwrap().push(event.id);
            }
            if *self.hang_on.lock().unwrap() == Some(event.id) {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(self.work).await;
            self.in_flight.lock().unwrap().remove(&event.id);
            if self.fail.load(Ordering::SeqCst) {
                return Err(HandlerError::transient(
                    "the consumer is down",
                    "SQLSTATE 08006: detail meant for the log only",
                ));
            }
            self.handled.lock().unwrap().push(event.clone());
            Ok(())
        })
    }
}

pub fn config() -> WorkerConfig {
    WorkerConfig {
        batch: 4,
        lease: Duration::from_secs(1),
        poll: Duration::from_millis(50),
        ..WorkerConfig::default()
    }
}

pub fn start(
    app: &TestApp,
    handler: Arc<dyn EventHandler>,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(worker::run(app.db.clone(), handler, config(), stopped));
    (stop, task)
}

pub async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Each entity's events were handled in version order.
fn assert_in_order_per_entity(handled: &[metadata_event::Model]) {
    let mut by_master: HashMap<_, Vec<i64>> = HashMap::new();
    for event in handled {
        by_master
            .entry(event.master_id)
            .or_default()
            .push(event.version);
    }
    for versions in by_master.values() {
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "out of order: {versions:?}"
        );
    }
}

async fn event_ids(app: &TestApp) -> Vec<i64> {
    let rows = app
        .sql_rows("SELECT id FROM _metadata_events ORDER BY id", vec![])
        .await;
    rows.iter()
        .map(|row| row.try_get("", "id").unwrap())
        .collect()
}

#[tokio::test]
async fn every_event_reaches_the_consumer_in_order_per_entity() {
    let app = spawn_app().await;
    delivery::register_consumer(&app.db, "recorder", 3, false)
        .await
        .unwrap();
    let recorder = Recorder::new("recorder");
    let (stop, task) = start(&app, recorder.clone());
    let (a, _) = create_campaign(&app, json!({})).await;
    let (b, master_b) = create_campaign(&app, json!({})).await;
    for i in 0..3 {
        let vars = json!({ "entityType": "CAMPAIGN", "entityId": a, "patch": { "i": i } });
        app.graphql(
            include_str!("../operations/update_entity_metadata.graphql"),
            vars,
        )
        .await
        .expect_data();
        app.sql(
            "UPDATE _metadata_master SET metadata = $2 WHERE id = $1",
            vec![master_b.into(), json!({ "i": i }).into()],
        )
        .await
        .unwrap();
    }
    app.sql(
        "DELETE FROM service_campaign_main WHERE id = $1",
        vec![b.into()],
    )
    .await
    .unwrap();
    let all = event_ids(&app).await;
    assert_eq!(all.len(), 9);
    wait_for("every event", || recorder.handled_ids().len() >= all.len()).await;
    let handled = recorder.handled.lock().unwrap().clone();
    assert_in_order_per_entity(&handled);
    assert_eq!(
        handled.iter().map(|e| e.id).collect::<HashSet<_>>(),
        all.into_iter().collect()
    );
    assert_eq!(
        handled.last().map(|e| e.kind),
        Some(metadata_event::EventKind::Deleted)
    );
    let _ = stop.send(true);
    task.await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn failures_become_dead_letters_and_retry_event_delivers_them() {
    let app = spawn_app().await;
    delivery::register_consumer(&app.db, "flaky", 2, false)
        .await
        .unwrap();
    let recorder = Recorder::new("flaky");
    recorder.fail.store(true, Ordering::SeqCst);
    let (stop, task) = start(&app, recorder.clone());
    create_campaign(&app, json!({})).await;
    let query = "{ deadLetters(consumer: \"flaky\") { attempts lastError consumer event { id kind version } } }";
    let mut letters = json!([]);
    for _ in 0..100 {
        letters = app.graphql(query, json!({})).await.expect_data()["deadLetters"].clone();
        if !letters.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let letter = &letters[0];
    assert_eq!(letter["attempts"], 2);
    assert_eq!(letter["lastError"], "the consumer is down");
    assert_eq!(letter["event"]["kind"], "CREATED");
    assert!(recorder.handled_ids().is_empty());

    recorder.fail.store(false, Ordering::SeqCst);
    let retry = "mutation($id: ID!) { retryEvent(id: $id) }";
    let retried = app
        .graphql(retry, json!({ "id": letter["event"]["id"] }))
        .await
        .expect_data();
    assert_eq!(retried["retryEvent"], 1);
    wait_for("the retried event", || recorder.handled_ids().len() == 1).await;
    assert_eq!(
        app.graphql(query, json!({})).await.expect_data()["deadLetters"],
        json!([])
    );
    let again = app
        .graphql(retry, json!({ "id": letter["event"]["id"] }))
        .await;
    assert_eq!(again.code(), "NOT_FOUND");
    let _ = stop.send(true);
    task.await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_crashed_worker_s_deliveries_are_taken_over_after_its_lease() {
    let app = spawn_app().await;
    delivery::register_consumer(&app.db, "crashy", 5, false)
        .await
        .unwrap();
    for _ in 0..6 {
        create_campaign(&app, json!({})).await;
    }
    let all = event_ids(&app).await;
    let first = Recorder::new("crashy");
    *first.hang_on.lock().unwrap() = Some(all[2]);
    let (_stop, crashed) = start(&app, first.clone());
    wait_for("the worker to reach the hanging event", || {
        first.in_flight.lock().unwrap().contains(&all[2])
    })
    .await;
    crashed.abort();
    let _ = crashed.await;

    let second = Recorder::new("crashy");
    let (stop, task) = start(&app, second.clone());
    wait_for("all events", || {
        let mut ids = first.handled_ids();
        ids.extend(second.handled_ids());
        all.iter().all(|id| ids.contains(id))
    })
    .await;
    // At least once: the second worker handled everything the crashed one had not
    // completed — the events of its interrupted batch again (their completion is recorded
    // per batch), and nothing the crashed worker had completed before.
    let mut second_ids = second.handled_ids();
    second_ids.sort();
    second_ids.dedup();
    let first_ids = first.handled_ids();
    let mut handled: Vec<i64> = first_ids
        .iter()
        .copied()
        .chain(second_ids.iter().copied())
        .collect();
    handled.sort();
    handled.dedup();
    assert_eq!(handled, all, "every event handled");
    assert_eq!(
        second.handled_ids().len(),
        second_ids.len(),
        "the second worker handled each event once"
    );
    assert!(
        second_ids.contains(&all[2]),
        "the hung event was taken over"
    );
    let _ = stop.send(true);
    task.await.unwrap();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_workers_share_the_work_without_overlap() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        // SQLite runs one worker per database; SKIP LOCKED sharing is a PostgreSQL feature.
        app.stop().await;
        return;
    }
    delivery::register_consumer(&app.db, "shared", 3, false)
        .await
        .unwrap();
    for _ in 0..40 {
        create_campaign(&app, json!({})).await;
    }
    let all = event_ids(&app).await;
    let recorder = Recorder::slow("shared", Duration::from_millis(5));
    let workers: Vec<_> = (0..3).map(|_| start(&app, recorder.clone())).collect();
    wait_for("all events", || recorder.handled_ids().len() >= all.len()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut handled = recorder.handled_ids();
    handled.sort();
    assert_eq!(handled, all, "each event handled exactly once");
    assert!(
        recorder.overlaps.lock().unwrap().is_empty(),
        "an event was handed to two workers at once"
    );
    for (stop, task) in workers {
        let _ = stop.send(true);
        task.await.unwrap();
    }
    app.stop().await;
}

/// Writers and two workers race on the same few queues (PostgreSQL runs them truly in
/// parallel): every event still arrives exactly once, in order per entity, and no queue is
/// left without a head (which would hold its events back until the minute's repair sweep).
#[tokio::test]
async fn queue_heads_survive_racing_writers_and_workers() {
    let app = spawn_app().await;
    delivery::register_consumer(&app.db, "racer", 3, false)
        .await
        .unwrap();
    let recorder = Recorder::slow("racer", Duration::from_millis(1));
    let (stop_a, task_a) = start(&app, recorder.clone());
    let (stop_b, task_b) = start(&app, recorder.clone());
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create_campaign(&app, json!({})).await.0);
    }
    let app = Arc::new(app);
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let app = app.clone();
            let ids = ids.clone();
            tokio::spawn(async move {
                let sql = crate::helpers::merge_key_sql(&app, "service_campaign_main");
                for round in 0..15i64 {
                    let id = ids[(writer + round as usize) % ids.len()];
                    let key = format!("w{writer}");
                    app.sql(&sql, vec![id.into(), key.into(), round.into()])
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let all = event_ids(&app).await;
    wait_for("every event", || recorder.handled_ids().len() >= all.len()).await;
    let handled = recorder.handled.lock().unwrap().clone();
    assert_eq!(handled.len(), all.len(), "each event once");
    assert_in_order_per_entity(&handled);
    assert!(recorder.overlaps.lock().unwrap().is_empty());
    let _ = (stop_a.send(true), stop_b.send(true));
    task_a.await.unwrap();
    task_b.await.unwrap();
    let left = app
        .sql_rows(
            "SELECT count(*) AS n FROM _metadata_deliveries WHERE consumer = 'racer'",
            vec![],
        )
        .await;
    assert_eq!(left[0].try_get::<i64>("", "n").unwrap(), 0);
    Arc::into_inner(app).unwrap().stop().await;
}
