//! The migrations go down and up again cleanly, with data in the tables.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, TransactionTrait};

use crate::helpers::fresh_database;

#[tokio::test]
async fn migrations_revert_and_reapply_with_data() {
    let (url, database) = fresh_database().await;
    let db = metadata_synergy::db::connect(&url).await.unwrap();
    metadata_synergy::db::migrate(&db).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO service_survey_main (title, metadata) VALUES ('s', '{\"a\": 1}')",
    )
    .await
    .unwrap();
    revert_all(&db).await.expect("every migration reverts");
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    metadata_synergy::db::migrate(&db)
        .await
        .expect("and applies again");
    assert_eq!(
        Migrator::get_applied_migrations(&db).await.unwrap().len(),
        Migrator::migrations().len()
    );
    db.close().await.ok();
    database.drop_now().await;
}

/// Reverts every migration; on SQLite on one connection, as `db::migrate` applies them.
async fn revert_all(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return Migrator::down(db, None).await;
    }
    let tx = db.begin().await?;
    Migrator::down(&tx, None).await?;
    tx.commit().await
}

/// PostgreSQL built with lz4: documents written by the service or by raw SQL, on both sides
/// of a pair and in the event log, are stored lz4-compressed, and every entity table the
/// migrations created compresses its documents with lz4. Without lz4 they stay pglz.
#[tokio::test]
async fn documents_are_stored_lz4_compressed() {
    let app = crate::helpers::spawn_app().await;
    if !app.is_postgres() {
        app.stop().await;
        return;
    }
    let lz4 = crate::attach::scalar(
        &app,
        "SELECT count(*) FROM pg_settings WHERE 'lz4' = ANY (enumvals) \
         AND name = 'default_toast_compression'",
    )
    .await
        == 1;
    let expected = if lz4 { "lz4" } else { "pglz" };
    // Long enough to be compressed inline, repetitive enough to compress.
    let notes = "spring sale, ".repeat(400);
    let (campaign, master) =
        crate::helpers::create_campaign(&app, serde_json::json!({ "notes": notes })).await;
    app.graphql(
        include_str!("../operations/update_entity_metadata.graphql"),
        serde_json::json!({
            "entityType": "CAMPAIGN",
            "entityId": campaign,
            "patch": { "more": notes },
        }),
    )
    .await
    .expect_data();
    let stored = app
        .sql_rows(
            "SELECT pg_column_compression(c.metadata) AS entity, \
                    pg_column_compression(m.metadata) AS master, \
                    (SELECT pg_column_compression(e.document) FROM _metadata_events e \
                      WHERE e.master_id = m.id ORDER BY e.version DESC LIMIT 1) AS event \
               FROM service_campaign_main c JOIN _metadata_master m ON m.id = c.metadata_master_id \
              WHERE c.id = $1 AND m.id = $2",
            vec![campaign.into(), master.into()],
        )
        .await;
    for side in ["entity", "master", "event"] {
        let method: Option<String> = stored[0].try_get("", side).unwrap();
        assert_eq!(method.as_deref(), Some(expected), "{side} document");
    }
    let other_methods = crate::attach::scalar(
        &app,
        "SELECT count(*) FROM _metadata_entity_types t \
           JOIN pg_attribute a ON a.attrelid = to_regclass(t.entity_table) \
                              AND a.attname = t.metadata_column \
          WHERE a.attcompression <> (CASE WHEN (SELECT 'lz4' = ANY (enumvals) FROM pg_settings \
                WHERE name = 'default_toast_compression') THEN 'l' ELSE '' END)::\"char\"",
    )
    .await;
    assert_eq!(
        other_methods, 0,
        "every entity table compresses with {expected}"
    );
    app.stop().await;
}
