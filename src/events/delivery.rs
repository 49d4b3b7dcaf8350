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

use std::time::Duration;

use entity::metadata_event;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Statement, Value,
};

/// A delivery a worker now holds the lease of.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub event: metadata_event::Model,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// A delivery that failed `max_attempts` times and waits for `retryEvent`.
#[derive(Clone, Debug)]
pub struct DeadLetter {
    pub consumer: String,
    pub event: metadata_event::Model,
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
    let mut attempts_by_id = std::collections::HashMap::new();
    for row in rows {
        let id: i64 = row.try_get("", "event_id")?;
        let attempts: i32 = row.try_get("", "attempts")?;
        attempts_by_id.insert(id, attempts);
    }
    let events = metadata_event::Entity::find()
        .filter(metadata_event::Column::Id.is_in(attempts_by_id.keys().copied()))
        .order_by_asc(metadata_event::Column::Id)
        .all(db)
        .await?;
    Ok(events
        .into_iter()
        .map(|event| Claimed {
            attempts: attempts_by_id[&event.id],
            event,
        })
        .collect())
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
    let sigil = match db.get_database_backend() {
        DatabaseBackend::Postgres => '$',
        _ => '?',
    };
    let placeholders: Vec<String> = (2..event_ids.len() + 2)
        .map(|n| format!("{sigil}{n}"))
        .collect();
    let sql = format!(
        "DELETE FROM _metadata_deliveries WHERE consumer = {sigil}1 AND event_id IN ({})",
        placeholders.join(", ")
    );
    let mut values: Vec<Value> = vec![consumer.into()];
    values.extend(event_ids.iter().map(|id| Value::from(*id)));
    run(db, &sql, values).await.map(drop)
}

/// The consumer failed: retry after an exponential backoff, or park the delivery as dead
/// once it has used the consumer's `max_attempts`.
pub async fn fail(
    db: &DatabaseConnection,
    claimed: &Claimed,
    consumer: &str,
    error: &str,
) -> Result<(), DbErr> {
    let sql = pick(
        db,
        "UPDATE _metadata_deliveries SET last_error = $3,
                state = CASE WHEN attempts >= (SELECT max_attempts FROM _metadata_consumers WHERE name = $1)
                             THEN 'dead' ELSE 'pending' END,
                available_at = now() + make_interval(secs => $4)
          WHERE consumer = $1 AND event_id = $2",
        "UPDATE _metadata_deliveries SET last_error = ?3,
                state = CASE WHEN attempts >= (SELECT max_attempts FROM _metadata_consumers WHERE name = ?1)
                             THEN 'dead' ELSE 'pending' END,
                available_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+' || ?4 || ' seconds')
          WHERE consumer = ?1 AND event_id = ?2",
    );
    let error: String = error.chars().take(2000).collect();
    let delay = backoff(claimed.attempts).as_secs_f64();
    run(
        db,
        sql,
        vec![
            consumer.into(),
            claimed.event.id.into(),
            error.into(),
            delay.into(),
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
    for row in rows {
        let event_id: i64 = row.try_get("", "event_id")?;
        let Some(event) = metadata_event::Entity::find_by_id(event_id).one(db).await? else {
            continue;
        };
        letters.push(DeadLetter {
            consumer: consumer.to_owned(),
            event,
            attempts: row.try_get("", "attempts")?,
            last_error: row.try_get("", "last_error")?,
        });
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
