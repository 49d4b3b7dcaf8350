//! `metadata-synergy attach` / `detach` (PostgreSQL): a table made by plain SQL, with rows
//! and writers, is adopted — every row gets exactly one master, the sync works both ways,
//! it is served as `AttachedEntity`, localized and subscribed to — and let go again
//! without losing its documents. Refusals live in `attach_refusals.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use metadata_synergy::orchestration::attach::{self, AttachOptions};
use sea_orm::Value;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_localized_app};

const ROWS: i64 = 10_000;

pub fn options(entity_type: &str, table: &str) -> AttachOptions {
    AttachOptions {
        entity_type: entity_type.into(),
        table: table.into(),
        id_column: "id".into(),
        metadata_column: "metadata".into(),
        batch_size: 500,
        convert_json: false,
    }
}

pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let rows = app.sql_rows(sql, vec![]).await;
    rows[0].try_get_by_index(0).unwrap()
}

/// Raw SQL writers while attach runs: updates of existing rows and inserts of new ones.
fn start_writers(
    app: &TestApp,
    running: Arc<AtomicBool>,
    writes: Arc<AtomicU64>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..2)
        .map(|writer| {
            let db = app.db.clone();
            let running = running.clone();
            let writes = writes.clone();
            tokio::spawn(async move {
                use sea_orm::ConnectionTrait;
                let mut n = 0i64;
                while running.load(Ordering::Relaxed) {
                    n += 1;
                    let sql = if n % 3 == 0 {
                        format!("INSERT INTO service_order_main (customer, metadata) VALUES ('w{writer}', '{{\"inserted\": {n}}}')")
                    } else {
                        format!(
                            "UPDATE service_order_main SET metadata = metadata || '{{\"touched\": {n}}}' \
                             WHERE id = (SELECT id FROM service_order_main ORDER BY random() LIMIT 1)"
                        )
                    };
                    db.execute_unprepared(&sql).await.expect("raw write during attach");
                    writes.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect()
}

#[tokio::test]
async fn a_live_table_is_adopted_synced_both_ways_served_localized_and_let_go() {
    let app = spawn_localized_app().await;
    if !app.is_postgres() {
        let refused = attach::attach(&app.db, &options("order", "service_order_main")).await;
        assert!(
            matches!(refused, Err(attach::AttachError::NotPostgres)),
            "{refused:?}"
        );
        app.stop().await;
        return;
    }
    app.sql(
        "CREATE TABLE service_order_main (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), \
         customer text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}')",
        vec![],
    )
    .await
    .unwrap();
    app.sql(
        "INSERT INTO service_order_main (customer, metadata) \
         SELECT 'c' || i, jsonb_build_object('n', i, 'tier', CASE WHEN i % 100 = 0 THEN 'gold' ELSE 'basic' END) \
         FROM generate_series(1, $1) AS i",
        vec![Value::from(ROWS)],
    )
    .await
    .unwrap();
    let scripted: Uuid = {
        let rows = app
            .sql_rows(
                "UPDATE service_order_main SET metadata = metadata || $1 \
                 WHERE id = (SELECT id FROM service_order_main ORDER BY id DESC LIMIT 1) RETURNING id",
                vec![Value::from(json!({ "service_specific": { "localization": {
                    "scripts": { "title": "Your order" }, "target_locales": ["es"] } } }))],
            )
            .await;
        rows[0].try_get("", "id").unwrap()
    };

    let running = Arc::new(AtomicBool::new(true));
    let writes = Arc::new(AtomicU64::new(0));
    let writers = start_writers(&app, running.clone(), writes.clone());
    let report = attach::attach(&app.db, &options("order", "service_order_main"))
        .await
        .expect("attach");
    running.store(false, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    // Rows inserted before the triggers were installed are adopted too.
    assert!(report.adopted >= ROWS as u64, "{report:?}");
    assert!(
        writes.load(Ordering::Relaxed) > 0,
        "the writers ran during attach"
    );

    // Every row has exactly one master, naming it, with its document.
    let rows = scalar(&app, "SELECT count(*) FROM service_order_main").await;
    assert!(rows >= report.adopted as i64, "{rows} rows, {report:?}");
    let masters = scalar(
        &app,
        "SELECT count(*) FROM _metadata_master WHERE entity_type = 'order'",
    )
    .await;
    assert_eq!(masters, rows);
    let paired = scalar(
        &app,
        "SELECT count(*) FROM service_order_main e JOIN _metadata_master m \
         ON m.id = e.metadata_master_id AND m.entity_id = e.id AND m.entity_table = 'service_order_main' \
         WHERE m.metadata = e.metadata AND e.metadata -> 'metadata_master_id' = to_jsonb(m.id)",
    )
    .await;
    assert_eq!(paired, rows);
    let not_null = scalar(
        &app,
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'service_order_main'::regclass \
         AND attname = 'metadata_master_id' AND attnotnull",
    )
    .await;
    assert_eq!(
        not_null, 1,
        "metadata_master_id is NOT NULL after the backfill"
    );
    let second = attach::attach(&app.db, &options("order", "service_order_main")).await;
    assert!(
        matches!(second, Err(attach::AttachError::AlreadyAttached(_))),
        "{second:?}"
    );

    // Entity → master by raw SQL; master → entity through the API.
    let (id, master_id) = first_order(&app).await;
    app.sql(
        "UPDATE service_order_main SET metadata = metadata || '{\"raw\": true}' WHERE id = $1",
        vec![id.into()],
    )
    .await
    .unwrap();
    let (entity_doc, master_doc) = order_pair(&app, id).await;
    assert_eq!(master_doc["raw"], json!(true));
    assert_eq!(entity_doc, master_doc);
    let written = app
        .graphql(
            "mutation($m: UUID!) { updateMasterMetadata(id: $m, patch: {api: 1}) { master { version } } }",
            json!({ "m": master_id }),
        )
        .await
        .expect_data();
    assert!(
        written["updateMasterMetadata"]["master"]["version"]
            .as_i64()
            .unwrap()
            >= 3
    );
    assert_eq!(order_pair(&app, id).await.0["api"], json!(1));
    let by_entity = app
        .graphql(
            "mutation($id: UUID!) { updateEntityMetadata(entityType: ORDER, entityId: $id, patch: {viaEntity: true}) { entity { __typename entityType id ... on AttachedEntity { table } } } }",
            json!({ "id": id }),
        )
        .await
        .expect_data();
    let entity = &by_entity["updateEntityMetadata"]["entity"];
    assert_eq!(entity["__typename"], "AttachedEntity");
    assert_eq!(entity["entityType"], "ORDER");
    assert_eq!(entity["table"], "service_order_main");
    assert_eq!(order_pair(&app, id).await.1["viaEntity"], json!(true));

    // Masters are listed and filtered; a master's entity is an AttachedEntity.
    let gold = app
        .graphql(
            "{ metadataMasters(entityType: \"order\", filter: {contains: {tier: \"gold\"}}, first: 100) {
                 edges { node { entityType entity { __typename id metadata ... on AttachedEntity { table } } } } } }",
            json!({}),
        )
        .await
        .expect_data();
    let edges = gold["metadataMasters"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), (ROWS / 100) as usize);
    for edge in edges {
        assert_eq!(edge["node"]["entityType"], "ORDER");
        assert_eq!(edge["node"]["entity"]["__typename"], "AttachedEntity");
        assert_eq!(edge["node"]["entity"]["metadata"]["tier"], "gold");
    }

    // The localization worker translated the scripted row's scripts.
    let translated = wait_for(Duration::from_secs(180), || async {
        let (doc, _) = order_pair(&app, scripted).await;
        let es =
            doc["service_specific"]["localization"]["scripts_translations"]["es"]["title"].clone();
        es.is_string().then_some(es)
    })
    .await;
    assert!(
        translated.is_some(),
        "the attached row's scripts were translated"
    );

    // Detach: masters, cross references and triggers go; the documents stay.
    let detached = attach::detach(&app.db, "order", 1000)
        .await
        .expect("detach");
    assert_eq!(detached.masters_deleted as i64, rows);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM _metadata_master WHERE entity_type = 'order'"
        )
        .await,
        0
    );
    let kept = app
        .sql_rows(
            "SELECT metadata FROM service_order_main WHERE id = $1",
            vec![id.into()],
        )
        .await;
    let kept: Json = kept[0].try_get("", "metadata").unwrap();
    assert_eq!(
        (kept["api"].clone(), kept["viaEntity"].clone()),
        (json!(1), json!(true))
    );
    assert!(kept.get("metadata_master_id").is_none(), "{kept}");
    app.sql(
        "UPDATE service_order_main SET metadata = '{\"free\": 1}' WHERE id = $1",
        vec![id.into()],
    )
    .await
    .expect("a detached table is an ordinary table again");
    let gone = app
        .graphql(
            "mutation($id: UUID!) { updateEntityMetadata(entityType: ORDER, entityId: $id, patch: {x: 1}) { master { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(gone.code(), "BAD_USER_INPUT", "{:?}", gone.errors);
    app.stop().await;
}

async fn first_order(app: &TestApp) -> (Uuid, Uuid) {
    let rows = app
        .sql_rows(
            "SELECT id, metadata_master_id FROM service_order_main ORDER BY id LIMIT 1",
            vec![],
        )
        .await;
    (
        rows[0].try_get("", "id").unwrap(),
        rows[0].try_get("", "metadata_master_id").unwrap(),
    )
}

/// The entity's and the master's document of an order.
pub async fn order_pair(app: &TestApp, id: Uuid) -> (Json, Json) {
    let (entity, master, _) = app.pair("service_order_main", id).await;
    (entity, master)
}

pub async fn wait_for<T, F, Fut>(limit: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return Some(found);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
