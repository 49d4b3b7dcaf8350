//! Finding entities and masters by their metadata: the same answers on both databases
//! (PostgreSQL's `jsonb` semantics), bad filters refused, `contains` served by the GIN
//! index on PostgreSQL (pages under a filter and an order: `search_pages.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::helpers::{TestApp, create_campaign, spawn_app, uuid};

const CAMPAIGNS: &str = include_str!("../operations/search_campaigns.graphql");
const MASTERS: &str = include_str!("../operations/search_masters.graphql");

/// Campaigns a–d; returns their ids by label and an instant between b and c.
async fn seed(app: &TestApp) -> (BTreeMap<Uuid, &'static str>, DateTime<Utc>) {
    let documents = [
        (
            "a",
            json!({"region": "eu", "tags": ["x", "y"], "price": 10,
                   "nested": {"k": {"deep": true}},
                   "items": [{"sku": "S1", "qty": 2}, {"sku": "S2"}]}),
        ),
        (
            "b",
            json!({"region": "us", "tags": ["y"], "price": 10.0,
                   "nested": {"k": {"deep": false}}, "weird key, \"q\"}": 1}),
        ),
        (
            "c",
            json!({"region": null, "tags": [], "price": "10",
                   "items": [[1, 2], {"sku": "S1"}]}),
        ),
        ("d", json!({"label": "d"})),
    ];
    let mut labels = BTreeMap::new();
    let mut between = Utc::now();
    for (label, document) in documents {
        if label == "c" {
            tokio::time::sleep(Duration::from_millis(50)).await;
            between = Utc::now();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (id, _) = create_campaign(app, document).await;
        labels.insert(id, label);
    }
    (labels, between)
}

async fn matching(app: &TestApp, labels: &BTreeMap<Uuid, &str>, filter: &Json) -> String {
    let data = app
        .graphql(CAMPAIGNS, json!({ "filter": filter, "first": 100 }))
        .await
        .expect_data();
    let campaigns: BTreeSet<&str> = data["campaigns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| labels[&uuid(&edge["node"]["id"])])
        .collect();
    let data = app
        .graphql(
            MASTERS,
            json!({ "entityType": "CAMPAIGN", "filter": filter, "first": 100 }),
        )
        .await
        .expect_data();
    let masters: BTreeSet<&str> = data["metadataMasters"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| labels[&uuid(&edge["node"]["entityId"])])
        .collect();
    assert_eq!(
        campaigns, masters,
        "entities and masters differ for {filter}"
    );
    campaigns.into_iter().collect()
}

#[tokio::test]
async fn filters_have_jsonb_semantics_on_both_databases() {
    let app = spawn_app().await;
    let (labels, between) = seed(&app).await;
    let cases = [
        (json!({"contains": {"region": "eu"}}), "a"),
        (json!({"contains": {"tags": ["y"]}}), "ab"),
        (json!({"contains": {"tags": []}}), "abc"),
        (json!({"contains": {"price": 10}}), "ab"),
        (json!({"contains": {"items": [{"sku": "S1"}]}}), "ac"),
        (json!({"contains": {"items": [[2]]}}), "c"),
        (json!({"contains": {"nested": {"k": {"deep": true}}}}), "a"),
        (json!({"contains": {"weird key, \"q\"}": 1}}), "b"),
        (json!({"contains": {"region": "eu", "price": 10}}), "a"),
        (json!({"contains": {}}), "abcd"),
        (json!({"hasKey": "region"}), "abc"),
        (
            json!({"hasKey": "'; DROP TABLE service_campaign_main; --"}),
            "",
        ),
        (json!({"hasPath": ["nested", "k", "deep"]}), "ab"),
        (json!({"hasPath": ["items", "1", "sku"]}), "ac"),
        (json!({"hasPath": ["items", "0", "sku"]}), "a"),
        // Array positions as PostgreSQL reads them: from the end when negative, `01`,
        // `+1` and ` 1` are 1, anything else names no element.
        (json!({"hasPath": ["items", "-1", "sku"]}), "ac"),
        (json!({"path": ["items", "-1", "sku"], "equals": "S2"}), "a"),
        (json!({"path": ["items", "-2"], "equals": [1, 2]}), "c"),
        (json!({"hasPath": ["items", "-3"]}), ""),
        (json!({"path": ["items", "01", "sku"], "equals": "S2"}), "a"),
        (json!({"path": ["items", "+1", "sku"], "equals": "S2"}), "a"),
        (json!({"hasPath": ["items", "1x"]}), ""),
        (json!({"hasPath": ["tags", "0"]}), "ab"),
        (json!({"path": ["region"], "equals": null}), "c"),
        (
            json!({"path": ["nested", "k"], "equals": {"deep": true}}),
            "a",
        ),
        (json!({"path": ["tags"], "equals": ["x", "y"]}), "a"),
        (json!({"path": ["tags"], "equals": ["y", "x"]}), ""),
        (
            json!({"path": ["items", "0"], "equals": {"qty": 2, "sku": "S1"}}),
            "a",
        ),
        (json!({"path": ["price"], "in": [10, "10"]}), "abc"),
        (json!({"path": ["price"], "in": []}), ""),
        (json!({"not": {"hasKey": "region"}}), "d"),
        (json!({"not": {"path": ["region"], "equals": "eu"}}), "bcd"),
        (
            json!({"or": [{"contains": {"region": "eu"}}, {"hasKey": "items"}]}),
            "ac",
        ),
        (
            json!({"and": [{"hasKey": "tags"}, {"not": {"contains": {"tags": ["x"]}}}]}),
            "bc",
        ),
        (json!({"updatedAfter": between}), "cd"),
        (json!({"updatedBefore": between, "hasKey": "price"}), "ab"),
        (json!({}), "abcd"),
    ];
    let mut failures = Vec::new();
    for (filter, expected) in cases {
        let got = matching(&app, &labels, &filter).await;
        if got != expected {
            failures.push(format!("{filter}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let table_still_there = app
        .sql_rows("SELECT count(*) AS n FROM service_campaign_main", vec![])
        .await;
    assert_eq!(table_still_there[0].try_get::<i64>("", "n").unwrap(), 4);
    app.stop().await;
}

#[tokio::test]
async fn bad_filters_are_refused_with_bad_user_input() {
    let app = spawn_app().await;
    create_campaign(&app, json!({"a": 1})).await;
    let mut deep = json!({"hasKey": "a"});
    for _ in 0..12 {
        deep = json!({ "not": deep });
    }
    let cases = [
        json!({"path": ["a"]}),
        json!({"equals": 1}),
        json!({"contains": [1]}),
        json!({"hasPath": []}),
        json!({"contains": {"a": (0..300).collect::<Vec<_>>()}}),
        deep,
    ];
    for filter in cases {
        let reply = app.graphql(CAMPAIGNS, json!({ "filter": filter })).await;
        assert_eq!(
            reply.code(),
            "BAD_USER_INPUT",
            "{filter}: {:?}",
            reply.errors
        );
        let text = reply.errors[0]["message"].as_str().unwrap_or_default();
        assert!(!text.contains("SELECT") && !text.contains("sqlx"), "{text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn contains_is_served_by_the_gin_index_on_postgres() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        app.stop().await;
        return;
    }
    create_campaign(&app, json!({"region": "eu"})).await;
    app.reset_statement_count();
    app.graphql(
        CAMPAIGNS,
        json!({ "filter": {"contains": {"region": "eu"}} }),
    )
    .await
    .expect_data();
    app.graphql(MASTERS, json!({ "filter": {"contains": {"region": "eu"}} }))
        .await
        .expect_data();
    let statements = app.statements().join("\n");
    assert!(
        statements.contains("\"metadata\" @> $1"),
        "the API's filter is a bound @>: {statements}"
    );
    for table in ["service_campaign_main", "_metadata_master"] {
        let tx = app.db.begin().await.unwrap();
        tx.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        let explain =
            format!("EXPLAIN SELECT id FROM {table} WHERE \"metadata\" @> $1 ORDER BY id LIMIT 21");
        let plan: Vec<String> = tx
            .query_all_raw(Statement::from_sql_and_values(
                app.backend(),
                explain,
                [json!({"region": "eu"}).into()],
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect();
        tx.rollback().await.unwrap();
        let plan = plan.join("\n");
        println!("{table}:\n{plan}");
        assert!(plan.contains(&format!("{table}_metadata_gin")), "{plan}");
    }
    app.stop().await;
}

/// A page of masters reads their documents exactly when its nodes select them.
#[tokio::test]
async fn master_pages_read_documents_only_when_selected() {
    let app = spawn_app().await;
    create_campaign(&app, json!({"region": "eu"})).await;
    // The select list names the document column (a filter in WHERE reads it either way).
    let reads_document = |statements: Vec<String>| {
        statements.iter().any(|sql| {
            let selected = sql.split(" FROM ").next().unwrap_or_default();
            selected.contains("\"_metadata_master\".\"metadata\"")
        })
    };
    app.reset_statement_count();
    let data = app
        .graphql(MASTERS, json!({ "filter": {"contains": {"region": "eu"}} }))
        .await
        .expect_data();
    assert_eq!(
        data["metadataMasters"]["edges"].as_array().unwrap().len(),
        1
    );
    assert!(!reads_document(app.statements()), "{:#?}", app.statements());
    for query in [
        "{ metadataMasters { edges { node { version metadata } } } }",
        "{ metadataMasters { nodes { ...Doc } } } fragment Doc on MetadataMaster { inSync }",
    ] {
        app.reset_statement_count();
        let data = app.graphql(query, json!({})).await.expect_data();
        assert!(reads_document(app.statements()), "{query}");
        let page = &data["metadataMasters"];
        let node = page["edges"][0]["node"].clone();
        let node = if node.is_null() {
            page["nodes"][0].clone()
        } else {
            node
        };
        assert!(
            node["metadata"]["region"] == json!("eu") || node["inSync"] == json!(true),
            "{query}: {page}"
        );
    }
    app.stop().await;
}
