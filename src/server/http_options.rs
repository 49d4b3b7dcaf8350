//! What frontends and CDNs need from the HTTP layer: CORS, a body size limit, and the
//! response content type they can parse.

use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use std::sync::Arc;

use super::WsLimits;
use crate::auth::Authenticator;
use crate::graphql::ApiLimits;

/// Apollo Router's default request body limit.
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// HTTP behaviour of the GraphQL endpoint.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Origins allowed to call the API from a browser; none (same-origin only) by default.
    pub cors_allowed_origins: Vec<String>,
    /// Larger request bodies are answered with 413.
    pub max_body_bytes: usize,
    /// Always answer `application/json`, for clients that cannot parse
    /// `application/graphql-response+json`.
    pub force_json_content_type: bool,
    /// What operations and written documents may be.
    pub limits: ApiLimits,
    /// Sockets, subscriptions and the handshake wait of `/ws` (messages share `max_body_bytes`).
    pub ws: WsLimits,
    /// Bearer token verification (disabled: no key configured).
    pub auth: Arc<Authenticator>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            cors_allowed_origins: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            force_json_content_type: false,
            limits: ApiLimits::default(),
            ws: WsLimits::default(),
            auth: Arc::new(Authenticator::disabled()),
        }
    }
}

impl HttpOptions {
    /// The CORS layer, or `None` when no origin is allowed (browsers then enforce
    /// same-origin). `*` allows any origin (without credentials).
    pub fn cors(&self) -> Option<CorsLayer> {
        if self.cors_allowed_origins.is_empty() {
            return None;
        }
        let origins = if self.cors_allowed_origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            let list: Vec<HeaderValue> = self
                .cors_allowed_origins
                .iter()
                .filter_map(|o| o.parse().ok())
                .collect();
            AllowOrigin::list(list)
        };
        Some(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
                .allow_headers([
                    header::CONTENT_TYPE,
                    header::ACCEPT,
                    header::AUTHORIZATION,
                    "x-actor".parse().unwrap_or(header::ACCEPT),
                    "apollo-require-preflight".parse().unwrap_or(header::ACCEPT),
                ])
                .max_age(std::time::Duration::from_secs(600)),
        )
    }

    /// GraphQL over HTTP content negotiation: `application/graphql-response+json` unless the
    /// client only accepts `application/json` (or the option forces it).
    pub fn negotiate(&self, request_headers: &HeaderMap, mut response: Response) -> Response {
        let accept = request_headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let wants_plain_json = accept.contains("application/json")
            && !accept.contains("application/graphql-response+json")
            && !accept.contains("*/*");
        let is_graphql_response = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| {
                v.as_bytes()
                    .starts_with(b"application/graphql-response+json")
            });
        if is_graphql_response && (self.force_json_content_type || wants_plain_json) {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        response
    }
}
