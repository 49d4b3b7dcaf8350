//! Workers under poison and slowness: an unreadable event is dead-lettered alone at once,
//! and a long-running handler keeps its lease (no other worker takes the event over).

use std::time::Duration;

use metadata_synergy::events::delivery;
use sea_orm::Value;
use serde_json::json;
use uuid::Uuid;

use crate::delivery::{Recorder, start, wait_for};
use crate::helpers::{create_campaign, spawn_app};

#[tokio::test]
async fn an_unreadable_event_is_dead_lettered_alone_and_the_rest_goes_on() {
    let app = spawn_app().await;
    delivery::register_consumer(&app.db, "poisoned", 8, false)
        .await
        .unwrap();
    // A raw writer slips an event in whose document cannot be read back: invalid JSON on
    // SQLite, 200 levels deep on PostgreSQL (jsonb accepts it; serde_json reads 127).
    let deep = (1..200)
        .fold(json!({}), |inner, _| json!({ "a": inner }))
        .to_string();
    let (sql, document) = if app.is_postgres() {
        (
            "INSERT INTO _metadata_events (entity_type, entity_id, master_id, kind, version, origin, document)
             VALUES ('campaign', $1, $2, 'UPDATED', 1, 'sql', $3::jsonb)",
            deep,
        )
    } else {
        (
            "INSERT INTO _metadata_events (entity_type, entity_id, master_id, kind, version, origin, document)
             VALUES ('campaign', $1, $2, 'UPDATED', 1, 'sql', $3)",
            "{ not json".to_owned(),
        )
    };
    let (entity, master) = (Uuid::now_v7(), Uuid::now_v7());
    app.sql(
        sql,
        vec![entity.into(), master.into(), Value::from(document)],
    )
    .await
    .expect("the raw insert");
    for _ in 0..10 {
        create_campaign(&app, json!({})).await;
    }
    let recorder = Recorder::new("poisoned");
    let (stop, task) = start(&app, recorder.clone());
    wait_for("the ten good events", || recorder.handled_ids().len() >= 10).await;
    let query = r#"{ deadLetters(consumer: "poisoned") { attempts lastError event { id } } }"#;
    let mut letters = json!([]);
    for _ in 0..100 {
        letters = app.graphql(query, json!({})).await.expect_data()["deadLetters"].clone();
        if letters.as_array().is_some_and(|l| !l.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Dead at the first attempt (no backoff rounds), with a reason and no parser text.
    assert_eq!(letters.as_array().map(Vec::len), Some(1), "{letters}");
    assert_eq!(letters[0]["attempts"], 1);
    assert_eq!(letters[0]["lastError"], "the event could not be read");
    let _ = stop.send(true);
    task.await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_slow_handler_keeps_its_lease_while_it_works() {
    let app = spawn_app().await;
    delivery::register_consumer(&app.db, "slow", 3, false)
        .await
        .unwrap();
    create_campaign(&app, json!({})).await;
    create_campaign(&app, json!({})).await;
    // Each event takes 3 s with a 1 s lease: without renewal the second worker would take
    // the first worker's events over after 1 s and handle them at the same time.
    let recorder = Recorder::slow("slow", Duration::from_secs(3));
    let first = start(&app, recorder.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = start(&app, recorder.clone());
    wait_for("both events", || recorder.handled_ids().len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        recorder.overlaps.lock().unwrap().is_empty(),
        "handled twice at once"
    );
    assert_eq!(recorder.handled_ids().len(), 2, "each event once");
    for (stop, task) in [first, second] {
        let _ = stop.send(true);
        task.await.unwrap();
    }
    app.stop().await;
}
