//! The localization view of a metadata document: translations per locale and their status.

use std::collections::BTreeSet;

use async_graphql::SimpleObject;
use serde_json::Value;

use crate::localization::{TranslationState, flatten, localization_of, source_hash};

/// How far the translations of one locale are.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct TranslationStatus {
    /// The target locale, e.g. `es`.
    pub locale: String,
    /// The provider of the latest translations (`pseudo`, `apertium`, …), if any.
    pub provider: Option<String>,
    /// Keys translated from their current source text.
    pub translated: i32,
    /// Keys not translated yet (new, changed or waiting for the worker).
    pub missing: i32,
    /// Keys whose translation was rejected, with the reason.
    pub failed: Vec<FailedTranslation>,
    /// Why the whole locale failed on the last run (e.g. no engine for it), if it did.
    pub error: Option<String>,
}

/// A key whose translation was rejected (e.g. its placeholders did not survive).
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct FailedTranslation {
    /// The dot-path key in the scripts (arrays by index).
    pub key: String,
    /// Why it was rejected.
    pub reason: String,
}

/// `scripts_translations[locale]` of a document.
pub fn translations_of(document: &Value, locale: &str) -> Option<Value> {
    localization_of(document)?
        .get("scripts_translations")?
        .get(locale)
        .cloned()
}

/// The status of every locale the document targets or has translations for.
pub fn status_of(document: &Value) -> Vec<TranslationStatus> {
    let Some(localization) = localization_of(document) else {
        return Vec::new();
    };
    let sources = localization.get("scripts").map(flatten).unwrap_or_default();
    let state: TranslationState = localization
        .get("translation_state")
        .and_then(|state| serde_json::from_value(state.clone()).ok())
        .unwrap_or_default();
    let errors = localization
        .get("translation_errors")
        .and_then(Value::as_object);
    // The document's target locales in its order; else every locale known so far.
    let locales: Vec<String> = match localization.get("target_locales").and_then(Value::as_array) {
        Some(targets) => {
            let mut seen = BTreeSet::new();
            targets
                .iter()
                .filter_map(Value::as_str)
                .filter(|l| seen.insert(*l))
                .map(str::to_owned)
                .collect()
        }
        None => {
            let known = state
                .locales
                .keys()
                .cloned()
                .chain(errors.into_iter().flat_map(|e| e.keys().cloned()));
            known.collect::<BTreeSet<_>>().into_iter().collect()
        }
    };
    locales
        .into_iter()
        .map(|locale| {
            let texts = translations_of(document, &locale)
                .map(|tree| flatten(&tree))
                .unwrap_or_default();
            let known = state.locales.get(&locale);
            let mut translated = 0;
            let mut failed = Vec::new();
            for (key, source) in &sources {
                let hash = source_hash(source);
                if known.is_some_and(|s| s.translated.get(key) == Some(&hash))
                    && texts.contains_key(key)
                {
                    translated += 1;
                } else if let Some(failure) = known
                    .and_then(|s| s.failed.get(key))
                    .filter(|f| f.source_hash == hash)
                {
                    failed.push(FailedTranslation {
                        key: key.clone(),
                        reason: failure.reason.clone(),
                    });
                }
            }
            TranslationStatus {
                provider: known.map(|s| s.provider.clone()).filter(|p| !p.is_empty()),
                missing: (sources.len() - translated - failed.len()) as i32,
                translated: translated as i32,
                failed,
                error: errors
                    .and_then(|e| e.get(&locale))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                locale,
            }
        })
        .collect()
}
