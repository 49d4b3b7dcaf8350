//! Who is writing: the service marks its own write transactions so that the event
//! triggers can record the origin (`api`, `localization`) and the actor; anything
//! unmarked is recorded as `sql`.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

use super::WriteTransaction;
use crate::policy::Grants;

/// The longest actor name recorded; longer ones are cut.
pub const MAX_ACTOR_LEN: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OriginKind {
    Api,
    Localization,
    Reconcile,
}

impl OriginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::Api => "api",
            OriginKind::Localization => "localization",
            OriginKind::Reconcile => "reconcile",
        }
    }
}

/// The origin and (when known) the actor of a service write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOrigin {
    pub kind: OriginKind,
    pub actor: Option<String>,
    /// The writer's scopes, for the protected paths of metadata policies.
    pub grants: Grants,
}

impl WriteOrigin {
    /// An API write on behalf of `actor` (the token's subject), holding `grants`.
    pub fn api(actor: Option<&str>, grants: Grants) -> Self {
        let actor = actor
            .map(str::trim)
            .filter(|actor| !actor.is_empty())
            .map(|actor| actor.chars().take(MAX_ACTOR_LEN).collect());
        WriteOrigin {
            kind: OriginKind::Api,
            actor,
            grants,
        }
    }

    /// A write of the localization worker.
    pub fn localization() -> Self {
        WriteOrigin {
            kind: OriginKind::Localization,
            actor: Some("localization-worker".into()),
            grants: Grants::All,
        }
    }

    /// A drift repair (`reconcile --repair`), which may write any path.
    pub fn reconcile() -> Self {
        WriteOrigin {
            kind: OriginKind::Reconcile,
            actor: Some("reconcile".into()),
            grants: Grants::All,
        }
    }

    /// A maintenance command's batch (`attach`, `detach`): origin `reconcile`, the command
    /// as actor.
    pub fn maintenance(command: &str) -> Self {
        WriteOrigin {
            kind: OriginKind::Reconcile,
            actor: Some(command.to_owned()),
            grants: Grants::All,
        }
    }

    /// Marks `tx` for the event triggers. PostgreSQL: transaction-local settings.
    /// SQLite (whose writers are serialized): the one-row `_metadata_write_context`,
    /// removed again by [`WriteOrigin::unmark`] before commit.
    pub(super) async fn mark(&self, tx: &WriteTransaction) -> Result<(), DbErr> {
        let backend = tx.get_database_backend();
        let values = vec![self.kind.as_str().into(), self.actor.clone().into()];
        let sql = match backend {
            DatabaseBackend::Postgres => {
                "SELECT set_config('metadata_synergy.origin', $1, true), \
                 set_config('metadata_synergy.actor', coalesce($2, ''), true)"
            }
            _ => {
                "INSERT OR REPLACE INTO _metadata_write_context (id, origin, actor) VALUES (1, ?, ?)"
            }
        };
        tx.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }

    pub(super) async fn unmark(tx: &WriteTransaction) -> Result<(), DbErr> {
        if tx.get_database_backend() == DatabaseBackend::Sqlite {
            tx.execute_unprepared("DELETE FROM _metadata_write_context")
                .await?;
        }
        Ok(())
    }
}
