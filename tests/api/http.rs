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
    let get = |query: &str, preflight: bool| {
        let request = app
            .client
            .get(format!("{}/graphql", app.address))
            .query(&[("query", query)]);
        if preflight {
            request.header("apollo-require-preflight", "true")
        } else {
            request
        }
        .send()
    };
    // CSRF prevention: a GET operation without a preflight header is refused.
    let refused = get(query, false).await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    let response = get(query, true).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["data"]["campaigns"]["edges"][0]["node"]["metadataMaster"]["version"],
        1
    );

    let mutation = "mutation { createSurvey(input: { title: \"x\" }) { id } }";
    let response = get(mutation, true).await.unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let surveys = app
        .graphql("{ surveys { edges { cursor } } }", json!({}))
        .await
        .expect_data();
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

mod frontend {
    //! What frontends and CDNs rely on: CORS, body limits, persisted queries, content types.

    use metadata_synergy::server::HttpOptions;
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};

    use crate::helpers::{spawn_app, spawn_app_with_http};

    #[tokio::test]
    async fn cors_allows_configured_origins_only() {
        let http = HttpOptions {
            cors_allowed_origins: vec!["https://app.example".into()],
            ..Default::default()
        };
        let app = spawn_app_with_http(http).await;
        let preflight = |origin: &'static str| {
            app.client
                .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .send()
        };
        let allowed = preflight("https://app.example").await.unwrap();
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "https://app.example"
        );
        let other = preflight("https://evil.example").await.unwrap();
        assert!(other.headers().get("access-control-allow-origin").is_none());
        app.stop().await;

        let default = spawn_app().await;
        let response = default
            .client
            .post(format!("{}/graphql", default.address))
            .header("origin", "https://app.example")
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "no CORS unless configured"
        );
        default.stop().await;
    }

    #[tokio::test]
    async fn oversized_bodies_get_413() {
        let app = spawn_app_with_http(HttpOptions {
            max_body_bytes: 4096,
            ..Default::default()
        })
        .await;
        let padding = "x".repeat(8192);
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ __typename }", "variables": { "pad": padding } }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        let small = app.graphql("{ __typename }", json!({})).await.expect_data();
        assert_eq!(small["__typename"], "Query");
        app.stop().await;
    }

    /// A chunked body has no length to refuse it by up front: it is refused when the
    /// bytes read pass the limit.
    #[tokio::test]
    async fn chunked_bodies_over_the_limit_get_413() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let app = spawn_app_with_http(HttpOptions {
            max_body_bytes: 4096,
            ..Default::default()
        })
        .await;
        let host = app.address.trim_start_matches("http://").to_owned();
        let send_chunked = |body: String| {
            let host = host.clone();
            async move {
                let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
                let mut request = format!(
                    "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
                     Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                );
                for chunk in body.as_bytes().chunks(1000) {
                    let chunk = std::str::from_utf8(chunk).unwrap();
                    request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
                }
                request.push_str("0\r\n\r\n");
                // The server may answer and close before it read everything.
                let _ = stream.write_all(request.as_bytes()).await;
                let mut answer = Vec::new();
                let _ = stream.read_to_end(&mut answer).await;
                String::from_utf8_lossy(&answer).into_owned()
            }
        };
        let body = |padding: usize| {
            json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(padding) } })
                .to_string()
        };
        let over = send_chunked(body(8192)).await;
        assert!(over.starts_with("HTTP/1.1 413"), "{over}");
        let within = send_chunked(body(1000)).await;
        assert!(within.starts_with("HTTP/1.1 200"), "{within}");
        assert!(within.contains(r#""__typename":"Query""#), "{within}");
        app.stop().await;
    }

    #[tokio::test]
    async fn persisted_queries_work_over_get_for_queries_only() {
        let app = spawn_app().await;
        let query = "{ campaigns(first: 1) { edges { cursor } } }";
        let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        let get = |extensions: Value, query: Option<&str>| {
            let mut params = vec![("extensions", extensions.to_string())];
            if let Some(query) = query {
                params.push(("query", query.to_owned()));
            }
            app.client
                .get(format!("{}/graphql", app.address))
                .header("apollo-require-preflight", "true")
                .query(&params)
                .send()
        };
        let unknown: Value = get(extensions.clone(), None)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
        let registered: Value = get(extensions.clone(), Some(query))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(registered["data"]["campaigns"]["edges"], json!([]));
        let by_hash: Value = get(extensions, None).await.unwrap().json().await.unwrap();
        assert_eq!(by_hash["data"]["campaigns"]["edges"], json!([]));

        let mutation = "mutation { createSurvey(input: { title: \"via GET\" }) { id } }";
        let mutation_hash = format!("{:x}", Sha256::digest(mutation.as_bytes()));
        let mutation_extensions =
            json!({ "persistedQuery": { "version": 1, "sha256Hash": mutation_hash } });
        let body = json!({ "query": mutation, "extensions": mutation_extensions });
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&body)
            .send()
            .await
            .unwrap();
        let refused: Value = get(mutation_extensions, None)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{refused}"
        );
        let surveys = app
            .graphql("{ surveys { edges { node { title } } } }", json!({}))
            .await
            .expect_data();
        assert_eq!(
            surveys["surveys"]["edges"].as_array().unwrap().len(),
            1,
            "only the POST created one"
        );
        app.stop().await;
    }

    #[tokio::test]
    async fn content_type_follows_accept_or_the_option() {
        let app = spawn_app().await;
        let post = |accept: &'static str| {
            app.client
                .post(format!("{}/graphql", app.address))
                .header("accept", accept)
                .json(&json!({ "query": "{ __typename }" }))
                .send()
        };
        let spec = post("application/graphql-response+json, application/json;q=0.9")
            .await
            .unwrap();
        assert_eq!(
            spec.headers()["content-type"],
            "application/graphql-response+json"
        );
        let plain = post("application/json").await.unwrap();
        assert_eq!(plain.headers()["content-type"], "application/json");
        app.stop().await;

        let forced = spawn_app_with_http(HttpOptions {
            force_json_content_type: true,
            ..Default::default()
        })
        .await;
        let response = forced
            .client
            .post(format!("{}/graphql", forced.address))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], "application/json");
        forced.stop().await;
    }
}
