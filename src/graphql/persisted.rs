//! Automatic persisted queries (Apollo's protocol, as async-graphql's extension of the same
//! name answers it): a client sends `extensions.persistedQuery.sha256Hash` with its query
//! once and the hash alone afterwards; a registered hash stands for its parsed document.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ServerResult};
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The registered queries of this process, least recently used dropped first.
#[derive(Clone)]
pub struct PersistedQueries(Arc<Mutex<LruCache<String, ExecutableDocument>>>);

#[derive(Deserialize)]
struct PersistedQuery {
    version: i32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

impl PersistedQueries {
    pub fn new(capacity: NonZeroUsize) -> Self {
        PersistedQueries(Arc::new(Mutex::new(LruCache::new(capacity))))
    }

    /// `request` with its `persistedQuery` extension resolved: a hash alone becomes the
    /// registered document (`PersistedQueryNotFound` when unknown, which makes Apollo
    /// clients resend the text); a text with its hash is registered and handed on parsed.
    pub fn resolve(&self, mut request: Request) -> ServerResult<Request> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return Ok(request);
        };
        let persisted: PersistedQuery = async_graphql::from_value(value).map_err(|_| {
            ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None)
        })?;
        if persisted.version != 1 {
            return Err(ServerError::new(
                format!(
                    "Only the \"PersistedQuery\" extension of version \"1\" is supported, and the current version is \"{}\".",
                    persisted.version
                ),
                None,
            ));
        }
        if request.query.is_empty() {
            let document = self.lock().get(&persisted.sha256_hash).cloned();
            return match document {
                Some(document) => Ok(with_document(request, document)),
                None => Err(ServerError::new("PersistedQueryNotFound", None)),
            };
        }
        let hash = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if persisted.sha256_hash != hash {
            return Err(ServerError::new("provided sha does not match query", None));
        }
        let document = async_graphql::parser::parse_query(&request.query)?;
        self.lock().put(hash, document.clone());
        request.query = String::new();
        Ok(with_document(request, document))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, ExecutableDocument>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn with_document(mut request: Request, document: ExecutableDocument) -> Request {
    request.set_parsed_query(document);
    request
}
