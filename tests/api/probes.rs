//! `/ready` (200 only with every migration applied and the database answering) and
//! `/metrics` (Prometheus text after traffic; behind the `metadata:metrics` scope when
//! authentication is on).

use serde_json::{Value, json};

use crate::auth::{claims, hs256, secured_app};
use crate::helpers::{TestApp, create_campaign, spawn_localized_app};
use crate::ws::subscribe;

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The value of the sample `name{labels}` (labels in the exposition's order).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn ready_needs_every_migration_and_the_database() {
    let app = spawn_localized_app().await;
    let (status, body) = get(&app, "/ready", None).await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (200, json!({"status": "ready"}))
    );
    // As after a deploy whose migrations have not run yet.
    let latest: String = app
        .sql_rows(
            "SELECT max(version) AS version FROM seaql_migrations",
            vec![],
        )
        .await[0]
        .try_get("", "version")
        .unwrap();
    app.sql(
        "DELETE FROM seaql_migrations WHERE version = (SELECT max(version) FROM seaql_migrations)",
        vec![],
    )
    .await
    .unwrap();
    let (status, body) = get(&app, "/ready", None).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("migrations pending"), "{body}");
    app.sql(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ($1, 0)",
        vec![latest.into()],
    )
    .await
    .unwrap();
    // A newer release migrated first (a rolling deploy): this one stays ready.
    app.sql(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m9999_from_a_newer_release', 0)",
        vec![],
    )
    .await
    .unwrap();
    let (status, body) = get(&app, "/ready", None).await;
    assert_eq!(
        (status, serde_json::from_str::<Value>(&body).unwrap()),
        (200, json!({"status": "ready", "ahead": 1}))
    );
    let (status, _) = get(&app, "/health", None).await;
    assert_eq!(status, 200, "liveness does not depend on migrations");
    app.stop().await;
}

#[tokio::test]
async fn metrics_show_requests_errors_deliveries_translations_and_sockets() {
    let app = spawn_localized_app().await;
    let scripts = json!({ "service_specific": { "localization": {
        "scripts": { "title": "Hello" }, "target_locales": ["es"] } } });
    let (id, _) = create_campaign(&app, scripts).await;
    let reply = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(
            &json!({ "query": "query MetricsProbe($id: UUID!) { campaign(id: $id) { id } }",
                       "operationName": "MetricsProbe", "variables": { "id": id } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    app.graphql("{ campaign(id: \"not-a-uuid\") { id } }", json!({}))
        .await;
    let socket = subscribe(
        &app,
        "subscription { translationsUpdated(entityType: CAMPAIGN) { entityId locale } }",
        json!({}),
    )
    .await;
    // The pseudo translator's work shows up once the worker translated the title.
    let mut text = String::new();
    for _ in 0..100 {
        text = get(&app, "/metrics", None).await.1;
        if sample(
            &text,
            "translator_calls_total{provider=\"pseudo\",outcome=\"ok\"}",
        )
        .is_some()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for series in [
        "graphql_requests_total{operation=\"MetricsProbe\",outcome=\"ok\"}",
        "graphql_requests_total{operation=\"anonymous\",outcome=\"error\"}",
        "graphql_errors_total{code=\"BAD_USER_INPUT\"}",
        "translator_calls_total{provider=\"pseudo\",outcome=\"ok\"}",
        "event_deliveries{consumer=\"localization\",state=\"dead\"}",
        "event_delivery_lag_seconds{consumer=\"localization\"}",
        "event_deliveries{consumer=\"subscriptions\",state=\"pending\"}",
        "metadata_events_appended_total",
        "db_pool_max_connections",
        "database_up",
    ] {
        assert!(
            sample(&text, series).is_some(),
            "{series} missing in:\n{text}"
        );
    }
    assert!(
        sample(&text, "websocket_connections").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    if app.backend() == sea_orm::DatabaseBackend::Postgres {
        // The request above read through the single statements' own connections.
        let idle = sample(&text, "db_autocommit_connections{state=\"idle\"}");
        assert!(idle.unwrap_or(0.0) >= 1.0, "{text}");
    }
    assert!(
        sample(&text, "websocket_operations").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        !text.contains("consumer=\"subscriptions:"),
        "one label for every process's subscriptions consumer: {text}"
    );
    assert!(sample(&text, "database_up") == Some(1.0));
    assert!(sample(&text, "metadata_events_appended_total").unwrap_or(0.0) >= 1.0);
    assert!(
        text.contains(
            "graphql_request_duration_seconds_bucket{operation=\"MetricsProbe\",le=\"0.005\"}"
        ),
        "latency histogram buckets: {text}"
    );
    assert!(text.contains("translator_call_duration_seconds_bucket{provider=\"pseudo\""));
    drop(socket);
    app.stop().await;
}

#[tokio::test]
async fn metrics_need_their_scope_when_authentication_is_on() {
    let (app, _) = secured_app().await;
    assert_eq!(get(&app, "/metrics", None).await.0, 401);
    let reader = hs256(&claims("metadata:read", "reader"));
    assert_eq!(get(&app, "/metrics", Some(&reader)).await.0, 403);
    // An anonymous caller's operation names never become labels.
    app.client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "query AnonymousChosenName { __typename }" }))
        .send()
        .await
        .unwrap();
    let scraper = hs256(&claims("metadata:metrics", "prometheus"));
    let (status, text) = get(&app, "/metrics", Some(&scraper)).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("database_up"), "{text}");
    assert!(!text.contains("AnonymousChosenName"), "{text}");
    assert!(
        text.contains("graphql_requests_total{operation=\"unidentified\""),
        "{text}"
    );
    assert_eq!(
        get(&app, "/ready", None).await.0,
        200,
        "probes need no token"
    );
    app.stop().await;
}
