//! The HTTP surface: health, GraphQL over GET (queries only), GraphiQL for browsers.

use serde_json::{Value, json};

use crate::helpers::{create_campaign, spawn_app};

#[tokio::test]
async fn health_reports_a_reachable_database() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
    app.stop().await;
}

#[tokio::test]
async fn get_runs_queries_with_batched_navigation_but_never_mutations() {
    let app = spawn_app().await;
    create_campaign(&app, json!({ "a": 1 })).await;
    let query = "{ campaigns { edges { node { metadataMaster { version entity { id } } } } } }";
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", query)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["data"]["campaigns"]["edges"][0]["node"]["metadataMaster"]["version"],
        1
    );

    let mutation = "mutation { createSurvey(input: { title: \"x\" }) { id } }";
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let surveys = app
        .graphql("{ surveys { edges { cursor } } }", json!({}))
        .await
        .ok();
    assert_eq!(
        surveys["surveys"]["edges"],
        json!([]),
        "the GET mutation wrote nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_browser_gets_graphiql() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("GraphiQL"));
    app.stop().await;
}
