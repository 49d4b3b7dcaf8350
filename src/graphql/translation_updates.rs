//! Turning the localization worker's events into per-locale `TranslationUpdate`s.

use std::collections::BTreeSet;

use entity::metadata_event;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::types::TranslationUpdate;
use crate::events::document_at;
use crate::localization::{TranslationState, flatten, localization_of};

/// One update per locale whose translations this event changed (compared with the
/// version before it), optionally only for `locale`.
pub async fn updates_of(
    db: &DatabaseConnection,
    event: &metadata_event::Model,
    locale: Option<&str>,
) -> Vec<TranslationUpdate> {
    if event.origin != "localization" || event.kind != "UPDATED" {
        return Vec::new();
    }
    let Ok(entity_type) = event.entity_type.parse::<crate::sync::EntityType>() else {
        return Vec::new();
    };
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
        .filter(|l| locale.is_none_or(|wanted| wanted == l.as_str()))
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
            (!changed_keys.is_empty()).then(|| TranslationUpdate {
                entity_type: entity_type.into(),
                entity_id: event.entity_id,
                master_id: event.master_id,
                locale: l.clone(),
                changed_keys,
                translations: async_graphql::Json(after.get(l).cloned().unwrap_or(Value::Null)),
                version: event.version,
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
        .and_then(|l| l.get("translation_state"))
        .and_then(|s| serde_json::from_value(s.clone()).ok())
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
