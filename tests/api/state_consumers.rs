//! Consumers that act on an entity's current state (`handles_current_state`, the
//! localization worker): one handling covers every event of the entity committed before
//! it was claimed, and nothing committed after.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entity::metadata_event;
use futures_util::future::BoxFuture;
use metadata_synergy::events::delivery;
use metadata_synergy::events::worker::{EventHandler, HandlerError};
use serde_json::json;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::delivery::{start, wait_for};
use crate::helpers::{TestApp, create_campaign, merge_key_sql, spawn_app};

const CONSUMER: &str = "state";

/// Records the events it was handed; each call counts itself in `entered`, then takes a
/// permit of `gate` (so a test can hold it inside the handler), and fails while `failures`
/// lasts.
struct StateRecorder {
    entered: AtomicUsize,
    handled: Mutex<Vec<metadata_event::Model>>,
    gate: Semaphore,
    failures: Mutex<u32>,
}

impl StateRecorder {
    fn new(permits: usize, failures: u32) -> Arc<Self> {
        Arc::new(StateRecorder {
            entered: AtomicUsize::new(0),
            handled: Mutex::default(),
            gate: Semaphore::new(permits),
            failures: Mutex::new(failures),
        })
    }

    fn calls_for(&self, master: Uuid) -> usize {
        let handled = self.handled.lock().unwrap();
        handled.iter().filter(|e| e.master_id == master).count()
    }
}

impl EventHandler for StateRecorder {
    fn consumer(&self) -> &str {
        CONSUMER
    }

    fn handles_current_state(&self) -> bool {
        true
    }

    fn handle<'a>(
        &'a self,
        event: &'a metadata_event::Model,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            self.entered.fetch_add(1, Ordering::SeqCst);
            self.gate.acquire().await.unwrap().forget();
            self.handled.lock().unwrap().push(event.clone());
            let mut failures = self.failures.lock().unwrap();
            if *failures > 0 {
                *failures -= 1;
                return Err(HandlerError::transient("not yet", "a test failure"));
            }
            Ok(())
        })
    }
}

async fn pending(app: &TestApp, master: Uuid) -> i64 {
    let rows = app
        .sql_rows(
            "SELECT count(*) AS n FROM _metadata_deliveries
              WHERE consumer = $1 AND master_id = $2 AND state = 'pending'",
            vec![CONSUMER.into(), master.into()],
        )
        .await;
    rows[0].try_get("", "n").unwrap()
}

async fn write_n(app: &TestApp, entity: Uuid, n: i64) {
    let sql = merge_key_sql(app, "service_campaign_main");
    for i in 0..n {
        app.sql(&sql, vec![entity.into(), "i".into(), i.into()])
            .await
            .unwrap();
    }
}

async fn settled(app: &TestApp, master: Uuid) {
    for _ in 0..200 {
        if pending(app, master).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries of {master} still pending");
}

#[tokio::test]
async fn one_handling_covers_the_entity_s_backlog() {
    let app = spawn_app().await;
    delivery::register_consumer(&app.db, CONSUMER, 3, false)
        .await
        .unwrap();
    let (a, master_a) = create_campaign(&app, json!({})).await;
    let (b, master_b) = create_campaign(&app, json!({})).await;
    write_n(&app, a, 5).await;
    write_n(&app, b, 2).await;
    assert_eq!(pending(&app, master_a).await, 6);

    // The first handling of `a` fails: nothing it covers may be completed with it. Two
    // permits: `a`'s failing handling and `b`'s; `a`'s retry then waits in the handler.
    let recorder = StateRecorder::new(2, 1);
    let (stop, task) = start(&app, recorder.clone());
    settled(&app, master_b).await;
    assert_eq!(
        pending(&app, master_a).await,
        6,
        "the failed head covered nothing"
    );
    recorder.gate.add_permits(usize::MAX >> 4);
    settled(&app, master_a).await;
    // `a`: the failed handling of its head and the retry; `b`: one handling.
    let calls = recorder.calls_for(master_a) + recorder.calls_for(master_b);
    assert_eq!(calls, 3, "{:?}", recorder.handled.lock().unwrap());
    assert!(
        recorder
            .handled
            .lock()
            .unwrap()
            .iter()
            .all(|e| e.kind == metadata_event::EventKind::Created),
        "each entity's head (its oldest event) was the one handed over"
    );

    // The queues still work: a later write is handled on its own.
    write_n(&app, a, 1).await;
    wait_for("the later write", || recorder.calls_for(master_a) == 3).await;
    settled(&app, master_a).await;
    let _ = stop.send(true);
    task.await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn events_committed_after_the_claim_are_handled_again() {
    let app = spawn_app().await;
    delivery::register_consumer(&app.db, CONSUMER, 3, false)
        .await
        .unwrap();
    let (a, master_a) = create_campaign(&app, json!({})).await;
    write_n(&app, a, 2).await;
    let recorder = StateRecorder::new(0, 0);
    let (stop, task) = start(&app, recorder.clone());
    // The worker has claimed the head, read what it covers and waits inside the handler;
    // this write's event was not seen by the claim, so the handling under way does not
    // cover it.
    wait_for("the handler to be called", || {
        recorder.entered.load(Ordering::SeqCst) > 0
    })
    .await;
    write_n(&app, a, 1).await;
    recorder.gate.add_permits(usize::MAX >> 4);
    settled(&app, master_a).await;
    let versions: Vec<i64> = recorder
        .handled
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(
        versions,
        vec![1, 4],
        "the head, then the late event on its own"
    );
    let _ = stop.send(true);
    task.await.unwrap();
    app.stop().await;
}
