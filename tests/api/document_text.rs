//! A selection that answers documents whole gets them from their stored text; one that
//! looks inside them decodes them. Both answer the same JSON, whatever the document holds.

use serde_json::{Value as Json, json};

use crate::helpers::{create_campaign, spawn_app};

/// `metadata` read alone (from its text) and next to a field that decodes the document,
/// through each way of reaching a campaign and its master.
const READS: &str = r#"
query($id: UUID!, $masterId: UUID!, $reps: [_Any!]!) {
  text: campaign(id: $id) { metadata metadataMaster { metadata } }
  decoded: campaign(id: $id) {
    metadata translationStatus { locale } metadataMaster { metadata inSync }
  }
  master: metadataMaster(id: $masterId) { metadata entity { ... on Campaign { metadata } } }
  page: campaigns(first: 10) { nodes { id metadata metadataMaster { metadata } } }
  masters: metadataMasters(first: 10) { nodes { id metadata } }
  entities: _entities(representations: $reps) {
    ... on Campaign { metadata metadataMaster { metadata } }
  }
}"#;

fn every_answer(data: &Json, id: &str) -> Vec<Json> {
    let in_page = |page: &Json| {
        page["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|node| node["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in {page}"))
    };
    let page = in_page(&data["page"]);
    let master_id = data["text"]["metadataMaster"]["metadata"]["metadata_master_id"]
        .as_str()
        .expect("the document names its master")
        .to_owned();
    let masters = data["masters"]["nodes"].as_array().unwrap();
    let listed_master = masters
        .iter()
        .find(|node| node["id"] == master_id.as_str())
        .expect("master listed");
    vec![
        data["text"]["metadata"].clone(),
        data["text"]["metadataMaster"]["metadata"].clone(),
        data["decoded"]["metadata"].clone(),
        data["decoded"]["metadataMaster"]["metadata"].clone(),
        data["master"]["metadata"].clone(),
        data["master"]["entity"]["metadata"].clone(),
        page["metadata"].clone(),
        page["metadataMaster"]["metadata"].clone(),
        listed_master["metadata"].clone(),
        data["entities"][0]["metadata"].clone(),
        data["entities"][0]["metadataMaster"]["metadata"].clone(),
    ]
}

#[tokio::test]
async fn documents_read_as_text_answer_what_decoding_answers() {
    let app = spawn_app().await;
    let document = json!({
        "quote": "say \"hi\", then: go",
        "backslash": "C:\\dir\\ with spaces \\\" , : ",
        "unicode": "é ü 日本 😀 \u{0001}\u{001f}\t\n",
        "spaces": "  a  ,  b : c  ",
        "nested": { "list": [1, -2.5, 0.001, true, null, "x"], "empty": {}, "none": [] },
        "key with spaces , : ": { " ": " " },
        "a": 1, "bb": 2, "c": 3
    });
    let (id, master_id) = create_campaign(&app, document.clone()).await;
    let variables = json!({
        "id": id, "masterId": master_id,
        "reps": [{ "__typename": "Campaign", "id": id }],
    });
    let data = app.graphql(READS, variables.clone()).await.expect_data();
    assert_eq!(data["decoded"]["metadataMaster"]["inSync"], true);
    let answers = every_answer(&data, &id.to_string());
    let mut expected = document.clone();
    expected["metadata_master_id"] = json!(master_id);
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer, &expected, "answer {i}");
    }

    // A raw SQL writer's text with whitespace everywhere (SQLite keeps the text as
    // written; PostgreSQL's jsonb does not) answers the same document.
    let spaced = format!(
        "{{ \"x\" :\n [ 1 , 2 ] ,\t\"y\" : \"a , b : c\" , \"metadata_master_id\" : \"{master_id}\" }}"
    );
    let cast = if app.is_postgres() { "::jsonb" } else { "" };
    let sql = format!("UPDATE service_campaign_main SET metadata = $2{cast} WHERE id = $1");
    let written = app.sql(&sql, vec![id.into(), spaced.into()]).await.unwrap();
    assert_eq!(written, 1);
    let data = app.graphql(READS, variables).await.expect_data();
    let expected = json!({ "x": [1, 2], "y": "a , b : c", "metadata_master_id": master_id });
    for (i, answer) in every_answer(&data, &id.to_string()).iter().enumerate() {
        assert_eq!(answer, &expected, "answer {i} after the raw write");
    }
    app.stop().await;
}
