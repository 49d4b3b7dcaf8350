//! `/ready` (the readiness probe) and `/metrics` (Prometheus). `/health` stays the
//! liveness probe.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use migration::{Migrator, MigratorTrait};
use serde_json::json;

use super::{AppState, authenticate};
use crate::auth::Scope;
use crate::observability;

/// How long a probe or scrape waits for the database.
const DATABASE_WAIT: Duration = Duration::from_secs(2);

/// 200 when the database answers and every migration is applied, 503 otherwise.
pub(super) async fn ready(State(state): State<AppState>) -> Response {
    let check = async {
        let pending = Migrator::get_pending_migrations_read_only(&state.db).await?;
        Ok::<usize, sea_orm::DbErr>(pending.len())
    };
    let (status, body) = match tokio::time::timeout(DATABASE_WAIT, check).await {
        Ok(Ok(0)) => (StatusCode::OK, json!({ "status": "ready" })),
        Ok(Ok(pending)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "migrations pending", "pending": pending }),
        ),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "unavailable" }),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable" }),
        ),
    };
    (status, Json(body)).into_response()
}

/// The Prometheus text exposition. With authentication on, it needs a bearer token with
/// the `metadata:metrics` (or `metadata:admin`) scope.
pub(super) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal.into_response(),
    };
    if !principal.has(Scope::Metrics) && !principal.has(Scope::Admin) {
        let status = if principal.authenticated {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        return (
            status,
            "this needs a bearer token with the `metadata:metrics` scope\n",
        )
            .into_response();
    }
    let refreshed = tokio::time::timeout(
        DATABASE_WAIT,
        observability::refresh_database_gauges(&state.db),
    );
    if refreshed.await.is_err() {
        tracing::warn!("the database gauges were not read within the scrape's wait");
        metrics::gauge!("database_up").set(0.0);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        observability::render(),
    )
        .into_response()
}
