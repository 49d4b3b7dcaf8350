//! The HTTP surface: `/graphql` (POST and GET, GraphiQL for browsers), `/ws`, `/health`,
//! `/ready` and `/metrics`.

use std::future::Future;
use std::net::SocketAddr;

use async_graphql_axum::GraphQLRequest;
use axum::extract::{FromRequest, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::Principal;
use crate::db::Autocommit;
use crate::events::Broadcaster;
use crate::graphql::{self, AppSchema, RequestActor, ViaHttpGet, build_schema};

mod body;
mod csrf;
mod http_options;
mod probes;
mod rejection;
mod ws;

pub use http_options::{DEFAULT_MAX_BODY_BYTES, HttpOptions};
pub use ws::WsLimits;

pub(crate) use rejection::Rejection;

#[derive(Clone)]
struct AppState {
    schema: AppSchema,
    db: Autocommit,
    http: HttpOptions,
    ws_slots: ws::WsSlots,
}

/// The axum application over a migrated database. Subscriptions (and any other operation)
/// are served over WebSocket at `/ws` with the graphql-transport-ws protocol.
pub fn app(db: Autocommit, broadcaster: Broadcaster, http: HttpOptions) -> Router {
    crate::observability::handle();
    let schema = build_schema(db.clone(), broadcaster, http.limits);
    let cors = http.cors();
    let body_limit = RequestBodyLimitLayer::new(http.max_body_bytes);
    let state = AppState {
        schema,
        db,
        ws_slots: ws::WsSlots::new(&http.ws),
        http,
    };
    let router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/ws", get(ws::upgrade))
        .route("/health", get(health))
        .route("/ready", get(probes::ready))
        .route("/metrics", get(probes::metrics))
        .with_state(state)
        .layer(body_limit);
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds the listen address (port 0 picks a free port).
pub async fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(address).await
}

// Both handlers box the execution's future: it is several kilobytes, and every layer
// between hyper and a handler moves the handler's future (as large as its largest await)
// by value, before it first runs.
async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    if !rejection::is_json(&headers) {
        return Rejection::not_json().into_response();
    }
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal.into_response(),
    };
    let request = match body::graphql_request(request, state.http.max_body_bytes).await {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let request = with_trace_request(
        request.data(actor(&state, &headers, &principal)),
        &principal,
        &headers,
    )
    .data(principal);
    let response = Box::pin(graphql::execute(&state.schema, &state.db, request)).await;
    state.http.negotiate(&headers, graphql_response(response))
}

/// The caller named by the `Authorization` header; a refused token answers 401 as a whole.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, Rejection> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    state
        .http
        .auth
        .authenticate(authorization)
        .await
        .map_err(|error| Rejection::unauthenticated(&error))
}

/// Who the events of this request's writes name: the token's subject; the `x-actor` header
/// only when the service is told to trust it (a gateway that authenticated the user).
fn actor(state: &AppState, headers: &HeaderMap, principal: &Principal) -> RequestActor {
    if principal.subject.is_some() {
        return RequestActor(principal.subject.clone());
    }
    let header = headers
        .get("x-actor")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    RequestActor(header.filter(|_| state.http.auth.trusts_actor_header()))
}

/// A browser (asking for HTML, with no query) gets GraphiQL; anything else is a GraphQL GET.
async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && request.uri().query().is_none() {
        return Html(GRAPHIQL).into_response();
    }
    let request = match GraphQLRequest::<Rejection>::from_request(request, &()).await {
        Ok(request) => request.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    if graphql::changes_data(&request) {
        let body = json!({ "errors": [{
            "message": "only queries may be sent with GET; send mutations with POST",
            "extensions": { "code": "BAD_USER_INPUT" }
        }] });
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            Json(body),
        )
            .into_response();
    }
    if !csrf::get_is_safe(&headers) {
        return Rejection::missing_preflight_header().into_response();
    }
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal.into_response(),
    };
    let request = with_trace_request(
        request
            .data(actor(&state, &headers, &principal))
            .data(ViaHttpGet),
        &principal,
        &headers,
    )
    .data(principal);
    let response = Box::pin(graphql::execute(&state.schema, &state.db, request)).await;
    state.http.negotiate(&headers, graphql_response(response))
}

/// Marks the request for an inline trace when a gateway asks for one (ftv1). Anonymous
/// callers (authentication on, no token) get none: a trace costs memory per resolved field
/// and shows the service's timing, so only identified callers (the gateway forwards the
/// user's token) may ask.
fn with_trace_request(
    request: async_graphql::Request,
    principal: &crate::auth::Principal,
    headers: &HeaderMap,
) -> async_graphql::Request {
    let asked = principal.identified()
        && headers
            .get(graphql::ftv1::INCLUDE_TRACE_HEADER)
            .is_some_and(|value| value.as_bytes() == graphql::ftv1::INCLUDE_TRACE_VALUE.as_bytes());
    if asked {
        request.data(graphql::ftv1::IncludeTrace)
    } else {
        request
    }
}

/// 200 when the database answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    match state.db.pool().ping().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}

const GRAPHIQL: &str = include_str!("graphiql.html");

/// The HTTP response of a GraphQL response: as async-graphql-axum writes it (content type
/// `application/graphql-response+json`, its cache control when it succeeded, its headers),
/// with raw JSON documents written as text (see `graphql::raw_json`).
fn graphql_response(mut response: async_graphql::Response) -> Response {
    let body = match graphql::raw_json::to_vec(&response) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "serializing a GraphQL response");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut http = Response::new(axum::body::Body::from(body));
    http.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    if response.is_ok()
        && let Some(cache_control) = response.cache_control.value()
        && let Ok(value) = HeaderValue::from_str(&cache_control)
    {
        http.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    http.headers_mut()
        .extend(std::mem::take(&mut response.http_headers));
    http
}
