//! Who may do what: bearer JWTs (HS256 with a shared secret, or RS/ES/PS/EdDSA keys from a
//! JWKS file that is re-read when it changes), scopes from the token, and the audit actor.
//!
//! Without any key configured the service runs unrestricted — the two-command default —
//! and `serve` then refuses a non-loopback listen address unless told otherwise.

mod jwks_url;
mod keys;
mod scopes;

use std::collections::BTreeSet;
use std::path::PathBuf;

use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde::Deserialize;

pub use scopes::{Scope, ScopeGuard};

/// Tolerated clock skew for `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

/// Where keys come from and what tokens must say.
#[derive(Clone, Debug, Default)]
pub struct AuthConfig {
    /// Shared secret for HS256/384/512 tokens.
    pub hs256_secret: Option<String>,
    /// A JWKS document with the public keys of asymmetric tokens.
    pub jwks_file: Option<PathBuf>,
    /// The identity provider's JWKS endpoint, fetched and cached.
    pub jwks_url: Option<String>,
    /// The least time between two fetches of `jwks_url` (default 30 s).
    pub jwks_min_refresh: Option<std::time::Duration>,
    /// Required `iss`, when set.
    pub issuer: Option<String>,
    /// Required `aud`, when set.
    pub audience: Option<String>,
    /// Honour `x-actor` (from a gateway that authenticated the user) when the request has
    /// no token subject.
    pub trust_actor_header: bool,
}

/// The caller of one request or WebSocket connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`.
    pub subject: Option<String>,
    scopes: BTreeSet<String>,
    /// True when a valid token was presented.
    pub authenticated: bool,
    /// True when authentication is off (no key configured): every scope is granted.
    unrestricted: bool,
}

impl Principal {
    /// Authentication is off.
    pub fn unrestricted() -> Self {
        Principal {
            subject: None,
            scopes: BTreeSet::new(),
            authenticated: false,
            unrestricted: true,
        }
    }

    /// True when the caller presented a valid token, or authentication is off.
    pub fn identified(&self) -> bool {
        self.authenticated || self.unrestricted
    }

    /// No token was presented.
    pub fn anonymous() -> Self {
        Principal {
            unrestricted: false,
            ..Principal::unrestricted()
        }
    }

    /// The scopes this principal writes with, for the protected paths of metadata policies.
    pub fn grants(&self) -> crate::policy::Grants {
        if self.unrestricted {
            crate::policy::Grants::All
        } else {
            crate::policy::Grants::Scopes(std::sync::Arc::new(self.scopes.clone()))
        }
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.unrestricted || self.scopes.contains(scope.as_str())
    }
}

/// Why a presented token was refused. The message is safe to show.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the authorization header must be `Bearer <token>`")]
    NotBearer,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("no key can verify this token ({0})")]
    NoKey(String),
    #[error("the key set cannot be read: {0}")]
    KeySet(String),
}

/// An HS256 token for local development, signed with the configured shared secret.
pub fn dev_token(
    config: &AuthConfig,
    subject: &str,
    scopes: &str,
    ttl: std::time::Duration,
) -> Result<String, AuthError> {
    let secret = config
        .hs256_secret
        .as_deref()
        .ok_or_else(|| AuthError::NoKey("dev tokens need --jwt-hs256-secret".into()))?;
    let expires =
        chrono::Utc::now().timestamp() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
    let mut claims = serde_json::json!({ "sub": subject, "scope": scopes, "exp": expires });
    if let Some(issuer) = &config.issuer {
        claims["iss"] = issuer.clone().into();
    }
    if let Some(audience) = &config.audience {
        claims["aud"] = audience.clone().into();
    }
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())
        .map_err(|e| AuthError::Invalid(e.to_string()))?;
    jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::HS256), &claims, &key)
        .map_err(|e| AuthError::Invalid(e.to_string()))
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: Option<String>,
    /// Space-separated scopes (OAuth 2).
    scope: Option<String>,
    /// Scopes as an array (Azure, Okta).
    scp: Option<Vec<String>>,
}

/// Verifies tokens against the configured keys.
#[derive(Debug)]
pub struct Authenticator {
    config: AuthConfig,
    jwks: Option<keys::JwksFile>,
    jwks_url: Option<jwks_url::JwksUrl>,
}

impl Authenticator {
    /// Reads the key file now, so that a broken configuration stops the start. A JWKS URL
    /// is fetched on first use (or by [`Authenticator::prefetch`]).
    pub fn new(config: AuthConfig) -> Result<Self, AuthError> {
        let jwks = match &config.jwks_file {
            Some(path) => Some(keys::JwksFile::open(path.clone())?),
            None => None,
        };
        let jwks_url = match &config.jwks_url {
            Some(url) => Some(jwks_url::JwksUrl::new(
                url.clone(),
                config
                    .jwks_min_refresh
                    .unwrap_or(jwks_url::DEFAULT_MIN_REFRESH),
            )?),
            None => None,
        };
        Ok(Authenticator {
            config,
            jwks,
            jwks_url,
        })
    }

    /// Fetches the JWKS URL's keys now, when one is configured.
    pub async fn prefetch(&self) -> Result<(), AuthError> {
        match &self.jwks_url {
            Some(url) => url.prefetch().await,
            None => Ok(()),
        }
    }

    /// An authenticator with no keys: everything is allowed.
    pub fn disabled() -> Self {
        Authenticator {
            config: AuthConfig::default(),
            jwks: None,
            jwks_url: None,
        }
    }

    /// True when tokens are checked.
    pub fn enabled(&self) -> bool {
        self.config.hs256_secret.is_some() || self.jwks.is_some() || self.jwks_url.is_some()
    }

    pub fn trusts_actor_header(&self) -> bool {
        self.config.trust_actor_header
    }

    /// The principal of an `Authorization` header value (or its absence).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        if !self.enabled() {
            return Ok(Principal::unrestricted());
        }
        let Some(authorization) = authorization.map(str::trim).filter(|a| !a.is_empty()) else {
            return Ok(Principal::anonymous());
        };
        let token = authorization
            .strip_prefix("Bearer ")
            .or_else(|| authorization.strip_prefix("bearer "))
            .ok_or(AuthError::NotBearer)?
            .trim();
        self.verify(token).await
    }

    async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let header = decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let key = match header.alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                let secret = self
                    .config
                    .hs256_secret
                    .as_deref()
                    .ok_or_else(|| AuthError::NoKey("no shared secret is configured".into()))?;
                jsonwebtoken::DecodingKey::from_secret(secret.as_bytes())
                    .map_err(|e| AuthError::Invalid(e.to_string()))?
            }
            alg => self.asymmetric_key(header.kid.as_deref(), alg).await?,
        };
        // Only the header's algorithm, and only with a key of its family (no confusion).
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        match &self.config.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        if let Some(issuer) = &self.config.issuer {
            validation.set_issuer(&[issuer]);
        }
        let claims = decode::<Claims>(token, &key, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?
            .claims;
        let mut scopes: BTreeSet<String> = claims
            .scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        scopes.extend(claims.scp.unwrap_or_default());
        Ok(Principal {
            subject: claims.sub,
            scopes,
            authenticated: true,
            unrestricted: false,
        })
    }
}

impl Authenticator {
    /// The public key for `kid`: from the key file, else from the JWKS URL.
    async fn asymmetric_key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<jsonwebtoken::DecodingKey, AuthError> {
        let from_file = self.jwks.as_ref().map(|file| file.key(kid, alg));
        match (from_file, &self.jwks_url) {
            (Some(Ok(key)), _) => Ok(key),
            (Some(Err(AuthError::NoKey(_))) | None, Some(url)) => url.key(kid, alg).await,
            (Some(Err(error)), _) => Err(error),
            (None, None) => Err(AuthError::NoKey("no key set is configured".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dev_tokens_verify_and_need_the_secret() {
        let config = AuthConfig {
            hs256_secret: Some("s".into()),
            issuer: Some("i".into()),
            audience: Some("a".into()),
            ..AuthConfig::default()
        };
        let scopes = "metadata:read metadata:write";
        let token = dev_token(&config, "dev", scopes, std::time::Duration::from_secs(60)).unwrap();
        let principal = Authenticator::new(config)
            .unwrap()
            .authenticate(Some(&format!("Bearer {token}")))
            .await
            .unwrap();
        assert_eq!(principal.subject.as_deref(), Some("dev"));
        assert!(principal.has(Scope::Write) && !principal.has(Scope::Admin));
        assert!(
            dev_token(
                &AuthConfig::default(),
                "dev",
                scopes,
                std::time::Duration::from_secs(60)
            )
            .is_err()
        );
    }
}
