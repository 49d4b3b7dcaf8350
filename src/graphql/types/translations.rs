//! The localization view of an entity: GraphQL shapes of [`crate::localization::status_of`].

use async_graphql::SimpleObject;

use crate::localization::LocaleStatus;
pub use crate::localization::translations_of;

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

impl From<LocaleStatus> for TranslationStatus {
    fn from(status: LocaleStatus) -> Self {
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        TranslationStatus {
            provider: status.provider,
            translated: count(status.translated),
            missing: count(status.missing),
            failed: status
                .failed
                .into_iter()
                .map(|(key, reason)| FailedTranslation { key, reason })
                .collect(),
            error: status.error,
            locale: status.locale,
        }
    }
}

/// The status of every locale of a document.
pub fn status_of(document: &serde_json::Value) -> Vec<TranslationStatus> {
    crate::localization::status_of(document)
        .into_iter()
        .map(TranslationStatus::from)
        .collect()
}
