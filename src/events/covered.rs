//! The deliveries a consumer of an entity's current state
//! ([`super::worker::EventHandler::handles_current_state`]) completes together with the
//! one it handled: the entity's other pending deliveries, read right after the claim. Their
//! events were committed before the handler reads the entity, so handling it handles them;
//! one committed later is not among them and is handled on its own.

use std::collections::HashMap;

use sea_orm::Value;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr};
use uuid::Uuid;

use super::dialect;

/// The most deliveries one claim covers per entity (oldest first; the rest wait for the
/// entity's next handling).
pub const MAX_PER_ENTITY: i64 = 1024;

/// Ids per `DELETE` (well within both databases' limits on bound values).
const DELETE_CHUNK: usize = 500;

/// The pending deliveries of `masters`' queues other than their heads, oldest first (at
/// most [`MAX_PER_ENTITY`] each, each queue read by its index up to that), by master.
pub(super) async fn pending_behind(
    db: &DatabaseConnection,
    consumer: &str,
    masters: &[Uuid],
) -> Result<HashMap<Uuid, Vec<i64>>, DbErr> {
    let mut by_master: HashMap<Uuid, Vec<i64>> = HashMap::new();
    if masters.is_empty() {
        return Ok(by_master);
    }
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let sql = "SELECT m.master_id, p.event_id
              FROM unnest($2::text::uuid[]) AS m(master_id)
              CROSS JOIN LATERAL (
                  SELECT d.event_id FROM _metadata_deliveries d
                   WHERE d.consumer = $1 AND d.master_id = m.master_id
                     AND d.state = 'pending' AND NOT d.head
                   ORDER BY d.event_id LIMIT $3) AS p";
        let values = vec![
            consumer.into(),
            dialect::uuid_array(masters),
            MAX_PER_ENTITY.into(),
        ];
        for row in db
            .query_all_raw(dialect::statement(db, sql, values))
            .await?
        {
            let master: Uuid = row.try_get("", "master_id")?;
            by_master
                .entry(master)
                .or_default()
                .push(row.try_get("", "event_id")?);
        }
        return Ok(by_master);
    }
    // SQLite runs in-process: a statement per queue costs no round trip.
    let sql = "SELECT event_id FROM _metadata_deliveries
         WHERE consumer = $1 AND master_id = $2 AND state = 'pending' AND NOT head
         ORDER BY event_id LIMIT $3";
    for &master in masters {
        let values = vec![consumer.into(), master.into(), MAX_PER_ENTITY.into()];
        let rows = db
            .query_all_raw(dialect::statement(db, sql, values))
            .await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get("", "event_id"))
            .collect::<Result<Vec<i64>, _>>()?;
        if !ids.is_empty() {
            by_master.insert(master, ids);
        }
    }
    Ok(by_master)
}

/// Deletes covered deliveries that are still pending and not a head: one another worker
/// took over (after this worker's lease ran out) or a dead letter stays.
pub(super) async fn delete(
    tx: &DatabaseTransaction,
    consumer: &str,
    event_ids: &[i64],
) -> Result<(), DbErr> {
    for chunk in event_ids.chunks(DELETE_CHUNK) {
        let (list, ids) = dialect::id_list(chunk, 2);
        let sql = format!(
            "DELETE FROM _metadata_deliveries
              WHERE consumer = $1 AND state = 'pending' AND NOT head AND event_id IN ({list})"
        );
        let mut values: Vec<Value> = vec![consumer.into()];
        values.extend(ids);
        dialect::execute(tx, &sql, values).await?;
    }
    Ok(())
}
