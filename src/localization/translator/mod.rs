//! Machine-translation providers behind one [`Translator`] trait.
//!
//! Texts handed to a translator are already masked (see
//! [`crate::localization::placeholders::mask`]): each provider must pass the `__PH<n>__`
//! tokens through unchanged.

pub mod apertium;
pub mod deepl;
pub mod libretranslate;
pub mod pseudo;
#[cfg(test)]
mod tls_tests;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;
use thiserror::Error;

/// A machine-translation provider.
pub trait Translator: Send + Sync {
    /// Short provider name shown to users, e.g. "pseudo", "apertium", "deepl", "libretranslate".
    fn provider(&self) -> &'static str;
    /// Translates `texts` (already masked) from `source` to `target` locale (BCP-47-ish, e.g. "en", "es").
    /// Returns one output per input, same order.
    fn translate<'a>(
        &'a self,
        source: &'a str,
        target: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<String>, TranslateError>>;
}

/// Why a translation request failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TranslateError {
    /// The provider cannot translate into this locale (no language pair, not installed, …).
    #[error("cannot translate into '{target}': {reason}")]
    UnsupportedLocale {
        /// The requested target locale.
        target: String,
        /// Why, in words a user can act on.
        reason: String,
    },
    /// Transport, HTTP or process failure; the message is safe to show (no secrets).
    #[error("translation provider failed: {0}")]
    Provider(String),
    /// The provider returned a different number of outputs than inputs.
    #[error("translation provider returned {got} texts for {expected}")]
    Mismatch {
        /// Number of texts sent.
        expected: usize,
        /// Number of texts received.
        got: usize,
    },
}

/// Which provider to use, with its settings. Its `Debug` output hides the API keys.
#[derive(Clone, PartialEq, Eq)]
pub enum TranslatorConfig {
    /// Deterministic pseudo-localization, for testing layouts and the pipeline.
    Pseudo,
    /// Offline translation with the `apertium` command-line tool.
    Apertium {
        /// Path of the `apertium` executable.
        binary: PathBuf,
        /// The longest one run may take; then it is killed.
        timeout: Duration,
    },
    /// The DeepL JSON API (`POST {url}/v2/translate`).
    DeepL {
        /// Base URL, e.g. `https://api-free.deepl.com`.
        url: String,
        /// The DeepL authentication key.
        api_key: String,
        /// Timeout of each HTTP request.
        timeout: Duration,
        /// Retries after a timeout, connection failure, 5xx or 429.
        retries: u32,
        /// PEM file of extra trusted root certificates (a private CA), besides the system's.
        ca_file: Option<PathBuf>,
    },
    /// A LibreTranslate server (`POST {url}/translate`).
    LibreTranslate {
        /// Base URL, e.g. `http://127.0.0.1:5000` or `https://translate.example.org`.
        url: String,
        /// API key, sent only when configured.
        api_key: Option<String>,
        /// Timeout of each HTTP request.
        timeout: Duration,
        /// Retries after a timeout, connection failure, 5xx or 429.
        retries: u32,
        /// PEM file of extra trusted root certificates (a private CA), besides the system's.
        ca_file: Option<PathBuf>,
    },
}

impl std::fmt::Debug for TranslatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |key: &Option<String>| key.as_ref().map(|_| "<hidden>");
        match self {
            Self::Pseudo => f.write_str("Pseudo"),
            Self::Apertium { binary, timeout } => f
                .debug_struct("Apertium")
                .field("binary", binary)
                .field("timeout", timeout)
                .finish(),
            Self::DeepL {
                url,
                timeout,
                retries,
                ca_file,
                ..
            } => f
                .debug_struct("DeepL")
                .field("url", url)
                .field("api_key", &"<hidden>")
                .field("timeout", timeout)
                .field("retries", retries)
                .field("ca_file", ca_file)
                .finish(),
            Self::LibreTranslate {
                url,
                api_key,
                timeout,
                retries,
                ca_file,
            } => f
                .debug_struct("LibreTranslate")
                .field("url", url)
                .field("api_key", &hidden(api_key))
                .field("timeout", timeout)
                .field("retries", retries)
                .field("ca_file", ca_file)
                .finish(),
        }
    }
}

/// Builds the translator described by `cfg`.
///
/// Fails with [`TranslateError::Provider`] for an unusable configuration (an URL that is not
/// `http://` or `https://`, an unreadable CA file, or an empty DeepL key).
pub fn from_config(cfg: &TranslatorConfig) -> Result<Arc<dyn Translator>, TranslateError> {
    Ok(match cfg {
        TranslatorConfig::Pseudo => Arc::new(pseudo::PseudoTranslator),
        TranslatorConfig::Apertium { binary, timeout } => {
            Arc::new(apertium::ApertiumTranslator::new(binary.clone(), *timeout))
        }
        TranslatorConfig::DeepL {
            url,
            api_key,
            timeout,
            retries,
            ca_file,
        } => {
            if api_key.trim().is_empty() {
                return Err(TranslateError::Provider("DeepL needs an API key".into()));
            }
            let http = HttpClient::new(url, *timeout, *retries, ca_file.as_deref())?;
            Arc::new(deepl::DeepLTranslator::new(http, api_key.clone()))
        }
        TranslatorConfig::LibreTranslate {
            url,
            api_key,
            timeout,
            retries,
            ca_file,
        } => {
            let http = HttpClient::new(url, *timeout, *retries, ca_file.as_deref())?;
            Arc::new(libretranslate::LibreTranslateTranslator::new(
                http,
                api_key.clone(),
            ))
        }
    })
}

/// The language subtag of a locale, lower-cased: `"pt-BR"` → `"pt"`, `"en_US"` → `"en"`.
pub(crate) fn primary_subtag(locale: &str) -> String {
    locale
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Shortest and longest wait between two attempts.
const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// A JSON-over-HTTP client with timeout and retries, shared by the HTTP providers.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    base_url: String,
    retries: u32,
}

/// A failed HTTP exchange: the final status (if any answer came) and a safe message.
#[derive(Debug)]
pub(crate) struct HttpFailure {
    pub status: Option<u16>,
    pub message: String,
}

impl HttpClient {
    /// Validates `base_url` (`http://` or `https://`) and builds a client with `timeout` that
    /// trusts the system's root certificates plus those in `ca_file` (PEM).
    pub(crate) fn new(
        base_url: &str,
        timeout: Duration,
        retries: u32,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Self, TranslateError> {
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(TranslateError::Provider(
                "the translation service URL must start with http:// or https://".into(),
            ));
        }
        let mut builder = reqwest::Client::builder().timeout(timeout);
        if let Some(path) = ca_file {
            let unusable = |why: String| {
                TranslateError::Provider(format!("the CA file {}: {why}", path.display()))
            };
            let pem = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
            let roots =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| unusable(e.to_string()))?;
            if roots.is_empty() {
                return Err(unusable("no PEM certificate in it".into()));
            }
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
        }
        let client = builder
            .build()
            .map_err(|e| TranslateError::Provider(format!("cannot build HTTP client: {e}")))?;
        Ok(Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            retries,
        })
    }

    /// POSTs `body` to `{base_url}{path}` and decodes the JSON answer, retrying timeouts,
    /// connection failures, 5xx and 429 with exponential backoff (100 ms, 200 ms, … up to
    /// 10 s; a `Retry-After` in seconds is honoured up to that cap). Other 4xx are final.
    pub(crate) async fn post_json(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: &Value,
    ) -> Result<Value, HttpFailure> {
        let url = format!("{}{path}", self.base_url);
        let mut attempt = 0u32;
        loop {
            let mut req = self.client.post(&url).json(body);
            for (name, value) in headers {
                req = req.header(*name, value);
            }
            let mut wait = BACKOFF_BASE
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(BACKOFF_MAX);
            let failure = match req.send().await {
                Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                    Ok(bytes) => {
                        return serde_json::from_slice(&bytes).map_err(|e| HttpFailure {
                            status: None,
                            message: format!("invalid JSON answer: {e}"),
                        });
                    }
                    Err(e) if e.is_timeout() => HttpFailure {
                        status: None,
                        message: "request timed out".into(),
                    },
                    Err(e) => HttpFailure {
                        status: None,
                        message: format!("reading the answer failed: {}", e.without_url()),
                    },
                },
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
                    if let Some(secs) = retry_after {
                        wait = wait.max(Duration::from_secs(secs)).min(BACKOFF_MAX);
                    }
                    let text = resp.text().await.unwrap_or_default();
                    let snippet: String = text.chars().take(300).collect();
                    let retryable = status.is_server_error()
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    let failure = HttpFailure {
                        status: Some(status.as_u16()),
                        message: format!("HTTP {status}: {snippet}"),
                    };
                    if !retryable {
                        return Err(failure);
                    }
                    failure
                }
                Err(e) if e.is_timeout() => HttpFailure {
                    status: None,
                    message: "request timed out".into(),
                },
                Err(e) if e.is_connect() => HttpFailure {
                    status: None,
                    message: "could not connect".into(),
                },
                Err(e) => HttpFailure {
                    status: None,
                    message: format!("request failed: {}", e.without_url()),
                },
            };
            if attempt >= self.retries {
                let message = format!("{} (after {} attempts)", failure.message, attempt + 1);
                return Err(HttpFailure { message, ..failure });
            }
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }
}
