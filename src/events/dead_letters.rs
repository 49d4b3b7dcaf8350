//! Dead letters: deliveries a consumer gave up on, listed for admins and put back in line
//! by `retryEvent`.

use entity::metadata_event;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use uuid::Uuid;

use super::delivery::read_events;
use super::{dialect, heads};

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

/// Dead deliveries of `consumer`, oldest first.
#[tracing::instrument(name = "events.dead_letters", skip(db))]
pub async fn dead_letters(
    db: &DatabaseConnection,
    consumer: &str,
    limit: u64,
) -> Result<Vec<DeadLetter>, DbErr> {
    let sql = "SELECT event_id, attempts, last_error FROM _metadata_deliveries
      WHERE consumer = $1 AND state = 'dead' ORDER BY event_id LIMIT $2";
    let values = vec![consumer.into(), (limit as i64).into()];
    let rows = db
        .query_all_raw(dialect::statement(db, sql, values))
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
#[tracing::instrument(name = "events.retry", skip(db))]
pub async fn retry_event(db: &DatabaseConnection, event_id: i64) -> Result<u64, DbErr> {
    let find = "SELECT consumer, master_id FROM _metadata_deliveries WHERE event_id = $1 AND state = 'dead'";
    let dead = db
        .query_all_raw(dialect::statement(db, find, vec![event_id.into()]))
        .await?;
    let mut retried = 0;
    for row in dead {
        let consumer: String = row.try_get("", "consumer")?;
        let master_id: Uuid = row.try_get("", "master_id")?;
        // SQLite: the write lock first (this reads before it writes).
        let tx = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        let head = heads::enters_as_head(&tx, &consumer, master_id).await?;
        let sql = "UPDATE _metadata_deliveries
            SET state = 'pending', attempts = 0, available_at = {now}, last_error = NULL, head = $3
          WHERE consumer = $1 AND event_id = $2 AND state = 'dead'";
        let values = vec![consumer.into(), event_id.into(), head.into()];
        retried += dialect::execute(&tx, sql, values).await?;
        tx.commit().await?;
    }
    Ok(retried)
}
