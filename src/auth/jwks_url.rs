//! A JWKS document fetched over HTTP(S) from the identity provider and cached.
//!
//! Refreshed when a token names a key id the cached set lacks (key rotation) or when the
//! set is older than [`MAX_AGE`]; refreshes are single-flight and at most one per
//! `min_refresh`, so tokens with made-up key ids cannot turn this service into a load
//! generator against the identity provider.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::Mutex;

use super::AuthError;
use super::keys::key_from_set;

/// The cached set is re-fetched (on next use) after this long.
const MAX_AGE: Duration = Duration::from_secs(600);
/// The default least time between two fetches.
pub const DEFAULT_MIN_REFRESH: Duration = Duration::from_secs(30);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A key set larger than this is refused.
const MAX_BYTES: usize = 1024 * 1024;

#[derive(Debug)]
pub struct JwksUrl {
    url: String,
    client: reqwest::Client,
    min_refresh: Duration,
    keys: RwLock<Option<(Instant, JwkSet)>>,
    /// When the last fetch was attempted; held while one runs (single flight).
    last_attempt: Mutex<Option<Instant>>,
}

impl JwksUrl {
    pub fn new(url: String, min_refresh: Duration) -> Result<Self, AuthError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(AuthError::KeySet(format!(
                "the JWKS URL must be http(s)://…, got {url:?}"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AuthError::KeySet(format!("cannot build an HTTP client: {e}")))?;
        Ok(JwksUrl {
            url,
            client,
            min_refresh,
            keys: RwLock::new(None),
            last_attempt: Mutex::new(None),
        })
    }

    /// Fetches the set now (at start-up); a failure is returned, the cache stays empty.
    pub async fn prefetch(&self) -> Result<(), AuthError> {
        let mut last = self.last_attempt.lock().await;
        *last = Some(Instant::now());
        self.fetch().await
    }

    /// The key with `kid` usable for `alg`, refreshing the set when it lacks the key or
    /// is stale (within the refresh bound).
    pub async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, AuthError> {
        if !self.stale()
            && let Some(key) = self.cached(kid, alg)?
        {
            return Ok(key);
        }
        self.refresh().await;
        self.cached(kid, alg)?
            .ok_or_else(|| AuthError::NoKey(format!("no key with kid {kid:?}")))
    }

    fn cached(&self, kid: Option<&str>, alg: Algorithm) -> Result<Option<DecodingKey>, AuthError> {
        let keys = self
            .keys
            .read()
            .map_err(|_| AuthError::KeySet("poisoned".into()))?;
        match keys.as_ref() {
            Some((_, set)) => match key_from_set(set, kid, alg) {
                Ok(key) => Ok(Some(key)),
                Err(AuthError::NoKey(_)) => Ok(None),
                Err(other) => Err(other),
            },
            None => Ok(None),
        }
    }

    fn stale(&self) -> bool {
        self.keys
            .read()
            .ok()
            .and_then(|keys| keys.as_ref().map(|(at, _)| at.elapsed() > MAX_AGE))
            .unwrap_or(true)
    }

    /// Fetches the set unless another fetch runs (then waits for it) or the last one was
    /// less than `min_refresh` ago. Failures keep the keys we have.
    async fn refresh(&self) {
        let mut last = self.last_attempt.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.min_refresh) {
            return;
        }
        *last = Some(Instant::now());
        if let Err(error) = self.fetch().await {
            tracing::warn!(%error, url = %self.url, "fetching the JWKS failed; keeping the cached keys");
        }
    }

    async fn fetch(&self) -> Result<(), AuthError> {
        let failed = |e: &dyn std::fmt::Display| AuthError::KeySet(format!("{}: {e}", self.url));
        let mut response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        if !response.status().is_success() {
            return Err(failed(&response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
            if body.len() + chunk.len() > MAX_BYTES {
                return Err(failed(&"the key set is larger than 1 MiB"));
            }
            body.extend_from_slice(&chunk);
        }
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| failed(&e))?;
        if let Ok(mut keys) = self.keys.write() {
            *keys = Some((Instant::now(), set));
        }
        Ok(())
    }
}
