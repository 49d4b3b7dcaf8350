//! Many writers on both sides, through the API and raw SQL at once: no update is lost,
//! every pair ends equal, versions count the effective writes, and API clients see no
//! deadlock or serialization error.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, create_campaign, merge_key_sql, spawn_app};

const TASKS: usize = 8;
const WRITES_PER_TASK: usize = 200;
const PAIRS: usize = 2;

#[derive(Clone, Copy, Debug)]
enum Path {
    ApiEntity,
    /// Answers without the entity: on PostgreSQL, the one-statement patch.
    ApiEntityInPlace,
    ApiMaster,
    SqlEntity,
    SqlMaster,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_every_path_lose_nothing() {
    let app = Arc::new(spawn_app().await);
    let mut pairs = Vec::new();
    for _ in 0..PAIRS {
        pairs.push(create_campaign(&app, json!({})).await);
    }
    let pairs = Arc::new(pairs);

    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let (app, pairs) = (app.clone(), pairs.clone());
        tasks.push(tokio::spawn(async move {
            let mut writes_per_pair = HashMap::new();
            for i in 0..WRITES_PER_TASK {
                let pair = (task + i) % PAIRS;
                let (entity_id, master_id) = pairs[pair];
                let path = [
                    Path::ApiEntity,
                    Path::ApiEntityInPlace,
                    Path::ApiMaster,
                    Path::SqlEntity,
                    Path::SqlMaster,
                ][(task + i / 3) % 5];
                let key = format!("t{task}w{i}");
                write(&app, path, entity_id, master_id, &key, i as i64).await;
                *writes_per_pair.entry(pair).or_insert(0i64) += 1;
            }
            writes_per_pair
        }));
    }
    let mut expected = [1i64; PAIRS];
    for task in tasks {
        for (pair, writes) in task.await.expect("writer task panicked") {
            expected[pair] += writes;
        }
    }

    for (pair, (entity_id, _)) in pairs.iter().enumerate() {
        let (entity_doc, master_doc, version) = app.pair("service_campaign_main", *entity_id).await;
        assert_eq!(entity_doc, master_doc, "pair {pair} diverged");
        assert_eq!(
            version, expected[pair],
            "pair {pair}: one version per effective write"
        );
        let keys = entity_doc.as_object().unwrap().len() as i64;
        assert_eq!(
            keys, expected[pair],
            "pair {pair}: every written key is there (plus the cross reference)"
        );
    }
    Arc::into_inner(app).expect("tasks finished").stop().await;
}

/// One write that adds a new key (so every write is effective). API writes must succeed
/// on the first call; raw SQL, like any PostgreSQL client, retries when it is chosen as
/// a deadlock victim.
async fn write(app: &TestApp, path: Path, entity_id: Uuid, master_id: Uuid, key: &str, value: i64) {
    match path {
        Path::ApiEntity => {
            let vars =
                json!({ "entityType": "CAMPAIGN", "entityId": entity_id, "patch": { key: value } });
            app.graphql(
                include_str!("../operations/update_entity_metadata.graphql"),
                vars,
            )
            .await
            .expect_data();
        }
        Path::ApiEntityInPlace => {
            app.graphql(
                "mutation($id: UUID!, $patch: JSON!) { updateEntityMetadata(entityType: CAMPAIGN,
                   entityId: $id, patch: $patch) { master { version } } }",
                json!({ "id": entity_id, "patch": { key: value } }),
            )
            .await
            .expect_data();
        }
        Path::ApiMaster => {
            let vars = json!({ "id": master_id, "patch": { key: value } });
            app.graphql(
                include_str!("../operations/update_master_metadata.graphql"),
                vars,
            )
            .await
            .expect_data();
        }
        Path::SqlEntity | Path::SqlMaster => {
            let (table, id) = match path {
                Path::SqlEntity => ("service_campaign_main", entity_id),
                _ => ("_metadata_master", master_id),
            };
            let sql = merge_key_sql(app, table);
            let mut attempts = 0;
            loop {
                match app
                    .sql(&sql, vec![id.into(), key.into(), value.into()])
                    .await
                {
                    Ok(1) => break,
                    Ok(n) => panic!("raw write touched {n} rows"),
                    Err(error) if attempts < 20 && metadata_synergy::db::is_transient(&error) => {
                        attempts += 1
                    }
                    Err(error) => panic!("raw write failed: {error}"),
                }
            }
        }
    }
}
