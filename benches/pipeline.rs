//! Benchmarks of the event and localization pipeline (numbers go in the README).
//!
//! ```sh
//! cargo bench --bench pipeline -- flatten            # flatten + diff of 10,000 keys
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/postgres \
//!   cargo bench --bench pipeline -- events           # events handled per second, pseudo translator
//! cargo bench --bench pipeline -- subscriptions      # delivery latency p50/p99, 1,000 subscribers
//! ```
//! Without an argument all three run. `events` and `subscriptions` use PostgreSQL when
//! `BENCH_DATABASE_URL` is set (a fresh database is created and dropped), else SQLite.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use metadata_synergy::events::worker::WorkerConfig;
use metadata_synergy::localization::{
    LocalizationConfig, TranslatorConfig, apply, flatten, from_config, plan,
};
use metadata_synergy::runtime::{self, Localization};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;

mod support;

use support::{acknowledged_socket, backend_name, fresh_database, ms};

#[tokio::main]
async fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    if run("flatten") {
        flatten_and_diff();
    }
    if run("events") {
        events_per_second().await;
    }
    if run("subscriptions") {
        subscription_latency().await;
    }
}

fn flatten_and_diff() {
    let mut scripts = Map::new();
    for group in 0..100 {
        let items: Map<String, Value> = (0..100)
            .map(|i| {
                (
                    format!("item{i}"),
                    json!(format!("Sentence {group}-{i} for {{name}}")),
                )
            })
            .collect();
        scripts.insert(format!("group{group}"), Value::Object(items));
    }
    let scripts = Value::Object(scripts);
    let locales = vec!["es".to_owned(), "ca".to_owned()];
    let empty = BTreeMap::new();
    let first = plan(&scripts, None, &empty, &locales);
    let results = first
        .per_locale
        .iter()
        .map(|(locale, keys)| {
            (
                locale.clone(),
                Ok(keys
                    .iter()
                    .map(|(k, t)| (k.clone(), Ok(t.clone())))
                    .collect()),
            )
        })
        .collect();
    let applied = apply(&scripts, None, &empty, &first, &results, "bench");
    let mut changed = scripts.clone();
    changed["group50"]["item50"] = json!("A changed sentence");
    let mut samples = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let flat = flatten(&changed);
        let work = plan(
            &changed,
            Some(&applied.state),
            &applied.translations,
            &locales,
        );
        samples.push(started.elapsed());
        assert_eq!(flat.len(), 10_000);
        assert_eq!(work.per_locale.values().map(Vec::len).sum::<usize>(), 2);
    }
    samples.sort();
    println!(
        "flatten + diff, 10,000 keys × 2 locales (1 changed): p50 {:.2} ms, p99 {:.2} ms over {} runs",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 99 / 100]),
        samples.len()
    );
}

async fn events_per_second() {
    const ENTITIES: usize = 2_000;
    let (url, cleanup) = fresh_database().await;
    let db = metadata_synergy::db::connect(&url).await.expect("connect");
    metadata_synergy::db::migrate(&db).await.expect("migrate");
    let document = json!({ "service_specific": { "localization": {
        "scripts": { "title": "Hello {name}", "body": "Your order has shipped", "cta": "Track it" },
        "target_locales": ["es", "ca"] } } });
    for _ in 0..ENTITIES {
        insert_campaign(&db, &document).await;
    }
    let translator = from_config(&TranslatorConfig::Pseudo).expect("pseudo");
    let config = LocalizationConfig {
        source_locale: "en".into(),
        default_target_locales: vec![],
    };
    let options = runtime::Options {
        database_url: url.clone(),
        worker: WorkerConfig {
            batch: 64,
            ..Default::default()
        },
        localization: Some(Localization { translator, config }),
        policy_audit: false,
        nats: None,
        http: Default::default(),
        vacuum: None,
    };
    let started = Instant::now();
    let running = runtime::start(None, options).await.expect("start workers");
    let pending = "SELECT count(*) AS n FROM _metadata_deliveries WHERE consumer = 'localization'";
    loop {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), pending))
            .await
            .unwrap()
            .unwrap();
        let left: i64 = row.try_get("", "n").unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    running.shutdown().await;
    let handled = 2 * ENTITIES; // each CREATED event, then the worker's own UPDATED event
    println!(
        "events handled by one localization worker ({}, pseudo translator, 3 keys × 2 locales): {handled} events in {:.2} s = {:.0} events/s ({:.0} entities translated/s)",
        backend_name(&url),
        elapsed.as_secs_f64(),
        handled as f64 / elapsed.as_secs_f64(),
        ENTITIES as f64 / elapsed.as_secs_f64()
    );
    cleanup.await;
}

async fn subscription_latency() {
    const SUBSCRIBERS: usize = 1_000;
    const WRITES: usize = 20;
    let (url, cleanup) = fresh_database().await;
    let db = metadata_synergy::db::connect(&url).await.expect("connect");
    metadata_synergy::db::migrate(&db).await.expect("migrate");
    let options = runtime::Options {
        database_url: url.clone(),
        worker: WorkerConfig::default(),
        localization: None,
        policy_audit: false,
        nats: None,
        http: Default::default(),
        vacuum: None,
    };
    let running = runtime::start(
        Some(metadata_synergy::db::Autocommit::new(db.clone())),
        options,
    )
    .await
    .expect("start");
    let listener = metadata_synergy::server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(metadata_synergy::server::serve(
        listener,
        running.router().unwrap(),
        std::future::pending(),
    ));

    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    for _ in 0..SUBSCRIBERS {
        let mut socket = acknowledged_socket(&format!("ws://{address}/ws")).await;
        let start = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { metadataChanged { entityId } }" } });
        socket.send(Message::text(start.to_string())).await.unwrap();
        let sender = sender.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(text))) = socket.next().await {
                let message: Value = serde_json::from_str(&text).unwrap_or_default();
                if let Some(id) = message["payload"]["data"]["metadataChanged"]["entityId"].as_str()
                {
                    let _ = sender.send((id.to_owned(), Instant::now()));
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let client = reqwest::Client::new();
    let mut committed = BTreeMap::new();
    let mut latencies = Vec::with_capacity(SUBSCRIBERS * WRITES);
    for i in 0..WRITES {
        let body = json!({ "query": format!("mutation {{ createSurvey(input: {{ title: \"s{i}\" }}) {{ id }} }}") });
        let reply: Value = client
            .post(format!("http://{address}/graphql"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = reply["data"]["createSurvey"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        committed.insert(id, Instant::now());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while latencies.len() < SUBSCRIBERS * WRITES && Instant::now() < deadline {
        if let Ok(Some((id, at))) =
            tokio::time::timeout(Duration::from_secs(1), received.recv()).await
            && let Some(sent) = committed.get(&id)
        {
            latencies.push(at.saturating_duration_since(*sent));
        }
    }
    latencies.sort();
    println!(
        "subscription delivery ({}), {SUBSCRIBERS} subscribers × {WRITES} writes: {} deliveries, p50 {:.1} ms, p99 {:.1} ms (from the mutation's response to the subscriber)",
        backend_name(&url),
        latencies.len(),
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() * 99 / 100])
    );
    running.shutdown().await;
    cleanup.await;
}

async fn insert_campaign(db: &DatabaseConnection, document: &Value) {
    let id = uuid::Uuid::now_v7();
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "INSERT INTO service_campaign_main (id, name, metadata) VALUES ($1, 'bench', $2)"
        }
        _ => "INSERT INTO service_campaign_main (id, name, metadata) VALUES (?1, 'bench', ?2)",
    };
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        vec![id.into(), document.clone().into()],
    );
    db.execute_raw(statement).await.expect("insert");
}
