//! The localization consumer: for every event of any entity type, translate what changed
//! in `service_specific.localization.scripts` and write the translations back through the
//! sync path (so entity and master both get them), guarded by the version it read.
//!
//! Why it cannot loop: its own write produces an event too, but on that version every key
//! is up to date, so the plan is empty, the document it would write equals the current one,
//! and nothing is written — no translator call, no version bump, no further event.

use std::sync::Arc;

use entity::metadata_event;
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::settings::{LocalizationConfig, Settings};
use super::{Translator, apply, plan, translate_plan};
use crate::events::worker::{EventHandler, HandlerError};
use crate::policy::{Grants, PolicyError};
use crate::sync::{
    MetadataChange, Side, SyncError, WriteOrigin, find_master, in_write_transaction, same_document,
    write_metadata,
};

/// The consumer name of the localization worker.
pub const CONSUMER: &str = "localization";

/// Attempts at writing back before giving up on a document that keeps changing.
const MAX_REDOS: usize = 5;

/// What one run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The entity is gone, or its document has no scripts.
    NothingToDo,
    /// Everything was already up to date.
    UpToDate,
    /// New translations (or removals) were written.
    Written,
}

pub struct LocalizationHandler {
    db: DatabaseConnection,
    translator: Arc<dyn Translator>,
    config: LocalizationConfig,
}

impl LocalizationHandler {
    pub fn new(
        db: DatabaseConnection,
        translator: Arc<dyn Translator>,
        config: LocalizationConfig,
    ) -> Self {
        LocalizationHandler {
            db,
            translator,
            config,
        }
    }

    /// Brings the translations of `master_id` up to date with its current scripts.
    #[tracing::instrument(name = "localization.localize", skip(self))]
    pub async fn localize(&self, master_id: Uuid) -> Result<Outcome, SyncError> {
        for _ in 0..MAX_REDOS {
            let Some(master) = find_master(&self.db, master_id).await? else {
                return Ok(Outcome::NothingToDo);
            };
            let Some(settings) = Settings::read(&master.metadata, &self.config) else {
                return Ok(Outcome::NothingToDo);
            };
            let work = plan(
                &settings.scripts,
                Some(&settings.state),
                &settings.translations,
                &settings.target_locales,
            );
            let results = if work.per_locale.values().all(Vec::is_empty) {
                Default::default()
            } else {
                translate_plan(self.translator.as_ref(), &settings.source_locale, &work).await
            };
            let applied = apply(
                &settings.scripts,
                Some(&settings.state),
                &settings.translations,
                &work,
                &results,
                self.translator.provider(),
            );
            let next = settings.write_back(&master.metadata, &applied);
            if same_document(&next, &master.metadata) {
                return Ok(Outcome::UpToDate);
            }
            let change = MetadataChange::Replace(next);
            let written = in_write_transaction(&self.db, &WriteOrigin::localization(), |tx| {
                let change = change.clone();
                Box::pin(async move {
                    write_metadata(
                        tx,
                        Side::Master(master_id),
                        &change,
                        Some(master.version),
                        &Grants::All,
                    )
                    .await
                })
            })
            .await;
            match written {
                Ok(_) => return Ok(Outcome::Written),
                // The document changed while we translated: redo the work on the new version.
                Err(SyncError::VersionConflict { .. }) => continue,
                Err(SyncError::MasterNotFound(_) | SyncError::EntityNotFound { .. }) => {
                    return Ok(Outcome::NothingToDo);
                }
                Err(error) => return Err(error),
            }
        }
        Err(SyncError::InvalidMetadata(format!(
            "metadata master {master_id} kept changing during localization"
        )))
    }
}

impl EventHandler for LocalizationHandler {
    fn consumer(&self) -> &str {
        CONSUMER
    }

    /// [`LocalizationHandler::localize`] reads the master when called.
    fn handles_current_state(&self) -> bool {
        true
    }

    fn handle<'a>(
        &'a self,
        event: &'a metadata_event::Model,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            // Whatever the event (a `DELETED` one included: a repair may bring the master
            // back), the master as it is now is what counts.
            self.localize(event.master_id)
                .await
                .map(drop)
                .map_err(|error| {
                    let reason = match &error {
                        SyncError::Database(_) => "a database error interrupted localization",
                        SyncError::InvalidMetadata(_) => {
                            "the document kept changing during localization"
                        }
                        // No retry can make the translated document satisfy the policy.
                        SyncError::Policy(PolicyError::Violated { .. }) => {
                            return HandlerError::permanent(
                                "the translated document breaks the entity type's metadata policy",
                                error,
                            );
                        }
                        _ => "localization failed",
                    };
                    HandlerError::transient(reason, error)
                })
        })
    }
}
