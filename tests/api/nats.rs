//! The `nats` consumer: every event reaches JetStream once per id, in order per entity;
//! a re-delivery (as after a worker crash) is dropped by JetStream's de-duplication; a
//! NATS outage becomes retries and then a dead letter, never a lost event. Needs NATS with
//! JetStream on 127.0.0.1:4222 (`nats-server -js`); skipped without it unless
//! `REQUIRE_NATS` is set (as `.ci/run` does).

use std::time::Duration;

use async_nats::jetstream;
use entity::metadata_event;
use metadata_synergy::events::nats::{NatsConfig, NatsPublisher};
use metadata_synergy::events::worker::EventHandler;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, create_campaign, spawn_app_with_nats};

const NATS: &str = "nats://127.0.0.1:4222";

async fn nats_available() -> bool {
    let up = tokio::net::TcpStream::connect("127.0.0.1:4222")
        .await
        .is_ok();
    if !up && std::env::var_os("REQUIRE_NATS").is_some() {
        panic!("REQUIRE_NATS is set but nothing listens on 127.0.0.1:4222 (nats-server -js)");
    }
    if !up {
        eprintln!("skipped: no NATS on 127.0.0.1:4222");
    }
    up
}

/// A stream and subjects of this test's own, so that parallel tests never meet.
fn own_config(url: &str) -> NatsConfig {
    let tag = Uuid::new_v4().simple().to_string();
    NatsConfig {
        url: url.to_owned(),
        stream: format!("TEST_{}", tag.to_uppercase()),
        subject_prefix: format!("test.{tag}.events"),
        max_age: Duration::from_secs(3600),
    }
}

async fn update(app: &TestApp, id: Uuid, patch: Value) {
    app.graphql(
        include_str!("../operations/update_entity_metadata.graphql"),
        json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": patch }),
    )
    .await
    .expect_data();
}

#[tokio::test]
async fn events_reach_jetstream_once_per_id_and_in_order() {
    if !nats_available().await {
        return;
    }
    let config = own_config(NATS);
    let app = spawn_app_with_nats(config.clone()).await;
    let (first, _) = create_campaign(&app, json!({ "step": 0 })).await;
    let (second, _) = create_campaign(&app, json!({ "step": 0 })).await;
    for step in 1..=3 {
        update(&app, first, json!({ "step": step })).await;
        update(&app, second, json!({ "step": step })).await;
    }
    let events = metadata_event::Entity::find()
        .order_by_asc(metadata_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 8);

    let js = jetstream::new(async_nats::connect(NATS).await.unwrap());
    let mut stream = None;
    for _ in 0..150 {
        if let Ok(mut found) = js.get_stream(&config.stream).await
            && found.info().await.unwrap().state.messages >= 8
        {
            stream = Some(found);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stream = stream.expect("8 messages in the stream");
    let mut messages = Vec::new();
    for sequence in 1..=8 {
        let stored = stream.get_raw_message(sequence).await.unwrap();
        let body: Value = serde_json::from_slice(&stored.payload).unwrap();
        let msg_id = stored
            .headers
            .get("Nats-Msg-Id")
            .map(|value| value.as_str().to_owned());
        messages.push((stored.subject.to_string(), msg_id, body));
    }
    let mut ids: Vec<i64> = messages
        .iter()
        .map(|(_, _, body)| body["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        events.iter().map(|e| e.id).collect::<Vec<_>>(),
        "every event once"
    );
    for (subject, msg_id, body) in &messages {
        let expected = format!("{}:{}", body["masterId"].as_str().unwrap(), body["id"]);
        assert_eq!(msg_id.as_deref(), Some(expected.as_str()));
        let kind = body["kind"].as_str().unwrap().to_ascii_lowercase();
        assert_eq!(
            subject,
            &format!("{}.campaign.{kind}", config.subject_prefix)
        );
        assert_eq!(body["origin"], json!("api"));
        assert!(body["document"]["step"].is_number(), "{body}");
    }
    for entity in [first, second] {
        let versions: Vec<i64> = messages
            .iter()
            .filter(|(_, _, body)| body["entityId"] == json!(entity.to_string()))
            .map(|(_, _, body)| body["version"].as_i64().unwrap())
            .collect();
        assert_eq!(versions, vec![1, 2, 3, 4], "in order per entity");
    }

    // A worker that published and crashed before completing the delivery publishes again:
    // JetStream drops the duplicate.
    let publisher = NatsPublisher::new(config.clone());
    publisher.handle(&events[0]).await.unwrap();
    publisher.handle(&events[7]).await.unwrap();
    let mut stream = js.get_stream(&config.stream).await.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(info.state.messages, 8);
    assert_eq!(info.config.max_age, Duration::from_secs(3600));
    js.delete_stream(&config.stream).await.unwrap();
    app.stop().await;
}

fn event_with(document: Value) -> metadata_event::Model {
    metadata_event::Model {
        id: 1,
        entity_type: "campaign".into(),
        entity_id: Uuid::new_v4(),
        master_id: Uuid::new_v4(),
        kind: metadata_event::EventKind::Updated,
        version: 2,
        origin: metadata_event::EventOrigin::Api,
        actor: None,
        occurred_at: chrono::Utc::now(),
        document,
    }
}

#[tokio::test]
async fn a_deleted_stream_is_created_again_and_an_oversized_event_is_a_permanent_failure() {
    if !nats_available().await {
        return;
    }
    let config = own_config(NATS);
    let publisher = NatsPublisher::new(config.clone());
    publisher
        .handle(&event_with(json!({ "a": 1 })))
        .await
        .unwrap();
    let js = jetstream::new(async_nats::connect(NATS).await.unwrap());
    js.delete_stream(&config.stream).await.unwrap();

    // The first attempt finds the stream gone (a retried failure); the next creates it.
    let second = event_with(json!({ "a": 2 }));
    let mut published = publisher.handle(&second).await;
    if let Err(error) = &published {
        assert!(!error.permanent, "{error:?}");
        published = publisher.handle(&second).await;
    }
    published.unwrap();
    let mut stream = js.get_stream(&config.stream).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);

    // Larger than the server's max_payload (1 MiB by default): retrying cannot help.
    let huge = event_with(json!({ "blob": "x".repeat(2 << 20) }));
    let error = publisher.handle(&huge).await.unwrap_err();
    assert!(error.permanent, "{error:?}");
    assert_eq!(
        error.reason,
        "the event is larger than the NATS server's max_payload"
    );
    js.delete_stream(&config.stream).await.unwrap();
}

#[tokio::test]
async fn a_nats_outage_becomes_retries_and_then_a_dead_letter() {
    if !nats_available().await {
        return;
    }
    // Nothing listens on port 9: every publish fails as an outage would.
    let app = spawn_app_with_nats(own_config("nats://127.0.0.1:9")).await;
    app.sql(
        "UPDATE _metadata_consumers SET max_attempts = 2 WHERE name = 'nats'",
        vec![],
    )
    .await
    .unwrap();
    create_campaign(&app, json!({ "a": 1 })).await;
    let query = r#"{ deadLetters(consumer: "nats") { attempts lastError event { id kind } } }"#;
    let mut letters = json!([]);
    for _ in 0..200 {
        letters = app.graphql(query, json!({})).await.expect_data()["deadLetters"].clone();
        if letters.as_array().is_some_and(|l| !l.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(letters.as_array().map(Vec::len), Some(1), "{letters}");
    assert_eq!(letters[0]["attempts"], json!(2), "retried before giving up");
    assert_eq!(letters[0]["lastError"], json!("NATS is unreachable"));
    assert_eq!(letters[0]["event"]["kind"], json!("CREATED"));
    app.stop().await;
}
