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
