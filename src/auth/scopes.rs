//! The scopes and the guard every root field carries.

use async_graphql::{Context, Guard, Result};

use super::Principal;
use crate::graphql::ErrorCode;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every query and subscription.
    Read,
    /// Creating, changing and deleting entities and their metadata.
    Write,
    /// Dead letters, `retryEvent`, `retranslate`.
    Admin,
    /// Scraping `/metrics` (admin tokens may too).
    Metrics,
}

impl Scope {
    /// The scope's name in tokens and in the SDL's `@requiresScopes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "metadata:read",
            Scope::Write => "metadata:write",
            Scope::Admin => "metadata:admin",
            Scope::Metrics => "metadata:metrics",
        }
    }
}

/// Lets a field run only for a principal with the scope: `UNAUTHENTICATED` without a
/// valid token, `FORBIDDEN` with one that lacks the scope (the rest of the response stays).
pub struct ScopeGuard(pub Scope);

impl Guard for ScopeGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match ctx.data_opt::<Principal>() {
            Some(principal) if principal.has(self.0) => Ok(()),
            Some(principal) if principal.authenticated => {
                Err(ErrorCode::Forbidden
                    .error(format!("this needs the `{}` scope", self.0.as_str())))
            }
            _ => Err(ErrorCode::Unauthenticated.error(format!(
                "this needs a bearer token with the `{}` scope",
                self.0.as_str()
            ))),
        }
    }
}
