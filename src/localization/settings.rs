//! Where the pipeline reads and writes inside a metadata document:
//!
//! ```json
//! { "service_specific": { "localization": {
//!     "scripts": { ... source strings ... },
//!     "source_locale": "en",                 // optional, else the configured default
//!     "target_locales": ["es", "ca"],        // optional, else the configured default
//!     "scripts_translations": { "es": { ...same shape as scripts... } },   // written
//!     "translation_state": { "source_hashes": {..}, "locales": {..} },     // written
//!     "translation_errors": { "ja": "no apertium mode for en→ja" }         // written
//! } } }
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Applied, TranslationState, flatten, unflatten};

/// Defaults for documents that do not name their locales.
#[derive(Clone, Debug)]
pub struct LocalizationConfig {
    pub source_locale: String,
    pub default_target_locales: Vec<String>,
}

/// What one document asks for and what it already has.
#[derive(Clone, Debug)]
pub struct Settings {
    pub scripts: Value,
    pub source_locale: String,
    pub target_locales: Vec<String>,
    pub state: TranslationState,
    /// Locale → flat key → current translated text.
    pub translations: BTreeMap<String, BTreeMap<String, String>>,
}

/// The `service_specific.localization` object of a document, if any.
pub fn localization_of(document: &Value) -> Option<&Map<String, Value>> {
    document
        .get("service_specific")?
        .get("localization")?
        .as_object()
}

impl Settings {
    /// Reads the settings of `document`; `None` when it has no scripts to translate.
    pub fn read(document: &Value, config: &LocalizationConfig) -> Option<Settings> {
        let localization = localization_of(document)?;
        let scripts = localization
            .get("scripts")
            .filter(|s| s.is_object() || s.is_array())?
            .clone();
        let source_locale = localization
            .get("source_locale")
            .and_then(Value::as_str)
            .unwrap_or(&config.source_locale)
            .to_owned();
        let target_locales = match localization.get("target_locales").and_then(Value::as_array) {
            Some(locales) => locales
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            None => config.default_target_locales.clone(),
        };
        let state = TranslationState::of(localization);
        let translations = localization
            .get("scripts_translations")
            .and_then(Value::as_object)
            .map(|by_locale| {
                by_locale
                    .iter()
                    .map(|(locale, tree)| (locale.clone(), flatten(tree)))
                    .collect()
            })
            .unwrap_or_default();
        Some(Settings {
            scripts,
            source_locale,
            target_locales,
            state,
            translations,
        })
    }

    /// `document` with the outcome of a run written into its localization object.
    pub fn write_back(&self, document: &Value, applied: &Applied) -> Value {
        let mut document = document.clone();
        let Some(localization) = document
            .get_mut("service_specific")
            .and_then(|s| s.get_mut("localization"))
            .and_then(Value::as_object_mut)
        else {
            return document;
        };
        let translations: Map<String, Value> = applied
            .translations
            .iter()
            .map(|(locale, flat)| (locale.clone(), unflatten(flat, &self.scripts)))
            .collect();
        localization.insert("scripts_translations".into(), Value::Object(translations));
        let state = serde_json::to_value(&applied.state).unwrap_or(Value::Null);
        localization.insert("translation_state".into(), state);
        if applied.locale_errors.is_empty() {
            localization.remove("translation_errors");
        } else {
            let errors = applied
                .locale_errors
                .iter()
                .map(|(l, e)| (l.clone(), Value::String(e.clone())))
                .collect();
            localization.insert("translation_errors".into(), Value::Object(errors));
        }
        document
    }
}
