//! The domain core seen from its front doors, on both databases: every step
//! records what happened exactly once (and a refused step nothing), an
//! erasure reaches every calendar that quoted the person, and the API and
//! the status page tell the same public story of a request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    TestDb, day, error_code, graphql_as,
    network::{self, Network, Persona},
};
use muster::domain::journal;
use poem::{Endpoint, test::TestClient};
use serde_json::{Value, json};

on_both_databases!(
    every_step_records_what_happened_once,
    an_erased_address_leaves_every_feed_that_quoted_it,
);

/// The kinds the journal gained, in order.
async fn recorded_since(db: &TestDb, before: usize) -> Vec<String> {
    journal::all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .skip(before)
        .map(|e| e.kind)
        .collect()
}

struct Steps<'a, E: Endpoint> {
    db: &'a TestDb,
    client: &'a TestClient<E>,
    net: &'a Network,
}

impl<E: Endpoint> Steps<'_, E> {
    /// Runs one operation as `persona`; returns its body and what it
    /// recorded.
    async fn run(&self, persona: Persona, query: &str, variables: Value) -> (Value, Vec<String>) {
        let before = journal::all(&self.db.conn).await.unwrap().len();
        let (_, body) = graphql_as(self.client, self.net.token(persona).as_deref(), query, variables).await;
        (body, recorded_since(self.db, before).await)
    }

    /// Runs a step that must succeed and record exactly `expected`.
    async fn expect(&self, persona: Persona, query: &str, variables: Value, expected: &[&str]) -> Value {
        let (body, kinds) = self.run(persona, query, variables).await;
        assert!(body.get("errors").is_none(), "{query}: {body}");
        assert_eq!(kinds, expected, "{query}");
        body["data"].clone()
    }

    /// Runs a step that must be refused with `code` and record nothing.
    async fn refused(&self, persona: Persona, query: &str, variables: Value, code: &str) {
        let (body, kinds) = self.run(persona, query, variables).await;
        assert_eq!(error_code(&body), Some(code), "{query}: {body}");
        assert!(kinds.is_empty(), "a refused step recorded {kinds:?}");
    }
}

const SUBMIT: &str =
    "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference request { id version } } }";
const ASSIGN: &str = "mutation($id: ID!, $trainer: ID!, $version: Int!) {
  assignTrainer(requestId: $id, trainerId: $trainer, version: $version) { version currentAssignment { id } } }";
const RESPOND: &str = "mutation($id: ID!, $accept: Boolean!, $slot: TimeRangeInput) {
  respondToAssignment(assignmentId: $id, accept: $accept, slot: $slot) { status request { version } } }";

fn outside_request(topic: uuid::Uuid, days: i64) -> Value {
    json!({
        "kind": "WORKSHOP", "topicId": topic,
        "organisationName": "Heron Road Practice", "contactName": "Practice Manager",
        "contactEmail": "manager@heron.example.org",
        "preferredWindows": [{ "startsAt": day(days, 9), "endsAt": day(days, 17) }],
        "town": "Cardiff", "region": "Wales",
    })
}

async fn every_step_records_what_happened_once(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let steps = Steps {
        db: &db,
        client: &client,
        net: &net,
    };
    use Persona::*;

    // A request's whole journey.
    let submitted = steps
        .expect(
            Coordinator,
            SUBMIT,
            json!({ "input": outside_request(net.topic, 20) }),
            &["REQUEST_SUBMITTED"],
        )
        .await;
    let request_id = submitted["submitRequest"]["request"]["id"].clone();
    steps
        .refused(
            Coordinator,
            ASSIGN,
            json!({ "id": request_id, "trainer": net.trainer.id, "version": 7 }),
            "CONFLICT",
        )
        .await;
    let assigned = steps
        .expect(
            Coordinator,
            ASSIGN,
            json!({ "id": request_id, "trainer": net.trainer.id, "version": 1 }),
            &["REQUEST_ASSIGNED"],
        )
        .await;
    let first = assigned["assignTrainer"]["currentAssignment"]["id"].clone();
    steps
        .expect(
            Trainer,
            RESPOND,
            json!({ "id": first, "accept": false }),
            &["ASSIGNMENT_DECLINED"],
        )
        .await;
    let assigned = steps
        .expect(
            Coordinator,
            ASSIGN,
            json!({ "id": request_id, "trainer": net.trainer.id, "version": 3 }),
            &["REQUEST_ASSIGNED"],
        )
        .await;
    let second = assigned["assignTrainer"]["currentAssignment"]["id"].clone();
    steps
        .refused(
            Trainer,
            RESPOND,
            json!({ "id": second, "accept": true, "slot": { "startsAt": day(40, 10), "endsAt": day(40, 12) } }),
            "BAD_USER_INPUT",
        )
        .await;
    steps
        .expect(
            Trainer,
            RESPOND,
            json!({ "id": second, "accept": true, "slot": { "startsAt": day(20, 10), "endsAt": day(20, 12) } }),
            &["EVENT_CREATED", "REQUEST_CONFIRMED"],
        )
        .await;
    steps
        .expect(
            Coordinator,
            "mutation($id: ID!) { cancelRequest(requestId: $id, reason: \"Venue closed\") { state } }",
            json!({ "id": request_id }),
            &["EVENT_CANCELLED", "REQUEST_CANCELLED"],
        )
        .await;

    // Declined, withdrawn, delivered.
    let declined = steps
        .expect(
            Coordinator,
            SUBMIT,
            json!({ "input": outside_request(net.topic, 21) }),
            &["REQUEST_SUBMITTED"],
        )
        .await;
    steps
        .expect(
            Coordinator,
            "mutation($id: ID!) { declineRequest(requestId: $id, reason: \"Out of scope\") { state } }",
            json!({ "id": declined["submitRequest"]["request"]["id"] }),
            &["REQUEST_DECLINED"],
        )
        .await;
    steps
        .expect(
            Organiser,
            "mutation($id: ID!) { withdrawRequest(requestId: $id) { state } }",
            json!({ "id": net.requests.alpha_request }),
            &["REQUEST_WITHDRAWN"],
        )
        .await;
    steps
        .expect(
            Trainer,
            "mutation($id: ID!) { markDelivered(requestId: $id, attendance: 9) { state } }",
            json!({ "id": net.requests.beta_request }),
            &["REQUEST_DELIVERED"],
        )
        .await;

    // Memberships.
    steps
        .expect(
            Supporter,
            "mutation { requestToJoin(groupSlug: \"alpha\") { status } }",
            json!({}),
            &["MEMBERSHIP_REQUESTED"],
        )
        .await;
    let member_change = json!({ "user": net.supporter.id });
    steps
        .refused(
            Member,
            "mutation($user: ID!) { approveMember(groupSlug: \"alpha\", userId: $user) { status } }",
            member_change.clone(),
            "FORBIDDEN",
        )
        .await;
    steps
        .expect(
            Organiser,
            "mutation($user: ID!) { approveMember(groupSlug: \"alpha\", userId: $user) { status } }",
            member_change.clone(),
            &["MEMBERSHIP_APPROVED"],
        )
        .await;
    steps
        .expect(
            Organiser,
            "mutation($user: ID!) { removeMember(groupSlug: \"alpha\", userId: $user) }",
            member_change,
            &["MEMBERSHIP_REMOVED"],
        )
        .await;

    // Events, and a place that moves up from the waiting list.
    let created = steps
        .expect(
            Organiser,
            "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": {
                "title": "Stall outside the hospital", "startsAt": day(9, 10), "endsAt": day(9, 12),
                "kind": "ACTION", "groupSlug": "alpha", "visibility": "PUBLIC", "capacity": 1 } }),
            &["EVENT_CREATED"],
        )
        .await;
    let event_id = created["createEvent"]["id"].clone();
    steps
        .refused(
            Organiser,
            "mutation($id: ID!) { updateEvent(id: $id, input: { title: \"  \" }) { id } }",
            json!({ "id": event_id }),
            "BAD_USER_INPUT",
        )
        .await;
    steps
        .expect(
            Organiser,
            "mutation($id: ID!) { updateEvent(id: $id, input: { title: \"Stall at the main entrance\" }) { sequence } }",
            json!({ "id": event_id }),
            &["EVENT_CHANGED"],
        )
        .await;
    let rsvp = "mutation($id: ID!) { rsvp(eventId: $id) { status } }";
    steps.expect(Member, rsvp, json!({ "id": event_id }), &[]).await;
    steps.expect(Supporter, rsvp, json!({ "id": event_id }), &[]).await;
    steps
        .expect(
            Member,
            "mutation($id: ID!) { cancelRsvp(eventId: $id) }",
            json!({ "id": event_id }),
            &["RSVP_PROMOTED"],
        )
        .await;
    steps
        .expect(
            Organiser,
            "mutation($id: ID!) { cancelEvent(id: $id) { status } }",
            json!({ "id": event_id }),
            &["EVENT_CANCELLED"],
        )
        .await;

    // Erasure; the last admin cannot be erased.
    steps
        .refused(
            Admin,
            "mutation($user: ID!) { eraseUser(userId: $user) }",
            json!({ "user": net.admin.id }),
            "CONFLICT",
        )
        .await;
    steps
        .expect(
            Admin,
            "mutation($user: ID!) { eraseUser(userId: $user) }",
            json!({ "user": net.pending.id }),
            &["ACCOUNT_ERASED"],
        )
        .await;

    // Every kind was seen, and no entry holds anything but ids.
    let all = journal::all(&db.conn).await.unwrap();
    for kind in journal::DomainEventKind::ALL {
        assert!(
            all.iter().any(|e| e.kind == kind.as_str()),
            "{} never recorded",
            kind.as_str()
        );
    }
}

/// A feed's status, ETag and body, asked with `If-None-Match`.
async fn fetch<E: Endpoint>(client: &TestClient<E>, path: &str, etag: Option<&str>) -> (u16, String, String) {
    let mut request = client.get(path);
    if let Some(tag) = etag {
        request = request.header("If-None-Match", tag);
    }
    let response = request.send().await;
    let status = response.0.status().as_u16();
    let etag = response
        .0
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.0.into_body().into_string().await.unwrap();
    (status, etag, body)
}

async fn an_erased_address_leaves_every_feed_that_quoted_it(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let quoted = net.member.email.clone();
    let (_, created) = graphql_as(
        &client,
        net.token(Persona::Admin).as_deref(),
        "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
        json!({ "input": {
            "title": "Leafleting the surgery", "description": format!("Ask {} for leaflets", quoted.to_uppercase()),
            "startsAt": day(5, 10), "endsAt": day(5, 12), "kind": "ACTION", "groupSlug": "alpha", "visibility": "PUBLIC" } }),
    )
    .await;
    assert!(created.get("errors").is_none(), "{created}");
    let (_, feed) = graphql_as(
        &client,
        net.token(Persona::Organiser).as_deref(),
        "mutation { createFeedToken(label: \"phone\") { url } }",
        json!({}),
    )
    .await;
    let private = url::Url::parse(feed["data"]["createFeedToken"]["url"].as_str().unwrap())
        .unwrap()
        .path()
        .to_owned();
    let feeds = ["/calendar.ics", "/groups/alpha/calendar.ics", private.as_str()];

    let mut before = Vec::new();
    for path in feeds {
        let (status, etag, body) = fetch(&client, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            body.to_lowercase().contains(&quoted),
            "{path} quotes the address before erasure"
        );
        let (unchanged, _, _) = fetch(&client, path, Some(&etag)).await;
        assert_eq!(unchanged, 304, "{path}");
        before.push(etag);
    }

    let (_, erased) = graphql_as(
        &client,
        net.token(Persona::Admin).as_deref(),
        "mutation($user: ID!) { eraseUser(userId: $user) }",
        json!({ "user": net.member.id }),
    )
    .await;
    assert!(erased.get("errors").is_none(), "{erased}");

    for (path, old) in feeds.iter().zip(&before) {
        let (status, etag, body) = fetch(&client, path, Some(old)).await;
        assert_eq!(status, 200, "{path} must not answer 304 after erasure");
        assert_ne!(&etag, old, "{path}");
        assert!(
            !body.to_lowercase().contains(&quoted),
            "{path} still quotes the address"
        );
        assert!(body.contains("[removed]"), "{path}");
    }
}
