//! What a localization write changed, per locale: computed once per event by the
//! subscription fan-out and shared by every subscriber.

use std::collections::BTreeSet;

use entity::metadata_event::{self, EventKind, EventOrigin};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::{TranslationState, flatten, localization_of};
use crate::events::document_at;

/// New translations of one locale written by one event.
#[derive(Clone, Debug, PartialEq)]
pub struct TranslationChange {
    pub locale: String,
    /// Dot-path keys added, changed, removed or translated again.
    pub changed_keys: Vec<String>,
    /// The locale's translated scripts after the write.
    pub translations: Value,
    pub provider: Option<String>,
}

/// One change per locale whose translations a localization event changed (compared with
/// the version before it); none for other events.
#[tracing::instrument(name = "localization.translation_changes", skip_all, fields(event = event.id), level = "debug")]
pub async fn translation_changes(
    db: &DatabaseConnection,
    event: &metadata_event::Model,
) -> Vec<TranslationChange> {
    if event.origin != EventOrigin::Localization || event.kind != EventKind::Updated {
        return Vec::new();
    }
    let previous = match document_at(db, event.master_id, event.version - 1).await {
        Ok(previous) => previous.unwrap_or(Value::Null),
        Err(error) => {
            tracing::warn!(%error, event = event.id, "reading the previous version for a translation update");
            Value::Null
        }
    };
    let (old_state, state) = (state_of(&previous), state_of(&event.document));
    let before = all_translations(&previous);
    let after = all_translations(&event.document);
    let locales: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    locales
        .into_iter()
        .filter_map(|l| {
            let old = before.get(l).map(flatten).unwrap_or_default();
            let new = after.get(l).map(flatten).unwrap_or_default();
            // Keys whose text changed, or that were translated again (e.g. after `retranslate`).
            let (old_made, new_made) = (made_from(&old_state, l), made_from(&state, l));
            let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            let changed_keys: Vec<String> = keys
                .into_iter()
                .filter(|k| old.get(*k) != new.get(*k) || old_made.get(*k) != new_made.get(*k))
                .cloned()
                .collect();
            (!changed_keys.is_empty()).then(|| TranslationChange {
                locale: l.clone(),
                changed_keys,
                translations: after.get(l).cloned().unwrap_or(Value::Null),
                provider: state
                    .locales
                    .get(l)
                    .map(|s| s.provider.clone())
                    .filter(|p| !p.is_empty()),
            })
        })
        .collect()
}

fn all_translations(document: &Value) -> serde_json::Map<String, Value> {
    localization_of(document)
        .and_then(|l| l.get("scripts_translations"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn state_of(document: &Value) -> TranslationState {
    localization_of(document)
        .map(TranslationState::of)
        .unwrap_or_default()
}

/// Key → hash of the source each translation of `locale` was made from.
fn made_from(state: &TranslationState, locale: &str) -> std::collections::BTreeMap<String, String> {
    state
        .locales
        .get(locale)
        .map(|l| l.translated.clone())
        .unwrap_or_default()
}
