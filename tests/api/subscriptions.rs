//! Subscriptions over graphql-transport-ws: changes from every write path and every
//! server process reach subscribers, filtered as asked.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{create_campaign, spawn_app, spawn_second_app};
use crate::ws::subscribe;

const CHANGES: &str = "subscription($type: EntityType, $id: UUID) {
  metadataChanged(entityType: $type, entityId: $id) { kind entityType entityId masterId version origin actor }
}";

#[tokio::test]
async fn subscribers_see_changes_from_the_api_and_raw_sql() {
    let app = spawn_app().await;
    let mut campaigns = subscribe(&app, CHANGES, json!({ "type": "CAMPAIGN" })).await;
    let (id, master_id) = create_campaign(&app, json!({})).await;
    let created = campaigns.next().await;
    assert_eq!(created["metadataChanged"]["kind"], "CREATED");
    assert_eq!(created["metadataChanged"]["origin"], "API");
    assert_eq!(created["metadataChanged"]["entityId"], id.to_string());

    let mut this_one = subscribe(&app, CHANGES, json!({ "id": id })).await;
    app.graphql(
        "mutation { createSurvey(input: { title: \"not a campaign\" }) { id } }",
        json!({}),
    )
    .await
    .expect_data();
    app.sql(
        "UPDATE _metadata_master SET metadata = $2 WHERE id = $1",
        vec![master_id.into(), json!({ "x": 1 }).into()],
    )
    .await
    .unwrap();
    for subscriber in [&mut campaigns, &mut this_one] {
        let updated = subscriber.next().await;
        assert_eq!(updated["metadataChanged"]["kind"], "UPDATED");
        assert_eq!(updated["metadataChanged"]["origin"], "SQL");
        assert_eq!(updated["metadataChanged"]["version"], 2);
    }
    campaigns.expect_silence(Duration::from_millis(300)).await;
    app.stop().await;
}

#[tokio::test]
async fn a_subscriber_on_one_process_sees_writes_made_through_another() {
    let first = spawn_app().await;
    let second = spawn_second_app(&first).await;
    let mut subscriber = subscribe(&second, CHANGES, json!({})).await;
    let (id, _) = create_campaign(&first, json!({ "from": "first" })).await;
    let change = subscriber.next().await;
    assert_eq!(change["metadataChanged"]["entityId"], id.to_string());
    assert_eq!(change["metadataChanged"]["kind"], "CREATED");
    second.stop().await;
    first.stop().await;
}

/// Writers pay for this process's fan-out only while someone subscribes: without a
/// subscriber there is no `subscriptions:*` consumer, hence no delivery rows for it.
#[tokio::test]
async fn a_process_without_subscribers_keeps_no_subscription_consumer() {
    let app = spawn_app().await;
    create_campaign(&app, json!({})).await;
    assert_eq!(fan_out_rows(&app).await, (0, 0), "nobody subscribes");

    let mut subscriber = subscribe(&app, CHANGES, json!({})).await;
    assert_eq!(
        fan_out_rows(&app).await.0,
        1,
        "the first subscription registers it"
    );
    let (id, _) = create_campaign(&app, json!({})).await;
    assert_eq!(
        subscriber.next().await["metadataChanged"]["entityId"],
        id.to_string()
    );
    app.stop().await;
}

/// (subscription consumers, their delivery rows).
async fn fan_out_rows(app: &crate::helpers::TestApp) -> (i64, i64) {
    let sql = "SELECT (SELECT count(*) FROM _metadata_consumers WHERE name LIKE 'subscriptions:%') AS consumers,
                      (SELECT count(*) FROM _metadata_deliveries WHERE consumer LIKE 'subscriptions:%') AS deliveries";
    let rows = app.sql_rows(sql, vec![]).await;
    let get = |column| rows[0].try_get::<i64>("", column).unwrap();
    (get("consumers"), get("deliveries"))
}
