//! The migrations go down and up again cleanly, with data in the tables.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

use crate::helpers::fresh_database;

#[tokio::test]
async fn migrations_revert_and_reapply_with_data() {
    let (url, database) = fresh_database().await;
    let db = metadata_synergy::db::connect(&url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO service_survey_main (title, metadata) VALUES ('s', '{\"a\": 1}')",
    )
    .await
    .unwrap();
    Migrator::down(&db, None)
        .await
        .expect("every migration reverts");
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::up(&db, None).await.expect("and applies again");
    assert_eq!(
        Migrator::get_applied_migrations(&db).await.unwrap().len(),
        Migrator::migrations().len()
    );
    db.close().await.ok();
    database.drop_now().await;
}
