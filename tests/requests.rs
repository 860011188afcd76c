//! Speaker and workshop requests over HTTP on both databases: the whole
//! journey from an anonymous submission to a cancelled engagement in the
//! feeds, the refusals that name their reason, and concurrent steps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Utc};
use common::{
    TestDb,
    calendar::{ParsedEvent, parse},
    day, error_code, graphql_as,
    network::{self, Persona},
    requests::OUTSIDE_CONTACT_EMAIL,
};
use entity::{assignment, audit_entry};
use futures_util::future::join_all;
use poem::{Endpoint, test::TestClient};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const SUBMIT: &str = "mutation($input: SubmitRequestInput!) {
  submitRequest(input: $input) { reference status { state history { state } } request { id version } } }";
const STATUS: &str = "query($reference: String!) {
  requestStatus(reference: $reference) { reference state topic { slug } history { state at } scheduled { startsAt endsAt } event { id title } } }";
const REQUEST: &str = "query($id: ID!) {
  request(id: $id) { id state version contact { name email } event { id title status visibility sequence }
    currentAssignment { id status startsAt endsAt trainer { displayName } }
    history { fromState toState note actor { displayName } } } }";
const SUGGEST: &str = "query($id: ID!) {
  suggestTrainers(requestId: $id) { trainer { user { id displayName } } coversTopic sameRegion freeWindows { startsAt endsAt } recentLoad } }";
const ASSIGN: &str = "mutation($id: ID!, $trainer: ID!, $version: Int!) {
  assignTrainer(requestId: $id, trainerId: $trainer, version: $version, note: \"Can you take this?\") {
    state version currentAssignment { id status } } }";
const RESPOND: &str = "mutation($id: ID!, $accept: Boolean!, $slot: TimeRangeInput, $note: String) {
  respondToAssignment(assignmentId: $id, accept: $accept, slot: $slot, note: $note) { status startsAt request { state version } } }";
const SET_PROFILE: &str = "mutation($id: ID, $input: TrainerProfileInput!) {
  setTrainerProfile(trainerId: $id, input: $input) { monthlyCap } }";

fn range(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Value {
    json!({ "startsAt": starts_at, "endsAt": ends_at })
}

fn outside_request(topic: uuid::Uuid, windows: Vec<Value>) -> Value {
    json!({
        "kind": "WORKSHOP",
        "topicId": topic,
        "organisationName": "Larkspur Lane Surgery",
        "contactName": "Practice Manager Person",
        "contactEmail": "practice.manager@larkspur.example.org",
        "preferredWindows": windows,
        "town": "Cardiff",
        "postcodeArea": "cf10",
        "region": "Wales",
        "expectedAudience": 12,
        "notes": "Reception staff and two GPs.",
    })
}

fn data<'a>(body: &'a Value, field: &str) -> &'a Value {
    let value = &body["data"][field];
    assert!(!value.is_null(), "{field}: {body}");
    value
}

async fn feed<E: Endpoint>(client: &TestClient<E>, path: &str) -> Vec<ParsedEvent> {
    let response = client.get(path).send().await;
    response.assert_status_is_ok();
    parse(&response.0.into_body().into_string().await.unwrap())
}

fn find<'a>(events: &'a [ParsedEvent], title: &str) -> Option<&'a ParsedEvent> {
    events.iter().find(|e| e["SUMMARY"].contains(title))
}

on_both_databases!(
    an_anonymous_request_goes_from_submission_to_a_cancelled_engagement,
    refusals_name_their_reason,
    two_coordinators_assigning_at_once_one_wins,
    a_trainer_accepting_two_clashing_engagements_at_once_gets_one,
    delivery_is_recorded_after_the_engagement,
    submissions_are_checked_and_anonymous_ones_limited,
    the_queue_costs_the_same_statements_for_any_page_size,
    the_queue_pages_in_order_without_gaps_or_repeats,
    a_contact_read_shows_in_the_requesters_access_log,
);

async fn an_anonymous_request_goes_from_submission_to_a_cancelled_engagement(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    let trainer = net.token(Persona::Trainer);
    // The supporter becomes a second trainer, in Scotland.
    let (_, made) = graphql_as(
        &client,
        coordinator.as_deref(),
        SET_PROFILE,
        json!({ "id": net.supporter.id, "input": { "topicIds": [net.topic], "regions": ["Scotland"], "monthlyCap": 3 } }),
    )
    .await;
    assert!(made.get("errors").is_none(), "{made}");
    let second_trainer = net.token(Persona::Supporter);

    // An outside organisation asks, without an account.
    let first_window = (day(20, 9), day(20, 17));
    let second_window = (day(27, 9), day(27, 17));
    let input = outside_request(
        net.topic,
        vec![
            range(first_window.0, first_window.1),
            range(second_window.0, second_window.1),
        ],
    );
    let (_, submitted) = graphql_as(&client, None, SUBMIT, json!({ "input": input })).await;
    let receipt = data(&submitted, "submitRequest");
    let reference = receipt["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("REQ-"), "{reference}");
    assert!(receipt["request"].is_null(), "no account, no request object");

    // Following it by reference shows the state, nobody's details.
    let (_, status) = graphql_as(&client, None, STATUS, json!({ "reference": reference.to_lowercase() })).await;
    let status_text = status.to_string();
    assert_eq!(data(&status, "requestStatus")["state"], "SUBMITTED", "{status}");
    for private in ["practice.manager@", "Practice Manager Person", "Reception staff"] {
        assert!(!status_text.contains(private), "{private} in {status_text}");
    }

    // The coordinator finds it in the queue, with the contact: the read is
    // recorded.
    let (_, queue) = graphql_as(
        &client,
        coordinator.as_deref(),
        "{ requests(filter: { region: \"wales\", states: [SUBMITTED] }) { totalCount edges { node { id reference contact { email } } } } }",
        json!({}),
    )
    .await;
    let edges = data(&queue, "requests")["edges"].as_array().unwrap().clone();
    let node = edges
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["reference"] == reference.as_str())
        .unwrap_or_else(|| panic!("in the queue: {queue}"));
    assert_eq!(node["contact"]["email"], "practice.manager@larkspur.example.org");
    let request_id = node["id"].as_str().unwrap().to_owned();
    // Nobody has an account to show it to, so it is in the admins' trail,
    // tied to the request.
    let contact_reads = audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("READ_CONTACT_DETAILS"))
        .filter(audit_entry::Column::ActorId.eq(net.coordinator.id))
        .filter(audit_entry::Column::RequestId.eq(uuid::Uuid::parse_str(node["id"].as_str().unwrap()).unwrap()))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(contact_reads, 1, "the coordinator's read is in the audit trail");

    // Suggestions: the Welsh trainer first, with reasons.
    let (_, suggested) = graphql_as(&client, coordinator.as_deref(), SUGGEST, json!({ "id": request_id })).await;
    let suggestions = data(&suggested, "suggestTrainers").as_array().unwrap().clone();
    assert_eq!(suggestions.len(), 2, "{suggested}");
    assert_eq!(suggestions[0]["trainer"]["user"]["id"], net.trainer.id.to_string());
    assert_eq!(suggestions[0]["sameRegion"], true);
    assert_eq!(suggestions[0]["coversTopic"], true);
    assert_eq!(suggestions[0]["freeWindows"].as_array().unwrap().len(), 2);
    assert_eq!(suggestions[1]["sameRegion"], false);

    // Away in the first window: only the second is free for them now.
    let (_, away) = graphql_as(
        &client,
        trainer.as_deref(),
        "mutation($input: UnavailabilityInput!) { addUnavailability(input: $input) { id } }",
        json!({ "input": { "startsAt": day(20, 0), "endsAt": day(21, 0), "note": "leave" } }),
    )
    .await;
    assert!(away.get("errors").is_none(), "{away}");
    let (_, suggested) = graphql_as(&client, coordinator.as_deref(), SUGGEST, json!({ "id": request_id })).await;
    let welsh = &data(&suggested, "suggestTrainers")[0];
    let free: Vec<DateTime<Utc>> = welsh["freeWindows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["startsAt"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(free, [second_window.0], "{welsh}");

    // Assign → the trainer declines → reassign (a stale version is refused)
    // → the second trainer accepts a slot in the first window.
    let assign = |trainer_id: uuid::Uuid, version: i64| {
        let (client, coordinator, request_id) = (&client, coordinator.clone(), request_id.clone());
        async move {
            graphql_as(
                client,
                coordinator.as_deref(),
                ASSIGN,
                json!({ "id": request_id, "trainer": trainer_id, "version": version }),
            )
            .await
            .1
        }
    };
    let assigned = assign(net.trainer.id, 1).await;
    assert_eq!(data(&assigned, "assignTrainer")["state"], "ASSIGNED", "{assigned}");
    assert_eq!(data(&assigned, "assignTrainer")["version"], 2);
    let first_assignment = assigned["data"]["assignTrainer"]["currentAssignment"]["id"].clone();
    let (_, declined) = graphql_as(
        &client,
        trainer.as_deref(),
        RESPOND,
        json!({ "id": first_assignment, "accept": false, "note": "Away the first week" }),
    )
    .await;
    assert_eq!(
        data(&declined, "respondToAssignment")["status"],
        "DECLINED",
        "{declined}"
    );
    assert_eq!(declined["data"]["respondToAssignment"]["request"]["state"], "SUBMITTED");

    let stale = assign(net.supporter.id, 2).await;
    assert_eq!(error_code(&stale), Some("CONFLICT"), "{stale}");
    let reassigned = assign(net.supporter.id, 3).await;
    assert_eq!(data(&reassigned, "assignTrainer")["state"], "ASSIGNED", "{reassigned}");
    let second_assignment = reassigned["data"]["assignTrainer"]["currentAssignment"]["id"].clone();

    // Only the proposed trainer answers; the slot must lie in a window.
    let (_, not_theirs) = graphql_as(
        &client,
        trainer.as_deref(),
        RESPOND,
        json!({ "id": second_assignment, "accept": true, "slot": range(day(20, 10), day(20, 12)) }),
    )
    .await;
    assert_eq!(error_code(&not_theirs), Some("FORBIDDEN"), "{not_theirs}");
    let (_, outside) = graphql_as(
        &client,
        second_trainer.as_deref(),
        RESPOND,
        json!({ "id": second_assignment, "accept": true, "slot": range(day(22, 10), day(22, 12)) }),
    )
    .await;
    assert_eq!(outside["errors"][0]["extensions"]["field"], "slot", "{outside}");
    // The engagement becomes an event, so it keeps to an event's length.
    let (_, too_long) = graphql_as(
        &client,
        second_trainer.as_deref(),
        RESPOND,
        json!({ "id": second_assignment, "accept": true, "slot": range(day(20, 10), day(52, 12)) }),
    )
    .await;
    assert_eq!(too_long["errors"][0]["extensions"]["field"], "slot", "{too_long}");
    assert!(
        too_long["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("31 days at most"),
        "{too_long}"
    );
    let slot = (day(20, 10), day(20, 12));
    let (_, accepted) = graphql_as(
        &client,
        second_trainer.as_deref(),
        RESPOND,
        json!({ "id": second_assignment, "accept": true, "slot": range(slot.0, slot.1), "note": "Happy to" }),
    )
    .await;
    assert_eq!(
        data(&accepted, "respondToAssignment")["status"],
        "ACCEPTED",
        "{accepted}"
    );
    assert_eq!(accepted["data"]["respondToAssignment"]["request"]["state"], "CONFIRMED");

    // The event is public, in the public feed and the trainer's own feed.
    let (_, confirmed) = graphql_as(&client, coordinator.as_deref(), REQUEST, json!({ "id": request_id })).await;
    let event = &data(&confirmed, "request")["event"];
    assert_eq!(event["visibility"], "PUBLIC", "{confirmed}");
    let title = event["title"].as_str().unwrap().to_owned();
    assert!(title.contains("Larkspur Lane Surgery"), "{title}");
    let public = feed(&client, "/calendar.ics").await;
    let listed = find(&public, &title).unwrap_or_else(|| panic!("{title} in the public feed"));
    assert_eq!(listed["STATUS"], "CONFIRMED");
    assert_eq!(listed["DTSTART"], slot.0.format("%Y%m%dT%H%M%SZ").to_string());
    let (_, token) = graphql_as(
        &client,
        second_trainer.as_deref(),
        "mutation { createFeedToken(label: \"phone\") { secret } }",
        json!({}),
    )
    .await;
    let secret = data(&token, "createFeedToken")["secret"].as_str().unwrap().to_owned();
    let private_path = format!("/feeds/{secret}/calendar.ics");
    assert!(
        find(&feed(&client, &private_path).await, &title).is_some(),
        "in the trainer's feed"
    );

    // Cancelled: the feed shows it cancelled with a higher sequence.
    let (_, cancelled) = graphql_as(
        &client,
        coordinator.as_deref(),
        "mutation($id: ID!, $version: Int) { cancelRequest(requestId: $id, reason: \"Venue flooded\", version: $version) { state endedAt event { status sequence } } }",
        json!({ "id": request_id, "version": 5 }),
    )
    .await;
    let cancelled = data(&cancelled, "cancelRequest");
    assert_eq!(cancelled["state"], "CANCELLED");
    assert_eq!(cancelled["event"]["status"], "CANCELLED");
    assert!(!cancelled["endedAt"].is_null());
    let public = feed(&client, "/calendar.ics").await;
    let struck = find(&public, &title).unwrap();
    assert_eq!(struck["STATUS"], "CANCELLED");
    assert_eq!(struck["SEQUENCE"], "1");
    let private = feed(&client, &private_path).await;
    assert_eq!(find(&private, &title).unwrap()["STATUS"], "CANCELLED");

    // The history has every step, who took it and why.
    let (_, detail) = graphql_as(&client, coordinator.as_deref(), REQUEST, json!({ "id": request_id })).await;
    let history: Vec<(Value, Value, Value)> = data(&detail, "request")["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["fromState"].clone(),
                t["toState"].clone(),
                t["actor"]["displayName"].clone(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (Value::Null, json!("SUBMITTED"), Value::Null),
            (json!("SUBMITTED"), json!("ASSIGNED"), json!("coordinator Example")),
            (json!("ASSIGNED"), json!("SUBMITTED"), json!("trainer Example")),
            (json!("SUBMITTED"), json!("ASSIGNED"), json!("coordinator Example")),
            (json!("ASSIGNED"), json!("CONFIRMED"), json!("supporter Example")),
            (json!("CONFIRMED"), json!("CANCELLED"), json!("coordinator Example")),
        ]
    );
    assert_eq!(detail["data"]["request"]["history"][5]["note"], "Venue flooded");
    let (_, status) = graphql_as(&client, None, STATUS, json!({ "reference": reference })).await;
    assert_eq!(data(&status, "requestStatus")["history"].as_array().unwrap().len(), 6);
}

async fn refusals_name_their_reason(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    let trainer = net.token(Persona::Trainer);
    // Submitted by the coordinator for an outside organisation, so that
    // the receipt carries the request's id.
    let submit = |windows: Vec<Value>| {
        let (client, topic, coordinator) = (&client, net.topic, coordinator.clone());
        async move {
            let input = outside_request(topic, windows);
            let (_, body) = graphql_as(client, coordinator.as_deref(), SUBMIT, json!({ "input": input })).await;
            data(&body, "submitRequest")["request"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let reason = |body: &Value| {
        assert_eq!(error_code(body), Some("TRAINER_UNAVAILABLE"), "{body}");
        body["errors"][0]["extensions"]["reason"].as_str().unwrap().to_owned()
    };
    let assign = |request_id: String, trainer_id: uuid::Uuid| {
        let (client, coordinator) = (&client, coordinator.clone());
        async move {
            graphql_as(
                client,
                coordinator.as_deref(),
                ASSIGN,
                json!({ "id": request_id, "trainer": trainer_id, "version": 1 }),
            )
            .await
            .1
        }
    };

    // A first engagement for the trainer: 10:00–12:00 in 15 days.
    let booked = submit(vec![range(day(15, 10), day(15, 12))]).await;
    let assigned = assign(booked.clone(), net.trainer.id).await;
    let proposal = assigned["data"]["assignTrainer"]["currentAssignment"]["id"].clone();
    let (_, accepted) = graphql_as(
        &client,
        trainer.as_deref(),
        RESPOND,
        json!({ "id": proposal, "accept": true, "slot": range(day(15, 10), day(15, 12)) }),
    )
    .await;
    assert_eq!(
        data(&accepted, "respondToAssignment")["status"],
        "ACCEPTED",
        "{accepted}"
    );

    // Double-booking the same morning is refused, naming the engagement.
    let clash = submit(vec![range(day(15, 9), day(15, 12))]).await;
    assert_eq!(reason(&assign(clash.clone(), net.trainer.id).await), "ENGAGED");
    // The coordinator cannot assign someone who is not a trainer at all...
    let not_trainer = assign(clash.clone(), net.member.id).await;
    assert_eq!(
        not_trainer["errors"][0]["extensions"]["field"], "trainerId",
        "{not_trainer}"
    );
    // ...nor a trainer without the topic.
    let other_topic = network::add_topic(&db.conn, "safe-surgeries", "Safe Surgeries").await;
    let (_, _) = graphql_as(
        &client,
        coordinator.as_deref(),
        SET_PROFILE,
        json!({ "id": net.supporter.id, "input": { "topicIds": [other_topic], "regions": [], "monthlyCap": 2 } }),
    )
    .await;
    assert_eq!(
        reason(&assign(clash.clone(), net.supporter.id).await),
        "TOPIC_NOT_COVERED"
    );

    // Away for a whole window.
    let (_, _) = graphql_as(
        &client,
        trainer.as_deref(),
        "mutation($input: UnavailabilityInput!) { addUnavailability(input: $input) { id } }",
        json!({ "input": { "startsAt": day(40, 0), "endsAt": day(45, 0) } }),
    )
    .await;
    let away = submit(vec![range(day(41, 9), day(41, 17))]).await;
    assert_eq!(reason(&assign(away, net.trainer.id).await), "AWAY");

    // At the monthly cap: one engagement a month.
    let (_, _) = graphql_as(
        &client,
        trainer.as_deref(),
        SET_PROFILE,
        json!({ "input": { "topicIds": [net.topic], "regions": ["Wales"], "monthlyCap": 1 } }),
    )
    .await;
    let capped = submit(vec![range(day(15, 14), day(15, 18))]).await;
    assert_eq!(reason(&assign(capped, net.trainer.id).await), "MONTHLY_CAP");
    // Nothing was written by the refusals.
    assert_eq!(
        assignment::Entity::find()
            .filter(assignment::Column::TrainerId.eq(net.trainer.id))
            .count(&db.conn)
            .await
            .unwrap(),
        3,
        "the fixture's proposal and engagement, and the one accepted here"
    );

    // The state machine: an assigned request cannot be declined.
    let (_, declined) = graphql_as(
        &client,
        coordinator.as_deref(),
        "mutation($id: ID!) { declineRequest(requestId: $id, reason: \"No\") { state } }",
        json!({ "id": net.requests.outside_request }),
    )
    .await;
    assert_eq!(error_code(&declined), Some("INVALID_TRANSITION"), "{declined}");
    // A requester may not assign, whatever the state.
    let (_, organiser_assigns) = graphql_as(
        &client,
        net.token(Persona::Organiser).as_deref(),
        ASSIGN,
        json!({ "id": net.requests.alpha_request, "trainer": net.trainer.id, "version": 1 }),
    )
    .await;
    assert_eq!(error_code(&organiser_assigns), Some("FORBIDDEN"), "{organiser_assigns}");
}

async fn two_coordinators_assigning_at_once_one_wins(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let request_id = net.requests.alpha_request;
    let tokens = [net.token(Persona::Coordinator), net.token(Persona::Admin)];
    let attempts = (0..6).map(|k| {
        let (client, token) = (&client, tokens[k % 2].clone());
        async move {
            graphql_as(
                client,
                token.as_deref(),
                ASSIGN,
                json!({ "id": request_id, "trainer": net.trainer.id, "version": 1 }),
            )
            .await
            .1
        }
    });
    let results = join_all(attempts).await;
    let codes: Vec<Option<String>> = results.iter().map(|b| error_code(b).map(str::to_owned)).collect();
    let won = codes.iter().filter(|c| c.is_none()).count();
    let conflicts = codes.iter().filter(|c| c.as_deref() == Some("CONFLICT")).count();
    assert_eq!((won, conflicts), (1, 5), "{results:?}");
    // Exactly one proposal and one history row were written.
    let (proposals, transitions) = common::requests::proposals_and_transitions(&db.conn, request_id).await;
    assert_eq!((proposals, transitions), (1, 2));
}

async fn a_trainer_accepting_two_clashing_engagements_at_once_gets_one(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    let trainer = net.token(Persona::Trainer);
    let window = range(day(12, 9), day(12, 17));
    let mut proposals = Vec::new();
    for _ in 0..2 {
        let (_, submitted) = graphql_as(
            &client,
            coordinator.as_deref(),
            SUBMIT,
            json!({ "input": outside_request(net.topic, vec![window.clone()]) }),
        )
        .await;
        let request_id = data(&submitted, "submitRequest")["request"]["id"].clone();
        let (_, assigned) = graphql_as(
            &client,
            coordinator.as_deref(),
            ASSIGN,
            json!({ "id": request_id, "trainer": net.trainer.id, "version": 1 }),
        )
        .await;
        proposals.push(data(&assigned, "assignTrainer")["currentAssignment"]["id"].clone());
    }
    let slot = range(day(12, 10), day(12, 12));
    let answers = join_all(proposals.iter().map(|id| {
        let (client, trainer, slot) = (&client, trainer.clone(), slot.clone());
        async move {
            graphql_as(
                client,
                trainer.as_deref(),
                RESPOND,
                json!({ "id": id, "accept": true, "slot": slot }),
            )
            .await
            .1
        }
    }))
    .await;
    let codes: Vec<Option<&str>> = answers.iter().map(error_code).collect();
    assert!(
        codes.contains(&None) && codes.contains(&Some("TRAINER_UNAVAILABLE")),
        "{answers:?}"
    );
    let accepted = assignment::Entity::find()
        .filter(assignment::Column::TrainerId.eq(net.trainer.id))
        .filter(assignment::Column::Status.eq(entity::AssignmentStatus::Accepted))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(accepted, 2, "the fixture's past engagement and one of the two");
}

async fn delivery_is_recorded_after_the_engagement(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let deliver = "mutation($id: ID!, $version: Int) {
      markDelivered(requestId: $id, attendance: 18, feedback: \"Lively questions\", version: $version) { state attendance feedback version } }";
    // A stale version is refused before anything else happens.
    let (_, stale) = graphql_as(
        &client,
        net.token(Persona::Trainer).as_deref(),
        deliver,
        json!({ "id": net.requests.beta_request, "version": 1 }),
    )
    .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"), "{stale}");
    let (_, delivered) = graphql_as(
        &client,
        net.token(Persona::Trainer).as_deref(),
        deliver,
        json!({ "id": net.requests.beta_request, "version": 3 }),
    )
    .await;
    let delivered = data(&delivered, "markDelivered");
    assert_eq!(delivered["state"], "DELIVERED");
    assert_eq!(delivered["attendance"], 18);
    assert_eq!(delivered["version"], 4);

    // An engagement still to come cannot be delivered.
    let coordinator = net.token(Persona::Coordinator);
    let (_, assigned) = graphql_as(
        &client,
        coordinator.as_deref(),
        ASSIGN,
        json!({ "id": net.requests.alpha_request, "trainer": net.trainer.id, "version": 1 }),
    )
    .await;
    let proposal = data(&assigned, "assignTrainer")["currentAssignment"]["id"].clone();
    let (_, accepted) = graphql_as(
        &client,
        net.token(Persona::Trainer).as_deref(),
        RESPOND,
        json!({ "id": proposal, "accept": true, "slot": range(day(30, 12), day(30, 14)) }),
    )
    .await;
    assert_eq!(
        data(&accepted, "respondToAssignment")["status"],
        "ACCEPTED",
        "{accepted}"
    );
    let (_, early) = graphql_as(
        &client,
        coordinator.as_deref(),
        deliver,
        json!({ "id": net.requests.alpha_request }),
    )
    .await;
    assert_eq!(error_code(&early), Some("INVALID_TRANSITION"), "{early}");
    // The group's organiser withdraws it; its event is cancelled.
    let (_, withdrawn) = graphql_as(
        &client,
        net.token(Persona::Organiser).as_deref(),
        "mutation($id: ID!) { withdrawRequest(requestId: $id, reason: \"Meeting moved\") { state event { status } } }",
        json!({ "id": net.requests.alpha_request }),
    )
    .await;
    let withdrawn = data(&withdrawn, "withdrawRequest");
    assert_eq!(withdrawn["state"], "WITHDRAWN");
    assert_eq!(withdrawn["event"]["status"], "CANCELLED");
}

async fn submissions_are_checked_and_anonymous_ones_limited(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = net.token(Persona::Organiser);
    let window = range(day(10, 18), day(10, 21));
    let bad_cases = [
        (json!({ "contactEmail": "not-an-address" }), "contactEmail"),
        (json!({ "contactName": "  " }), "contactName"),
        (json!({ "postcodeArea": "CF10 1AA" }), "postcodeArea"),
        (json!({ "preferredWindows": [] }), "preferredWindows"),
        (
            json!({ "preferredWindows": [range(day(-2, 9), day(-2, 12))] }),
            "preferredWindows",
        ),
        (
            json!({ "preferredWindows": vec![window.clone(); 4] }),
            "preferredWindows",
        ),
        (json!({ "town": null, "online": false }), "town"),
        (json!({ "expectedAudience": 0 }), "expectedAudience"),
        (json!({ "topicId": uuid::Uuid::new_v4() }), "topicId"),
    ];
    for (change, field) in bad_cases {
        let mut input = outside_request(net.topic, vec![window.clone()]);
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let (_, body) = graphql_as(&client, organiser.as_deref(), SUBMIT, json!({ "input": input })).await;
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{change}: {body}");
    }
    // A group's request carries no outside contact.
    let mut input = outside_request(net.topic, vec![window.clone()]);
    input["groupSlug"] = json!("alpha");
    let (_, body) = graphql_as(&client, organiser.as_deref(), SUBMIT, json!({ "input": input })).await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "organisationName", "{body}");
    let group_request = json!({ "kind": "SPEAKER", "topicId": net.topic, "groupSlug": "alpha",
        "preferredWindows": [window.clone()], "online": true, "publicEvent": false });
    let (_, body) = graphql_as(&client, organiser.as_deref(), SUBMIT, json!({ "input": group_request })).await;
    assert!(!data(&body, "submitRequest")["request"]["id"].is_null(), "{body}");

    // Five anonymous submissions an hour from one address, then a wait.
    for k in 0..5 {
        let (_, body) = graphql_as(
            &client,
            None,
            SUBMIT,
            json!({ "input": outside_request(net.topic, vec![window.clone()]) }),
        )
        .await;
        assert!(body.get("errors").is_none(), "submission {k}: {body}");
    }
    let (_, limited) = graphql_as(
        &client,
        None,
        SUBMIT,
        json!({ "input": outside_request(net.topic, vec![window.clone()]) }),
    )
    .await;
    assert_eq!(error_code(&limited), Some("RATE_LIMITED"), "{limited}");
    assert!(limited["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap() > 0);
    // Signed in, the same person is not limited this way.
    let (_, signed_in) = graphql_as(
        &client,
        organiser.as_deref(),
        SUBMIT,
        json!({ "input": outside_request(net.topic, vec![window]) }),
    )
    .await;
    assert!(signed_in.get("errors").is_none(), "{signed_in}");
    // The fixture's contact never reached anyone here.
    assert!(!signed_in.to_string().contains(OUTSIDE_CONTACT_EMAIL));
}

/// The SQL statements of one queue page of `first` with its relations.
async fn queue_statements(db: &TestDb, token: Option<&str>, first: usize) -> usize {
    let query = "query($first: Int) { requests(first: $first, filter: { states: [SUBMITTED, ASSIGNED, CONFIRMED] }) {
      totalCount edges { node { reference topic { name } group { slug } preferredWindows { startsAt }
        submittedBy { displayName } currentAssignment { status trainer { displayName } }
        event { title } history { toState actor { displayName } } } } } }";
    let (count, body) = common::count_statements(db, token, query, json!({ "first": first })).await;
    assert_eq!(
        body["data"]["requests"]["edges"].as_array().unwrap().len(),
        first,
        "{body}"
    );
    count
}

async fn the_queue_costs_the_same_statements_for_any_page_size(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    for k in 0..40 {
        let input = outside_request(net.topic, vec![range(day(10 + k, 9), day(10 + k, 17))]);
        let (_, body) = graphql_as(&client, coordinator.as_deref(), SUBMIT, json!({ "input": input })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let small = queue_statements(&db, coordinator.as_deref(), 3).await;
    let large = queue_statements(&db, coordinator.as_deref(), 40).await;
    assert_eq!(small, large, "statements for 3 requests vs 40");
    assert!(
        large <= 14,
        "{large} statements: auth (3), count, page, own assignments, topics, groups, windows, \
         assignments, users, events, histories"
    );
}

const QUEUE_PAGE: &str = "query($first: Int, $after: String) { requests(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id } } } }";

async fn the_queue_pages_in_order_without_gaps_or_repeats(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    for k in 0..7 {
        let input = outside_request(net.topic, vec![range(day(10 + k, 9), day(10 + k, 17))]);
        let (_, body) = graphql_as(&client, coordinator.as_deref(), SUBMIT, json!({ "input": input })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let ids = |page: &Value| -> Vec<String> {
        page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, whole) = graphql_as(&client, coordinator.as_deref(), QUEUE_PAGE, json!({ "first": 100 })).await;
    let whole = data(&whole, "requests").clone();
    let everything = ids(&whole);
    assert!(everything.len() >= 7 && whole["totalCount"] == everything.len());

    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (_, body) = graphql_as(
            &client,
            coordinator.as_deref(),
            QUEUE_PAGE,
            json!({ "first": 3, "after": after }),
        )
        .await;
        let page = data(&body, "requests");
        assert_eq!(page["totalCount"], whole["totalCount"]);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], after.is_some());
        walked.extend(ids(page));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(walked.len() <= everything.len(), "the walk repeats itself");
    }
    assert_eq!(
        walked, everything,
        "three at a time, the same order without gaps or repeats"
    );

    let (_, refused) = graphql_as(
        &client,
        coordinator.as_deref(),
        QUEUE_PAGE,
        json!({ "first": 3, "after": "not-a-cursor" }),
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused}"
    );
    assert_eq!(refused["errors"][0]["extensions"]["field"], "after", "{refused}");
}

async fn a_contact_read_shows_in_the_requesters_access_log(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let supporter = net.token(Persona::Supporter);
    let input = outside_request(net.topic, vec![range(day(9, 18), day(9, 21))]);
    let (_, submitted) = graphql_as(&client, supporter.as_deref(), SUBMIT, json!({ "input": input })).await;
    let request_id = data(&submitted, "submitRequest")["request"]["id"].clone();
    // The submitter reading their own request is no one else's access.
    graphql_as(&client, supporter.as_deref(), REQUEST, json!({ "id": request_id })).await;
    let (_, read) = graphql_as(
        &client,
        net.token(Persona::Coordinator).as_deref(),
        REQUEST,
        json!({ "id": request_id }),
    )
    .await;
    assert_eq!(data(&read, "request")["contact"]["name"], "Practice Manager Person");
    let (_, log) = graphql_as(
        &client,
        supporter.as_deref(),
        "{ myDataAccessLog(first: 10) { edges { node { actorName action operation } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        data(&log, "myDataAccessLog")["edges"],
        json!([{ "node": { "actorName": "coordinator Example", "action": "READ_CONTACT_DETAILS", "operation": "request" } }]),
        "{log}"
    );
}
