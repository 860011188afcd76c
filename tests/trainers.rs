//! Trainer profiles and finding a free trainer, over HTTP on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    TestDb, graphql_as,
    network::{self, Persona},
};
use serde_json::{Value, json};

const SET: &str = "mutation($id: ID, $input: TrainerProfileInput!) {
  setTrainerProfile(trainerId: $id, input: $input) { monthlyCap regions topics { slug } user { displayName } } }";
const FIND: &str = "query($topic: String, $region: String, $between: TimeRangeInput) {
  trainers(topic: $topic, region: $region, availableBetween: $between) { user { displayName } } }";

fn names(body: &Value) -> Vec<String> {
    body["data"]["trainers"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|t| t["user"]["displayName"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases!(coordinators_make_trainers_and_find_the_free_ones);

async fn coordinators_make_trainers_and_find_the_free_ones(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    let supporter = net.token(Persona::Supporter);
    let trainer = net.token(Persona::Trainer);
    let other_topic = network::add_topic(&db.conn, "safe-surgeries", "Safe Surgeries").await;

    // A supporter cannot make themself a trainer; a coordinator can.
    let input = json!({ "topicIds": [net.topic], "regions": ["Wales", " wales "], "monthlyCap": 2 });
    let (_, refused) = graphql_as(&client, supporter.as_deref(), SET, json!({ "input": input })).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, made) = graphql_as(
        &client,
        coordinator.as_deref(),
        SET,
        json!({ "id": net.supporter.id, "input": input }),
    )
    .await;
    let profile = &made["data"]["setTrainerProfile"];
    assert_eq!(profile["regions"], json!(["Wales"]), "regions are kept once: {made}");
    assert_eq!(profile["topics"], json!([{ "slug": "intro-nhs-charging" }]));

    // Now a trainer, they edit their own profile.
    let own = json!({ "topicIds": [net.topic, other_topic], "regions": ["Wales", "South West"], "monthlyCap": 4 });
    let (_, edited) = graphql_as(&client, supporter.as_deref(), SET, json!({ "input": own })).await;
    assert_eq!(edited["data"]["setTrainerProfile"]["monthlyCap"], 4, "{edited}");
    for (input, field) in [
        (
            json!({ "topicIds": [uuid::Uuid::new_v4()], "regions": [], "monthlyCap": 1 }),
            "topicIds",
        ),
        (json!({ "topicIds": [], "regions": [], "monthlyCap": -1 }), "monthlyCap"),
        (json!({ "topicIds": [], "regions": [""], "monthlyCap": 1 }), "regions"),
    ] {
        let (_, bad) = graphql_as(&client, supporter.as_deref(), SET, json!({ "input": input })).await;
        assert_eq!(bad["errors"][0]["extensions"]["field"], field, "{bad}");
    }

    // The other trainer covers the first topic in Scotland.
    let theirs = json!({ "topicIds": [net.topic], "regions": ["Scotland"], "monthlyCap": 3 });
    graphql_as(&client, trainer.as_deref(), SET, json!({ "input": theirs })).await;

    let find = |variables: Value| {
        let (client, coordinator) = (&client, coordinator.clone());
        async move { names(&graphql_as(client, coordinator.as_deref(), FIND, variables).await.1) }
    };
    assert_eq!(
        find(json!({ "topic": "intro-nhs-charging" })).await,
        ["supporter Example", "trainer Example"]
    );
    assert_eq!(find(json!({ "topic": "safe-surgeries" })).await, ["supporter Example"]);
    assert_eq!(find(json!({ "region": "SCOTLAND" })).await, ["trainer Example"]);

    // Away for the first half of August: not free then, free after.
    let (_, away) = graphql_as(
        &client,
        trainer.as_deref(),
        "mutation { addUnavailability(input: { startsAt: \"2031-08-01T00:00:00Z\", endsAt: \"2031-08-15T00:00:00Z\" }) { id } }",
        json!({}),
    )
    .await;
    let away_id = away["data"]["addUnavailability"]["id"].as_str().unwrap().to_owned();
    let during = json!({ "startsAt": "2031-08-10T18:00:00Z", "endsAt": "2031-08-10T20:00:00Z" });
    let after = json!({ "startsAt": "2031-08-20T18:00:00Z", "endsAt": "2031-08-20T20:00:00Z" });
    assert_eq!(
        find(json!({ "topic": "intro-nhs-charging", "between": during })).await,
        ["supporter Example"]
    );
    assert_eq!(
        find(json!({ "topic": "intro-nhs-charging", "between": after }))
            .await
            .len(),
        2
    );

    // Only the trainer (or staff) removes their away period.
    let remove = "mutation($id: ID!) { removeUnavailability(id: $id) }";
    let (_, not_theirs) = graphql_as(&client, supporter.as_deref(), remove, json!({ "id": away_id })).await;
    assert_eq!(not_theirs["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, removed) = graphql_as(&client, trainer.as_deref(), remove, json!({ "id": away_id })).await;
    assert_eq!(removed["data"]["removeUnavailability"], true);
    assert_eq!(
        find(json!({ "topic": "intro-nhs-charging", "between": during }))
            .await
            .len(),
        2
    );

    // Backwards periods are refused.
    let (_, backwards) = graphql_as(
        &client,
        trainer.as_deref(),
        "mutation { addUnavailability(input: { startsAt: \"2031-08-15T00:00:00Z\", endsAt: \"2031-08-01T00:00:00Z\" }) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(backwards["errors"][0]["extensions"]["field"], "endsAt");
}
