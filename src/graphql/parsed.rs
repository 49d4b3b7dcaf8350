//! Parsed operations by their text. Clients and gateways send the same few operations over
//! and over, and parsing them (async-graphql's pest grammar) is the most expensive step
//! before validation that does not depend on the variables. Bounded: texts of at most
//! [`MAX_TEXT_BYTES`], at most [`CAPACITY`] documents and [`MAX_CACHED_TEXT_BYTES`] of text
//! in all, least recently used first out. (Estimated, not measured: a parsed field takes a
//! few hundred bytes, so a text of one field per two characters parses into ~100× its size,
//! which puts the worst case near 13 MB.) A text only reaches the
//! cache after the text limits passed, and a document only after the document limits did.
//!
//! A document also records which of its operations passed async-graphql's strict
//! validation (see [`super::fast_validation`]).

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
    documents: LruCache<String, Parsed>,
    text_bytes: usize,
}

struct Parsed {
    document: Arc<ExecutableDocument>,
    /// The operation names (`None`: the request named none) that passed strict validation.
    validated: Vec<Option<String>>,
}

/// What the cache knew of a request's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known {
    /// Nothing: the request is parsed as usual.
    Nothing,
    /// Its document, now handed to the request.
    Parsed,
    /// Its document, and that the request's operation passed strict validation before.
    Validated,
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
    /// Hands `request` the document its text was parsed into before, if any (when there is
    /// none, the request is parsed as usual, and [`ParsedQueries::remember`]ed).
    pub fn reuse(&self, request: &mut Request) -> Known {
        if !cacheable(&request.query) {
            return Known::Nothing;
        }
        let (document, validated) = {
            let mut cache = self.lock();
            let Some(parsed) = cache.documents.get(request.query.as_str()) else {
                return Known::Nothing;
            };
            let operation = request.operation_name.as_deref();
            let validated = parsed
                .validated
                .iter()
                .any(|name| name.as_deref() == operation);
            (parsed.document.clone(), validated)
        };
        // The copy is made outside the lock.
        request.set_parsed_query(ExecutableDocument::clone(&document));
        if validated {
            Known::Validated
        } else {
            Known::Parsed
        }
    }

    /// Records that `operation_name` of the document kept under `text` passed strict
    /// validation (nothing when the document is no longer kept).
    pub fn mark_validated(&self, text: &str, operation_name: Option<&str>) {
        let mut cache = self.lock();
        let Some(parsed) = cache.documents.peek_mut(text) else {
            return;
        };
        if !parsed
            .validated
            .iter()
            .any(|name| name.as_deref() == operation_name)
        {
            parsed.validated.push(operation_name.map(str::to_owned));
        }
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
        let parsed = Parsed {
            document: Arc::new(document.clone()),
            validated: Vec::new(),
        };
        let mut cache = self.lock();
        cache.text_bytes += text.len();
        if let Some((old, _)) = cache.documents.push(text, parsed) {
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
pub fn cacheable(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_TEXT_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_parsed_once_and_its_document_reused() {
        let cache = ParsedQueries::default();
        let mut first = Request::new("{ a b { c } }");
        assert_eq!(cache.reuse(&mut first), Known::Nothing);
        cache.remember(&mut first);
        let mut second = Request::new("{ a b { c } }");
        assert_eq!(cache.reuse(&mut second), Known::Parsed);
        assert_eq!(
            format!("{:?}", second.parsed_query().unwrap()),
            format!("{:?}", first.parsed_query().unwrap())
        );
        assert_eq!(cache.reuse(&mut Request::new("{ a }")), Known::Nothing);
    }

    #[test]
    fn validation_is_remembered_per_operation_name() {
        let cache = ParsedQueries::default();
        let text = "query A { a } query B { b }";
        let named = |name: &str| Request::new(text).operation_name(name);
        cache.remember(&mut named("A"));
        cache.mark_validated(text, Some("A"));
        cache.mark_validated(text, Some("A"));
        assert_eq!(cache.reuse(&mut named("A")), Known::Validated);
        assert_eq!(cache.reuse(&mut named("B")), Known::Parsed);
        assert_eq!(cache.reuse(&mut Request::new(text)), Known::Parsed);
        cache.mark_validated("{ never kept }", None);
        assert_eq!(
            cache.reuse(&mut Request::new("{ never kept }")),
            Known::Nothing
        );
        assert_eq!(
            cache.lock().documents.peek(text).unwrap().validated.len(),
            1
        );
    }

    #[test]
    fn long_and_unparsable_texts_are_not_kept() {
        let cache = ParsedQueries::default();
        let long = format!("{{ {} }}", "a ".repeat(MAX_TEXT_BYTES));
        let mut request = Request::new(long.clone());
        cache.remember(&mut request);
        assert_eq!(cache.reuse(&mut Request::new(long)), Known::Nothing);
        let mut broken = Request::new("{ a ");
        cache.remember(&mut broken);
        assert_eq!(cache.reuse(&mut Request::new("{ a ")), Known::Nothing);
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
        assert_eq!(
            cache.reuse(&mut Request::new(text(kept + 9))),
            Known::Parsed,
            "the newest stays"
        );
        assert_eq!(
            cache.reuse(&mut Request::new(text(0))),
            Known::Nothing,
            "the oldest went first"
        );
    }
}
