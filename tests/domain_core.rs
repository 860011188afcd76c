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
    the_api_and_the_status_page_tell_the_same_story,
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
    steps
        .expect(
            Organiser,
            "mutation($id: ID!) { updateEvent(id: $id, input: { venue: \"The east gate\" }) { sequence } }",
            json!({ "id": event_id }),
            &["EVENT_CHANGED", "EVENT_MOVED"],
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

async fn the_api_and_the_status_page_tell_the_same_story(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    let trainer = net.token(Persona::Trainer);
    let ask = |input: Value| {
        let (client, coordinator) = (&client, coordinator.clone());
        async move {
            let (_, body) = graphql_as(client, coordinator.as_deref(), SUBMIT, json!({ "input": input })).await;
            let receipt = body["data"]["submitRequest"].clone();
            assert!(receipt.is_object(), "{body}");
            (
                receipt["request"]["id"].clone(),
                receipt["reference"].as_str().unwrap().to_owned(),
            )
        }
    };
    // Confirmed with the trainer; `public` decides whether its event is listed.
    let confirmed = |public: bool, days: i64| {
        let (client, coordinator, trainer) = (&client, coordinator.clone(), trainer.clone());
        let mut input = outside_request(net.topic, days);
        input["publicEvent"] = json!(public);
        let asked = ask(input);
        async move {
            let (id, reference) = asked.await;
            let (_, assigned) = graphql_as(
                client,
                coordinator.as_deref(),
                ASSIGN,
                json!({ "id": id, "trainer": net.trainer.id, "version": 1 }),
            )
            .await;
            let proposal = assigned["data"]["assignTrainer"]["currentAssignment"]["id"].clone();
            let slot = json!({ "startsAt": day(days, 10), "endsAt": day(days, 12) });
            let (_, accepted) = graphql_as(
                client,
                trainer.as_deref(),
                RESPOND,
                json!({ "id": proposal, "accept": true, "slot": slot }),
            )
            .await;
            assert!(accepted.get("errors").is_none(), "{accepted}");
            (id, reference)
        }
    };
    let step = |query: &'static str, id: Value| {
        let (client, coordinator) = (&client, coordinator.clone());
        async move {
            let (_, body) = graphql_as(client, coordinator.as_deref(), query, json!({ "id": id })).await;
            assert!(body.get("errors").is_none(), "{query}: {body}");
        }
    };

    let mut references = vec![net.requests.alpha_reference.clone()];
    let (_, outside) = graphql_as(
        &client,
        coordinator.as_deref(),
        "query($id: ID!) { request(id: $id) { reference } }",
        json!({ "id": net.requests.outside_request }),
    )
    .await;
    references.push(outside["data"]["request"]["reference"].as_str().unwrap().to_owned());
    references.push(confirmed(true, 20).await.1);
    references.push(confirmed(false, 21).await.1);
    let (cancelled, reference) = confirmed(true, 22).await;
    step(
        "mutation($id: ID!) { cancelRequest(requestId: $id, reason: \"Venue closed\") { state } }",
        cancelled,
    )
    .await;
    references.push(reference);
    let (declined, reference) = ask(outside_request(net.topic, 23)).await;
    step(
        "mutation($id: ID!) { declineRequest(requestId: $id, reason: \"Out of scope\") { state } }",
        declined,
    )
    .await;
    references.push(reference);
    let (withdrawn, reference) = ask(outside_request(net.topic, 24)).await;
    step(
        "mutation($id: ID!) { withdrawRequest(requestId: $id) { state } }",
        withdrawn,
    )
    .await;
    references.push(reference);
    let (_, delivered) = graphql_as(
        &client,
        trainer.as_deref(),
        "mutation($id: ID!) { markDelivered(requestId: $id) { reference } }",
        json!({ "id": net.requests.beta_request }),
    )
    .await;
    references.push(
        delivered["data"]["markDelivered"]["reference"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    let mut states = std::collections::BTreeSet::new();
    for reference in &references {
        let (_, status) = graphql_as(
            &client,
            None,
            "query($r: String!) { requestStatus(reference: $r) { state history { state } scheduled { startsAt } event { id } } }",
            json!({ "r": reference }),
        )
        .await;
        let status = &status["data"]["requestStatus"];
        states.insert(status["state"].as_str().unwrap().to_owned());
        let page = client.get(format!("/request/{reference}")).send().await;
        page.assert_status_is_ok();
        let page = page.0.into_body().into_string().await.unwrap();
        let listed = !status["event"].is_null();
        assert_eq!(
            page.contains("Add it to your calendar"),
            listed,
            "{reference} ({}): page and API disagree on the event",
            status["state"]
        );
        if listed {
            let link = format!("/events/{}.ics", status["event"]["id"].as_str().unwrap());
            assert!(page.contains(&link), "{reference}: {link}");
        }
        assert_eq!(
            page.contains("<dt>When</dt>"),
            !status["scheduled"].is_null(),
            "{reference}"
        );
        assert_eq!(
            page.matches("<span class=\"state\">").count(),
            status["history"].as_array().unwrap().len(),
            "{reference}: the same history"
        );
    }
    let every: std::collections::BTreeSet<String> =
        common::requests::EVERY_STATE.into_iter().map(str::to_owned).collect();
    assert_eq!(states, every, "every state is compared");
}
