//! Keys from the identity provider's JWKS endpoint: fetched once and cached, fetched again
//! on key rotation, never more than once per refresh interval however many made-up key
//! ids arrive, and kept while the provider is down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metadata_synergy::auth::{AuthConfig, Authenticator};
use metadata_synergy::server::HttpOptions;
use serde_json::json;

use crate::auth::{AUDIENCE, ISSUER, claims, post, rs256};
use crate::helpers::spawn_app_with_http;

/// What the stub identity provider answers, and how often it was asked.
#[derive(Default)]
struct Provider {
    answer: Mutex<(StatusCode, String)>,
    fetches: AtomicUsize,
}

impl Provider {
    fn serve(&self, status: StatusCode, fixture: &str) {
        let body =
            std::fs::read_to_string(format!("tests/fixtures/auth/{fixture}")).unwrap_or_default();
        *self.answer.lock().unwrap() = (status, body);
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn jwks(State(provider): State<Arc<Provider>>) -> (StatusCode, String) {
    provider.fetches.fetch_add(1, Ordering::SeqCst);
    provider.answer.lock().unwrap().clone()
}

async fn start_provider() -> (Arc<Provider>, String) {
    let provider = Arc::new(Provider::default());
    provider.serve(StatusCode::OK, "key1.jwks.json");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let app = Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (provider, url)
}

#[tokio::test]
async fn keys_from_a_jwks_url_are_cached_refreshed_on_rotation_and_bounded() {
    let (provider, url) = start_provider().await;
    let refresh = Duration::from_millis(600);
    let auth = Authenticator::new(AuthConfig {
        jwks_url: Some(url),
        jwks_min_refresh: Some(refresh),
        issuer: Some(ISSUER.into()),
        audience: Some(AUDIENCE.into()),
        ..AuthConfig::default()
    })
    .expect("config");
    auth.prefetch().await.expect("the provider answers");
    let app = spawn_app_with_http(HttpOptions {
        auth: Arc::new(auth),
        ..Default::default()
    })
    .await;
    let query = "{ campaigns(first: 1) { edges { cursor } } }";
    let reader = claims("metadata:read", "reader");

    // Cached: many requests, one fetch.
    for _ in 0..10 {
        let (status, body) = post(&app, Some(&rs256("key1", &reader)), query, json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_eq!(provider.fetches(), 1);

    // Rotation: a token signed with the new key makes the service fetch the set again.
    provider.serve(StatusCode::OK, "key2.jwks.json");
    tokio::time::sleep(refresh + Duration::from_millis(100)).await;
    let (status, body) = post(&app, Some(&rs256("key2", &reader)), query, json!({})).await;
    assert_eq!((status, body["errors"].is_null()), (200, true), "{body}");
    assert_eq!(provider.fetches(), 2);

    // Made-up key ids: refused, and at most one fetch per refresh interval.
    tokio::time::sleep(refresh + Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    for attempt in 0..20 {
        let forged = {
            use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(format!("kid-{attempt}"));
            let pem = std::fs::read("tests/fixtures/auth/key1.pem").unwrap();
            encode(&header, &reader, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
        };
        let (status, _) = post(&app, Some(&forged), query, json!({})).await;
        assert_eq!(status, 401);
    }
    // Without the bound this would be 20 fetches; with it, one per started interval.
    let intervals = 1 + (started.elapsed().as_millis() / refresh.as_millis()) as usize;
    let fetched = provider.fetches() - 2;
    assert!(
        (1..=intervals).contains(&fetched),
        "{fetched} fetches in {intervals} interval(s)"
    );

    // The provider goes down: the cached keys keep working.
    provider.serve(StatusCode::SERVICE_UNAVAILABLE, "missing");
    tokio::time::sleep(refresh + Duration::from_millis(100)).await;
    let (status, _) = post(&app, Some(&rs256("key1", &reader)), query, json!({})).await;
    assert_eq!(status, 401, "key1 was rotated out");
    let (status, body) = post(&app, Some(&rs256("key2", &reader)), query, json!({})).await;
    assert_eq!((status, body["errors"].is_null()), (200, true), "{body}");
    app.stop().await;
}
