//! What hostile requests cost the server, and what the others see meanwhile (numbers go
//! in the README's hostile-input table).
//!
//! ```sh
//! cargo bench --bench hostile -- refusals      # time and CPU to refuse each hostile request
//! cargo bench --bench hostile -- health        # /health latency while bombs are refused
//! cargo bench --bench hostile -- big           # replace a 1.9 MB-string document with 100,000 keys
//! cargo bench --bench hostile -- fanout        # 10,000 metadataChanged / 1,000 translationsUpdated subscriptions
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/postgres \
//!   cargo bench --bench hostile -- contention  # API write latency with raw master-side writers
//! ```
//! The server runs in this process; CPU is this process's user + system time
//! (`/proc/self/stat`), so it includes the client's share.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use metadata_synergy::localization::{LocalizationConfig, TranslatorConfig, from_config};
use metadata_synergy::runtime::{self, Localization};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as DbValue};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

mod support;

use support::{acknowledged_socket, backend_name, fresh_database, ms};

struct Server {
    address: String,
    db: DatabaseConnection,
    url: String,
    client: reqwest::Client,
}

#[tokio::main]
async fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    if run("refusals") {
        refusals().await;
    }
    if run("health") {
        health_under_bombs().await;
    }
    if run("big") {
        big_document().await;
    }
    if run("fanout") {
        fanout().await;
        translation_fanout().await;
    }
    if run("contention") {
        contention().await;
    }
}

async fn refusals() {
    let server = start().await;
    let aliases: String = (0..50_000)
        .map(|i| format!("a{i}:campaigns{{pageInfo{{hasNextPage}}}} "))
        .collect();
    let cases = [
        (
            "22 fragments, each spreading the previous twice",
            fragment_bomb(22),
        ),
        (
            "50,000 aliases of campaigns (one ~2 MB body)",
            format!("{{{aliases}}}"),
        ),
        (
            "10,000 identical fields",
            format!(
                "{{{}}}",
                "campaigns(first:1){edges{cursor}} ".repeat(10_000)
            ),
        ),
        (
            "1,000-deep list literal",
            format!(
                "{{__typename(x:{}1{})}}",
                "[".repeat(1000),
                "]".repeat(1000)
            ),
        ),
    ];
    for (name, query) in cases {
        let body = json!({ "query": query }).to_string();
        let mut samples = Vec::new();
        let cpu_before = cpu_time();
        let rss_before = rss_kib();
        for _ in 0..20 {
            let started = Instant::now();
            let reply = server.post(&body).await;
            samples.push(started.elapsed());
            let code = reply["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("none")
                .to_owned();
            assert!(code == "QUERY_TOO_COMPLEX", "{name}: {reply}");
        }
        let cpu = (cpu_time() - cpu_before) / 20;
        samples.sort();
        println!(
            "refused {name} ({} bytes): p50 {:.1} ms, max {:.1} ms, CPU {:.1} ms per request, RSS {} → {} KiB",
            body.len(),
            ms(samples[10]),
            ms(samples[19]),
            ms(cpu),
            rss_before,
            rss_kib()
        );
    }
}

async fn health_under_bombs() {
    let server = std::sync::Arc::new(start().await);
    let body = json!({ "query": fragment_bomb(22) }).to_string();
    let stop = Instant::now() + Duration::from_secs(3);
    let mut bombers = Vec::new();
    for _ in 0..2 {
        let (server, body) = (server.clone(), body.clone());
        bombers.push(tokio::spawn(async move {
            let mut sent = 0;
            while Instant::now() < stop {
                server.post(&body).await;
                sent += 1;
            }
            sent
        }));
    }
    let mut samples = Vec::new();
    while Instant::now() < stop {
        let started = Instant::now();
        let status = server
            .client
            .get(format!("{}/health", server.address))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        samples.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut bombs = 0;
    for bomber in bombers {
        bombs += bomber.await.unwrap();
    }
    samples.sort();
    println!(
        "/health while 2 clients send fragment bombs ({bombs} refused in 3 s): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 99 / 100]),
        ms(*samples.last().unwrap())
    );
}

async fn big_document() {
    let server = start().await;
    let big_string = json!({ "text": "x".repeat(1_900_000) });
    let many_keys: serde_json::Map<String, Value> = (0..100_000)
        .map(|i| (format!("key{i}"), json!(i)))
        .collect();
    let many_keys = Value::Object(many_keys);
    let id = server.create_campaign().await;
    let other = server.create_campaign().await;
    server.raw_replace(id, &big_string).await;
    let started = Instant::now();
    let writer = {
        let db = server.db.clone();
        let (id, doc) = (id, many_keys.clone());
        tokio::spawn(async move {
            raw_replace(&db, id, &doc).await;
            Instant::now()
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let waited_from = Instant::now();
    server.raw_replace(other, &json!({ "small": true })).await;
    let other_waited = waited_from.elapsed();
    let finished = writer.await.unwrap();
    println!(
        "{}: replace a 1.9 MB-string document with 100,000 keys (raw SQL, both sides synced): {:.0} ms; another writer waited {:.0} ms",
        backend_name(&server.url),
        ms(finished - started),
        ms(other_waited)
    );
    // Through the API, at the document limit: 1 MB of keys replacing 1 MB of string.
    server
        .raw_replace(id, &json!({ "text": "y".repeat(1_000_000) }))
        .await;
    let keys: serde_json::Map<String, Value> =
        (0..60_000).map(|i| (format!("k{i}"), json!(i))).collect();
    let body = json!({ "query": "mutation($id: UUID!, $m: JSON) { updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, metadata: $m) { master { version } } }",
                       "variables": { "id": id, "m": Value::Object(keys) } }).to_string();
    let started = Instant::now();
    let reply = server.post(&body).await;
    assert!(reply["errors"].is_null(), "{reply}");
    println!(
        "{}: API replace of 1 MB of string with 60,000 keys ({} bytes): {:.0} ms",
        backend_name(&server.url),
        body.len(),
        ms(started.elapsed())
    );
}

async fn fanout() {
    const SOCKETS: usize = 100;
    const PER_SOCKET: usize = 100;
    const WRITES: usize = 10;
    let server = start().await;
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let ws_url = format!("{}/ws", server.address.replace("http://", "ws://"));
    for _ in 0..SOCKETS {
        let mut socket = acknowledged_socket(&ws_url).await;
        for n in 0..PER_SOCKET {
            let start = json!({ "id": n.to_string(), "type": "subscribe", "payload": { "query": "subscription { metadataChanged { entityId version origin } }" } });
            socket.send(Message::text(start.to_string())).await.unwrap();
        }
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
    tokio::time::sleep(Duration::from_secs(2)).await;
    let total = SOCKETS * PER_SOCKET;
    let mut per_write = Vec::new();
    let cpu_before = cpu_time();
    for _ in 0..WRITES {
        let started = Instant::now();
        let id = server.create_campaign().await.to_string();
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen < total && Instant::now() < deadline {
            if let Ok(Some((got, _))) =
                tokio::time::timeout(Duration::from_secs(5), received.recv()).await
                && got == id
            {
                seen += 1;
            }
        }
        assert_eq!(seen, total, "every subscription got the write");
        per_write.push(started.elapsed());
    }
    let cpu = (cpu_time() - cpu_before) / WRITES as u32;
    per_write.sort();
    println!(
        "{}: {total} metadataChanged subscriptions ({SOCKETS} sockets × {PER_SOCKET}): a write reaches all of them in p50 {:.0} ms, max {:.0} ms; CPU {:.0} ms per write (server and clients)",
        backend_name(&server.url),
        ms(per_write[WRITES / 2]),
        ms(*per_write.last().unwrap()),
        ms(cpu)
    );
}

async fn translation_fanout() {
    const SOCKETS: usize = 10;
    const PER_SOCKET: usize = 100;
    const WRITES: usize = 10;
    let translator = from_config(&TranslatorConfig::Pseudo).expect("pseudo");
    let config = LocalizationConfig {
        source_locale: "en".into(),
        default_target_locales: vec!["es".into()],
    };
    let server = start_with(Some(Localization { translator, config })).await;
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
    let ws_url = format!("{}/ws", server.address.replace("http://", "ws://"));
    for _ in 0..SOCKETS {
        let mut socket = acknowledged_socket(&ws_url).await;
        for n in 0..PER_SOCKET {
            let start = json!({ "id": n.to_string(), "type": "subscribe", "payload": { "query":
                "subscription { translationsUpdated(locale: \"es\") { entityId changedKeys translations } }" } });
            socket.send(Message::text(start.to_string())).await.unwrap();
        }
        let sender = sender.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(text))) = socket.next().await {
                let message: Value = serde_json::from_str(&text).unwrap_or_default();
                if let Some(id) =
                    message["payload"]["data"]["translationsUpdated"]["entityId"].as_str()
                {
                    let _ = sender.send(id.to_owned());
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let total = SOCKETS * PER_SOCKET;
    let cpu_before = cpu_time();
    let started = Instant::now();
    let mut ids = std::collections::HashMap::new();
    for i in 0..WRITES {
        let body = json!({ "query": "mutation($m: JSON) { createCampaign(input: { name: \"t\", metadata: $m }) { id } }",
            "variables": { "m": { "service_specific": { "localization": { "scripts": { "title": format!("Hello {{name}} number {i}") } } } } } });
        let reply = server.post(&body.to_string()).await;
        let id = reply["data"]["createCampaign"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ids.insert(id, 0usize);
    }
    let mut seen = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen < total * WRITES && Instant::now() < deadline {
        if let Ok(Some(id)) = tokio::time::timeout(Duration::from_secs(5), received.recv()).await
            && let Some(count) = ids.get_mut(&id)
        {
            *count += 1;
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        total * WRITES,
        "every subscriber got every translation"
    );
    println!(
        "{}: {total} translationsUpdated subscribers × {WRITES} translated writes: all delivered in {:.0} ms, {:.0} ms CPU in all (server, worker and clients)",
        backend_name(&server.url),
        ms(started.elapsed()),
        ms(cpu_time() - cpu_before)
    );
}

async fn contention() {
    const WRITERS: usize = 8;
    const WRITES: usize = 200;
    let server = std::sync::Arc::new(start().await);
    if !server.url.starts_with("postgres") {
        println!("contention: PostgreSQL only (set BENCH_DATABASE_URL)");
        return;
    }
    let pairs = [
        server.create_campaign().await,
        server.create_campaign().await,
    ];
    let masters: Vec<String> = {
        let mut masters = Vec::new();
        for id in pairs {
            let rows = server
                .db
                .query_all_raw(Statement::from_sql_and_values(
                    server.db.get_database_backend(),
                    "SELECT metadata_master_id FROM service_campaign_main WHERE id = $1",
                    vec![id.into()],
                ))
                .await
                .unwrap();
            masters.push(
                rows[0]
                    .try_get::<uuid::Uuid>("", "metadata_master_id")
                    .unwrap()
                    .to_string(),
            );
        }
        masters
    };
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let server = server.clone();
        let masters = masters.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in 0..WRITES {
                let pair = (writer + i) % 2;
                let started = Instant::now();
                match writer % 4 {
                    // Raw master-side SQL: the lock order opposite to the service's.
                    3 => loop {
                        let sql = "UPDATE _metadata_master SET metadata = metadata || jsonb_build_object('raw', $2::bigint) WHERE id = $1::uuid";
                        let result = server.db.execute_raw(Statement::from_sql_and_values(
                            server.db.get_database_backend(), sql,
                            vec![DbValue::from(masters[pair].clone()), DbValue::from(i as i64)],
                        )).await;
                        if result.is_ok() { break; }
                    },
                    side => {
                        let body = if side == 2 {
                            json!({ "query": "mutation($id: UUID!, $p: JSON) { updateMasterMetadata(id: $id, patch: $p) { master { version } } }",
                                    "variables": { "id": masters[pair], "p": { "w": writer, "i": i } } })
                        } else {
                            json!({ "query": "mutation($id: UUID!, $p: JSON) { updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: $p) { master { version } } }",
                                    "variables": { "id": pairs[pair], "p": { "w": writer, "i": i } } })
                        };
                        let reply = server.post(&body.to_string()).await;
                        assert!(reply["errors"].is_null(), "{reply}");
                        latencies.push(started.elapsed());
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    latencies.sort();
    println!(
        "PostgreSQL, {WRITERS} writers × {WRITES} (API entity-side, API master-side, raw master-side SQL) on 2 pairs: {} API writes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() * 99 / 100]),
        ms(*latencies.last().unwrap())
    );
}

impl Server {
    async fn post(&self, body: &str) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null)
    }

    async fn create_campaign(&self) -> uuid::Uuid {
        let reply = self.post(&json!({ "query": "mutation { createCampaign(input: { name: \"bench\" }) { id } }" }).to_string()).await;
        reply["data"]["createCampaign"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn raw_replace(&self, id: uuid::Uuid, document: &Value) {
        raw_replace(&self.db, id, document).await;
    }
}

async fn raw_replace(db: &DatabaseConnection, id: uuid::Uuid, document: &Value) {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE service_campaign_main SET metadata = $2::jsonb WHERE id = $1"
        }
        _ => "UPDATE service_campaign_main SET metadata = ?2 WHERE id = ?1",
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        vec![id.into(), document.to_string().into()],
    ))
    .await
    .expect("raw replace");
}

/// A server on a fresh database (PostgreSQL with BENCH_DATABASE_URL, else SQLite), left
/// running until the process ends, like its database (dropped by the next run's cleanup
/// in CI, or by hand: `ms_bench_*`).
async fn start() -> Server {
    start_with(None).await
}

/// [`start`], with a localization worker when `localization` is given.
async fn start_with(localization: Option<Localization>) -> Server {
    let (url, _drop_later) = fresh_database().await;
    let db = metadata_synergy::db::connect(&url).await.expect("connect");
    metadata_synergy::db::migrate(&db).await.expect("migrate");
    let options = runtime::Options {
        database_url: url.clone(),
        worker: Default::default(),
        localization,
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
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(metadata_synergy::server::serve(
        listener,
        running.router().unwrap(),
        std::future::pending(),
    ));
    std::mem::forget(running);
    Server {
        address,
        db,
        url,
        client: reqwest::Client::new(),
    }
}

fn fragment_bomb(levels: usize) -> String {
    let mut query = format!(
        "query {{ ...F{levels} }} fragment F0 on Query {{ campaigns(first: 1) {{ edges {{ cursor }} }} }} "
    );
    for level in 1..=levels {
        let previous = level - 1;
        query.push_str(&format!(
            "fragment F{level} on Query {{ ...F{previous} ...F{previous} }} "
        ));
    }
    query
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Resident set size of this process in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}
