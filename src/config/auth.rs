//! Flags of authentication and the audit actor.

use std::path::PathBuf;

use clap::Args;

use crate::auth::AuthConfig;

#[derive(Clone, Debug, Args)]
pub struct AuthArgs {
    /// Shared secret of HS256/384/512 bearer tokens.
    #[arg(long, env = "JWT_HS256_SECRET", hide_env_values = true, global = true)]
    pub jwt_hs256_secret: Option<String>,
    /// A JWKS file with the public keys of RS/ES/PS/EdDSA tokens; re-read when it changes.
    #[arg(long, env = "JWKS_FILE", global = true)]
    pub jwks_file: Option<PathBuf>,
    /// The identity provider's JWKS endpoint (`https://…/.well-known/jwks.json`): fetched at
    /// start, cached, refreshed on an unknown key id at most every 30 s and every 10 minutes.
    #[arg(long, env = "JWKS_URL", global = true)]
    pub jwks_url: Option<String>,
    /// The `iss` tokens must carry.
    #[arg(long, env = "JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// The `aud` tokens must carry.
    #[arg(long, env = "JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// Record the `x-actor` header as the actor of writes whose token has no subject (only
    /// behind a gateway that authenticated the user and sets it).
    #[arg(long, env = "TRUST_ACTOR_HEADER", global = true)]
    pub trust_actor_header: bool,
    /// Serve without authentication on a non-loopback address (never in production).
    #[arg(long, env = "INSECURE_NO_AUTH", global = true)]
    pub insecure_no_auth: bool,
}

impl AuthArgs {
    pub fn auth_config(&self) -> AuthConfig {
        AuthConfig {
            hs256_secret: self.jwt_hs256_secret.clone().filter(|s| !s.is_empty()),
            jwks_file: self.jwks_file.clone(),
            jwks_url: self.jwks_url.clone().filter(|url| !url.is_empty()),
            jwks_min_refresh: None,
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
            trust_actor_header: self.trust_actor_header,
        }
    }
}
