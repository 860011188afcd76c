//! The topic catalogue: kept by coordinators, read by everyone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    TestDb, graphql_as,
    network::{self, Persona},
};
use serde_json::{Value, json};

const CREATE: &str =
    "mutation($input: CreateTopicInput!) { createTopic(input: $input) { id slug name typicalDurationMinutes } }";
const LIST: &str = "query($all: Boolean!) { topics(includeArchived: $all) { slug archivedAt } }";
const RENAME: &str = "mutation($id: ID!) { updateTopic(id: $id, input: { name: \"Safe Surgeries\" }) { slug name typicalDurationMinutes } }";
const ARCHIVE: &str = "mutation($id: ID!) { archiveTopic(id: $id) }";

fn slugs(body: &Value) -> Vec<String> {
    body["data"]["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases!(coordinators_keep_the_catalogue_and_everyone_reads_it);

async fn coordinators_keep_the_catalogue_and_everyone_reads_it(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    let coordinator = coordinator.as_deref();

    for (input, field) in [
        (
            json!({ "slug": "Safe Surgeries!", "name": "Safe Surgeries", "typicalDurationMinutes": 90 }),
            "slug",
        ),
        (
            json!({ "slug": "safe-surgeries", "name": "", "typicalDurationMinutes": 90 }),
            "name",
        ),
        (
            json!({ "slug": "safe-surgeries", "name": "Safe Surgeries", "typicalDurationMinutes": 5 }),
            "typicalDurationMinutes",
        ),
        (
            json!({ "slug": "intro-nhs-charging", "name": "Again", "typicalDurationMinutes": 90 }),
            "slug",
        ),
    ] {
        let (_, body) = graphql_as(&client, coordinator, CREATE, json!({ "input": input })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let input = json!({ "slug": "safe-surgeries", "name": "Safe Surgeries training", "description": "For GP practice staff", "typicalDurationMinutes": 120 });
    let (_, created) = graphql_as(&client, coordinator, CREATE, json!({ "input": input })).await;
    let id = created["data"]["createTopic"]["id"].as_str().unwrap().to_owned();

    let (_, updated) = graphql_as(&client, coordinator, RENAME, json!({ "id": id })).await;
    assert_eq!(
        updated["data"]["updateTopic"],
        json!({ "slug": "safe-surgeries", "name": "Safe Surgeries", "typicalDurationMinutes": 120 })
    );

    // Anyone reads the catalogue, by name; archived topics only on request.
    let (_, listed) = graphql_as(&client, None, LIST, json!({ "all": false })).await;
    assert_eq!(slugs(&listed), ["intro-nhs-charging", "safe-surgeries"]);
    let (_, archived) = graphql_as(&client, coordinator, ARCHIVE, json!({ "id": id })).await;
    assert_eq!(archived["data"]["archiveTopic"], true);
    let (_, listed) = graphql_as(&client, None, LIST, json!({ "all": false })).await;
    assert_eq!(slugs(&listed), ["intro-nhs-charging"]);
    let (_, everything) = graphql_as(&client, None, LIST, json!({ "all": true })).await;
    assert_eq!(slugs(&everything), ["intro-nhs-charging", "safe-surgeries"]);
    let (_, again) = graphql_as(&client, coordinator, ARCHIVE, json!({ "id": id })).await;
    assert_eq!(again["errors"][0]["extensions"]["code"], "NOT_FOUND");
}
