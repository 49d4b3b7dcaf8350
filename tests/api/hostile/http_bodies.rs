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
        ("text/plain", "{\"query\": \"{ __typename }\"}", 415),
        ("multipart/form-data; boundary=x", "--x\r\n\r\n--x--", 415),
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
