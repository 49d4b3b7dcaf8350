#![allow(dead_code)] // each bench binary uses a part of it
//! What the benchmarks share: fresh databases, graphql-transport-ws connections, units.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sea_orm::ConnectionTrait;
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A graphql-transport-ws connection to `ws_url` (`ws://host:port/ws`), acknowledged.
pub async fn acknowledged_socket(ws_url: &str) -> Socket {
    let mut request = ws_url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    socket
        .send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await
        .unwrap();
    let _ack = socket.next().await;
    socket
}

/// A fresh database URL (PostgreSQL next to `BENCH_DATABASE_URL`, else a SQLite file) and
/// what drops it again.
pub async fn fresh_database() -> (
    String,
    std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
) {
    let name = format!("ms_bench_{}", uuid::Uuid::new_v4().simple());
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("connect BENCH_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base)
                .to_owned();
            let url = format!("{base}/{name}");
            let drop = Box::pin(async move {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
            (url, drop)
        }
        _ => {
            let path = std::env::temp_dir().join(format!("{name}.sqlite"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (
                url,
                Box::pin(async move {
                    let _ = std::fs::remove_file(&path);
                }),
            )
        }
    }
}

pub fn backend_name(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
