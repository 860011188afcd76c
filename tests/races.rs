//! Races at ten times the size of the everyday ones, on both databases:
//! 1,000 simultaneous RSVPs for 50 places; 100 simultaneous cancellations,
//! each promoting exactly one waiting person, in waiting-list order; 20
//! coordinators assigning one request at once; 50 simultaneous requests
//! from outside organisations, each with its own reference.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{
    TestDb, day, error_code, graphql_as,
    network::{self, Persona},
};
use entity::{RsvpStatus, UserRole, request, rsvp, user};
use futures_util::future::join_all;
use muster::{auth::jwt::TokenKeys, fixtures::UserBuilder};
use poem::test::TestClient;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

const CREATE_EVENT: &str = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }";
const RSVP: &str = "mutation($id: ID!) { rsvp(eventId: $id) { status } }";
const CANCEL_RSVP: &str = "mutation($id: ID!) { cancelRsvp(eventId: $id) }";

on_both_databases!(
    a_thousand_rsvps_for_fifty_places_then_a_hundred_cancellations,
    twenty_coordinators_assigning_one_request,
    fifty_organisations_asking_at_once,
);

/// `n` people with the given role, and a signed-in token for each.
async fn crowd(db: &TestDb, n: usize, role: UserRole, label: &str) -> Vec<(Uuid, String)> {
    let now = db.now();
    let people: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    for (offset, ids) in people.chunks(200).enumerate() {
        let rows = ids.iter().enumerate().map(|(k, id)| {
            let n = offset * 200 + k;
            UserBuilder::new(now)
                .id(*id)
                .role(role)
                .name(format!("{label} {n}"))
                .email(format!("{label}{n}@people.example.org"))
                .build()
                .into_active_model()
        });
        user::Entity::insert_many(rows)
            .exec_without_returning(&db.conn)
            .await
            .unwrap();
    }
    let keys = TokenKeys::new(&common::test_secret(), chrono::Duration::hours(1));
    people
        .into_iter()
        .map(|id| (id, keys.issue(id, 0, now).unwrap().token))
        .collect()
}

async fn everyone_at_once<E: poem::Endpoint>(
    client: &TestClient<E>,
    tokens: &[String],
    query: &str,
    variables: &Value,
) -> Vec<Value> {
    join_all(
        tokens
            .iter()
            .map(|token| async move { graphql_as(client, Some(token), query, variables.clone()).await.1 }),
    )
    .await
}

async fn answers_of(db: &TestDb, event_id: Uuid) -> Vec<rsvp::Model> {
    rsvp::Entity::find()
        .filter(rsvp::Column::EventId.eq(event_id))
        .order_by_asc(rsvp::Column::CreatedAt)
        .order_by_asc(rsvp::Column::Id)
        .all(&db.conn)
        .await
        .unwrap()
}

async fn a_thousand_rsvps_for_fifty_places_then_a_hundred_cancellations(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    let mut events = Vec::new();
    for (title, places) in [
        ("National day of action briefing", 50),
        ("Regional organisers' meeting", 100),
    ] {
        let (_, created) = graphql_as(
            &client,
            coordinator.as_deref(),
            CREATE_EVENT,
            json!({ "input": {
                "title": title, "kind": "MEETING", "capacity": places,
                "startsAt": day(40, 18), "endsAt": day(40, 20),
            } }),
        )
        .await;
        let id = created["data"]["createEvent"]["id"].as_str().unwrap().to_owned();
        events.push((Uuid::parse_str(&id).unwrap(), places));
    }
    let people = crowd(&db, 1000, UserRole::Supporter, "crowd").await;
    let tokens: Vec<String> = people.iter().map(|(_, t)| t.clone()).collect();

    // A thousand at once for fifty places.
    let (briefing, places) = events[0];
    let answers = everyone_at_once(&client, &tokens, RSVP, &json!({ "id": briefing })).await;
    let statuses: Vec<&str> = answers
        .iter()
        .map(|a| a["data"]["rsvp"]["status"].as_str().unwrap_or_else(|| panic!("{a}")))
        .collect();
    let going = statuses.iter().filter(|s| **s == "GOING").count();
    assert_eq!(
        (going, statuses.len() - going),
        (places, 1000 - places),
        "GOING / WAITLISTED"
    );
    let stored = answers_of(&db, briefing).await;
    assert_eq!(stored.len(), 1000, "one RSVP each");
    let distinct: HashSet<Uuid> = stored.iter().map(|r| r.user_id).collect();
    assert_eq!(distinct.len(), 1000, "no duplicates");
    assert_eq!(stored.iter().filter(|r| r.status == RsvpStatus::Going).count(), places);

    // A meeting with a hundred places and two hundred answers; then all
    // hundred who have a place cancel at once. Each cancellation promotes
    // exactly one waiting person, the first hundred of the list in order.
    let (meeting, places) = events[1];
    let first_two_hundred = &tokens[..200];
    let answers = everyone_at_once(&client, first_two_hundred, RSVP, &json!({ "id": meeting })).await;
    assert!(answers.iter().all(|a| a["data"]["rsvp"].is_object()), "{answers:?}");
    let before = answers_of(&db, meeting).await;
    let going_before: HashSet<Uuid> = before
        .iter()
        .filter(|r| r.status == RsvpStatus::Going)
        .map(|r| r.user_id)
        .collect();
    assert_eq!(going_before.len(), places);
    let waiting_in_order: Vec<Uuid> = before
        .iter()
        .filter(|r| r.status == RsvpStatus::Waitlisted)
        .map(|r| r.user_id)
        .collect();
    let cancelling: Vec<String> = people
        .iter()
        .filter(|(id, _)| going_before.contains(id))
        .map(|(_, t)| t.clone())
        .collect();
    let cancelled = everyone_at_once(&client, &cancelling, CANCEL_RSVP, &json!({ "id": meeting })).await;
    assert!(
        cancelled.iter().all(|c| c["data"]["cancelRsvp"] == true),
        "{cancelled:?}"
    );
    let after = answers_of(&db, meeting).await;
    let going_after: HashSet<Uuid> = after
        .iter()
        .filter(|r| r.status == RsvpStatus::Going)
        .map(|r| r.user_id)
        .collect();
    let promoted: HashSet<Uuid> = waiting_in_order[..places].iter().copied().collect();
    assert_eq!(going_after, promoted, "the first hundred waiting, in order");
    assert!(going_after.is_disjoint(&going_before), "no one who left has a place");
    assert_eq!(after.len(), 100, "the cancelled answers are gone, the rest stay");
    assert_eq!(
        after.iter().filter(|r| r.status == RsvpStatus::Waitlisted).count(),
        0,
        "everyone still waiting got a place"
    );
}

async fn twenty_coordinators_assigning_one_request(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let request_id = net.requests.alpha_request;
    let coordinators = crowd(&db, 20, UserRole::Coordinator, "coordinator").await;
    let tokens: Vec<String> = coordinators.into_iter().map(|(_, t)| t).collect();
    let assign = "mutation($id: ID!, $trainer: ID!, $version: Int!) {
        assignTrainer(requestId: $id, trainerId: $trainer, version: $version) { state version } }";
    let answers = everyone_at_once(
        &client,
        &tokens,
        assign,
        &json!({ "id": request_id, "trainer": net.trainer.id, "version": 1 }),
    )
    .await;
    let won = answers.iter().filter(|a| error_code(a).is_none()).count();
    let conflicts = answers.iter().filter(|a| error_code(a) == Some("CONFLICT")).count();
    assert_eq!((won, conflicts), (1, 19), "{answers:?}");
    let (proposals, transitions) = common::requests::proposals_and_transitions(&db.conn, request_id).await;
    assert_eq!(
        (proposals, transitions),
        (1, 2),
        "one proposal, one step after the submission"
    );
}

async fn fifty_organisations_asking_at_once(db: TestDb) {
    let net = network::build(&db.conn).await;
    // Fifty organisations, each from its own connection: the limit per
    // address is not what is tested here, so it is raised for all.
    let client = db.app_with(&[("MUSTER_ANONYMOUS_REQUESTS_PER_HOUR", "1000")]);
    let submit = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }";
    let answers = join_all((0..50).map(|k| {
        let client = &client;
        let input = json!({
            "kind": "WORKSHOP",
            "topicId": net.topic,
            "organisationName": format!("Practice {k}"),
            "contactName": format!("Practice manager {k}"),
            "contactEmail": format!("manager{k}@practice.example.org"),
            "preferredWindows": [{ "startsAt": day(30, 0), "endsAt": day(31, 0) }],
            "online": true,
            "notes": "",
        });
        async move { graphql_as(client, None, submit, json!({ "input": input })).await.1 }
    }))
    .await;
    let references: HashSet<&str> = answers
        .iter()
        .map(|a| {
            a["data"]["submitRequest"]["reference"]
                .as_str()
                .unwrap_or_else(|| panic!("{a}"))
        })
        .collect();
    assert_eq!(references.len(), 50, "fifty distinct references");
    let stored = request::Entity::find()
        .filter(request::Column::Reference.is_in(references.iter().copied()))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(stored, 50, "every one landed");
}
