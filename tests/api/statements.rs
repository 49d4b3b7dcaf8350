//! Navigation is batched: statement counts do not grow with the page size.

use serde_json::json;

use crate::helpers::{create_campaign, spawn_app};

#[tokio::test]
async fn a_page_of_100_campaigns_with_masters_and_entities_costs_two_statements() {
    let app = spawn_app().await;
    for i in 0..100 {
        create_campaign(&app, json!({ "i": i })).await;
    }
    app.reset_statement_count();
    let data = app
        .graphql(
            include_str!("../operations/campaign_page.graphql"),
            json!({ "first": 100 }),
        )
        .await
        .expect_data();
    let edges = data["campaigns"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 100);
    assert!(
        edges
            .iter()
            .all(|edge| edge["node"]["metadataMaster"]["inSync"] == true)
    );
    assert!(
        edges
            .iter()
            .all(|edge| edge["node"]["metadataMaster"]["entity"]["id"] == edge["node"]["id"])
    );
    // 1: the page of campaigns joined with their masters; 2: the masters' entities.
    assert_eq!(app.statement_count(), 2);

    // A filtered page joins its masters too (the filter's columns are qualified).
    app.reset_statement_count();
    let data = app
        .graphql(
            "{ campaigns(first: 100, filter: { hasKey: \"i\" }) {
                 nodes { id metadataMaster { version } } } }",
            json!({}),
        )
        .await
        .expect_data();
    let nodes = data["campaigns"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 100);
    assert!(nodes.iter().all(|n| n["metadataMaster"]["version"] == 1));
    assert_eq!(app.statement_count(), 1);
    app.stop().await;
}

/// An entity and its master selected together are read in one statement (a join), by
/// id and through `_entities`; the master's document only when the selection reads it.
#[tokio::test]
async fn an_entity_and_its_master_cost_one_statement() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(create_campaign(&app, json!({ "i": i })).await.0);
    }
    app.reset_statement_count();
    let one = app
        .graphql(
            "query($id: UUID!) { campaign(id: $id) { id metadata
               metadataMaster { id version metadata } } }",
            json!({ "id": ids[3] }),
        )
        .await
        .expect_data();
    let campaign = &one["campaign"];
    assert_eq!(campaign["metadata"]["i"], json!(3));
    assert_eq!(campaign["metadataMaster"]["metadata"], campaign["metadata"]);
    assert_eq!(campaign["metadataMaster"]["version"], json!(1));
    assert_eq!(
        app.statement_count(),
        1,
        "the campaign joined with its master"
    );

    app.reset_statement_count();
    let representations: Vec<_> = ids
        .iter()
        .map(|id| json!({ "__typename": "Campaign", "id": id }))
        .collect();
    let entities = app
        .graphql(
            "query($r: [_Any!]!) { _entities(representations: $r) {
               ... on Campaign { id metadataMaster { id version } } } }",
            json!({ "r": representations }),
        )
        .await
        .expect_data();
    let entities = entities["_entities"].as_array().unwrap();
    assert_eq!(entities.len(), 20);
    for (entity, id) in entities.iter().zip(&ids) {
        assert_eq!(entity["id"], json!(id));
        assert_eq!(entity["metadataMaster"]["version"], json!(1));
    }
    assert_eq!(
        app.statement_count(),
        1,
        "20 campaigns and masters, one join"
    );
    app.stop().await;
}

/// A write reads the entity row for its answer only when the answer selects `entity`.
/// PostgreSQL: a flat patch (or a replacement, see `write_in_place.rs`) is one statement;
/// any other write locks the pair (marking the origin in the same statement) and answers
/// with the master row its UPDATE returned.
#[tokio::test]
async fn a_write_reads_its_entity_only_when_asked() {
    let app = spawn_app().await;
    let (id, _) = create_campaign(&app, json!({ "n": 0 })).await;
    let mut counts = Vec::new();
    for (n, patch, selection) in [
        (1, json!({ "n": 1 }), "master { version }"),
        (2, json!({ "n": { "nested": 2 } }), "master { version }"),
        (
            3,
            json!({ "n": { "nested": 3 } }),
            "master { version } entity { id }",
        ),
    ] {
        app.reset_statement_count();
        let query = format!(
            "mutation($id: UUID!, $patch: JSON!) {{ updateEntityMetadata(entityType: CAMPAIGN,
               entityId: $id, patch: $patch) {{ {selection} }} }}"
        );
        let data = app
            .graphql(&query, json!({ "id": id, "patch": patch }))
            .await
            .expect_data();
        assert_eq!(
            data["updateEntityMetadata"]["master"]["version"],
            json!(n + 1)
        );
        if n == 3 {
            assert_eq!(data["updateEntityMetadata"]["entity"]["id"], json!(id));
        }
        counts.push(app.statement_count());
        let statements = app.statements();
        if app.is_postgres() && n == 1 {
            assert_eq!(statements.len(), 1, "{statements:#?}");
            assert!(
                statements[0].starts_with("WITH e AS")
                    && statements[0].contains("set_config('metadata_synergy.origin'")
                    && statements[0].contains("FOR UPDATE OF m NOWAIT"),
                "{statements:#?}"
            );
        }
        if app.is_postgres() && n == 2 {
            assert_eq!(statements.len(), 2, "{statements:#?}");
            assert!(
                statements[0].contains("set_config('metadata_synergy.origin'")
                    && statements[0].ends_with("FOR UPDATE OF \"e\" FOR UPDATE OF \"m\" NOWAIT"),
                "{statements:#?}"
            );
            assert!(
                statements[1].starts_with("UPDATE \"_metadata_master\"")
                    && statements[1].contains("RETURNING")
            );
        }
    }
    assert_eq!(counts[2], counts[1] + 1, "{counts:?}");
    app.stop().await;
}
