//! Parsed operations by their text. Clients and gateways send the same few operations over
//! and over, and parsing them (async-graphql's pest grammar) is the most expensive step
//! before validation that does not depend on the variables. Bounded: texts of at most
//! [`MAX_TEXT_BYTES`], at most [`CAPACITY`] documents and [`MAX_CACHED_TEXT_BYTES`] of text
//! in all, least recently used first out. (Estimated, not measured: a parsed field takes a
//! few hundred bytes, so a text of one field per two characters parses into ~100× its size,
//! which puts the worst case near 13 MB.) A text only reaches the
//! cache after the text limits passed, and a document only after the document limits did.

use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents kept.
pub const CAPACITY: usize = 256;
/// The longest query text whose document is kept.
pub const MAX_TEXT_BYTES: usize = 4096;
/// The texts of all kept documents together.
pub const MAX_CACHED_TEXT_BYTES: usize = 128 * 1024;

#[derive(Clone, Default)]
pub struct ParsedQueries(Arc<Mutex<Cache>>);

struct Cache {
    documents: LruCache<String, Arc<ExecutableDocument>>,
    text_bytes: usize,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            documents: LruCache::unbounded(),
            text_bytes: 0,
        }
    }
}

impl ParsedQueries {
    /// Hands `request` the document its text was parsed into before; false when there is
    /// none (the request is then parsed as usual, and [`ParsedQueries::remember`]ed).
    pub fn reuse(&self, request: &mut Request) -> bool {
        if !cacheable(&request.query) {
            return false;
        }
        let Some(document) = self.lock().documents.get(request.query.as_str()).cloned() else {
            return false;
        };
        // The copy is made outside the lock.
        request.set_parsed_query(ExecutableDocument::clone(&document));
        true
    }

    /// Keeps the document `request` was parsed into (call only when it parsed), under its
    /// text.
    pub fn remember(&self, request: &mut Request) {
        if !cacheable(&request.query) {
            return;
        }
        let text = request.query.clone();
        let Ok(document) = request.parsed_query() else {
            return;
        };
        let document = Arc::new(document.clone());
        let mut cache = self.lock();
        cache.text_bytes += text.len();
        if let Some((old, _)) = cache.documents.push(text, document) {
            cache.text_bytes -= old.len();
        }
        while cache.documents.len() > CAPACITY || cache.text_bytes > MAX_CACHED_TEXT_BYTES {
            match cache.documents.pop_lru() {
                Some((old, _)) => cache.text_bytes -= old.len(),
                None => break,
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
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

    #[test]
    fn the_cache_keeps_within_its_text_budget() {
        let cache = ParsedQueries::default();
        let text = |n: usize| format!("{{ f{n} {} }}", "x ".repeat(1900));
        let kept = MAX_CACHED_TEXT_BYTES / text(0).len();
        for n in 0..kept + 10 {
            cache.remember(&mut Request::new(text(n)));
        }
        let state = cache.lock();
        assert!(state.text_bytes <= MAX_CACHED_TEXT_BYTES);
        assert_eq!(
            state.text_bytes,
            state
                .documents
                .iter()
                .map(|(text, _)| text.len())
                .sum::<usize>()
        );
        assert!(
            state.documents.len() >= kept - 1,
            "{}",
            state.documents.len()
        );
        drop(state);
        assert!(
            cache.reuse(&mut Request::new(text(kept + 9))),
            "the newest stays"
        );
        assert!(
            !cache.reuse(&mut Request::new(text(0))),
            "the oldest went first"
        );
    }
}
