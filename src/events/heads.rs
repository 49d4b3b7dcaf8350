//! The head of each (consumer, entity) delivery queue: its oldest pending delivery, the only
//! one a claim may take, so that a consumer sees each entity's events in order. The mark is
//! kept by the fan-out trigger for new deliveries (migration `m0011`, which explains the lock
//! protocol) and here when a head leaves the queue or a dead letter comes back.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr};
use uuid::Uuid;

use super::dialect;

/// The least time between two repair sweeps of one process.
const REPAIR_INTERVAL: Duration = Duration::from_secs(60);

/// Marks the oldest pending delivery of each of `masters`' queues as its head, where the
/// queue has pending deliveries but no head (its head was just completed or buried, in
/// this same transaction).
pub async fn promote(
    tx: &DatabaseTransaction,
    consumer: &str,
    masters: &[Uuid],
) -> Result<(), DbErr> {
    if masters.is_empty() {
        return Ok(());
    }
    if tx.get_database_backend() == DatabaseBackend::Postgres {
        let sql = "UPDATE _metadata_deliveries d SET head = true
              FROM unnest($2::text::uuid[]) AS m(master_id)
              CROSS JOIN LATERAL (
                  SELECT p.event_id FROM _metadata_deliveries p
                   WHERE p.consumer = $1 AND p.master_id = m.master_id AND p.state = 'pending'
                   ORDER BY p.event_id LIMIT 1) AS oldest
             WHERE d.consumer = $1 AND d.event_id = oldest.event_id AND NOT d.head
               AND NOT EXISTS (SELECT 1 FROM _metadata_deliveries h
                                WHERE h.consumer = $1 AND h.master_id = m.master_id
                                  AND h.state = 'pending' AND h.head)";
        let values = vec![consumer.into(), dialect::uuid_array(masters)];
        dialect::execute(tx, sql, values).await?;
        return Ok(());
    }
    let sql = "UPDATE _metadata_deliveries SET head = 1
        WHERE consumer = $1 AND event_id = (
            SELECT min(p.event_id) FROM _metadata_deliveries p
             WHERE p.consumer = $1 AND p.master_id = $2 AND p.state = 'pending')
          AND NOT EXISTS (SELECT 1 FROM _metadata_deliveries h
                           WHERE h.consumer = $1 AND h.master_id = $2
                             AND h.state = 'pending' AND h.head)";
    for master in masters {
        dialect::execute(tx, sql, vec![consumer.into(), (*master).into()]).await?;
    }
    Ok(())
}

/// Whether a delivery re-entering `master_id`'s queue of `consumer` becomes its head: only
/// when the queue has no pending delivery. Takes the same locks as the fan-out trigger
/// (the master row, then the current head), so it cannot race a writer or a worker.
pub async fn enters_as_head(
    tx: &DatabaseTransaction,
    consumer: &str,
    master_id: Uuid,
) -> Result<bool, DbErr> {
    let postgres = tx.get_database_backend() == DatabaseBackend::Postgres;
    if postgres {
        let lock_master = "SELECT 1 FROM _metadata_master WHERE id = $1 FOR SHARE";
        tx.query_all_raw(dialect::statement(tx, lock_master, vec![master_id.into()]))
            .await?;
        let lock_head = "SELECT 1 FROM _metadata_deliveries
             WHERE consumer = $1 AND master_id = $2 AND state = 'pending' AND head FOR KEY SHARE";
        let values = vec![consumer.into(), master_id.into()];
        if !tx
            .query_all_raw(dialect::statement(tx, lock_head, values))
            .await?
            .is_empty()
        {
            return Ok(false);
        }
    }
    let any = "SELECT 1 FROM _metadata_deliveries
         WHERE consumer = $1 AND master_id = $2 AND state = 'pending' LIMIT 1";
    let values = vec![consumer.into(), master_id.into()];
    Ok(tx
        .query_one_raw(dialect::statement(tx, any, values))
        .await?
        .is_none())
}

/// Defence in depth: gives every queue of `consumer` that has pending deliveries but no
/// head one (its oldest). The protocol above should never leave such a queue; if it did,
/// the entity's events would wait forever. Runs at most once a minute, when the worker is
/// idle (it reads the whole backlog); logs what it mends.
pub async fn repair_if_due(
    db: &impl ConnectionTrait,
    consumer: &str,
    last: &mut Option<Instant>,
) -> Result<(), DbErr> {
    if last.is_some_and(|at| at.elapsed() < REPAIR_INTERVAL) {
        return Ok(());
    }
    *last = Some(Instant::now());
    let sql = "UPDATE _metadata_deliveries SET head = true
        WHERE consumer = $1 AND event_id IN (
            SELECT min(event_id) FROM _metadata_deliveries
             WHERE consumer = $1 AND state = 'pending'
             GROUP BY master_id
            HAVING sum(CASE WHEN head THEN 1 ELSE 0 END) = 0)";
    let mended = dialect::execute(db, sql, vec![consumer.into()]).await?;
    if mended > 0 {
        tracing::warn!(
            consumer,
            mended,
            "delivery queues without a head were mended"
        );
    }
    Ok(())
}
