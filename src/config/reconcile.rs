//! Options of `reconcile`.

use clap::ValueEnum;

/// `--prefer` of `reconcile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PreferSide {
    /// The entity's document.
    Entity,
    /// The master's document.
    Master,
    /// The side changed last by `updated_at` (the master on a tie).
    Newer,
}

impl From<PreferSide> for crate::orchestration::drift::Prefer {
    fn from(side: PreferSide) -> Self {
        match side {
            PreferSide::Entity => Self::Entity,
            PreferSide::Master => Self::Master,
            PreferSide::Newer => Self::Newer,
        }
    }
}
