//! The delivery bookkeeping behind named consumers (see migration `m0006`): register,
//! claim with a lease, complete, fail with backoff into a dead letter (see
//! [`super::dead_letters`] for reading and retrying those).
//!
//! A claim takes, per entity, only the head of its queue (its oldest pending delivery,
//! leased ones included; see [`super::heads`]). So a consumer sees each entity's events in
//! order even with several workers: the next one of an entity waits until the previous one
//! is done or dead. PostgreSQL workers skip rows another worker has locked (`SKIP
//! LOCKED`); a lease (`available_at`) hands a crashed worker's deliveries to another after
//! it expires.

use std::collections::HashMap;
use std::time::Duration;

use entity::metadata_event;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, TransactionTrait, Value,
};
use uuid::Uuid;

use super::worker::HandlerError;
use super::{covered, dialect, heads};

pub use super::dead_letters::{DeadLetter, dead_letters, retry_event};

/// Due heads (see [`super::heads`]), earliest due first, leased for `$3` seconds: a range
/// scan of a partial index that holds one row per entity with a backlog, so a claim costs
/// the same however long the backlog is.
const CLAIM_POSTGRES: &str = "WITH next AS (
     SELECT consumer, event_id FROM _metadata_deliveries
      WHERE consumer = $1 AND state = 'pending' AND head AND available_at <= {now}
      ORDER BY available_at, event_id LIMIT $2
      FOR NO KEY UPDATE SKIP LOCKED)
 UPDATE _metadata_deliveries d
    SET attempts = d.attempts + 1, available_at = {now_plus $3}
   FROM next WHERE d.consumer = next.consumer AND d.event_id = next.event_id
 RETURNING d.event_id, d.attempts, d.master_id";

/// The same on SQLite.
const CLAIM_SQLITE: &str = "UPDATE _metadata_deliveries
    SET attempts = attempts + 1, available_at = {now_plus $3}
  WHERE consumer = $1 AND event_id IN (
     SELECT event_id FROM _metadata_deliveries
      WHERE consumer = $1 AND state = 'pending' AND head AND available_at <= {now}
      ORDER BY available_at, event_id LIMIT $2)
 RETURNING event_id, attempts, master_id";

/// A delivery a worker now holds the lease of.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub event_id: i64,
    /// The event, or why its row could not be read (it then goes straight to the dead
    /// letters instead of holding back the rest of the batch).
    pub event: Result<metadata_event::Model, String>,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// For a consumer that handles an entity's current state
    /// ([`super::worker::EventHandler::handles_current_state`]): the entity's other pending
    /// deliveries, read after the claim. Their events were committed before the handler
    /// reads the state, so handling this one handles them too; they are completed with it.
    pub covers: Vec<i64>,
}

/// Registers (or refreshes) a consumer: from now on every new event gets a delivery for it.
/// Ephemeral consumers (one per server process) are pruned when their heartbeat stops.
pub async fn register_consumer(
    db: &DatabaseConnection,
    name: &str,
    max_attempts: i32,
    ephemeral: bool,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO _metadata_consumers (name, max_attempts, ephemeral) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET max_attempts = EXCLUDED.max_attempts, heartbeat_at = {now}";
    let values = vec![name.into(), max_attempts.into(), ephemeral.into()];
    dialect::execute(db, sql, values).await.map(drop)
}

/// Removes the ephemeral consumers whose heartbeat is older than `ttl` (their pending
/// deliveries go with them): those of server processes that died.
pub async fn prune_stale_consumers(db: &DatabaseConnection, ttl: Duration) -> Result<(), DbErr> {
    let prune = "DELETE FROM _metadata_consumers WHERE ephemeral AND heartbeat_at < {now_minus $1}";
    dialect::execute(db, prune, vec![ttl.as_secs_f64().into()])
        .await
        .map(drop)
}

pub async fn unregister_consumer(db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    let sql = "DELETE FROM _metadata_consumers WHERE name = $1";
    dialect::execute(db, sql, vec![name.into()]).await.map(drop)
}

/// Claims up to `limit` due deliveries of `consumer` for `lease`, oldest first, at most one
/// per entity (the oldest pending one). With `cover`, each claimed delivery also carries
/// the other pending deliveries of its entity (see [`Claimed::covers`]).
#[tracing::instrument(name = "events.claim", skip(db), level = "debug")]
pub async fn claim(
    db: &DatabaseConnection,
    consumer: &str,
    limit: u64,
    lease: Duration,
    cover: bool,
) -> Result<Vec<Claimed>, DbErr> {
    let values = vec![
        consumer.into(),
        (limit as i64).into(),
        lease.as_secs_f64().into(),
    ];
    // PostgreSQL skips rows other workers hold; SQLite's writers are serialized anyway.
    let template = match db.get_database_backend() {
        DatabaseBackend::Postgres => CLAIM_POSTGRES,
        _ => CLAIM_SQLITE,
    };
    let rows = db
        .query_all_raw(dialect::statement(db, template, values))
        .await?;
    let mut heads = HashMap::new();
    for row in rows {
        let id: i64 = row.try_get("", "event_id")?;
        let attempts: i32 = row.try_get("", "attempts")?;
        let master_id: Uuid = row.try_get("", "master_id")?;
        heads.insert(id, (attempts, master_id));
    }
    let mut ids: Vec<i64> = heads.keys().copied().collect();
    ids.sort_unstable();
    let mut events = read_events(db, &ids).await?;
    let mut behind = if cover {
        let masters: Vec<Uuid> = ids.iter().map(|id| heads[id].1).collect();
        covered::pending_behind(db, consumer, &masters).await?
    } else {
        HashMap::new()
    };
    Ok(ids
        .into_iter()
        .map(|id| Claimed {
            event_id: id,
            event: events
                .remove(&id)
                .unwrap_or_else(|| Err("the event no longer exists".into())),
            attempts: heads[&id].0,
            covers: behind.remove(&heads[&id].1).unwrap_or_default(),
        })
        .collect())
}

/// The events with these ids, in one statement. If that fails, each is read on its own:
/// a row that cannot be decoded while the database answers is reported as unreadable (it
/// will be dead-lettered), so it cannot hold back the rest of the batch.
pub(super) async fn read_events(
    db: &DatabaseConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Result<metadata_event::Model, String>>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let all = metadata_event::Entity::find()
        .filter(metadata_event::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await;
    if let Ok(events) = all {
        return Ok(events.into_iter().map(|e| (e.id, Ok(e))).collect());
    }
    let mut found = HashMap::with_capacity(ids.len());
    for &id in ids {
        match metadata_event::Entity::find_by_id(id).one(db).await {
            Ok(Some(event)) => {
                found.insert(id, Ok(event));
            }
            Ok(None) => {}
            Err(error) => {
                // Only the row is at fault when its id alone can still be read.
                let probe = dialect::statement(
                    db,
                    "SELECT id FROM _metadata_events WHERE id = $1",
                    vec![id.into()],
                );
                db.query_one_raw(probe).await?;
                found.insert(id, Err(error.to_string()));
            }
        }
    }
    Ok(found)
}

/// Pushes the lease of these (still running) deliveries `lease` into the future.
pub async fn extend_leases(
    db: &DatabaseConnection,
    consumer: &str,
    event_ids: &[i64],
    lease: Duration,
) -> Result<(), DbErr> {
    if event_ids.is_empty() {
        return Ok(());
    }
    let (list, ids) = dialect::id_list(event_ids, 3);
    let sql = format!(
        "UPDATE _metadata_deliveries SET available_at = {{now_plus $2}}
          WHERE consumer = $1 AND state = 'pending' AND event_id IN ({list})"
    );
    let mut values: Vec<Value> = vec![consumer.into(), lease.as_secs_f64().into()];
    values.extend(ids);
    dialect::execute(db, &sql, values).await.map(drop)
}

/// The consumer handled these events (and the deliveries they cover, see
/// [`Claimed::covers`]): their bookkeeping rows go, in one transaction.
#[tracing::instrument(name = "events.complete", skip(db, event_ids, covered), fields(count = event_ids.len(), covered = covered.len()), level = "debug")]
pub async fn complete_many(
    db: &DatabaseConnection,
    consumer: &str,
    event_ids: &[i64],
    covered: &[i64],
) -> Result<(), DbErr> {
    if event_ids.is_empty() {
        return Ok(());
    }
    let mut attempt = 0;
    loop {
        let outcome = async {
            let tx = db.begin().await?;
            let gone = delete_deliveries(&tx, consumer, event_ids).await?;
            covered::delete(&tx, consumer, covered).await?;
            let masters: Vec<Uuid> = gone.iter().filter(|g| g.2).map(|g| g.1).collect();
            heads::promote(&tx, consumer, &masters).await?;
            tx.commit().await
        }
        .await;
        match outcome {
            Err(error) if attempt < COMPLETE_RETRIES && crate::db::is_transient(&error) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(10 << attempt)).await;
            }
            other => return other,
        }
    }
}

/// How often a completion runs again after waiting too long for a writer's lock.
const COMPLETE_RETRIES: u32 = 5;

/// Deletes the deliveries; returns (event id, master id, was head) of each. On PostgreSQL
/// it waits at most 200 ms for a writer that holds one of these heads (the writer is about
/// to commit): never long enough to become part of a deadlock the writer would lose
/// (PostgreSQL checks for those after `deadlock_timeout`, 1 s by default).
async fn delete_deliveries(
    tx: &DatabaseTransaction,
    consumer: &str,
    event_ids: &[i64],
) -> Result<Vec<(i64, Uuid, bool)>, DbErr> {
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        tx.execute_unprepared("SET LOCAL lock_timeout = '200ms'")
            .await?;
    }
    let (list, ids) = dialect::id_list(event_ids, 2);
    let sql = format!(
        "DELETE FROM _metadata_deliveries WHERE consumer = $1 AND event_id IN ({list})
         RETURNING event_id, master_id, head"
    );
    let mut values: Vec<Value> = vec![consumer.into()];
    values.extend(ids);
    let rows = tx
        .query_all_raw(dialect::statement(tx, &sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "event_id")?,
                row.try_get("", "master_id")?,
                row.try_get("", "head")?,
            ))
        })
        .collect()
}

/// The consumer failed: retry after an exponential backoff, or park the delivery as dead
/// once it has used the consumer's `max_attempts` (at once for a permanent failure). Only
/// the error's public `reason` is stored: dead letters are shown to API clients.
#[tracing::instrument(name = "events.fail", skip(db, claimed), fields(event = claimed.event_id, reason = %error.reason))]
pub async fn fail(
    db: &DatabaseConnection,
    claimed: &Claimed,
    consumer: &str,
    error: &HandlerError,
) -> Result<(), DbErr> {
    // The row lock first: a writer adding to this queue waits, then sees the promoted head.
    let lock = match db.get_database_backend() {
        DatabaseBackend::Postgres => "FOR UPDATE",
        _ => "",
    };
    let sql = format!(
        "UPDATE _metadata_deliveries SET last_error = $3,
            state = CASE WHEN $5 OR attempts >= (SELECT max_attempts FROM _metadata_consumers WHERE name = $1)
                         THEN 'dead' ELSE 'pending' END,
            available_at = {{now_plus $4}}
      WHERE consumer = $1 AND event_id IN (
            SELECT event_id FROM _metadata_deliveries WHERE consumer = $1 AND event_id = $2 {lock})
      RETURNING state, head, master_id"
    );
    let reason: String = error.reason.chars().take(500).collect();
    let delay = backoff(claimed.attempts).as_secs_f64();
    let values = vec![
        consumer.into(),
        claimed.event_id.into(),
        reason.into(),
        delay.into(),
        error.permanent.into(),
    ];
    let tx = db.begin().await?;
    let row = tx
        .query_one_raw(dialect::statement(&tx, &sql, values))
        .await?;
    if let Some(row) = row {
        let state: String = row.try_get("", "state")?;
        if state == "dead" && row.try_get::<bool>("", "head")? {
            let bury = "UPDATE _metadata_deliveries SET head = false WHERE consumer = $1 AND event_id = $2";
            dialect::execute(&tx, bury, vec![consumer.into(), claimed.event_id.into()]).await?;
            heads::promote(&tx, consumer, &[row.try_get("", "master_id")?]).await?;
        }
    }
    tx.commit().await
}

/// Backoff before attempt `attempts + 1`: 0.5 s doubling, at most 5 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    Duration::from_millis(500u64.saturating_mul(1 << exponent)).min(Duration::from_secs(300))
}
