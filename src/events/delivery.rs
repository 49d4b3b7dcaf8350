//! The delivery bookkeeping behind named consumers (see migration `m0006`): register,
//! claim with a lease, complete, fail with backoff into a dead letter, retry.
//!
//! A claim takes, per entity, only its oldest pending delivery (leased ones included),
//! found with a window function and then looked up by an array of ids, so that its cost
//! stays linear whatever the planner's statistics say about this fast-churning table. So a
//! consumer sees each entity's events in order even with several workers: the next one of an entity waits
//! until the previous one is done or dead. PostgreSQL workers skip rows another worker
//! has locked (`FOR UPDATE SKIP LOCKED`); a lease (`available_at`) hands a crashed
//! worker's deliveries to another after it expires.

use std::collections::HashMap;
use std::time::Duration;

use entity::metadata_event;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Statement, Value,
};

use super::worker::HandlerError;

/// A delivery a worker now holds the lease of.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub event_id: i64,
    /// The event, or why its row could not be read (it then goes straight to the dead
    /// letters instead of holding back the rest of the batch).
    pub event: Result<metadata_event::Model, String>,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// A delivery that failed `max_attempts` times and waits for `retryEvent`.
#[derive(Clone, Debug)]
pub struct DeadLetter {
    pub consumer: String,
    pub event_id: i64,
    /// `None` when the event's row cannot be read (its `last_error` says so).
    pub event: Option<metadata_event::Model>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Registers (or refreshes) a consumer: from now on every new event gets a delivery for it.
/// Ephemeral consumers (one per server process) are pruned when their heartbeat stops.
pub async fn register_consumer(
    db: &DatabaseConnection,
    name: &str,
    max_attempts: i32,
    ephemeral: bool,
) -> Result<(), DbErr> {
    let sql = pick(
        db,
        "INSERT INTO _metadata_consumers (name, max_attempts, ephemeral) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET max_attempts = EXCLUDED.max_attempts, heartbeat_at = now()",
        "INSERT INTO _metadata_consumers (name, max_attempts, ephemeral) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET max_attempts = excluded.max_attempts,
             heartbeat_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
    );
    run(
        db,
        sql,
        vec![name.into(), max_attempts.into(), ephemeral.into()],
    )
    .await
    .map(drop)
}

/// Keeps an ephemeral consumer alive and removes those whose heartbeat is older than `ttl`
/// (their pending deliveries go with them).
pub async fn heartbeat(db: &DatabaseConnection, name: &str, ttl: Duration) -> Result<(), DbErr> {
    let touch = pick(
        db,
        "UPDATE _metadata_consumers SET heartbeat_at = now() WHERE name = $1",
        "UPDATE _metadata_consumers SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') WHERE name = ?1",
    );
    run(db, touch, vec![name.into()]).await?;
    let prune = pick(
        db,
        "DELETE FROM _metadata_consumers WHERE ephemeral AND heartbeat_at < now() - make_interval(secs => $1)",
        "DELETE FROM _metadata_consumers WHERE ephemeral
           AND heartbeat_at < strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || ?1 || ' seconds')",
    );
    run(db, prune, vec![ttl.as_secs_f64().into()])
        .await
        .map(drop)
}

pub async fn unregister_consumer(db: &DatabaseConnection, name: &str) -> Result<(), DbErr> {
    let sql = pick(
        db,
        "DELETE FROM _metadata_consumers WHERE name = $1",
        "DELETE FROM _metadata_consumers WHERE name = ?1",
    );
    run(db, sql, vec![name.into()]).await.map(drop)
}

/// Claims up to `limit` due deliveries of `consumer` for `lease`, oldest first, at most one
/// per entity (the oldest pending one).
pub async fn claim(
    db: &DatabaseConnection,
    consumer: &str,
    limit: u64,
    lease: Duration,
) -> Result<Vec<Claimed>, DbErr> {
    let sql = pick(
        db,
        "WITH next AS (
             SELECT d.consumer, d.event_id FROM _metadata_deliveries d
              WHERE d.consumer = $1 AND d.state = 'pending' AND d.available_at <= now()
                AND d.event_id = ANY (ARRAY(
                    SELECT event_id FROM (
                        SELECT event_id, available_at,
                               row_number() OVER (PARTITION BY master_id ORDER BY event_id) AS position
                          FROM _metadata_deliveries WHERE consumer = $1 AND state = 'pending') AS queue
                     WHERE position = 1 AND available_at <= now()
                     ORDER BY event_id LIMIT $2))
              FOR UPDATE OF d SKIP LOCKED)
         UPDATE _metadata_deliveries d
            SET attempts = d.attempts + 1, available_at = now() + make_interval(secs => $3)
           FROM next WHERE d.consumer = next.consumer AND d.event_id = next.event_id
         RETURNING d.event_id, d.attempts",
        "UPDATE _metadata_deliveries
            SET attempts = attempts + 1,
                available_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+' || ?3 || ' seconds')
          WHERE consumer = ?1 AND event_id IN (
             SELECT d.event_id FROM _metadata_deliveries d
              WHERE d.consumer = ?1 AND d.state = 'pending'
                AND d.available_at <= strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
                AND d.event_id IN (SELECT min(event_id) FROM _metadata_deliveries
                                    WHERE consumer = ?1 AND state = 'pending' GROUP BY master_id)
              ORDER BY d.event_id LIMIT ?2)
         RETURNING event_id, attempts",
    );
    let values = vec![
        consumer.into(),
        (limit as i64).into(),
        lease.as_secs_f64().into(),
    ];
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    let mut attempts_by_id = HashMap::new();
    for row in rows {
        let id: i64 = row.try_get("", "event_id")?;
        let attempts: i32 = row.try_get("", "attempts")?;
        attempts_by_id.insert(id, attempts);
    }
    let mut ids: Vec<i64> = attempts_by_id.keys().copied().collect();
    ids.sort_unstable();
    let mut events = read_events(db, &ids).await?;
    Ok(ids
        .into_iter()
        .map(|id| Claimed {
            event_id: id,
            event: events
                .remove(&id)
                .unwrap_or_else(|| Err("the event no longer exists".into())),
            attempts: attempts_by_id[&id],
        })
        .collect())
}

/// The events with these ids, in one statement. If that fails, each is read on its own:
/// a row that cannot be decoded while the database answers is reported as unreadable (it
/// will be dead-lettered), so it cannot hold back the rest of the batch.
async fn read_events(
    db: &DatabaseConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Result<metadata_event::Model, String>>, DbErr> {
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
                let probe = Statement::from_sql_and_values(
                    db.get_database_backend(),
                    pick(
                        db,
                        "SELECT id FROM _metadata_events WHERE id = $1",
                        "SELECT id FROM _metadata_events WHERE id = ?1",
                    ),
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
    let (list, mut values) = id_list(db, event_ids, 3);
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => format!(
            "UPDATE _metadata_deliveries SET available_at = now() + make_interval(secs => $2)
              WHERE consumer = $1 AND state = 'pending' AND event_id IN ({list})"
        ),
        _ => format!(
            "UPDATE _metadata_deliveries
                SET available_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+' || ?2 || ' seconds')
              WHERE consumer = ?1 AND state = 'pending' AND event_id IN ({list})"
        ),
    };
    let mut all: Vec<Value> = vec![consumer.into(), lease.as_secs_f64().into()];
    all.append(&mut values);
    run(db, &sql, all).await.map(drop)
}

/// Placeholders for `ids`, numbered from `first`, and their values.
fn id_list(db: &DatabaseConnection, ids: &[i64], first: usize) -> (String, Vec<Value>) {
    let sigil = match db.get_database_backend() {
        DatabaseBackend::Postgres => '$',
        _ => '?',
    };
    let list: Vec<String> = (first..first + ids.len())
        .map(|n| format!("{sigil}{n}"))
        .collect();
    (
        list.join(", "),
        ids.iter().map(|id| Value::from(*id)).collect(),
    )
}

/// The consumer handled these events: their bookkeeping rows go, in one statement.
pub async fn complete_many(
    db: &DatabaseConnection,
    consumer: &str,
    event_ids: &[i64],
) -> Result<(), DbErr> {
    if event_ids.is_empty() {
        return Ok(());
    }
    let (list, ids) = id_list(db, event_ids, 2);
    let sigil = match db.get_database_backend() {
        DatabaseBackend::Postgres => '$',
        _ => '?',
    };
    let sql = format!(
        "DELETE FROM _metadata_deliveries WHERE consumer = {sigil}1 AND event_id IN ({list})"
    );
    let mut values: Vec<Value> = vec![consumer.into()];
    values.extend(ids);
    run(db, &sql, values).await.map(drop)
}

/// The consumer failed: retry after an exponential backoff, or park the delivery as dead
/// once it has used the consumer's `max_attempts` (at once for a permanent failure). Only
/// the error's public `reason` is stored: dead letters are shown to API clients.
pub async fn fail(
    db: &DatabaseConnection,
    claimed: &Claimed,
    consumer: &str,
    error: &HandlerError,
) -> Result<(), DbErr> {
    let sql = pick(
        db,
        "UPDATE _metadata_deliveries SET last_error = $3,
                state = CASE WHEN $5 OR attempts >= (SELECT max_attempts FROM _metadata_consumers WHERE name = $1)
                             THEN 'dead' ELSE 'pending' END,
                available_at = now() + make_interval(secs => $4)
          WHERE consumer = $1 AND event_id = $2",
        "UPDATE _metadata_deliveries SET last_error = ?3,
                state = CASE WHEN ?5 OR attempts >= (SELECT max_attempts FROM _metadata_consumers WHERE name = ?1)
                             THEN 'dead' ELSE 'pending' END,
                available_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+' || ?4 || ' seconds')
          WHERE consumer = ?1 AND event_id = ?2",
    );
    let reason: String = error.reason.chars().take(500).collect();
    let delay = backoff(claimed.attempts).as_secs_f64();
    run(
        db,
        sql,
        vec![
            consumer.into(),
            claimed.event_id.into(),
            reason.into(),
            delay.into(),
            error.permanent.into(),
        ],
    )
    .await
    .map(drop)
}

/// Backoff before attempt `attempts + 1`: 0.5 s doubling, at most 5 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    Duration::from_millis(500u64.saturating_mul(1 << exponent)).min(Duration::from_secs(300))
}

/// Dead deliveries of `consumer`, oldest first.
pub async fn dead_letters(
    db: &DatabaseConnection,
    consumer: &str,
    limit: u64,
) -> Result<Vec<DeadLetter>, DbErr> {
    let sql = pick(
        db,
        "SELECT event_id, attempts, last_error FROM _metadata_deliveries
          WHERE consumer = $1 AND state = 'dead' ORDER BY event_id LIMIT $2",
        "SELECT event_id, attempts, last_error FROM _metadata_deliveries
          WHERE consumer = ?1 AND state = 'dead' ORDER BY event_id LIMIT ?2",
    );
    let values = vec![consumer.into(), (limit as i64).into()];
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    let mut letters = Vec::with_capacity(rows.len());
    for row in &rows {
        letters.push(DeadLetter {
            consumer: consumer.to_owned(),
            event_id: row.try_get("", "event_id")?,
            event: None,
            attempts: row.try_get("", "attempts")?,
            last_error: row.try_get("", "last_error")?,
        });
    }
    let ids: Vec<i64> = letters.iter().map(|letter| letter.event_id).collect();
    let mut events = read_events(db, &ids).await?;
    for letter in &mut letters {
        letter.event = events.remove(&letter.event_id).and_then(Result::ok);
    }
    Ok(letters)
}

/// Puts the dead deliveries of an event (for every consumer) back in line with fresh
/// attempts. Returns how many there were.
pub async fn retry_event(db: &DatabaseConnection, event_id: i64) -> Result<u64, DbErr> {
    let sql = pick(
        db,
        "UPDATE _metadata_deliveries SET state = 'pending', attempts = 0, available_at = now(), last_error = NULL
          WHERE event_id = $1 AND state = 'dead'",
        "UPDATE _metadata_deliveries SET state = 'pending', attempts = 0, last_error = NULL,
                available_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
          WHERE event_id = ?1 AND state = 'dead'",
    );
    run(db, sql, vec![event_id.into()]).await
}

fn pick(db: &DatabaseConnection, postgres: &'static str, sqlite: &'static str) -> &'static str {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => postgres,
        _ => sqlite,
    }
}

async fn run(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    Ok(db.execute_raw(statement).await?.rows_affected())
}
