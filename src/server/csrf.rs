//! Requests a browser page on another origin could make without a CORS preflight are
//! refused (Apollo Server's CSRF prevention): POSTs must be JSON (see [`super::rejection`]),
//! GET operations must carry a header that simple requests cannot set, and WebSocket
//! upgrades (which CORS does not cover) must come from an allowed origin.

use axum::http::{HeaderMap, header};

use super::HttpOptions;

/// Headers whose presence proves the request was not a simple cross-site request.
const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-apollo-operation-name"];

/// True when a GET operation may run: it carries a non-empty preflight header (Apollo
/// clients send one), or a content type that simple requests cannot have.
pub fn get_is_safe(headers: &HeaderMap) -> bool {
    let has_preflight_header = PREFLIGHT_HEADERS.iter().any(|name| {
        headers
            .get(*name)
            .is_some_and(|value| !value.as_bytes().is_empty())
    });
    has_preflight_header || super::rejection::is_json(headers)
}

/// True when a WebSocket upgrade may proceed: no `Origin` (not a browser), the same origin
/// as the `Host` it was sent to, or an origin of the CORS allow-list.
pub fn websocket_origin_allowed(headers: &HeaderMap, options: &HttpOptions) -> bool {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        return true;
    };
    if options
        .cors_allowed_origins
        .iter()
        .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn get_needs_a_header_a_simple_request_cannot_carry() {
        assert!(!get_is_safe(&headers(&[])));
        assert!(!get_is_safe(&headers(&[("apollo-require-preflight", "")])));
        assert!(!get_is_safe(&headers(&[("content-type", "text/plain")])));
        assert!(get_is_safe(&headers(&[(
            "apollo-require-preflight",
            "true"
        )])));
        assert!(get_is_safe(&headers(&[("x-apollo-operation-name", "Q")])));
        assert!(get_is_safe(&headers(&[(
            "content-type",
            "application/json"
        )])));
    }

    #[test]
    fn websocket_origins() {
        let options = HttpOptions {
            cors_allowed_origins: vec!["https://app.example".into()],
            ..HttpOptions::default()
        };
        let none = HttpOptions::default();
        assert!(
            websocket_origin_allowed(&headers(&[]), &none),
            "no Origin: not a browser"
        );
        let same = headers(&[
            ("origin", "http://127.0.0.1:4001"),
            ("host", "127.0.0.1:4001"),
        ]);
        assert!(websocket_origin_allowed(&same, &none));
        let foreign = headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:4001"),
        ]);
        assert!(!websocket_origin_allowed(&foreign, &none));
        assert!(!websocket_origin_allowed(&foreign, &options));
        let listed = headers(&[("origin", "https://app.example"), ("host", "api.example")]);
        assert!(websocket_origin_allowed(&listed, &options));
    }
}
