//! The fast path answers exactly what strict validation answers, and the schema's scalars
//! behave as [`super::ACCEPT_ANY_VALUE`] assumes.

use async_graphql::{Request, Variables};
use serde_json::{Value as Json, json};

use crate::auth::Principal;
use crate::db::Autocommit;
use crate::events::Broadcaster;
use crate::graphql::batching::execute_prepared;
use crate::graphql::{ApiLimits, AppSchema, Prepared, Validation, build_schema, execute};

const CAMPAIGN: &str = "query C($id: UUID!) { campaign(id: $id) { id metadata } }";
const ENTITIES: &str = "query E($r: [_Any!]!) { _entities(representations: $r) \
                        { ... on Campaign { id metadataMaster { version } } } }";
const UPDATE: &str = "mutation U($id: UUID!, $patch: JSON!) { updateEntityMetadata(\
                      entityType: CAMPAIGN, entityId: $id, patch: $patch) { master { version } } }";
const CREATE: &str =
    "mutation { createCampaign(input: { name: \"c\", metadata: { a: 1 } }) { id } }";

struct Fixture {
    db: Autocommit,
    file: std::path::PathBuf,
}

impl Fixture {
    async fn new() -> Fixture {
        let file = std::env::temp_dir().join(format!("ms_fast_{}.sqlite", uuid::Uuid::new_v4()));
        let pool = crate::db::connect(&format!("sqlite://{}?mode=rwc", file.display()))
            .await
            .expect("connect");
        crate::db::migrate(&pool).await.expect("migrate");
        Fixture {
            db: Autocommit::new(pool),
            file,
        }
    }

    fn schema(&self) -> AppSchema {
        let pool = self.db.pool().clone();
        build_schema(
            self.db.clone(),
            Broadcaster::new(pool),
            ApiLimits::default(),
        )
    }

    async fn run(&self, schema: &AppSchema, text: &str, variables: &Json) -> Json {
        let response = execute(schema, &self.db, request(text, variables)).await;
        serde_json::to_value(response).expect("a response serializes")
    }

    /// The answers to the request validated strictly and in fast mode, from schemas that
    /// validated nothing before.
    async fn in_both_modes(&self, text: &str, variables: &Json) -> (Json, Json) {
        let mut answers = Vec::new();
        for validation in [Validation::Strict { remember: None }, Validation::Fast] {
            let prepared = Prepared {
                request: request(text, variables),
                validation,
            };
            let response = execute_prepared(&self.schema(), &self.db, prepared).await;
            answers.push(serde_json::to_value(response).expect("a response serializes"));
        }
        let fast = answers.pop().expect("two answers");
        (answers.pop().expect("two answers"), fast)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.file.display()));
        }
    }
}

fn request(text: &str, variables: &Json) -> Request {
    Request::new(text)
        .variables(Variables::from_json(variables.clone()))
        .data(Principal::unrestricted())
}

#[tokio::test]
async fn a_validated_operation_answers_as_strict_validation_does() {
    let fixture = Fixture::new().await;
    let validated = fixture.schema();
    let created = fixture.run(&validated, CREATE, &json!({})).await;
    let id = created["data"]["createCampaign"]["id"].clone();
    assert!(id.is_string(), "{created}");
    let representation = json!({ "__typename": "Campaign", "id": id });
    // One error-free answer per text validates it.
    for (text, variables) in [
        (CAMPAIGN, json!({ "id": id })),
        (ENTITIES, json!({ "r": [representation] })),
        (UPDATE, json!({ "id": id, "patch": { "b": 2 } })),
    ] {
        let answer = fixture.run(&validated, text, &variables).await;
        assert!(answer.get("errors").is_none(), "{answer}");
    }

    let unknown = uuid::Uuid::new_v4().to_string();
    let cases = [
        (CAMPAIGN, json!({ "id": id }), true),
        (CAMPAIGN, json!({ "id": unknown }), true),
        (CAMPAIGN, json!({ "id": "not-a-uuid" }), true),
        (CAMPAIGN, json!({ "id": 5 }), true),
        (CAMPAIGN, json!({ "id": { "a": 1 } }), true),
        (CAMPAIGN, json!({ "id": [id] }), true),
        (CAMPAIGN, json!({}), true),
        (CAMPAIGN, json!({ "id": null }), false),
        (
            ENTITIES,
            json!({ "r": [representation, representation] }),
            true,
        ),
        (ENTITIES, json!({ "r": representation }), true),
        (
            ENTITIES,
            json!({ "r": [5, "x", { "__typename": "Nope" }] }),
            true,
        ),
        (ENTITIES, json!({ "r": [representation, null] }), false),
        (ENTITIES, json!({ "r": null }), false),
        (UPDATE, json!({ "id": id, "patch": 5 }), true),
        (UPDATE, json!({ "id": id, "patch": [1] }), true),
        (UPDATE, json!({ "id": "x", "patch": { "b": 3 } }), true),
        (UPDATE, json!({ "id": id, "patch": null }), false),
    ];
    for (text, variables, fast) in cases {
        let prepared = validated
            .prepare(request(text, &variables))
            .expect("prepared");
        assert_eq!(
            matches!(prepared.validation, Validation::Fast),
            fast,
            "{text} {variables}"
        );
        let answered_fast = fixture.run(&validated, text, &variables).await;
        // A schema that has validated nothing yet validates strictly.
        let answered_strictly = fixture.run(&fixture.schema(), text, &variables).await;
        assert_eq!(answered_fast, answered_strictly, "{text} {variables}");
    }
}

/// Every scalar of [`super::ACCEPT_ANY_VALUE`] passes strict validation with a value of
/// the wrong kind: validated strictly and in fast mode (which skips the rule that checks
/// values), the request answers the same.
#[tokio::test]
async fn strict_validation_accepts_any_value_for_the_listed_scalars() {
    let fixture = Fixture::new().await;
    for scalar in super::ACCEPT_ANY_VALUE {
        let (text, variables) = match scalar {
            "UUID" => (CAMPAIGN, json!({ "id": { "not": "a uuid" } })),
            "JSON" => (
                UPDATE,
                json!({ "id": uuid::Uuid::new_v4().to_string(), "patch": 5 }),
            ),
            "_Any" => (ENTITIES, json!({ "r": [5, "x"] })),
            other => panic!("no case for the scalar {other}"),
        };
        let (strict, fast) = fixture.in_both_modes(text, &variables).await;
        assert!(strict.get("errors").is_some(), "{scalar}: {strict}");
        assert_eq!(strict, fast, "{scalar}");
    }
    // The comparison can fail: strict validation refuses a null where the type says `!`.
    let (strict, fast) = fixture
        .in_both_modes(CAMPAIGN, &json!({ "id": null }))
        .await;
    assert_ne!(strict, fast);
}

/// Strict validation skips an argument one of whose variables has no value, and checks
/// every fragment with every variable a request gives, whichever operation spreads it: a
/// request that left a variable out does not mark its operation, and an operation that
/// shares its document with others is validated strictly.
#[tokio::test]
async fn absent_and_undeclared_variables_keep_validation_strict() {
    let fixture = Fixture::new().await;
    let schema = fixture.schema();
    let strictly = |text: &'static str, variables: Json| {
        let fixture = &fixture;
        async move { fixture.run(&fixture.schema(), text, &variables).await }
    };

    // `bogus` is checked only with `$k` given.
    let filter = "query Q($k: String = \"a\") { campaigns(filter: { hasKey: $k, bogus: 1 }) \
                  { nodes { id } } }";
    let without_k = fixture.run(&schema, filter, &json!({})).await;
    assert!(without_k.get("errors").is_none(), "{without_k}");
    let with_k = fixture.run(&schema, filter, &json!({ "k": "b" })).await;
    assert!(with_k.get("errors").is_some(), "{with_k}");
    assert_eq!(with_k, strictly(filter, json!({ "k": "b" })).await);

    // A request for `A` has its `$x` checked in `B`'s fragment too, as an `Int`.
    let two = "query A($x: String) { campaigns(after: $x) { nodes { id } } } \
               query B($x: Int) { ...F } fragment F on Query { campaigns(first: $x) { nodes { id } } }";
    let named_a = |variables: Json| request(two, &variables).operation_name("A");
    let marked = execute(&schema, &fixture.db, named_a(json!({ "x": null }))).await;
    assert!(marked.errors.is_empty(), "{:?}", marked.errors);
    let not_an_int = json!({ "x": "abc" });
    let prepared = schema
        .prepare(named_a(not_an_int.clone()))
        .expect("prepared");
    assert!(matches!(prepared.validation, Validation::Strict { .. }));
    let answers = [
        execute(&schema, &fixture.db, named_a(not_an_int.clone())).await,
        execute(&fixture.schema(), &fixture.db, named_a(not_an_int)).await,
    ]
    .map(|response| serde_json::to_value(response).expect("a response serializes"));
    assert!(answers[0].get("errors").is_some(), "{}", answers[0]);
    assert_eq!(answers[0], answers[1]);

    // One operation: a variable it does not declare is validated strictly.
    let one = "query B($x: UUID!) { campaign(id: $x) { id } }";
    let id = json!({ "x": uuid::Uuid::new_v4().to_string() });
    let marked = execute(&schema, &fixture.db, request(one, &id)).await;
    assert!(marked.errors.is_empty(), "{:?}", marked.errors);
    let prepared = schema.prepare(request(one, &id)).expect("prepared");
    assert!(matches!(prepared.validation, Validation::Fast));
    let mut undeclared = id.clone();
    undeclared["y"] = json!(1);
    let prepared = schema.prepare(request(one, &undeclared)).expect("prepared");
    assert!(matches!(prepared.validation, Validation::Strict { .. }));
}
