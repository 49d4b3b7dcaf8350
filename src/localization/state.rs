//! The translation bookkeeping a metadata document carries between runs, and the one rule
//! that says whether a key of a locale is translated, failed or missing. The worker's plan
//! ([`super::plan()`]) and the status API ([`super::status_of`]) both ask
//! [`LocaleState::key_status`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Translation bookkeeping stored in the metadata document (`translation_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TranslationState {
    /// Flat key → hash of its current source text.
    pub source_hashes: BTreeMap<String, String>,
    /// Locale → its state.
    pub locales: BTreeMap<String, LocaleState>,
}

/// What is known about one target locale.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LocaleState {
    /// The provider of the latest successful translations.
    pub provider: String,
    /// Flat key → hash of the source text it was translated from.
    pub translated: BTreeMap<String, String>,
    /// Flat key → the failure of its latest attempt.
    pub failed: BTreeMap<String, FailedKey>,
}

/// A key whose latest translation attempt failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FailedKey {
    /// Hash of the source text that failed.
    pub source_hash: String,
    /// Why, for users.
    pub reason: String,
}

/// Where one key of one locale stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus<'a> {
    /// Translated from the current source text, and the text is there.
    Translated,
    /// The latest attempt on the current source text failed; not retried until the source
    /// changes or the locale is retranslated.
    Failed(&'a FailedKey),
    /// New, changed since it was translated, or its translated text is gone: to translate.
    Missing,
}

impl TranslationState {
    /// The state in a document's localization object (empty when absent or unreadable).
    pub fn of(localization: &Map<String, Value>) -> TranslationState {
        localization
            .get("translation_state")
            .and_then(|state| serde_json::from_value(state.clone()).ok())
            .unwrap_or_default()
    }

    /// The RFC 7396 merge patch (on the whole document) that forgets the state of `locales`
    /// (all of them when `None`), so that the next run translates all their keys again,
    /// failed ones included.
    pub fn forget_patch(locales: Option<&[String]>) -> Value {
        let state = match locales {
            Some(locales) if !locales.is_empty() => {
                let cleared: Map<String, Value> =
                    locales.iter().map(|l| (l.clone(), Value::Null)).collect();
                json!({ "locales": cleared })
            }
            _ => Value::Null,
        };
        json!({ "service_specific": { "localization": { "translation_state": state } } })
    }
}

impl LocaleState {
    /// The status of `key`, whose current source text hashes to `source_hash`, given
    /// whether the locale's translations hold a text for it.
    pub fn key_status(&self, key: &str, source_hash: &str, has_text: bool) -> KeyStatus<'_> {
        if has_text && self.translated.get(key).is_some_and(|h| h == source_hash) {
            return KeyStatus::Translated;
        }
        match self.failed.get(key) {
            Some(failure) if failure.source_hash == source_hash => KeyStatus::Failed(failure),
            _ => KeyStatus::Missing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localization::source_hash;
    use crate::sync::apply_merge_patch;

    #[test]
    fn one_rule_for_translated_failed_and_missing() {
        let h = source_hash("Hi");
        let mut state = LocaleState::default();
        state.translated.insert("a".into(), h.clone());
        let failure = FailedKey {
            source_hash: h.clone(),
            reason: "broken placeholder".into(),
        };
        state.failed.insert("b".into(), failure.clone());
        assert_eq!(state.key_status("a", &h, true), KeyStatus::Translated);
        assert_eq!(
            state.key_status("a", &h, false),
            KeyStatus::Missing,
            "text gone"
        );
        assert_eq!(
            state.key_status("a", "other", true),
            KeyStatus::Missing,
            "source changed"
        );
        assert_eq!(
            state.key_status("b", &h, false),
            KeyStatus::Failed(&failure)
        );
        assert_eq!(state.key_status("b", "other", false), KeyStatus::Missing);
        assert_eq!(state.key_status("c", &h, false), KeyStatus::Missing);
    }

    #[test]
    fn the_forget_patch_clears_only_the_named_locales() {
        let mut document = json!({ "service_specific": { "localization": {
            "scripts": { "a": "Hi" },
            "translation_state": { "source_hashes": { "a": "h" }, "locales": {
                "es": { "provider": "p", "translated": { "a": "h" } },
                "ca": { "provider": "p", "translated": { "a": "h" } } } } } } });
        apply_merge_patch(
            &mut document,
            &TranslationState::forget_patch(Some(&["es".into()])),
        );
        let localization = document["service_specific"]["localization"]
            .as_object()
            .unwrap();
        let state = TranslationState::of(localization);
        assert!(!state.locales.contains_key("es"));
        assert!(state.locales.contains_key("ca"));
        assert_eq!(state.source_hashes.len(), 1);
        apply_merge_patch(&mut document, &TranslationState::forget_patch(None));
        let localization = document["service_specific"]["localization"]
            .as_object()
            .unwrap();
        assert!(localization.get("translation_state").is_none());
        assert_eq!(localization["scripts"], json!({ "a": "Hi" }));
    }

    #[test]
    fn state_json_layout() {
        let mut state = TranslationState::default();
        state
            .source_hashes
            .insert("steps.0.title".into(), source_hash("Hi"));
        let mut es = LocaleState {
            provider: "apertium".into(),
            ..LocaleState::default()
        };
        es.translated
            .insert("steps.0.title".into(), source_hash("Hi"));
        es.failed.insert(
            "x".into(),
            FailedKey {
                source_hash: source_hash("x"),
                reason: "r".into(),
            },
        );
        state.locales.insert("es".into(), es);
        let value = serde_json::to_value(&state).expect("serialize");
        let h = source_hash("Hi");
        let expected = json!({
            "source_hashes": {"steps.0.title": h},
            "locales": {"es": {
                "provider": "apertium",
                "translated": {"steps.0.title": h},
                "failed": {"x": {"source_hash": source_hash("x"), "reason": "r"}}
            }}
        });
        assert_eq!(value, expected);
        assert_eq!(
            serde_json::from_value::<TranslationState>(value).ok(),
            Some(state)
        );
        assert_eq!(
            serde_json::from_value::<TranslationState>(json!({})).ok(),
            Some(TranslationState::default())
        );
    }
}
