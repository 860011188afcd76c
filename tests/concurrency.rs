//! Many people at once, on both databases: 200 simultaneous RSVPs for ten
//! places. (Two coordinators assigning one request, and a trainer accepting
//! two clashing engagements at once, are in `requests.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{
    TestDb, graphql_as,
    network::{self, Persona},
};
use entity::{RsvpStatus, rsvp, user};
use futures_util::future::join_all;
use muster::{auth::jwt::TokenKeys, fixtures::UserBuilder};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::json;
use uuid::Uuid;

const PEOPLE: usize = 200;
const PLACES: usize = 10;

on_both_databases!(two_hundred_rsvps_for_ten_places);

async fn two_hundred_rsvps_for_ten_places(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let (_, created) = graphql_as(
        &client,
        net.token(Persona::Coordinator).as_deref(),
        "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
        json!({ "input": {
            "title": "National day of action briefing", "kind": "MEETING", "capacity": PLACES,
            "startsAt": "2031-05-01T18:00:00Z", "endsAt": "2031-05-01T19:30:00Z",
        } }),
    )
    .await;
    let event_id = created["data"]["createEvent"]["id"].as_str().unwrap().to_owned();

    let now = common::now();
    let people: Vec<Uuid> = (0..PEOPLE).map(|_| Uuid::new_v4()).collect();
    let crowd = people.iter().enumerate().map(|(k, id)| {
        let person = UserBuilder::new(now)
            .id(*id)
            .name(format!("Crowd {k}"))
            .email(format!("crowd{k}@people.example.org"));
        person.build().into_active_model()
    });
    user::Entity::insert_many(crowd)
        .exec_without_returning(&db.conn)
        .await
        .unwrap();
    let keys = TokenKeys::new(&common::test_secret(), chrono::Duration::hours(1));
    let tokens: Vec<String> = people.iter().map(|id| keys.issue(*id, 0, now).unwrap().token).collect();

    let answers = join_all(tokens.iter().map(|token| {
        let (client, event_id) = (&client, event_id.clone());
        async move {
            graphql_as(
                client,
                Some(token),
                "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
                json!({ "id": event_id }),
            )
            .await
            .1
        }
    }))
    .await;
    let statuses: Vec<String> = answers
        .iter()
        .map(|a| {
            a["data"]["rsvp"]["status"]
                .as_str()
                .unwrap_or_else(|| panic!("{a}"))
                .to_owned()
        })
        .collect();
    let going = statuses.iter().filter(|s| *s == "GOING").count();
    let waiting = statuses.iter().filter(|s| *s == "WAITLISTED").count();
    assert_eq!((going, waiting), (PLACES, PEOPLE - PLACES));

    let stored = rsvp::Entity::find()
        .filter(rsvp::Column::EventId.eq(Uuid::parse_str(&event_id).unwrap()))
        .all(&db.conn)
        .await
        .unwrap();
    assert_eq!(stored.len(), PEOPLE, "one RSVP each");
    let distinct: HashSet<Uuid> = stored.iter().map(|r| r.user_id).collect();
    assert_eq!(distinct.len(), PEOPLE, "no duplicates");
    assert_eq!(stored.iter().filter(|r| r.status == RsvpStatus::Going).count(), PLACES);
}
