//! The search statement timeout: a filter no index serves stops after the configured time
//! on PostgreSQL instead of holding a pooled connection.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::json;

const MASTERS: &str = include_str!("../operations/search_masters.graphql");

/// A filter no index serves, over more rows than it can read within the search timeout,
/// is stopped and answered as BAD_USER_INPUT (PostgreSQL's `statement_timeout`); cheap
/// reads go on. SQLite has no statement timeout: there the test only seeds nothing.
#[tokio::test]
async fn a_costly_filter_is_stopped_by_the_search_timeout() {
    use metadata_synergy::graphql::ApiLimits;
    use metadata_synergy::search::SearchTimeout;
    use metadata_synergy::server::HttpOptions;

    let app = crate::helpers::spawn_app_with_http(HttpOptions {
        limits: ApiLimits {
            search_timeout: SearchTimeout(Duration::from_millis(1)),
            ..ApiLimits::default()
        },
        ..HttpOptions::default()
    })
    .await;
    if !app.is_postgres() {
        app.stop().await;
        return;
    }
    // 300,000 masters written behind the triggers, on one connection.
    let db = sea_orm::Database::connect(app.database_url.as_str())
        .await
        .unwrap();
    db.execute_unprepared(
        "BEGIN; SET LOCAL session_replication_role = replica;
         INSERT INTO _metadata_master
           (id, entity_type, entity_id, entity_table, metadata, version, created_at, updated_at)
         SELECT gen_random_uuid(), 'campaign', gen_random_uuid(), 'service_campaign_main',
                jsonb_build_object('n', g, 'tags', jsonb_build_array('a', 'b')), 1, now(), now()
           FROM generate_series(1, 300000) g;
         COMMIT",
    )
    .await
    .unwrap();
    db.close().await.unwrap();

    let reply = app
        .graphql(
            MASTERS,
            json!({ "filter": { "path": ["n"], "equals": -1 }, "first": 5 }),
        )
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{:?}", reply.errors);
    let message = reply.errors[0]["message"].as_str().unwrap();
    assert!(message.contains("took longer than 1 ms"), "{message}");
    // An unfiltered page in id order walks the index: no timeout applies.
    let page = app
        .graphql(MASTERS, json!({ "first": 2 }))
        .await
        .expect_data();
    assert_eq!(
        page["metadataMasters"]["edges"].as_array().unwrap().len(),
        2
    );
    app.stop().await;
}
