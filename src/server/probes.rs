//! `/ready` (the readiness probe) and `/metrics` (Prometheus). `/health` stays the
//! liveness probe.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use migration::seaql_migrations;
use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use serde_json::json;

use super::{AppState, authenticate};
use crate::auth::Scope;
use crate::observability;

/// How long a probe or scrape waits for the database.
const DATABASE_WAIT: Duration = Duration::from_secs(2);

/// 200 when the database answers and every migration this build knows is applied, 503
/// otherwise. Migrations this build does not know (a newer release migrated first, as in a
/// rolling deploy) do not make it unready: they are reported as `ahead`.
pub(super) async fn ready(State(state): State<AppState>) -> Response {
    let (status, body) =
        match tokio::time::timeout(DATABASE_WAIT, migrations(state.db.pool())).await {
            Ok(Ok(Migrations { pending: 0, ahead })) => {
                let mut body = json!({ "status": "ready" });
                if ahead > 0 {
                    body["ahead"] = json!(ahead);
                }
                (StatusCode::OK, body)
            }
            Ok(Ok(Migrations { pending, .. })) => (
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

struct Migrations {
    /// Known to this build, not applied.
    pending: usize,
    /// Applied, unknown to this build.
    ahead: usize,
}

/// Compares the applied migrations with this build's, reading only (no `CREATE TABLE`).
async fn migrations(db: &DatabaseConnection) -> Result<Migrations, DbErr> {
    let applied: std::collections::HashSet<String> =
        if SchemaManager::new(db).has_table("seaql_migrations").await? {
            seaql_migrations::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|row| row.version)
                .collect()
        } else {
            Default::default()
        };
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    let pending = known.iter().filter(|name| !applied.contains(*name)).count();
    let ahead = applied.iter().filter(|name| !known.contains(name)).count();
    Ok(Migrations { pending, ahead })
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
