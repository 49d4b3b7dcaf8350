//! Metadata policies: JSON Schema and protected paths enforced on every service write,
//! dry runs over existing documents, the audit of raw SQL writes, and localization writes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::{claims, hs256, post, secured_app};
use crate::helpers::{TestApp, create_campaign, merge_key_sql, spawn_app};

const SET_POLICY: &str = include_str!("../operations/set_metadata_policy.graphql");
const VIOLATIONS: &str = include_str!("../operations/policy_violations.graphql");
const UPDATE: &str = include_str!("../operations/update_entity_metadata.graphql");

/// Campaign documents need a string `title`; `priority`, when present, is a
/// non-negative integer; nothing else at the top level but `pricing` and `service_specific`.
fn campaign_schema() -> Value {
    json!({
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": { "type": "string", "minLength": 1 },
            "priority": { "type": "integer", "minimum": 0 },
            "pricing": { "type": "object" },
            "service_specific": { "type": "object" }
        },
        "additionalProperties": false
    })
}

async fn set_policy(app: &TestApp, schema: Value, protected: Value, dry_run: bool) -> Value {
    let variables = json!({ "entityType": "CAMPAIGN", "schema": schema,
                            "protectedPaths": protected, "dryRun": dry_run });
    app.graphql(SET_POLICY, variables).await.expect_data()["setMetadataPolicy"].clone()
}

fn pointers(errors: &[Value]) -> Vec<String> {
    errors[0]["extensions"]["violations"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|v| v["pointer"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn api_writes_that_break_the_schema_are_refused_with_pointers_and_write_nothing() {
    let app = spawn_app().await;
    let (good, _) = create_campaign(&app, json!({ "title": "Spring" })).await;
    let (bad, _) = create_campaign(&app, json!({ "priority": -1 })).await;

    // A dry run reports the existing document it would refuse, and sets nothing.
    let dry = set_policy(&app, campaign_schema(), json!([]), true).await;
    assert_eq!(dry["applied"], json!(false));
    assert_eq!(dry["policy"]["version"], json!(1));
    assert_eq!(dry["policy"]["setAt"], Value::Null);
    assert_eq!(
        (
            dry["checkedDocuments"].clone(),
            dry["violatingDocuments"].clone()
        ),
        (json!(2), json!(1))
    );
    let found: Vec<(String, String)> = dry["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["entityId"].as_str().unwrap().to_owned(),
                v["pointer"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        found.contains(&(bad.to_string(), "".into())),
        "missing title: {found:?}"
    );
    assert!(
        found.contains(&(bad.to_string(), "/priority".into())),
        "{found:?}"
    );
    let none = app
        .graphql(
            "{ metadataPolicy(entityType: CAMPAIGN) { version } }",
            json!({}),
        )
        .await
        .expect_data();
    assert_eq!(none["metadataPolicy"], Value::Null);

    let set = set_policy(&app, campaign_schema(), json!([]), false).await;
    assert_eq!(set["applied"], json!(true));
    assert_eq!(set["policy"]["version"], json!(1));
    assert!(set["policy"]["setAt"].is_string());

    // A patch that breaks the schema: refused, naming the place; the pair is unchanged.
    let before = app.pair("service_campaign_main", good).await;
    let reply = app
        .graphql(
            UPDATE,
            json!({ "entityType": "CAMPAIGN", "entityId": good,
                                 "patch": { "priority": "high", "colour": "red" } }),
        )
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    let mut places = pointers(&reply.errors);
    places.sort();
    assert_eq!(places, vec!["".to_owned(), "/priority".to_owned()]);
    assert_eq!(app.pair("service_campaign_main", good).await, before);

    // Creating without the required title: refused, no row.
    let reply = app
        .graphql(
            include_str!("../operations/create_campaign.graphql"),
            json!({ "input": { "name": "untitled", "metadata": { "priority": 1 } } }),
        )
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert_eq!(pointers(&reply.errors), vec!["".to_owned()]);
    let rows = app
        .sql_rows("SELECT count(*) AS n FROM service_campaign_main", vec![])
        .await;
    assert_eq!(rows[0].try_get::<i64>("", "n").unwrap(), 2);

    // A valid write passes; the cross reference the service adds is not the schema's business.
    let reply = app
        .graphql(
            UPDATE,
            json!({ "entityType": "CAMPAIGN", "entityId": good, "patch": { "priority": 3 } }),
        )
        .await
        .expect_data();
    assert_eq!(reply["updateEntityMetadata"]["master"]["version"], json!(2));

    // A second version replaces the first; `true` accepts everything again.
    let lifted = set_policy(&app, json!(true), json!([]), false).await;
    assert_eq!(lifted["policy"]["version"], json!(2));
    app.graphql(
        UPDATE,
        json!({ "entityType": "CAMPAIGN", "entityId": good, "patch": { "colour": "red" } }),
    )
    .await
    .expect_data();
    let first = app
        .graphql(
            "{ metadataPolicy(entityType: CAMPAIGN, version: 1) { version schema } }",
            json!({}),
        )
        .await
        .expect_data();
    assert_eq!(first["metadataPolicy"]["schema"], campaign_schema());
    app.stop().await;
}

#[tokio::test]
async fn invalid_policies_are_refused() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "type": 12 }), json!([])),
        (
            json!({ "$ref": "https://schemas.example.test/campaign.json" }),
            json!([]),
        ),
        (json!({ "$ref": "file:///etc/passwd" }), json!([])),
        (
            json!(true),
            json!([{ "pointer": "pricing", "scope": "pricing:write" }]),
        ),
        (
            json!(true),
            json!([{ "pointer": "/pricing", "scope": "pricing write" }]),
        ),
    ];
    for (schema, protected) in cases {
        let variables =
            json!({ "entityType": "CAMPAIGN", "schema": schema, "protectedPaths": protected });
        let reply = app.graphql(SET_POLICY, variables).await;
        assert_eq!(
            reply.code(),
            "BAD_USER_INPUT",
            "{schema} {protected}: {:?}",
            reply.errors
        );
        let message = reply.errors[0]["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("/etc/passwd") || message.len() < 300,
            "{message}"
        );
    }
    let none = app
        .graphql(
            "{ metadataPolicy(entityType: CAMPAIGN) { version } }",
            json!({}),
        )
        .await
        .expect_data();
    assert_eq!(none["metadataPolicy"], Value::Null);
    app.stop().await;
}

/// Polls the recorded violations until `count` are there (the audit runs in a worker).
async fn recorded(app: &TestApp, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        let data = app
            .graphql(
                VIOLATIONS,
                json!({ "entityType": "CAMPAIGN", "first": 100 }),
            )
            .await
            .expect_data();
        let edges = data["policyViolations"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if edges.len() >= count {
            return edges.into_iter().map(|edge| edge["node"].clone()).collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the audit did not record {count} violation(s)");
}

#[tokio::test]
async fn raw_sql_writes_that_break_the_policy_are_recorded_by_the_audit() {
    let app = spawn_app().await;
    let protected = json!([{ "pointer": "/pricing", "scope": "pricing:write" }]);
    set_policy(&app, campaign_schema(), protected, false).await;
    let (id, _) =
        create_campaign(&app, json!({ "title": "Spring", "pricing": { "net": 10 } })).await;

    // Raw SQL cannot be refused by the service, but it is audited: a wrong type…
    app.sql(
        &merge_key_sql(&app, "service_campaign_main"),
        vec![id.into(), "priority".into(), (-5i64).into()],
    )
    .await
    .unwrap();
    let found = recorded(&app, 1).await;
    assert_eq!(found[0]["pointer"], json!("/priority"));
    assert_eq!(found[0]["origin"], json!("SQL"));
    assert_eq!(found[0]["version"], json!(2));
    assert_eq!(found[0]["policyVersion"], json!(1));
    assert_eq!(found[0]["entityId"], json!(id.to_string()));

    // …and a change to a protected path, which a raw SQL writer holds no scope for.
    let replace = if app.is_postgres() {
        "UPDATE service_campaign_main SET metadata = jsonb_set(metadata, '{pricing,net}', '99') WHERE id = $1"
    } else {
        "UPDATE service_campaign_main SET metadata = json_set(metadata, '$.pricing.net', 99) WHERE id = $1"
    };
    app.sql(replace, vec![id.into()]).await.unwrap();
    let found = recorded(&app, 3).await;
    let newest: Vec<&str> = found
        .iter()
        .filter(|v| v["version"] == json!(3))
        .map(|v| v["pointer"].as_str().unwrap())
        .collect();
    assert!(newest.contains(&"/pricing"), "{found:#?}");
    assert!(
        newest.contains(&"/priority"),
        "still a wrong type: {found:#?}"
    );

    // API writes were checked before they happened: nothing of theirs is recorded.
    assert!(found.iter().all(|v| v["origin"] == json!("SQL")));
    // Pages: newest first, the cursor continues where the page ended.
    let page = app
        .graphql(VIOLATIONS, json!({ "entityType": "CAMPAIGN", "first": 1 }))
        .await
        .expect_data();
    assert_eq!(
        page["policyViolations"]["pageInfo"]["hasNextPage"],
        json!(true)
    );
    let cursor = page["policyViolations"]["edges"][0]["cursor"].clone();
    let rest = app
        .graphql(
            VIOLATIONS,
            json!({ "entityType": "CAMPAIGN", "first": 100, "after": cursor }),
        )
        .await
        .expect_data();
    assert_eq!(
        rest["policyViolations"]["edges"].as_array().unwrap().len(),
        found.len() - 1
    );
    app.stop().await;
}

#[tokio::test]
async fn localization_writes_are_checked_against_the_policy_too() {
    let app = crate::helpers::spawn_localized_app().await;
    // Translations may only be written for `fr`: the worker's `es` write breaks the policy.
    let schema = json!({ "properties": { "service_specific": { "properties": { "localization": {
        "properties": { "scripts_translations": { "propertyNames": { "const": "fr" } } } } } } } });
    set_policy(&app, schema, json!([]), false).await;
    let scripts = json!({ "service_specific": { "localization": {
        "scripts": { "greeting": "Hello" }, "target_locales": ["es"] } } });
    let (id, _) = create_campaign(&app, scripts).await;

    let query = "{ deadLetters(consumer: \"localization\") { lastError event { entityId } } }";
    let mut letters = Value::Null;
    for _ in 0..200 {
        letters = app.graphql(query, json!({})).await.expect_data()["deadLetters"].clone();
        if letters.as_array().is_some_and(|l| !l.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        letters[0]["event"]["entityId"],
        json!(id.to_string()),
        "{letters}"
    );
    assert_eq!(
        letters[0]["lastError"],
        json!("the translated document breaks the entity type's metadata policy")
    );
    let (entity, _, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(version, 1, "nothing was written");
    assert!(
        entity["service_specific"]["localization"]
            .get("scripts_translations")
            .is_none()
    );
    app.stop().await;
}

#[tokio::test]
async fn protected_paths_need_their_scope_and_policies_need_admin() {
    let (app, _jwks) = secured_app().await;
    let admin = hs256(&claims(
        "metadata:read metadata:write metadata:admin",
        "ada",
    ));
    let writer = hs256(&claims("metadata:read metadata:write", "wes"));
    let pricer = hs256(&claims("metadata:read metadata:write pricing:write", "pia"));
    let variables = json!({ "entityType": "CAMPAIGN", "schema": true,
        "protectedPaths": [{ "pointer": "/pricing", "scope": "pricing:write" }] });

    let (_, body) = post(&app, Some(&writer), SET_POLICY, variables.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        json!("FORBIDDEN"),
        "{body}"
    );
    let (_, body) = post(&app, Some(&admin), SET_POLICY, variables).await;
    assert_eq!(
        body["data"]["setMetadataPolicy"]["policy"]["setBy"],
        json!("ada"),
        "{body}"
    );

    // Creating with a protected path needs its scope too.
    let create = include_str!("../operations/create_campaign.graphql");
    let priced = json!({ "input": { "name": "x", "metadata": { "pricing": { "net": 1 } } } });
    let (_, body) = post(&app, Some(&writer), create, priced.clone()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        json!("FORBIDDEN"),
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["violations"][0]["pointer"],
        json!("/pricing")
    );
    let (_, body) = post(&app, Some(&pricer), create, priced).await;
    let id = body["data"]["createCampaign"]["id"].clone();
    assert!(id.is_string(), "{body}");

    // Without the scope: other paths may change, the protected one may not.
    let patch = |patch: Value| json!({ "entityType": "CAMPAIGN", "entityId": id, "patch": patch });
    let (_, body) = post(&app, Some(&writer), UPDATE, patch(json!({ "title": "ok" }))).await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = post(
        &app,
        Some(&writer),
        UPDATE,
        patch(json!({ "pricing": { "net": 2 } })),
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], json!("FORBIDDEN"));
    assert_eq!(
        body["errors"][0]["extensions"]["violations"][0]["kind"],
        json!("PROTECTED_PATH")
    );
    let (_, body) = post(
        &app,
        Some(&writer),
        UPDATE,
        patch(json!({ "pricing": null })),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        json!("FORBIDDEN"),
        "removing is changing"
    );
    let (_, body) = post(
        &app,
        Some(&pricer),
        UPDATE,
        patch(json!({ "pricing": { "net": 2 } })),
    )
    .await;
    assert_eq!(
        body["data"]["updateEntityMetadata"]["master"]["metadata"]["pricing"],
        json!({ "net": 2 }),
        "{body}"
    );
    app.stop().await;
}
