//! Requests that are not GraphQL requests at all get a JSON error with a code, never
//! debug text.

use super::{assert_healthy, post_raw};
use crate::helpers::spawn_app;

#[tokio::test]
async fn unreadable_bodies_get_a_graphql_error_with_a_code() {
    let app = spawn_app().await;
    let cases: [(&str, &str, u16); 4] = [
        ("application/json", "{ not json", 400),
        ("application/json", "[{\"query\": \"{ __typename }\"}]", 400),
        ("text/plain", "{\"query\": \"{ __typename }\"}", 400),
        ("multipart/form-data; boundary=x", "--x\r\n\r\n--x--", 400),
    ];
    for (content_type, body, status) in cases {
        let (actual, reply) = post_raw(&app, content_type, body.to_owned()).await;
        assert_eq!(actual, status, "{content_type} {body}");
        assert_eq!(
            reply["errors"][0]["extensions"]["code"], "BAD_REQUEST",
            "{reply}"
        );
        assert!(
            reply["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Over GET too, a deeply nested text is refused before anything parses it.
    let deep = format!("query {}", "{ a ".repeat(10_000));
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("apollo-require-preflight", "true")
        .query(&[("query", deep)])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    // Bodies over the limit get 413: `http::frontend::oversized_bodies_get_413`.
    assert_healthy(&app).await;
    app.stop().await;
}

/// CSRF: what a page on another origin can send without a preflight (`text/plain`, form
/// and multipart bodies, no content type) never runs, even when it is valid GraphQL JSON.
#[tokio::test]
async fn simple_cross_site_posts_never_run() {
    let app = spawn_app().await;
    let (id, _) = crate::helpers::create_campaign(&app, serde_json::json!({})).await;
    let mutation = format!("{{\"query\": \"mutation {{ deleteCampaign(id: \\\"{id}\\\") }}\"}}");
    for content_type in [
        Some("text/plain"),
        Some("text/plain; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = app.client.post(format!("{}/graphql", app.address));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.body(mutation.clone()).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{content_type:?}");
        let reply: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            reply["errors"][0]["extensions"]["code"], "BAD_REQUEST",
            "{reply}"
        );
    }
    let rows = app
        .sql_rows("SELECT count(*) AS n FROM service_campaign_main", vec![])
        .await;
    assert_eq!(
        rows[0].try_get::<i64>("", "n").unwrap(),
        1,
        "nothing was deleted"
    );
    // The same body as JSON does run (the browser would have needed a preflight for it).
    let (status, reply) = post_raw(&app, "application/json", mutation).await;
    assert_eq!(status, 200);
    assert_eq!(
        reply["data"]["deleteCampaign"],
        serde_json::json!(id.to_string())
    );
    app.stop().await;
}
