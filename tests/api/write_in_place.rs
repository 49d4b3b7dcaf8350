//! A flat merge patch or a replacement whose answer does not select the entity is applied in
//! one statement on PostgreSQL (`sync::write_in_place`). It must leave what the full write
//! path leaves, and hand every case it cannot check itself to the full path. On SQLite every
//! write takes the full path; the same assertions hold.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Reply, TestApp, create_campaign, spawn_app};

/// Answers without the entity: the one-statement path for a flat patch or a replacement.
const IN_PLACE: &str = "mutation($id: UUID!, $patch: JSON, $metadata: JSON, $expected: Int) {
    updateEntityMetadata(entityType: CAMPAIGN, entityId: $id, patch: $patch,
                         metadata: $metadata, expectedVersion: $expected) {
        master { id version metadata entityId createdAt updatedAt } } }";
/// Selects the entity: always the full path.
const FULL: &str = include_str!("../operations/update_entity_metadata.graphql");

fn without_cross_reference(mut document: Value) -> Value {
    document
        .as_object_mut()
        .expect("an object")
        .remove("metadata_master_id");
    document
}

/// The version a write answered (asserting it succeeded).
fn version_of(reply: Reply) -> Value {
    reply.expect_data()["updateEntityMetadata"]["master"]["version"].clone()
}

async fn event_count(app: &TestApp) -> i64 {
    app.sql_rows("SELECT count(*) AS n FROM _metadata_events", vec![])
        .await[0]
        .try_get("", "n")
        .unwrap()
}

/// Replaces the document with the in-place selection.
async fn replace_in_place(app: &TestApp, id: Uuid, document: Value) -> Reply {
    app.reset_statement_count();
    app.graphql(IN_PLACE, json!({ "id": id, "metadata": document }))
        .await
}

async fn in_place(app: &TestApp, id: Uuid, patch: Value, expected: Option<i64>) -> Reply {
    app.reset_statement_count();
    app.graphql(
        IN_PLACE,
        json!({ "id": id, "patch": patch, "expected": expected }),
    )
    .await
}

#[tokio::test]
async fn a_write_in_place_leaves_what_the_full_path_leaves() {
    let app = spawn_app().await;
    let start = json!({
        "title": "Spring", "price": 2.50, "tags": ["a", {"b": null}], "nested": {"x": 1},
        "text": "naïve \"quoted\" \\ text", "big": 12345678901234567890u64
    });
    let (a, a_master) = create_campaign(&app, start.clone()).await;
    let (b, _) = create_campaign(&app, start).await;
    let changes = [
        ("patch", json!({ "title": "Summer" })),
        ("patch", json!({ "price": 3.25, "count": 7, "flag": true })),
        (
            "patch",
            json!({ "tags": [1, {"deep": [null, {"k": "v"}]}, "é"] }),
        ),
        (
            "metadata",
            json!({ "fresh": true, "list": [null, {"a": null}], "n": {"x": [[]]},
                             "metadata_master_id": "not the cross reference" }),
        ),
        (
            "patch",
            json!({ "nested": "now a string", "text": "ünïcödé ✓" }),
        ),
        ("metadata", json!({ "only": "this", "neg": -0.5 })),
        (
            "patch",
            json!({ "empty_list": [], "neg": -0.25, "huge": 1e300 }),
        ),
    ];
    for (n, (argument, value)) in changes.into_iter().enumerate() {
        let version = n as i64 + 2;
        let reply = match argument {
            "patch" => in_place(&app, a, value.clone(), None).await,
            _ => replace_in_place(&app, a, value.clone()).await,
        };
        if app.is_postgres() {
            let statements = app.statements();
            assert_eq!(statements.len(), 1, "{statements:#?}");
            assert!(statements[0].starts_with("WITH e AS"), "{statements:#?}");
        }
        let answered = reply.expect_data()["updateEntityMetadata"]["master"].clone();
        let full = app
            .graphql(
                FULL,
                json!({ "entityType": "CAMPAIGN", "entityId": b, argument: value }),
            )
            .await
            .expect_data()["updateEntityMetadata"]["master"]
            .clone();
        assert_eq!(answered["version"], json!(version));
        assert_eq!(full["version"], json!(version));
        assert_eq!(answered["id"], json!(a_master));
        assert_eq!(answered["entityId"], json!(a));
        let stored = app
            .sql_rows(
                "SELECT updated_at FROM _metadata_master WHERE id = $1",
                vec![a_master.into()],
            )
            .await;
        let updated_at: chrono::DateTime<chrono::Utc> =
            stored[0].try_get("", "updated_at").unwrap();
        let answered_at: chrono::DateTime<chrono::Utc> =
            answered["updatedAt"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            answered_at, updated_at,
            "the answer's updatedAt is the stored one"
        );
        let (entity_doc, master_doc, stored_version) = app.pair("service_campaign_main", a).await;
        assert_eq!(stored_version, version);
        assert_eq!(entity_doc, master_doc);
        assert_eq!(
            answered["metadata"], master_doc,
            "the answer is the stored document"
        );
        let (other_doc, _, _) = app.pair("service_campaign_main", b).await;
        assert_eq!(
            master_doc["metadata_master_id"],
            json!(a_master.to_string())
        );
        assert_eq!(other_doc["metadata_master_id"], full["id"]);
        assert_eq!(
            without_cross_reference(master_doc),
            without_cross_reference(other_doc),
            "after change {n}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn what_one_statement_cannot_decide_is_decided_by_the_full_path() {
    let app = spawn_app().await;
    let (id, _) = create_campaign(&app, json!({ "a": 1, "n": { "x": 1 } })).await;

    // A stale expectedVersion: CONFLICT, nothing written; the current one writes.
    let reply = in_place(&app, id, json!({ "a": 2 }), Some(5)).await;
    assert_eq!(reply.code(), "CONFLICT");
    assert_eq!(app.pair("service_campaign_main", id).await.2, 1);
    let reply = in_place(&app, id, json!({ "a": 2 }), Some(1)).await;
    assert_eq!(version_of(reply), 2);

    // A stale expectedVersion on a replacement: CONFLICT too.
    app.reset_statement_count();
    let reply = app
        .graphql(
            IN_PLACE,
            json!({ "id": id, "metadata": { "a": 9 }, "expected": 1 }),
        )
        .await;
    assert_eq!(reply.code(), "CONFLICT");

    // Nothing to change: no new version, no event. A replacement with the current
    // document, without its cross reference, with a wrong one.
    let before = event_count(&app).await;
    let reply = in_place(&app, id, json!({ "a": 2 }), None).await;
    assert_eq!(version_of(reply), 2);
    let (current, _, _) = app.pair("service_campaign_main", id).await;
    let wrong_reference = {
        let mut document = current.clone();
        document["metadata_master_id"] = json!(Uuid::new_v4().to_string());
        document
    };
    for document in [
        current.clone(),
        without_cross_reference(current.clone()),
        wrong_reference,
    ] {
        let reply = replace_in_place(&app, id, document.clone()).await;
        assert_eq!(version_of(reply), 2, "{document}");
    }
    assert_eq!(
        event_count(&app).await,
        before,
        "no event for writes that change nothing"
    );
    let (empty, _) = create_campaign(&app, json!({})).await;
    assert_eq!(
        version_of(replace_in_place(&app, empty, json!({})).await),
        1
    );

    // Not flat (a nested object, a removal): the full path merges recursively.
    in_place(&app, id, json!({ "n": { "y": 2 }, "a": null }), None)
        .await
        .expect_data();
    let (document, _, version) = app.pair("service_campaign_main", id).await;
    assert_eq!(version, 3);
    assert_eq!(
        without_cross_reference(document),
        json!({ "n": { "x": 1, "y": 2 } })
    );

    // An unknown entity.
    let reply = in_place(&app, Uuid::new_v4(), json!({ "a": 1 }), None).await;
    assert_eq!(reply.code(), "NOT_FOUND");
    app.stop().await;
}

#[tokio::test]
async fn in_place_patches_keep_the_document_limits_of_the_result() {
    let app = spawn_app().await;
    let raw_write = |id: Uuid, document: Value| {
        let app = &app;
        async move {
            app.sql(
                "UPDATE service_campaign_main SET metadata = $2 WHERE id = $1",
                vec![id.into(), document.into()],
            )
            .await
            .unwrap();
        }
    };
    // Written by another service: 32 levels deep (the API's limit) is written in one
    // statement; 33 is refused, and a patch does not make it acceptable.
    for (levels, accepted) in [(32, true), (33, false)] {
        let (deep, _) = create_campaign(&app, json!({})).await;
        let nested = (0..levels).fold(json!(1), |inner, _| json!({ "d": inner }));
        raw_write(deep, nested).await;
        let before = app.pair("service_campaign_main", deep).await;
        let reply = in_place(&app, deep, json!({ "k": 1 }), None).await;
        if accepted {
            assert_eq!(version_of(reply), 3);
            if app.is_postgres() {
                assert_eq!(app.statement_count(), 1, "{levels} levels");
            }
        } else {
            assert_eq!(reply.code(), "BAD_USER_INPUT");
            assert!(
                reply.errors[0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("nested deeper")
            );
            assert_eq!(app.pair("service_campaign_main", deep).await, before);
        }
    }

    // 1.1 MB (the limit is 1 MiB): refused. 400 kB: too large to be sure of in one
    // statement, written by the full path. 200 kB: written in one statement.
    for (kilobytes, written, statements) in [
        (1100, false, None),
        (400, true, Some(3)),
        (200, true, Some(1)),
    ] {
        let (id, _) = create_campaign(&app, json!({})).await;
        raw_write(id, json!({ "blob": "x".repeat(kilobytes * 1000) })).await;
        let reply = in_place(&app, id, json!({ "k": 1 }), None).await;
        let counted = app.statement_count();
        if written {
            assert_eq!(version_of(reply), 3);
            if app.is_postgres() {
                assert_eq!(Some(counted), statements, "{kilobytes} kB");
            }
        } else {
            assert_eq!(reply.code(), "BAD_USER_INPUT");
            assert!(
                reply.errors[0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("larger than")
            );
            assert_eq!(app.pair("service_campaign_main", id).await.2, 2);
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_metadata_policy_is_enforced_on_in_place_writes() {
    let app = spawn_app().await;
    let (id, _) = create_campaign(&app, json!({ "title": "Spring" })).await;
    let policy = json!({ "entityType": "CAMPAIGN", "dryRun": false, "schema": {
        "type": "object", "properties": { "title": { "type": "string" } } } });
    app.graphql(
        include_str!("../operations/set_metadata_policy.graphql"),
        policy,
    )
    .await
    .expect_data();
    let reply = in_place(&app, id, json!({ "title": 5 }), None).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    let reply = replace_in_place(&app, id, json!({ "title": 5 })).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert_eq!(app.pair("service_campaign_main", id).await.2, 1);
    let reply = in_place(&app, id, json!({ "title": "Summer" }), None).await;
    assert_eq!(version_of(reply), 2);
    let reply = replace_in_place(&app, id, json!({ "title": [] })).await;
    assert_eq!(
        reply.code(),
        "BAD_USER_INPUT",
        "still refused once the type is noted"
    );
    // That write read the policy: later writes of the type skip the one-statement attempt.
    let reply = in_place(&app, id, json!({ "title": "Autumn" }), None).await;
    assert_eq!(version_of(reply), 3);
    if app.is_postgres() {
        let statements = app.statements();
        assert_eq!(statements.len(), 2, "{statements:#?}");
        assert!(!statements[0].starts_with("WITH e AS"), "{statements:#?}");
    }
    app.stop().await;
}

/// The one-statement path trusts `DocumentLimits::check` to count at most three bytes per
/// byte of PostgreSQL's `jsonb::text` (see `size_cap`). Checked against PostgreSQL's own
/// text for the shapes where the two differ most.
#[tokio::test]
async fn the_counted_size_is_at_most_three_times_the_stored_text() {
    let app = spawn_app().await;
    if !app.is_postgres() {
        return app.stop().await;
    }
    let limits = metadata_synergy::sync::DocumentLimits {
        max_bytes: usize::MAX,
        max_depth: 100,
    };
    let documents = [
        "{}",
        r#"{"a":[1e2]}"#,
        r#"{"a":[[]],"b":[{}],"c":[[[[1]]]]}"#,
        r#"{"n":[-0, 1.0, 1e15, 1e16, 1e-7, 0.1, 123456789012345678901234567890, 2.50]}"#,
        r#"{"s":["", "\"", "\\", "é", "\u0001"], "b":[true, false, null]}"#,
        r#"{"":{"":{"":[null]}}}"#,
    ];
    for document in documents {
        let rows = app
            .sql_rows("SELECT $1::jsonb::text AS text", vec![document.into()])
            .await;
        let text: String = rows[0].try_get("", "text").unwrap();
        let stored: Value = serde_json::from_str(&text).unwrap();
        let counted = limits.check(&stored, "document").unwrap();
        assert!(
            counted <= 3 * text.len(),
            "{document}: {counted} > 3 × {}",
            text.len()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn an_in_place_patch_records_its_origin_and_actor_and_answers_in_sync() {
    let app = crate::helpers::spawn_app_trusting_actor_header().await;
    let (id, master_id) = create_campaign(&app, json!({ "a": 1 })).await;
    app.reset_statement_count();
    app.graphql_as(
        Some("alice"),
        IN_PLACE,
        json!({ "id": id, "patch": { "a": 2 } }),
    )
    .await
    .expect_data();
    if app.is_postgres() {
        assert_eq!(app.statement_count(), 1);
    }
    let events = app
        .sql_rows(
            "SELECT origin, actor, version FROM _metadata_events WHERE master_id = $1 ORDER BY id DESC",
            vec![master_id.into()],
        )
        .await;
    let latest: (String, Option<String>, i64) = (
        events[0].try_get("", "origin").unwrap(),
        events[0].try_get("", "actor").unwrap(),
        events[0].try_get("", "version").unwrap(),
    );
    assert_eq!(latest, ("api".into(), Some("alice".into()), 2));
    assert_eq!(events.len(), 2, "one event per version");

    // `inSync` reads the decoded document: the full path answers it.
    app.reset_statement_count();
    let data = app
        .graphql(
            "mutation($id: UUID!) { updateEntityMetadata(entityType: CAMPAIGN, entityId: $id,
               patch: { a: 3 }) { master { version inSync } } }",
            json!({ "id": id }),
        )
        .await
        .expect_data();
    assert_eq!(
        data["updateEntityMetadata"]["master"],
        json!({ "version": 3, "inSync": true })
    );
    if app.is_postgres() {
        assert!(app.statement_count() >= 2, "{:#?}", app.statements());
    }
    app.stop().await;
}

/// PostgreSQL: a held master row and a drifted pair are left to the full path, which waits
/// for the one and repairs the other as it always does.
#[tokio::test]
async fn a_held_master_and_a_drifted_pair_take_the_full_path() {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    let app = spawn_app().await;
    if !app.is_postgres() {
        return app.stop().await;
    }
    let (id, master_id) = create_campaign(&app, json!({ "a": 1 })).await;
    let holder = app.db.begin().await.unwrap();
    holder
        .execute_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT 1 FROM _metadata_master WHERE id = $1 FOR UPDATE",
            vec![master_id.into()],
        ))
        .await
        .unwrap();
    let writer = {
        let (address, client) = (app.address.clone(), reqwest::Client::new());
        tokio::spawn(async move {
            client
                .post(format!("{address}/graphql"))
                .json(&json!({ "query": IN_PLACE, "variables": { "id": id, "patch": { "b": 2 } } }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the write waits for the held master");
    holder.commit().await.unwrap();
    let answer = writer.await.unwrap();
    assert_eq!(
        answer["data"]["updateEntityMetadata"]["master"]["version"], 2,
        "{answer}"
    );

    // Drift: the entity changed with the triggers off.
    let drifter = app.db.begin().await.unwrap();
    drifter
        .execute_unprepared("SET LOCAL session_replication_role = replica")
        .await
        .unwrap();
    drifter
        .execute_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            r#"UPDATE service_campaign_main SET metadata = metadata || '{"drift": true}' WHERE id = $1"#,
            vec![id.into()],
        ))
        .await
        .unwrap();
    drifter.commit().await.unwrap();
    app.reset_statement_count();
    let reply = in_place(&app, id, json!({ "c": 3 }), None).await;
    assert_eq!(version_of(reply), 3);
    assert_eq!(app.statement_count(), 3, "{:#?}", app.statements());
    let (entity_doc, master_doc, _) = app.pair("service_campaign_main", id).await;
    assert_eq!(entity_doc, master_doc);
    assert_eq!(
        without_cross_reference(master_doc),
        json!({ "a": 1, "b": 2, "c": 3, "drift": true })
    );
    app.stop().await;
}

/// A replacement gains the cross reference: one that has room for it is written in one
/// statement, one that has not is refused by the full path, as it always was.
#[tokio::test]
async fn a_replacement_in_place_keeps_room_for_the_cross_reference() {
    let app = spawn_app().await;
    let max = metadata_synergy::sync::DocumentLimits::default().max_bytes;
    // `{"blob": "x…x"}` counts 12 bytes more than its string; the cross reference 60.
    for (blob, accepted) in [(max - 60 - 12, true), (max - 59 - 12, false)] {
        let (id, _) = create_campaign(&app, json!({})).await;
        let reply = replace_in_place(&app, id, json!({ "blob": "x".repeat(blob) })).await;
        if accepted {
            assert_eq!(version_of(reply), 2);
            if app.is_postgres() {
                assert_eq!(app.statement_count(), 1, "{blob}");
            }
        } else {
            assert_eq!(reply.code(), "BAD_USER_INPUT");
            let message = reply.errors[0]["message"].as_str().unwrap();
            assert!(
                message.contains("resulting metadata is larger"),
                "{message}"
            );
            assert_eq!(app.pair("service_campaign_main", id).await.2, 1);
        }
    }
    app.stop().await;
}
