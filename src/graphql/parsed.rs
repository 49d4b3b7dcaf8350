//! Parsed operations by their text. Clients and gateways send the same few operations over
//! and over, and parsing them (async-graphql's pest grammar) is the most expensive step
//! before validation that does not depend on the variables. Bounded: at most
//! [`CAPACITY`] documents, each of a text of at most [`MAX_TEXT_BYTES`]; longer texts are
//! parsed every time. A text only reaches the cache after the text limits passed, and a
//! document only after the document limits passed.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents kept (least recently used dropped first).
pub const CAPACITY: NonZeroUsize = NonZeroUsize::new(256).unwrap();
/// The longest query text whose document is kept.
pub const MAX_TEXT_BYTES: usize = 4096;

#[derive(Clone)]
pub struct ParsedQueries(Arc<Mutex<LruCache<String, ExecutableDocument>>>);

impl Default for ParsedQueries {
    fn default() -> Self {
        ParsedQueries(Arc::new(Mutex::new(LruCache::new(CAPACITY))))
    }
}

impl ParsedQueries {
    /// Hands `request` the document its text was parsed into before; false when there is
    /// none (the request is then parsed as usual, and [`ParsedQueries::remember`]ed).
    pub fn reuse(&self, request: &mut Request) -> bool {
        if !cacheable(&request.query) {
            return false;
        }
        let Some(document) = self.lock().get(request.query.as_str()).cloned() else {
            return false;
        };
        request.set_parsed_query(document);
        true
    }

    /// Keeps the document `request` was parsed into, under its text.
    pub fn remember(&self, request: &mut Request) {
        if !cacheable(&request.query) {
            return;
        }
        let text = request.query.clone();
        if let Ok(document) = request.parsed_query() {
            let document = document.clone();
            self.lock().put(text, document);
        }
    }

    fn lock(&self) -> MutexGuard<'_, LruCache<String, ExecutableDocument>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Texts the cache holds: not empty (a persisted query's document comes from its own
/// cache) and not longer than [`MAX_TEXT_BYTES`].
fn cacheable(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_TEXT_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_parsed_once_and_its_document_reused() {
        let cache = ParsedQueries::default();
        let mut first = Request::new("{ a b { c } }");
        assert!(!cache.reuse(&mut first));
        cache.remember(&mut first);
        let mut second = Request::new("{ a b { c } }");
        assert!(cache.reuse(&mut second));
        assert_eq!(
            format!("{:?}", second.parsed_query().unwrap()),
            format!("{:?}", first.parsed_query().unwrap())
        );
        assert!(!cache.reuse(&mut Request::new("{ a }")));
    }

    #[test]
    fn long_and_unparsable_texts_are_not_kept() {
        let cache = ParsedQueries::default();
        let long = format!("{{ {} }}", "a ".repeat(MAX_TEXT_BYTES));
        let mut request = Request::new(long.clone());
        cache.remember(&mut request);
        assert!(!cache.reuse(&mut Request::new(long)));
        let mut broken = Request::new("{ a ");
        cache.remember(&mut broken);
        assert!(!cache.reuse(&mut Request::new("{ a ")));
    }
}
