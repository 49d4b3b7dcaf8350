//! Adopting the rows that were there before the triggers: a batch of rows per
//! transaction, walked in primary-key order, each given a master by the attached-table
//! trigger (`SET metadata_master_id = gen_random_uuid()` is an adoption to it). Their
//! `CREATED` events carry origin `reconcile`, actor `attach`.

use sea_orm::{DatabaseConnection, Value};

use super::inspect::one;
use super::{AttachError, AttachOptions, quoted};
use crate::sync::{WriteOrigin, in_write_transaction};

/// Adopts every row without a master; returns (rows adopted, batches).
pub(super) async fn adopt_all(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<(u64, u64), AttachError> {
    let id = quoted(&options.id_column);
    let table = quoted(&options.table);
    let metadata = quoted(&options.metadata_column);
    // Non-object documents are left alone here (the trigger would refuse them); they are
    // reported by `check_all_adopted`.
    let sql = format!(
        "WITH batch AS (SELECT {id} FROM {table} WHERE $1::uuid IS NULL OR {id} > $1::uuid \
                        ORDER BY {id} LIMIT $2), \
              adopted AS (UPDATE {table} t SET metadata_master_id = gen_random_uuid() \
                          FROM batch WHERE t.{id} = batch.{id} \
                            AND t.metadata_master_id IS NULL \
                            AND jsonb_typeof(t.{metadata}) = 'object' \
                          RETURNING 1) \
         SELECT (SELECT {id} FROM batch ORDER BY {id} DESC LIMIT 1) AS last, (SELECT count(*) FROM adopted) AS adopted"
    );
    let limit = i64::try_from(options.batch_size.max(1)).unwrap_or(i64::MAX);
    let (mut after, mut adopted, mut batches) = (None::<uuid::Uuid>, 0u64, 0u64);
    loop {
        // Each batch is its own transaction, run again after a deadlock with the event
        // fan-out or a worker (the service's retry).
        let row = in_write_transaction(db, &WriteOrigin::maintenance("attach"), |tx| {
            let values = vec![Value::from(after), Value::from(limit)];
            let sql = sql.clone();
            Box::pin(async move { Ok::<_, AttachError>(one(tx, &sql, values).await?) })
        })
        .await?;
        batches += 1;
        let Some(row) = row else { break };
        let last: Option<uuid::Uuid> = row.try_get("", "last")?;
        let count: i64 = row.try_get("", "adopted")?;
        adopted += u64::try_from(count).unwrap_or(0);
        match last {
            Some(last) => after = Some(last),
            None => break,
        }
        tracing::info!(table = %options.table, adopted, "attach: batch adopted");
    }
    Ok((adopted, batches))
}

/// Fails when rows are left without a master: those whose metadata is not an object
/// (named, to be fixed), or rows changed while attach ran (run it again).
pub(super) async fn check_all_adopted(
    db: &DatabaseConnection,
    options: &AttachOptions,
) -> Result<(), AttachError> {
    let id = quoted(&options.id_column);
    let table = quoted(&options.table);
    let metadata = quoted(&options.metadata_column);
    let sql = format!(
        "SELECT count(*) AS n, \
                count(*) FILTER (WHERE jsonb_typeof({metadata}) IS DISTINCT FROM 'object') AS bad, \
                (array_agg({id}::text ORDER BY {id}) \
                   FILTER (WHERE jsonb_typeof({metadata}) IS DISTINCT FROM 'object'))[1:10] AS sample \
         FROM {table} WHERE metadata_master_id IS NULL"
    );
    let Some(row) = one(db, &sql, Vec::new()).await? else {
        return Ok(());
    };
    let count: i64 = row.try_get("", "n")?;
    let bad: i64 = row.try_get("", "bad")?;
    if bad > 0 {
        let sample: Option<Vec<String>> = row.try_get("", "sample")?;
        return Err(AttachError::NonObjectDocuments {
            column: options.metadata_column.clone(),
            count: bad,
            sample: sample.unwrap_or_default(),
        });
    }
    if count > 0 {
        return Err(AttachError::NotAdopted { count });
    }
    Ok(())
}
