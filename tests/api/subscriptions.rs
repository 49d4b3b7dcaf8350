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
