//! LibreTranslate client (`POST {url}/translate`).
//!
//! Sends `{"q": [...], "source": "en", "target": "es", "format": "text"}` (plus `api_key`
//! only when one is configured) in batches of at most [`MAX_TEXTS_PER_REQUEST`] texts and
//! reads `{"translatedText": [...]}`. Locales are reduced to their language subtag
//! (`"es-MX"` → `"es"`).

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{HttpClient, HttpFailure, TranslateError, Translator, primary_subtag};

/// Texts per request, to stay under servers' per-request limits.
pub const MAX_TEXTS_PER_REQUEST: usize = 50;

/// The LibreTranslate provider ("libretranslate").
/// (No `Debug`: it holds the API key.)
#[derive(Clone)]
pub struct LibreTranslateTranslator {
    http: HttpClient,
    api_key: Option<String>,
}

impl LibreTranslateTranslator {
    pub(crate) fn new(http: HttpClient, api_key: Option<String>) -> Self {
        Self { http, api_key }
    }
}

fn failure_to_error(f: HttpFailure, target: &str) -> TranslateError {
    match f.status {
        Some(400) if f.message.contains("not supported") => TranslateError::UnsupportedLocale {
            target: target.to_owned(),
            reason: format!("LibreTranslate does not support it: {}", f.message),
        },
        Some(403) => TranslateError::Provider(format!(
            "LibreTranslate refused the request, check the API key ({})",
            f.message
        )),
        _ => TranslateError::Provider(format!("LibreTranslate: {}", f.message)),
    }
}

impl Translator for LibreTranslateTranslator {
    fn provider(&self) -> &'static str {
        "libretranslate"
    }

    fn translate<'a>(
        &'a self,
        source: &'a str,
        target: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<String>, TranslateError>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(texts.len());
            for chunk in texts.chunks(MAX_TEXTS_PER_REQUEST) {
                let mut body = json!({
                    "q": chunk,
                    "source": primary_subtag(source),
                    "target": primary_subtag(target),
                    "format": "text",
                });
                if let (Some(key), Some(obj)) = (&self.api_key, body.as_object_mut()) {
                    obj.insert("api_key".into(), Value::String(key.clone()));
                }
                let answer = self
                    .http
                    .post_json("/translate", &[], &body)
                    .await
                    .map_err(|f| failure_to_error(f, target))?;
                let items: Vec<String> = match answer.get("translatedText") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<_>>(),
                    // Some servers answer a lone string for a one-element `q`.
                    Some(Value::String(s)) if chunk.len() == 1 => Some(vec![s.clone()]),
                    _ => None,
                }
                .ok_or_else(|| {
                    TranslateError::Provider(
                        "LibreTranslate answer has no \"translatedText\" list of strings".into(),
                    )
                })?;
                if items.len() != chunk.len() {
                    return Err(TranslateError::Mismatch {
                        expected: chunk.len(),
                        got: items.len(),
                    });
                }
                out.extend(items);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localization::translator::{TranslatorConfig, from_config};
    use axum::{Json, Router, http::StatusCode, routing::post};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    async fn serve(app: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn client(url: &str, api_key: Option<&str>, retries: u32) -> Arc<dyn Translator> {
        let cfg = TranslatorConfig::LibreTranslate {
            url: format!("{url}/"),
            api_key: api_key.map(str::to_owned),
            timeout: Duration::from_secs(2),
            retries,
            ca_file: None,
        };
        from_config(&cfg).expect("libretranslate client")
    }

    /// A LibreTranslate stand-in: logs each body, answers 429 `busy` times first, then
    /// "es:" + each text; rejects targets other than "es" as LibreTranslate does.
    fn fake(log: Arc<Mutex<Vec<Value>>>, busy: usize) -> Router {
        Router::new().route(
            "/translate",
            post(move |Json(body): Json<Value>| async move {
                let n = log.lock().map(|mut l| {
                    l.push(body.clone());
                    l.len()
                });
                if n.is_ok_and(|n| n <= busy) {
                    return (
                        StatusCode::TOO_MANY_REQUESTS,
                        Json(json!({"error": "slow down"})),
                    );
                }
                if body["target"] != "es" {
                    return (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"error": format!("{} is not supported", body["target"])})),
                    );
                }
                let q = body["q"].as_array().cloned().unwrap_or_default();
                let ok = body["source"] == "en" && body["format"] == "text" && !q.is_empty();
                if !ok {
                    return (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"error": "bad request"})),
                    );
                }
                let out: Vec<String> = q
                    .iter()
                    .map(|t| format!("es:{}", t.as_str().unwrap_or("")))
                    .collect();
                (StatusCode::OK, Json(json!({"translatedText": out})))
            }),
        )
    }

    #[tokio::test]
    async fn sends_q_array_and_key_only_when_configured() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let url = serve(fake(log.clone(), 0)).await;
        let texts = vec!["Hello __PH0__".to_owned(), "Bye".to_owned()];
        let out = client(&url, Some("secret"), 0)
            .translate("en-US", "es-ES", &texts)
            .await;
        assert_eq!(
            out,
            Ok(vec!["es:Hello __PH0__".to_owned(), "es:Bye".to_owned()])
        );
        let out = client(&url, None, 0)
            .translate("en", "es", &texts[1..])
            .await;
        assert_eq!(out, Ok(vec!["es:Bye".to_owned()]));
        let log = log.lock().expect("lock");
        assert_eq!(
            log[0],
            json!({"q": texts, "source": "en", "target": "es", "format": "text", "api_key": "secret"})
        );
        assert_eq!(
            log[1],
            json!({"q": ["Bye"], "source": "en", "target": "es", "format": "text"})
        );
    }

    #[tokio::test]
    async fn retries_429_and_batches() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let url = serve(fake(log.clone(), 2)).await;
        let texts: Vec<String> = (0..60).map(|i| format!("t{i}")).collect();
        let out = client(&url, None, 2)
            .translate("en", "es", &texts)
            .await
            .expect("translate");
        assert_eq!(out.len(), 60);
        assert_eq!(out[59], "es:t59");
        let sizes: Vec<usize> = log
            .lock()
            .expect("lock")
            .iter()
            .map(|b| b["q"].as_array().map_or(0, Vec::len))
            .collect();
        assert_eq!(sizes, vec![50, 50, 50, 10]);
    }

    #[tokio::test]
    async fn unsupported_target_is_reported_without_retry() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let url = serve(fake(log.clone(), 0)).await;
        let err = client(&url, None, 3)
            .translate("en", "ja", &["Hi".to_owned()])
            .await;
        assert!(
            matches!(&err, Err(TranslateError::UnsupportedLocale { target, reason }) if target == "ja" && reason.contains("not supported")),
            "{err:?}"
        );
        assert_eq!(log.lock().expect("lock").len(), 1);
    }

    #[tokio::test]
    async fn connection_failure_is_a_provider_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        drop(listener);
        let err = client(&url, None, 1)
            .translate("en", "es", &["Hi".to_owned()])
            .await;
        assert_eq!(
            err,
            Err(TranslateError::Provider(
                "LibreTranslate: could not connect (after 2 attempts)".into()
            ))
        );
    }
}
