//! Change detection: which keys to translate into which locales, and the state kept in the
//! metadata document between runs.
//!
//! The state remembers, per flat key, the hash of the source text (see
//! [`source_hash`]) and, per locale, which source hash each translation was made from and
//! which keys failed. A key is planned for a locale when it is new, when its source changed
//! since it was translated, or when its translated text is gone. A key whose last attempt
//! failed is **not** retried automatically while its source hash stays the same (the failure
//! is about that text, e.g. a placeholder the translator keeps breaking); editing the source
//! or clearing the state ([`TranslationState::forget_patch`], for a "retranslate") plans it
//! again. A failure of a whole locale (provider down, unsupported locale) is not recorded
//! per key, so those keys are planned again next time.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::flatten::flatten;
use super::hashing::source_hash;
use super::placeholders::{check_same_placeholders, mask, unmask};
use super::state::{FailedKey, KeyStatus, LocaleState, TranslationState};
use super::translator::Translator;

/// The work to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Every target locale → the `(flat key, source text)` pairs to translate (maybe none).
    pub per_locale: BTreeMap<String, Vec<(String, String)>>,
    /// Keys known before (in the state or a previous translation) and gone from the scripts.
    pub removed: Vec<String>,
}

/// Per locale: a failure of the whole locale, or per key the translation or why it failed.
pub type LocaleResults = Result<BTreeMap<String, Result<String, String>>, String>;

/// The outcome of [`apply`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The state to store.
    pub state: TranslationState,
    /// Locale → flat key → translated text, ready for [`super::flatten::unflatten`] with the
    /// scripts as shape.
    pub translations: BTreeMap<String, BTreeMap<String, String>>,
    /// Locales that failed as a whole, with the reason.
    pub locale_errors: BTreeMap<String, String>,
}

/// Decides what to translate; see the module documentation. `previous_translations` is the
/// flattened current translation of each locale.
pub fn plan(
    scripts: &Value,
    previous: Option<&TranslationState>,
    previous_translations: &BTreeMap<String, BTreeMap<String, String>>,
    target_locales: &[String],
) -> Plan {
    let flat = flatten(scripts);
    let empty_state = LocaleState::default();
    let empty_texts = BTreeMap::new();
    let mut per_locale = BTreeMap::new();
    for locale in target_locales {
        let state = previous
            .and_then(|p| p.locales.get(locale))
            .unwrap_or(&empty_state);
        let texts = previous_translations.get(locale).unwrap_or(&empty_texts);
        let todo = flat
            .iter()
            .filter(|(key, text)| {
                let status = state.key_status(key, &source_hash(text), texts.contains_key(*key));
                status == KeyStatus::Missing
            })
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect();
        per_locale.insert(locale.clone(), todo);
    }
    let mut known: BTreeSet<&String> = BTreeSet::new();
    if let Some(p) = previous {
        known.extend(p.source_hashes.keys());
        for ls in p.locales.values() {
            known.extend(ls.translated.keys().chain(ls.failed.keys()));
        }
    }
    known.extend(previous_translations.values().flat_map(BTreeMap::keys));
    let removed = known
        .into_iter()
        .filter(|k| !flat.contains_key(*k))
        .cloned()
        .collect();
    Plan {
        per_locale,
        removed,
    }
}

/// Merges the `results` of carrying out `plan` into the new state and translations.
///
/// For each locale of the plan (locales not in it are dropped): unchanged keys keep their
/// text and state; a planned key that succeeded gets the new text, one that failed gets a
/// [`FailedKey`] and no text; keys of a locale that failed as a whole (or with no result)
/// lose their stale text and are planned again next time. Removed keys disappear. The
/// locale's `provider` becomes `provider` when at least one key succeeded.
pub fn apply(
    scripts: &Value,
    previous: Option<&TranslationState>,
    previous_translations: &BTreeMap<String, BTreeMap<String, String>>,
    plan: &Plan,
    results: &BTreeMap<String, LocaleResults>,
    provider: &str,
) -> Applied {
    let hashes: BTreeMap<String, String> = flatten(scripts)
        .into_iter()
        .map(|(k, t)| (k, source_hash(&t)))
        .collect();
    let mut out = Applied::default();
    let empty_texts = BTreeMap::new();
    for (locale, planned) in &plan.per_locale {
        let before = previous
            .and_then(|p| p.locales.get(locale))
            .cloned()
            .unwrap_or_default();
        let old_texts = previous_translations.get(locale).unwrap_or(&empty_texts);
        let planned: BTreeSet<&String> = planned.iter().map(|(k, _)| k).collect();
        let result = results.get(locale);
        if let Some(Err(reason)) = result {
            out.locale_errors.insert(locale.clone(), reason.clone());
        }
        let mut state = LocaleState {
            provider: before.provider.clone(),
            ..LocaleState::default()
        };
        let mut texts = BTreeMap::new();
        for (key, hash) in &hashes {
            if !planned.contains(key) {
                match (before.translated.get(key), old_texts.get(key)) {
                    (Some(h), Some(text)) if h == hash => {
                        state.translated.insert(key.clone(), hash.clone());
                        texts.insert(key.clone(), text.clone());
                    }
                    _ => {}
                }
                if let Some(f) = before.failed.get(key).filter(|f| &f.source_hash == hash) {
                    state.failed.insert(key.clone(), f.clone());
                }
                continue;
            }
            match result
                .and_then(|r| r.as_ref().ok())
                .and_then(|keys| keys.get(key))
            {
                Some(Ok(text)) => {
                    state.translated.insert(key.clone(), hash.clone());
                    texts.insert(key.clone(), text.clone());
                    state.provider = provider.to_owned();
                }
                Some(Err(reason)) => {
                    let failed = FailedKey {
                        source_hash: hash.clone(),
                        reason: reason.clone(),
                    };
                    state.failed.insert(key.clone(), failed);
                }
                None => {}
            }
        }
        if state.provider.is_empty() {
            state.provider = provider.to_owned();
        }
        out.state.locales.insert(locale.clone(), state);
        out.translations.insert(locale.clone(), texts);
    }
    out.state.source_hashes = hashes;
    out
}

/// Translates every locale of `plan` with one `translator` call per locale.
///
/// Each source is masked first, unmasked after, then checked with
/// [`check_same_placeholders`]; a key failing either is `Err(reason)` while the other keys
/// and locales go on. A failing call makes the whole locale `Err(reason)`.
#[tracing::instrument(name = "localization.translate", skip_all, fields(provider = translator.provider(), source_locale))]
pub async fn translate_plan(
    translator: &dyn Translator,
    source_locale: &str,
    plan: &Plan,
) -> BTreeMap<String, LocaleResults> {
    let mut out = BTreeMap::new();
    for (locale, items) in &plan.per_locale {
        if items.is_empty() {
            out.insert(locale.clone(), Ok(BTreeMap::new()));
            continue;
        }
        let masked: Vec<_> = items.iter().map(|(_, source)| mask(source)).collect();
        let texts: Vec<String> = masked.iter().map(|m| m.text.clone()).collect();
        let started = std::time::Instant::now();
        let translated = translator.translate(source_locale, locale, &texts).await;
        crate::observability::record_translation(
            translator.provider(),
            translated.is_ok(),
            started.elapsed(),
        );
        let result = match translated {
            Err(e) => Err(e.to_string()),
            Ok(outputs) if outputs.len() != texts.len() => Err(format!(
                "translation provider returned {} texts for {}",
                outputs.len(),
                texts.len()
            )),
            Ok(outputs) => Ok(items
                .iter()
                .zip(&masked)
                .zip(outputs)
                .map(|(((key, source), m), translated)| {
                    let checked = unmask(&translated, m)
                        .and_then(|text| check_same_placeholders(source, &text).map(|()| text))
                        .map_err(|e| e.to_string());
                    (key.clone(), checked)
                })
                .collect()),
        };
        out.insert(locale.clone(), result);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localization::flatten::unflatten;
    use crate::localization::translator::{TranslateError, pseudo::PseudoTranslator};
    use futures_util::future::BoxFuture;
    use serde_json::json;

    fn locales(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// One full pipeline run with the pseudo translator.
    async fn run(scripts: &Value, prev: Option<&Applied>, targets: &[String]) -> (Plan, Applied) {
        let empty = BTreeMap::new();
        let (state, texts) = prev.map_or((None, &empty), |a| (Some(&a.state), &a.translations));
        let p = plan(scripts, state, texts, targets);
        let results = translate_plan(&PseudoTranslator, "en", &p).await;
        let applied = apply(scripts, state, texts, &p, &results, "pseudo");
        (p, applied)
    }

    fn thousand_keys() -> Value {
        Value::Object(
            (0..1000)
                .map(|i| (format!("k{i:04}"), json!(format!("Text number {i}"))))
                .collect(),
        )
    }

    #[tokio::test]
    async fn changing_one_of_1000_keys_plans_exactly_one_per_locale() {
        let mut scripts = thousand_keys();
        let targets = locales(&["es", "fr"]);
        let (first, applied) = run(&scripts, None, &targets).await;
        assert!(first.per_locale.values().all(|v| v.len() == 1000));
        assert_eq!(applied.translations["es"].len(), 1000);

        let (again, _) = run(&scripts, Some(&applied), &targets).await;
        assert!(
            again.per_locale.values().all(Vec::is_empty),
            "nothing changed"
        );

        scripts["k0500"] = json!("Edited text");
        let (p, next) = run(&scripts, Some(&applied), &targets).await;
        for locale in &targets {
            assert_eq!(
                p.per_locale[locale],
                vec![("k0500".to_owned(), "Edited text".to_owned())]
            );
            assert_eq!(next.translations[locale]["k0500"], "[Éðíţéð ţéẋţ~~~~]");
            assert_eq!(
                next.translations[locale]["k0001"],
                applied.translations[locale]["k0001"]
            );
        }
        assert!(p.removed.is_empty());
    }

    #[tokio::test]
    async fn removed_key_loses_translations_and_state() {
        let mut scripts = json!({"a": "Alpha", "b": {"c": "Gamma"}, "n": 3});
        let targets = locales(&["es"]);
        let (_, applied) = run(&scripts, None, &targets).await;
        assert!(applied.translations["es"].contains_key("b.c"));
        scripts["b"] = json!({});
        let (p, next) = run(&scripts, Some(&applied), &targets).await;
        assert_eq!(p.removed, vec!["b.c".to_owned()]);
        assert!(p.per_locale["es"].is_empty());
        assert_eq!(
            next.translations["es"].keys().collect::<Vec<_>>(),
            vec!["a"]
        );
        assert!(!next.state.source_hashes.contains_key("b.c"));
        assert!(!next.state.locales["es"].translated.contains_key("b.c"));
        assert_eq!(
            unflatten(&next.translations["es"], &scripts),
            json!({"a": "[Áĺþĥá~~]", "b": {}})
        );
    }

    #[tokio::test]
    async fn new_locale_plans_all_keys_and_dropped_locale_goes() {
        let scripts = json!({"a": "One", "b": ["Two", "Three"]});
        let (_, applied) = run(&scripts, None, &locales(&["es"])).await;
        let (p, next) = run(&scripts, Some(&applied), &locales(&["de", "es"])).await;
        assert_eq!(p.per_locale["de"].len(), 3);
        assert!(p.per_locale["es"].is_empty());
        assert_eq!(next.translations["de"].len(), 3);
        let (_, only_de) = run(&scripts, Some(&next), &locales(&["de"])).await;
        assert_eq!(only_de.state.locales.keys().collect::<Vec<_>>(), vec!["de"]);
    }

    /// Echoes its input, except that it breaks the first placeholder of texts containing
    /// "Break", and refuses the locale "ja".
    struct Corrupting;

    impl Translator for Corrupting {
        fn provider(&self) -> &'static str {
            "corrupting"
        }
        fn translate<'a>(
            &'a self,
            _: &'a str,
            target: &'a str,
            texts: &'a [String],
        ) -> BoxFuture<'a, Result<Vec<String>, TranslateError>> {
            Box::pin(async move {
                if target == "ja" {
                    return Err(TranslateError::UnsupportedLocale {
                        target: target.into(),
                        reason: "no pair".into(),
                    });
                }
                Ok(texts
                    .iter()
                    .map(|t| {
                        if t.contains("Break") {
                            t.replacen("__PH0__", "{Nombre}", 1)
                        } else {
                            format!("ES {t}")
                        }
                    })
                    .collect())
            })
        }
    }

    #[tokio::test]
    async fn corrupted_placeholder_fails_only_that_key_and_is_not_retried() {
        let mut scripts = json!({"ok": "Hi {name}", "bad": "Break {name}", "plain": "Bye"});
        let targets = locales(&["es", "ja"]);
        let p = plan(&scripts, None, &BTreeMap::new(), &targets);
        let results = translate_plan(&Corrupting, "en", &p).await;
        let es = results["es"].as_ref().expect("es goes on");
        assert_eq!(es["ok"], Ok("ES Hi {name}".to_owned()));
        assert_eq!(es["plain"], Ok("ES Bye".to_owned()));
        assert_eq!(
            es["bad"],
            Err("placeholders missing from the translation: {name}".to_owned())
        );
        assert_eq!(
            results["ja"],
            Err("cannot translate into 'ja': no pair".to_owned())
        );

        let applied = apply(&scripts, None, &BTreeMap::new(), &p, &results, "corrupting");
        assert_eq!(applied.translations["es"].len(), 2);
        assert_eq!(
            applied.state.locales["es"].failed["bad"].reason,
            es["bad"].clone().unwrap_err()
        );
        assert!(
            applied.translations["ja"].is_empty() && applied.state.locales["ja"].failed.is_empty()
        );
        assert_eq!(applied.locale_errors.keys().collect::<Vec<_>>(), vec!["ja"]);

        // Same hash: "bad" is not planned again for es; ja (failed as a whole) is retried.
        let again = plan(
            &scripts,
            Some(&applied.state),
            &applied.translations,
            &targets,
        );
        assert!(again.per_locale["es"].is_empty());
        assert_eq!(again.per_locale["ja"].len(), 3);
        // Editing the source, or clearing the state, plans it again.
        scripts["bad"] = json!("Break {name} now");
        let edited = plan(
            &scripts,
            Some(&applied.state),
            &applied.translations,
            &locales(&["es"]),
        );
        assert_eq!(
            edited.per_locale["es"],
            vec![("bad".to_owned(), "Break {name} now".to_owned())]
        );
        // What `retranslate` does: the forget patch, applied to the stored state.
        let mut document = json!({ "service_specific": { "localization": {
            "translation_state": serde_json::to_value(&applied.state).unwrap() } } });
        let forget = TranslationState::forget_patch(Some(&locales(&["es"])));
        crate::sync::apply_merge_patch(&mut document, &forget);
        let cleared = TranslationState::of(
            document["service_specific"]["localization"]
                .as_object()
                .unwrap(),
        );
        assert_eq!(
            plan(
                &scripts,
                Some(&cleared),
                &applied.translations,
                &locales(&["es"])
            )
            .per_locale["es"]
                .len(),
            3
        );
    }

    #[test]
    fn corrupted_check_catches_literal_placeholder_changes() {
        // A translator returning a literal placeholder of its own (not via the token).
        let src = "Hi {name}";
        let m = mask(src);
        let text = unmask(&format!("{} {{Nombre}}", m.text), &m).expect("tokens intact");
        assert!(check_same_placeholders(src, &text).is_err());
    }
}
