//! Who is writing: the service marks its own write transactions so that the event
//! triggers can record the origin (`api`, `localization`) and the actor; anything
//! unmarked is recorded as `sql`.

use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, Statement};

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

    /// Marks `tx` for the event triggers (for [`super::WriteTransaction`], which marks
    /// itself once). PostgreSQL: transaction-local settings.
    /// SQLite (whose writers are serialized): the one-row `_metadata_write_context`,
    /// removed again by [`WriteOrigin::unmark`] before commit.
    pub(super) async fn mark(&self, tx: &DatabaseTransaction) -> Result<(), DbErr> {
        let backend = tx.get_database_backend();
        let statement = match backend {
            DatabaseBackend::Postgres => {
                let mut select = Query::select();
                for (expr, alias) in self.marking_columns() {
                    select.expr_as(expr, Alias::new(alias));
                }
                backend.build(&select)
            }
            _ => Statement::from_sql_and_values(
                backend,
                "INSERT OR REPLACE INTO _metadata_write_context (id, origin, actor) VALUES (1, ?, ?)",
                vec![self.kind.as_str().into(), self.actor.clone().into()],
            ),
        };
        tx.execute_raw(statement).await?;
        Ok(())
    }

    /// The PostgreSQL mark as select-list columns (with their aliases), for a statement
    /// that carries it (see `WriteTransaction::query_one_marking`).
    pub(super) fn marking_columns(&self) -> [(Expr, &'static str); 2] {
        let [origin, actor] = marking_sql(1, 1);
        [
            (
                Expr::cust_with_values(origin.0, [self.kind.as_str()]),
                origin.1,
            ),
            (
                Expr::cust_with_values(actor.0, [self.actor.clone()]),
                actor.1,
            ),
        ]
    }

    pub(super) async fn unmark(tx: &DatabaseTransaction) -> Result<(), DbErr> {
        if tx.get_database_backend() == DatabaseBackend::Sqlite {
            tx.execute_unprepared("DELETE FROM _metadata_write_context")
                .await?;
        }
        Ok(())
    }
}

/// The PostgreSQL mark's select-list expressions and aliases, taking the origin and the
/// actor (which may be null) from parameters `$origin` and `$actor`: the one place that
/// names the settings the event triggers read.
pub(super) fn marking_sql(origin: usize, actor: usize) -> [(String, &'static str); 2] {
    [
        (
            format!("set_config('metadata_synergy.origin', ${origin}, true)"),
            "marked_origin",
        ),
        (
            format!("set_config('metadata_synergy.actor', coalesce(${actor}, ''), true)"),
            "marked_actor",
        ),
    ]
}
