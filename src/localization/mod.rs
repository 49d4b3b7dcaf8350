//! Localization pipeline core: flattening source strings, change detection, placeholder
//! masking and machine-translation providers (all database-free), and the consumer that
//! runs them on entity events (`handler`).

pub mod flatten;
mod handler;
pub mod hashing;
pub mod placeholders;
pub mod plan;
mod settings;
mod state;
mod status;
pub mod translator;
mod updates;

pub use flatten::{flatten, unflatten};
pub use handler::{CONSUMER, LocalizationHandler, Outcome};
pub use hashing::source_hash;
pub use placeholders::{
    Masked, PlaceholderError, check_same_placeholders, mask, placeholders_of, unmask,
};
pub use plan::{Applied, Plan, apply, plan, translate_plan};
pub use settings::{LocalizationConfig, Settings, localization_of};
pub use state::{FailedKey, KeyStatus, LocaleState, TranslationState};
pub use status::{LocaleStatus, status_of, translations_of};
pub use translator::{TranslateError, Translator, TranslatorConfig, from_config};
pub use updates::{TranslationChange, translation_changes};
