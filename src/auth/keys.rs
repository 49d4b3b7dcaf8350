//! A JWKS file of public keys, re-read when its modification time changes (key rotation
//! without a restart), and the key lookup shared with [`super::jwks_url`].

use std::path::PathBuf;
use std::sync::RwLock;
use std::time::SystemTime;

use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::AuthError;

#[derive(Debug)]
pub struct JwksFile {
    path: PathBuf,
    loaded: RwLock<(Option<SystemTime>, JwkSet)>,
}

impl JwksFile {
    pub fn open(path: PathBuf) -> Result<Self, AuthError> {
        let (modified, set) = read(&path)?;
        Ok(JwksFile {
            path,
            loaded: RwLock::new((modified, set)),
        })
    }

    /// The key with `kid` (or the only key, for a token without `kid`), usable for `alg`.
    pub fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, AuthError> {
        self.reload_if_changed()?;
        let loaded = self
            .loaded
            .read()
            .map_err(|_| AuthError::KeySet("poisoned".into()))?;
        key_from_set(&loaded.1, kid, alg)
    }

    fn reload_if_changed(&self) -> Result<(), AuthError> {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let current = self
            .loaded
            .read()
            .map_err(|_| AuthError::KeySet("poisoned".into()))?
            .0;
        if modified == current {
            return Ok(());
        }
        match read(&self.path) {
            Ok(fresh) => {
                if let Ok(mut loaded) = self.loaded.write() {
                    *loaded = fresh;
                }
            }
            // A half-written file during rotation: keep the keys we have.
            Err(error) => {
                tracing::warn!(%error, path = %self.path.display(), "re-reading the JWKS file failed")
            }
        }
        Ok(())
    }
}

/// The key of `set` with `kid` (or its only key, for a token without `kid`), refusing a
/// key declared for another algorithm than the token's.
pub fn key_from_set(
    set: &JwkSet,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<DecodingKey, AuthError> {
    let jwk = match kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
    .ok_or_else(|| AuthError::NoKey(format!("no key with kid {kid:?}")))?;
    if let Some(declared) = jwk.common.key_algorithm
        && declared != KeyAlgorithm::from(alg)
    {
        return Err(AuthError::Invalid(format!(
            "the key is for {declared}, the token says {alg:?}"
        )));
    }
    DecodingKey::from_jwk(jwk).map_err(|e| AuthError::Invalid(e.to_string()))
}

fn read(path: &PathBuf) -> Result<(Option<SystemTime>, JwkSet), AuthError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AuthError::KeySet(format!("{}: {e}", path.display())))?;
    let set: JwkSet = serde_json::from_str(&text)
        .map_err(|e| AuthError::KeySet(format!("{}: {e}", path.display())))?;
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    Ok((modified, set))
}
