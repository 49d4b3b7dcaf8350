//! The status view of a document's localization: its translations per locale and how far
//! each locale is, by the same rule the worker plans with ([`LocaleState::key_status`]).

use std::collections::BTreeSet;

use serde_json::Value;

use super::state::{KeyStatus, LocaleState, TranslationState};
use super::{flatten, localization_of, source_hash};

/// How far the translations of one locale are.
#[derive(Clone, Debug, PartialEq)]
pub struct LocaleStatus {
    pub locale: String,
    /// The provider of the latest translations, if any.
    pub provider: Option<String>,
    pub translated: usize,
    pub missing: usize,
    /// Keys whose translation was rejected: (key, reason).
    pub failed: Vec<(String, String)>,
    /// Why the whole locale failed on the last run, if it did.
    pub error: Option<String>,
}

/// `scripts_translations[locale]` of a document.
pub fn translations_of(document: &Value, locale: &str) -> Option<Value> {
    localization_of(document)?
        .get("scripts_translations")?
        .get(locale)
        .cloned()
}

/// The status of every locale the document targets (in its order) or, without
/// `target_locales`, of every locale known so far.
pub fn status_of(document: &Value) -> Vec<LocaleStatus> {
    let Some(localization) = localization_of(document) else {
        return Vec::new();
    };
    let sources = localization.get("scripts").map(flatten).unwrap_or_default();
    let state = TranslationState::of(localization);
    let errors = localization
        .get("translation_errors")
        .and_then(Value::as_object);
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
    let empty = LocaleState::default();
    locales
        .into_iter()
        .map(|locale| {
            let texts = translations_of(document, &locale)
                .map(|tree| flatten(&tree))
                .unwrap_or_default();
            let known = state.locales.get(&locale);
            let locale_state = known.unwrap_or(&empty);
            let (mut translated, mut missing, mut failed) = (0, 0, Vec::new());
            for (key, source) in &sources {
                let has_text = texts.contains_key(key);
                match locale_state.key_status(key, &source_hash(source), has_text) {
                    KeyStatus::Translated => translated += 1,
                    KeyStatus::Failed(failure) => {
                        failed.push((key.clone(), failure.reason.clone()));
                    }
                    KeyStatus::Missing => missing += 1,
                }
            }
            LocaleStatus {
                provider: known.map(|s| s.provider.clone()).filter(|p| !p.is_empty()),
                translated,
                missing,
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
