//! DeepL API client (`POST {url}/v2/translate`).
//!
//! Texts go out in batches of at most [`MAX_TEXTS_PER_REQUEST`] with `tag_handling: "xml"`
//! and `ignore_tags: ["x"]`: every mask token is wrapped as `<x>__PH0__</x>` so DeepL leaves
//! it alone, and the rest of the text is XML-escaped (`&`, `<`, `>`) since DeepL parses it
//! as XML. Both are undone on the answer.

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{HttpClient, HttpFailure, TranslateError, Translator, primary_subtag};
use crate::localization::placeholders::map_tokens;

/// DeepL accepts at most 50 texts per request.
pub const MAX_TEXTS_PER_REQUEST: usize = 50;

/// The DeepL provider ("deepl").
/// (No `Debug`: it holds the API key.)
#[derive(Clone)]
pub struct DeepLTranslator {
    http: HttpClient,
    api_key: String,
}

impl DeepLTranslator {
    pub(crate) fn new(http: HttpClient, api_key: String) -> Self {
        Self { http, api_key }
    }
}

/// DeepL's `source_lang`: the language subtag, upper-cased (`"en-US"` → `"EN"`).
fn source_lang(locale: &str) -> String {
    primary_subtag(locale).to_ascii_uppercase()
}

/// DeepL's `target_lang`: the language subtag upper-cased, keeping the variant for English,
/// Portuguese and Chinese (`"pt-BR"` → `"PT-BR"`); bare `en`/`pt` become `EN-US`/`PT-PT`.
fn target_lang(locale: &str) -> String {
    let full = locale.replace('_', "-").to_ascii_uppercase();
    match primary_subtag(locale).as_str() {
        "en" if !full.contains('-') => "EN-US".into(),
        "pt" if !full.contains('-') => "PT-PT".into(),
        "en" | "pt" | "zh" => full,
        other => other.to_ascii_uppercase(),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity = rest
            .find(';')
            .filter(|&semi| semi <= 10)
            .map(|semi| (&rest[1..semi], semi));
        let decoded = entity.and_then(|(name, semi)| {
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .map_or_else(
                        || name.strip_prefix('#').and_then(|d| d.parse::<u32>().ok()),
                        |h| u32::from_str_radix(h, 16).ok(),
                    )
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A masked text as sent to DeepL.
fn encode(text: &str) -> String {
    map_tokens(text, |t| format!("<x>{t}</x>"), xml_escape)
}

/// A DeepL answer back to masked text. Raw `<x>`/`</x>` can only be our wrappers, since
/// any `<` of the text itself was sent escaped.
fn decode(text: &str) -> String {
    xml_unescape(&text.replace("<x>", "").replace("</x>", ""))
}

fn failure_to_error(f: HttpFailure, target: &str) -> TranslateError {
    match f.status {
        Some(400) if f.message.contains("target_lang") => TranslateError::UnsupportedLocale {
            target: target.to_owned(),
            reason: format!(
                "DeepL does not accept target_lang {}: {}",
                target_lang(target),
                f.message
            ),
        },
        Some(403) => {
            TranslateError::Provider(format!("DeepL rejected the API key ({})", f.message))
        }
        Some(456) => TranslateError::Provider(format!("DeepL quota exceeded ({})", f.message)),
        _ => TranslateError::Provider(format!("DeepL: {}", f.message)),
    }
}

impl Translator for DeepLTranslator {
    fn provider(&self) -> &'static str {
        "deepl"
    }

    fn translate<'a>(
        &'a self,
        source: &'a str,
        target: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<String>, TranslateError>> {
        Box::pin(async move {
            let auth = [("Authorization", format!("DeepL-Auth-Key {}", self.api_key))];
            let mut out = Vec::with_capacity(texts.len());
            for chunk in texts.chunks(MAX_TEXTS_PER_REQUEST) {
                let body = json!({
                    "text": chunk.iter().map(|t| encode(t)).collect::<Vec<_>>(),
                    "source_lang": source_lang(source),
                    "target_lang": target_lang(target),
                    "tag_handling": "xml",
                    "ignore_tags": ["x"],
                });
                let answer = self
                    .http
                    .post_json("/v2/translate", &auth, &body)
                    .await
                    .map_err(|f| failure_to_error(f, target))?;
                let items = answer
                    .get("translations")
                    .and_then(Value::as_array)
                    .ok_or_else(|| {
                        TranslateError::Provider(
                            "DeepL answer has no \"translations\" array".into(),
                        )
                    })?;
                if items.len() != chunk.len() {
                    return Err(TranslateError::Mismatch {
                        expected: chunk.len(),
                        got: items.len(),
                    });
                }
                for item in items {
                    let text = item.get("text").and_then(Value::as_str).ok_or_else(|| {
                        TranslateError::Provider("DeepL translation without \"text\"".into())
                    })?;
                    out.push(decode(text));
                }
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localization::translator::{TranslatorConfig, from_config};
    use axum::{Json, Router, http::HeaderMap, http::StatusCode, routing::post};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    /// Serves `app` on an ephemeral loopback port and returns its base URL.
    async fn serve(app: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn client(url: &str, timeout_ms: u64, retries: u32) -> Arc<dyn Translator> {
        let cfg = TranslatorConfig::DeepL {
            url: url.into(),
            api_key: "test-key".into(),
            timeout: Duration::from_millis(timeout_ms),
            retries,
            ca_file: None,
        };
        from_config(&cfg).expect("deepl client")
    }

    type Log = Arc<std::sync::Mutex<Vec<(u16, usize)>>>;

    /// A DeepL stand-in: checks each request like DeepL would (logging its status and text
    /// count) and answers "ES:" + each text.
    fn fake_deepl(log: Log) -> Router {
        Router::new().route(
            "/v2/translate",
            post(
                move |headers: HeaderMap, Json(body): Json<Value>| async move {
                    let texts = body["text"].as_array().cloned().unwrap_or_default();
                    let well_formed = body["source_lang"] == "EN"
                        && body["tag_handling"] == "xml"
                        && body["ignore_tags"] == json!(["x"]);
                    let (status, answer) = if headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        != Some("DeepL-Auth-Key test-key")
                    {
                        (StatusCode::FORBIDDEN, json!({"message": "Wrong key"}))
                    } else if body["target_lang"] != "ES" {
                        (
                            StatusCode::BAD_REQUEST,
                            json!({"message": "Value for 'target_lang' not supported."}),
                        )
                    } else if !well_formed
                        || texts.is_empty()
                        || texts.len() > MAX_TEXTS_PER_REQUEST
                    {
                        (StatusCode::BAD_REQUEST, json!({"message": "bad request"}))
                    } else {
                        let translations: Vec<Value> = texts
                            .iter()
                            .map(|t| json!({"text": format!("ES:{}", t.as_str().unwrap_or(""))}))
                            .collect();
                        (StatusCode::OK, json!({"translations": translations}))
                    };
                    if let Ok(mut l) = log.lock() {
                        l.push((status.as_u16(), texts.len()));
                    }
                    (status, Json(answer))
                },
            ),
        )
    }

    #[tokio::test]
    async fn batches_by_50_and_protects_tokens() {
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let url = serve(fake_deepl(requests.clone())).await;
        let texts: Vec<String> = (0..120).map(|i| format!("Item {i} __PH0__ & <3")).collect();
        let out = client(&url, 2000, 0)
            .translate("en", "es", &texts)
            .await
            .expect("translate");
        assert_eq!(out.len(), 120);
        assert_eq!(out[0], "ES:Item 0 __PH0__ & <3");
        assert_eq!(out[119], "ES:Item 119 __PH0__ & <3");
        assert_eq!(
            *requests.lock().expect("lock"),
            vec![(200, 50), (200, 50), (200, 20)]
        );
    }

    #[test]
    fn encodes_tokens_as_ignored_tags_and_escapes_xml() {
        assert_eq!(
            encode("a <b> & __PH1__"),
            "a &lt;b&gt; &amp; <x>__PH1__</x>"
        );
        assert_eq!(
            decode("<x>__PH1__</x> &lt;b&gt; &amp;amp; &#233;&#xE9; &bogus; &"),
            "__PH1__ <b> &amp; éé &bogus; &"
        );
        assert_eq!(
            (
                target_lang("es-MX"),
                target_lang("en"),
                target_lang("pt_BR"),
                source_lang("en-GB")
            ),
            ("ES".into(), "EN-US".into(), "PT-BR".into(), "EN".into())
        );
    }

    #[tokio::test]
    async fn retries_503_then_succeeds() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let app = Router::new().route(
            "/v2/translate",
            post(move || async move {
                if seen.fetch_add(1, Ordering::SeqCst) < 2 {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        Json(json!({"message": "busy"})),
                    );
                }
                (
                    StatusCode::OK,
                    Json(json!({"translations": [{"text": "hola"}]})),
                )
            }),
        );
        let url = serve(app).await;
        let one = vec!["hello".to_owned()];
        assert_eq!(
            client(&url, 2000, 2).translate("en", "es", &one).await,
            Ok(vec!["hola".to_owned()])
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let err = client(&url, 2000, 1).translate("en", "es", &one).await;
        assert!(
            matches!(&err, Err(TranslateError::Provider(m)) if m.contains("503") && m.contains("after 2 attempts")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn does_not_retry_403_and_maps_bad_target() {
        let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
        let url = serve(fake_deepl(requests.clone())).await;
        let cfg = TranslatorConfig::DeepL {
            url: url.clone(),
            api_key: "wrong".into(),
            timeout: Duration::from_secs(2),
            retries: 3,
            ca_file: None,
        };
        let err = from_config(&cfg)
            .expect("client")
            .translate("en", "es", &["x".to_owned()])
            .await;
        assert!(
            matches!(&err, Err(TranslateError::Provider(m)) if m.contains("rejected the API key") && !m.contains("wrong")),
            "{err:?}"
        );
        assert_eq!(
            *requests.lock().expect("lock"),
            vec![(403, 1)],
            "403 must not be retried"
        );

        let err = client(&url, 2000, 3)
            .translate("en", "xx", &["x".to_owned()])
            .await;
        assert!(
            matches!(&err, Err(TranslateError::UnsupportedLocale { target, .. }) if target == "xx"),
            "{err:?}"
        );
        assert_eq!(
            requests.lock().expect("lock").len(),
            2,
            "400 must not be retried"
        );
    }

    #[tokio::test]
    async fn times_out_and_retries_then_gives_up() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let app = Router::new().route(
            "/v2/translate",
            post(move || async move {
                seen.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(3)).await;
                Json(json!({"translations": [{"text": "late"}]}))
            }),
        );
        let url = serve(app).await;
        let started = Instant::now();
        let err = client(&url, 200, 1)
            .translate("en", "es", &["x".to_owned()])
            .await;
        assert_eq!(
            err,
            Err(TranslateError::Provider(
                "DeepL: request timed out (after 2 attempts)".into()
            ))
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(started.elapsed() < Duration::from_millis(1500));
    }

    #[test]
    fn rejects_unusable_urls_ca_files_and_a_missing_key() {
        let config = |url: &str, ca_file: Option<&str>| TranslatorConfig::DeepL {
            url: url.into(),
            api_key: "s3cret-key".into(),
            timeout: Duration::from_secs(1),
            retries: 0,
            ca_file: ca_file.map(Into::into),
        };
        assert!(from_config(&config("https://api.deepl.com", None)).is_ok());
        assert!(
            matches!(from_config(&config("ftp://api.deepl.com", None)), Err(TranslateError::Provider(m)) if m.contains("https://"))
        );
        let missing = config("https://api.deepl.com", Some("/nonexistent/ca.pem"));
        assert!(
            matches!(from_config(&missing), Err(TranslateError::Provider(m)) if m.contains("CA file"))
        );
        let not_pem = config("https://api.deepl.com", Some("Cargo.toml"));
        assert!(from_config(&not_pem).is_err());
        let nokey = TranslatorConfig::DeepL {
            url: "http://127.0.0.1:1".into(),
            api_key: " ".into(),
            timeout: Duration::from_secs(1),
            retries: 0,
            ca_file: None,
        };
        assert!(from_config(&nokey).is_err());
        let shown = format!("{:?}", config("https://api.deepl.com", None));
        assert!(
            shown.contains("api.deepl.com") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
