//! Gauges read from the database when `/metrics` is scraped: the pool and the single
//! statements' own connections, the events
//! appended, and per consumer the deliveries pending, waiting (leased to a worker or
//! backing off after a failure) and dead, and the age of the oldest pending one (the
//! worker's lag).

use chrono::{DateTime, Utc};
use metrics::{counter, gauge};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr};

use crate::db::Autocommit;
use crate::events::dialect;

/// Reads the database gauges; `database_up` says whether that worked.
pub async fn refresh_database_gauges(api: &Autocommit) {
    let db = api.pool();
    pool_gauges(db);
    if let Some(counts) = api.connections() {
        gauge!("db_autocommit_connections", "state" => "idle").set(counts.idle as f64);
        gauge!("db_autocommit_connections", "state" => "in_use").set(counts.in_use as f64);
    }
    let up = match deliveries(db).await {
        Ok(()) => 1.0,
        Err(error) => {
            tracing::warn!(%error, "reading the delivery metrics failed");
            0.0
        }
    };
    gauge!("database_up").set(up);
}

fn pool_gauges(db: &DatabaseConnection) {
    let (size, idle, max) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    gauge!("db_pool_connections", "state" => "in_use").set(f64::from(size - idle));
    gauge!("db_pool_max_connections").set(f64::from(max));
}

/// Ephemeral consumers (one per server process with subscribers, named by a fresh uuid)
/// are summed under one label, so that process churn cannot grow the exposition.
pub const EPHEMERAL_CONSUMERS_LABEL: &str = "subscriptions";

const DELIVERIES: &str = "
WITH counts AS (
    SELECT consumer,
           sum(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending,
           sum(CASE WHEN state = 'pending' AND available_at > {now} THEN 1 ELSE 0 END) AS waiting,
           sum(CASE WHEN state = 'dead' THEN 1 ELSE 0 END) AS dead,
           min(CASE WHEN state = 'pending' THEN event_id END) AS oldest
      FROM _metadata_deliveries GROUP BY consumer)
SELECT CASE WHEN c.ephemeral THEN $1 ELSE c.name END AS consumer,
       CAST(coalesce(sum(k.pending), 0) AS BIGINT) AS pending,
       CAST(coalesce(sum(k.waiting), 0) AS BIGINT) AS waiting,
       CAST(coalesce(sum(k.dead), 0) AS BIGINT) AS dead, min(e.occurred_at) AS oldest_at,
       (SELECT max(id) FROM _metadata_events) AS last_event
  FROM _metadata_consumers c
  LEFT JOIN counts k ON k.consumer = c.name
  LEFT JOIN _metadata_events e ON e.id = k.oldest
 GROUP BY 1";

async fn deliveries(db: &DatabaseConnection) -> Result<(), DbErr> {
    let rows = db
        .query_all_raw(dialect::statement(
            db,
            DELIVERIES,
            vec![EPHEMERAL_CONSUMERS_LABEL.into()],
        ))
        .await?;
    let now = Utc::now();
    let mut last_event = 0i64;
    for row in rows {
        let consumer: String = row.try_get("", "consumer")?;
        let pending: i64 = row.try_get("", "pending")?;
        let waiting: i64 = row.try_get("", "waiting")?;
        let dead: i64 = row.try_get("", "dead")?;
        let oldest: Option<DateTime<Utc>> = row.try_get("", "oldest_at")?;
        last_event = last_event.max(row.try_get::<Option<i64>>("", "last_event")?.unwrap_or(0));
        let lag = oldest.map_or(0.0, |at| (now - at).as_seconds_f64().max(0.0));
        for (state, count) in [("pending", pending), ("waiting", waiting), ("dead", dead)] {
            gauge!("event_deliveries", "consumer" => consumer.clone(), "state" => state)
                .set(count as f64);
        }
        gauge!("event_delivery_lag_seconds", "consumer" => consumer).set(lag);
    }
    counter!("metadata_events_appended_total").absolute(u64::try_from(last_event).unwrap_or(0));
    Ok(())
}
