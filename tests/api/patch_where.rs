//! `patchMetadataWhere`: a dry run writes nothing; a run writes each matching entity
//! through the sync path (one event each, origin api and the actor), continues after a
//! limit, and on a failure reports exactly which ids were written.

use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::helpers::{TestApp, create_campaign, spawn_app, spawn_app_with_http, uuid};

/// Behind a gateway that authenticated the user and names it in `x-actor`.
async fn spawn_trusting_app() -> TestApp {
    let trusting = metadata_synergy::auth::Authenticator::new(metadata_synergy::auth::AuthConfig {
        trust_actor_header: true,
        ..Default::default()
    })
    .unwrap();
    spawn_app_with_http(metadata_synergy::server::HttpOptions {
        auth: std::sync::Arc::new(trusting),
        ..Default::default()
    })
    .await
}

const PATCH_WHERE: &str = include_str!("../operations/patch_metadata_where.graphql");

async fn patch_where(app: &TestApp, variables: Json) -> Json {
    let data = app
        .graphql_as(Some("bulk-bot"), PATCH_WHERE, variables)
        .await
        .expect_data();
    data["patchMetadataWhere"].clone()
}

/// Events of `origin` by actor `bulk-bot`, and of any origin, in total.
async fn events(app: &TestApp) -> (i64, i64) {
    let rows = app
        .sql_rows(
            "SELECT count(*) FILTER (WHERE origin = 'api' AND actor = 'bulk-bot') AS bot, \
             count(*) AS total FROM _metadata_events",
            vec![],
        )
        .await;
    (
        rows[0].try_get("", "bot").unwrap(),
        rows[0].try_get("", "total").unwrap(),
    )
}

fn ids(value: &Json) -> Vec<Uuid> {
    value.as_array().unwrap().iter().map(uuid).collect()
}

#[tokio::test]
async fn dry_run_counts_and_runs_write_each_match_once() {
    let app = spawn_trusting_app().await;
    let mut promos = Vec::new();
    for i in 0..5 {
        promos.push(
            create_campaign(&app, json!({"kind": "promo", "n": i}))
                .await
                .0,
        );
        create_campaign(&app, json!({"kind": "other"})).await;
    }
    promos.sort();
    let filter = json!({"contains": {"kind": "promo"}});
    let (_, events_before) = events(&app).await;

    let preview = patch_where(
        &app,
        json!({"entityType": "CAMPAIGN", "filter": filter, "patch": {"flag": true}}),
    )
    .await;
    assert_eq!(preview["dryRun"], json!(true));
    assert_eq!(preview["matched"], json!(5));
    assert_eq!(ids(&preview["ids"]), promos);
    assert_eq!(
        events(&app).await.1,
        events_before,
        "a dry run writes nothing"
    );
    // A dry run counts only up to the limit and says where a run would continue.
    let capped = patch_where(
        &app,
        json!({"entityType": "CAMPAIGN", "filter": filter, "patch": {"flag": true}, "limit": 3}),
    )
    .await;
    assert_eq!(capped["matched"], json!(3), "{capped}");
    assert_eq!(uuid(&capped["continueAfter"]), promos[2]);
    assert_eq!(preview["continueAfter"], Json::Null);

    let first = patch_where(
        &app,
        json!({"entityType": "CAMPAIGN", "filter": filter, "patch": {"flag": true},
               "dryRun": false, "limit": 3}),
    )
    .await;
    assert_eq!(first["matched"], json!(3), "{first}");
    assert_eq!(first["changed"], json!(3));
    assert_eq!(ids(&first["ids"]), promos[..3]);
    assert_eq!(uuid(&first["continueAfter"]), promos[2]);
    assert_eq!(first["failure"], Json::Null);

    let rest = patch_where(
        &app,
        json!({"entityType": "CAMPAIGN", "filter": filter, "patch": {"flag": true},
               "dryRun": false, "after": first["continueAfter"]}),
    )
    .await;
    assert_eq!(ids(&rest["ids"]), promos[3..], "{rest}");
    assert_eq!(rest["continueAfter"], Json::Null);
    assert_eq!(
        events(&app).await,
        (5, events_before + 5),
        "one event per change"
    );

    // Everything already carries the patch: matched, unchanged, no event.
    let again = patch_where(
        &app,
        json!({"entityType": "CAMPAIGN", "filter": filter, "patch": {"flag": true},
               "dryRun": false}),
    )
    .await;
    assert_eq!(
        (&again["matched"], &again["changed"], &again["unchanged"]),
        (&json!(5), &json!(0), &json!(5))
    );
    assert_eq!(events(&app).await.1, events_before + 5);
    for id in &promos {
        let (entity, master, version) = app.pair("service_campaign_main", *id).await;
        assert_eq!(entity, master);
        assert_eq!(entity["flag"], json!(true));
        assert_eq!(version, 2);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_failure_stops_the_run_and_names_what_was_written() {
    let app = spawn_app().await;
    let mut promos = Vec::new();
    for _ in 0..4 {
        promos.push(
            create_campaign(&app, json!({"kind": "promo", "region": "eu"}))
                .await
                .0,
        );
    }
    promos.sort();
    app.graphql(
        include_str!("../operations/set_metadata_policy.graphql"),
        json!({"entityType": "CAMPAIGN",
               "schema": {"properties": {"region": {"type": "string", "maxLength": 2}}}}),
    )
    .await
    .expect_data();
    // The third breaks the policy already (written by raw SQL, which the policy does not stop).
    let raw = if app.is_postgres() {
        "UPDATE service_campaign_main SET metadata = metadata || '{\"region\": \"europe\"}' WHERE id = $1"
    } else {
        "UPDATE service_campaign_main SET metadata = json_set(metadata, '$.region', 'europe') WHERE id = $1"
    };
    app.sql(raw, vec![promos[2].into()]).await.unwrap();

    let run = patch_where(
        &app,
        json!({"entityType": "CAMPAIGN", "filter": {"hasKey": "kind"}, "patch": {"flag": 1},
               "dryRun": false}),
    )
    .await;
    assert_eq!(ids(&run["ids"]), promos[..2], "{run}");
    assert_eq!(uuid(&run["failure"]["entityId"]), promos[2]);
    assert_eq!(run["failure"]["code"], json!("BAD_USER_INPUT"));
    for (i, id) in promos.iter().enumerate() {
        let (entity, master, _) = app.pair("service_campaign_main", *id).await;
        assert_eq!(entity, master);
        assert_eq!(entity.get("flag").is_some(), i < 2, "{i}: {entity}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_arguments_are_bad_user_input() {
    let app = spawn_app().await;
    create_campaign(&app, json!({"kind": "promo"})).await;
    for variables in [
        json!({"entityType": "CAMPAIGN", "filter": {}, "patch": {"a": 1}, "limit": 0}),
        json!({"entityType": "CAMPAIGN", "filter": {}, "patch": {"a": 1}, "limit": 10001}),
        json!({"entityType": "CAMPAIGN", "filter": {}, "patch": [1], "dryRun": false}),
        json!({"entityType": "CAMPAIGN", "filter": {"path": ["a"]}, "patch": {"a": 1}}),
    ] {
        let reply = app.graphql(PATCH_WHERE, variables.clone()).await;
        assert_eq!(
            reply.code(),
            "BAD_USER_INPUT",
            "{variables}: {:?}",
            reply.errors
        );
    }
    let (entity, _, version) = {
        let rows = app
            .sql_rows("SELECT id FROM service_campaign_main", vec![])
            .await;
        let id: Uuid = rows[0].try_get("", "id").unwrap();
        app.pair("service_campaign_main", id).await
    };
    assert_eq!((entity.get("a"), version), (None, 1));
    app.stop().await;
}
