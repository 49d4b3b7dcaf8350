//! Entity events: the audit history recorded by the `_metadata_events` triggers on every
//! write path, what is read from it, and its delivery to named consumers.

mod broadcast;
mod covered;
mod dead_letters;
pub mod delivery;
pub(crate) mod dialect;
mod heads;
mod history;
pub mod json_patch;
pub mod nats;
mod wakeup;
pub mod worker;

pub use broadcast::{Broadcaster, Published};
pub use history::{HistoryEntry, document_at, history_page};
pub use wakeup::{announce_commit, announce_commits, listen_for_events, notify_local};
