//! Events and RSVPs through the API on real databases: validation, the
//! sequence, who sees members-only events, filters and paging, capacity
//! under concurrency, and a statement count that does not grow with the
//! page size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    TestDb, error_code as code, graphql_as,
    network::{self, Network, Persona},
};
use serde_json::{Value, json};

const CREATE: &str =
    "mutation($input: CreateEventInput!) { createEvent(input: $input) { id sequence status visibility timezone } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { sequence title capacity updatedAt } }";

fn event_input(title: &str) -> Value {
    json!({
        "title": title,
        "startsAt": "2031-03-28T18:00:00Z",
        "endsAt": "2031-03-28T20:00:00Z",
        "kind": "WORKSHOP",
        "groupSlug": "alpha",
        "venue": "Library, Room 2",
        "capacity": 30
    })
}

on_both_databases!(
    validation_names_the_field_and_changes_bump_the_sequence,
    members_only_events_are_seen_by_members_and_staff_only,
    filters_and_paging,
    the_last_place_goes_to_exactly_one_and_a_cancellation_promotes,
    statements_do_not_grow_with_the_page_size,
);

async fn validation_names_the_field_and_changes_bump_the_sequence(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = net.token(Persona::Organiser);
    let organiser = organiser.as_deref();

    for (change, field) in [
        (json!({ "endsAt": "2031-03-28T17:00:00Z" }), "endsAt"),
        (json!({ "timezone": "Europe/Atlantis" }), "timezone"),
        (json!({ "title": "" }), "title"),
        (json!({ "title": "x".repeat(201) }), "title"),
        (json!({ "onlineUrl": "javascript:alert(1)" }), "onlineUrl"),
        (json!({ "capacity": 0 }), "capacity"),
        (json!({ "groupSlug": null, "visibility": "MEMBERS" }), "visibility"),
    ] {
        let mut input = event_input("Know your rights");
        input
            .as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        // A network-wide event needs staff; ask as admin for that case.
        let token = if field == "visibility" {
            net.token(Persona::Admin)
        } else {
            organiser.map(str::to_owned)
        };
        let (_, body) = graphql_as(&client, token.as_deref(), CREATE, json!({ "input": input })).await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }

    // A form with several mistakes hears of all of them at once, in the
    // order of the form, and nothing is stored.
    let mut input = event_input("");
    input["onlineUrl"] = json!("file:///etc/passwd");
    input["capacity"] = json!(0);
    input["endsAt"] = json!("2031-03-28T17:00:00Z");
    input["venue"] = json!("Room\t2");
    let (_, body) = graphql_as(&client, organiser, CREATE, json!({ "input": input })).await;
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["field"], "title", "the first keeps its place: {body}");
    let fields: Vec<&str> = extensions["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "endsAt", "venue", "onlineUrl", "capacity"], "{body}");
    assert!(
        extensions["fields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["message"].as_str().unwrap().is_empty())
    );
    assert!(body["data"].is_null(), "{body}");

    let (_, created) = graphql_as(
        &client,
        organiser,
        CREATE,
        json!({ "input": event_input("Know your rights") }),
    )
    .await;
    let event = &created["data"]["createEvent"];
    assert_eq!(
        (event["sequence"].as_i64(), event["timezone"].as_str()),
        (Some(0), Some("Europe/London")),
        "{created}"
    );
    let id = event["id"].as_str().unwrap().to_owned();
    let update = |input: Value| graphql_as(&client, organiser, UPDATE, json!({ "id": id, "input": input }));

    let (_, moved) = update(json!({ "startsAt": "2031-03-28T17:30:00Z" })).await;
    assert_eq!(moved["data"]["updateEvent"]["sequence"], 1, "{moved}");
    // Capacity is not shown in calendars: no new sequence.
    let (_, resized) = update(json!({ "capacity": 40 })).await;
    assert_eq!(resized["data"]["updateEvent"]["sequence"], 1);
    assert_eq!(resized["data"]["updateEvent"]["capacity"], 40);
    let (_, unlimited) = update(json!({ "capacity": null })).await;
    assert_eq!(unlimited["data"]["updateEvent"]["capacity"], Value::Null);

    let (_, cancelled) = graphql_as(
        &client,
        organiser,
        "mutation($id: ID!) { cancelEvent(id: $id) { status sequence cancelledAt } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(cancelled["data"]["cancelEvent"]["status"], "CANCELLED");
    assert_eq!(cancelled["data"]["cancelEvent"]["sequence"], 2);
    let (_, after) = update(json!({ "title": "Back on" })).await;
    assert_eq!(
        code(&after),
        Some("BAD_USER_INPUT"),
        "a cancelled event stays cancelled"
    );
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]["events"]["edges"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn members_only_events_are_seen_by_members_and_staff_only(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let list = "{ events(first: 100) { totalCount edges { node { title } } } }";
    let one = "query($id: ID!) { event(id: $id) { title } }";
    for (persona, sees_alpha, sees_beta) in [
        (Persona::Anonymous, false, false),
        (Persona::Supporter, false, false),
        (Persona::Member, true, false),
        (Persona::Organiser, true, false),
        (Persona::OtherOrganiser, false, true),
        (Persona::Trainer, false, false),
        (Persona::Coordinator, true, true),
        (Persona::Admin, true, true),
    ] {
        let token = net.token(persona);
        let (_, body) = graphql_as(&client, token.as_deref(), list, json!({})).await;
        let seen = titles(&body);
        assert!(seen.contains(&"Alpha open meeting".to_owned()), "{persona:?}: {seen:?}");
        assert_eq!(
            seen.contains(&"Alpha planning".to_owned()),
            sees_alpha,
            "{persona:?}: {seen:?}"
        );
        assert_eq!(
            seen.contains(&"Beta planning".to_owned()),
            sees_beta,
            "{persona:?}: {seen:?}"
        );
        assert_eq!(
            body["data"]["events"]["totalCount"].as_u64().unwrap() as usize,
            seen.len()
        );
        let (_, single) = graphql_as(&client, token.as_deref(), one, json!({ "id": net.alpha_members_event })).await;
        assert_eq!(single["data"]["event"].is_null(), !sees_alpha, "{persona:?}: {single}");
    }
}

async fn create_as(client: &poem::test::TestClient<impl poem::Endpoint>, net: &Network, input: Value) -> String {
    let (_, body) = graphql_as(
        client,
        net.token(Persona::Coordinator).as_deref(),
        CREATE,
        json!({ "input": input }),
    )
    .await;
    body["data"]["createEvent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

async fn filters_and_paging(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    for day in 1..=7 {
        let mut input = event_input(&format!("Stall {day}"));
        input["startsAt"] = json!(format!("2031-04-{day:02}T10:00:00Z"));
        input["endsAt"] = json!(format!("2031-04-{day:02}T12:00:00Z"));
        input["kind"] = json!(if day % 2 == 0 { "ACTION" } else { "TALK" });
        input["description"] = json!(if day == 3 {
            "Bring the 100% recycled leaflets"
        } else {
            ""
        });
        create_as(&client, &net, input).await;
    }
    let mut past = event_input("Last year's stall");
    past["startsAt"] = json!("2020-01-01T10:00:00Z");
    past["endsAt"] = json!("2020-01-01T12:00:00Z");
    create_as(&client, &net, past).await;

    let query = "query($f: EventFilterInput, $first: Int, $after: String) {
      events(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } }";
    let anonymous = |filter: Value| {
        let client = &client;
        async move {
            graphql_as(client, None, query, json!({ "f": filter, "first": 100 }))
                .await
                .1
        }
    };
    let stalls = anonymous(json!({ "search": "stall" })).await;
    assert_eq!(
        titles(&stalls),
        (1..=7).map(|d| format!("Stall {d}")).collect::<Vec<_>>(),
        "from now on, by start"
    );
    let with_past = anonymous(json!({ "search": "stall", "from": "2019-01-01T00:00:00Z" })).await;
    assert_eq!(titles(&with_past)[0], "Last year's stall");
    assert_eq!(
        titles(&anonymous(json!({ "search": "stall", "kinds": ["ACTION"] })).await).len(),
        3
    );
    assert_eq!(
        titles(&anonymous(json!({ "search": "100%" })).await),
        ["Stall 3"],
        "LIKE wildcards are literal"
    );
    assert_eq!(
        titles(&anonymous(json!({ "groups": ["beta"] })).await),
        Vec::<String>::new()
    );
    assert_eq!(
        titles(&anonymous(json!({ "regions": ["wales"], "search": "stall 1" })).await),
        ["Stall 1"]
    );
    assert_eq!(
        titles(&anonymous(json!({ "to": "2031-04-03T00:00:00Z", "search": "stall" })).await).len(),
        2
    );

    // Paging with a cursor walks the same order without gaps or repeats.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (_, page) = graphql_as(
            &client,
            None,
            query,
            json!({ "f": { "search": "stall" }, "first": 3, "after": after }),
        )
        .await;
        seen.extend(titles(&page));
        let info = &page["data"]["events"]["pageInfo"];
        if !info["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, titles(&stalls));

    // A sync client asking for changes learns of cancellations too.
    let before_cancel = common::now();
    let cancel_id = {
        let (_, body) = graphql_as(
            &client,
            None,
            "{ events(filter: { search: \"Stall 5\" }) { edges { node { id } } } }",
            json!({}),
        )
        .await;
        body["data"]["events"]["edges"][0]["node"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    graphql_as(
        &client,
        net.token(Persona::Coordinator).as_deref(),
        "mutation($id: ID!) { cancelEvent(id: $id) { status } }",
        json!({ "id": cancel_id }),
    )
    .await;
    assert!(!titles(&anonymous(json!({ "search": "stall" })).await).contains(&"Stall 5".to_owned()));
    let changes = anonymous(json!({ "updatedSince": before_cancel.to_rfc3339() })).await;
    assert_eq!(titles(&changes), ["Stall 5"], "{changes}");

    // An event still running at `from` is listed, however long before it
    // began (up to an event's longest, 31 days).
    let mut vigil = event_input("Stall vigil");
    vigil["startsAt"] = json!("2031-03-06T09:00:00Z");
    vigil["endsAt"] = json!("2031-04-05T09:00:00Z");
    create_as(&client, &net, vigil).await;
    assert_eq!(
        titles(&anonymous(json!({ "search": "stall", "from": "2031-04-04T00:00:00Z" })).await),
        ["Stall vigil", "Stall 4", "Stall 6", "Stall 7"]
    );
}

const RSVP: &str = "mutation($id: ID!) { rsvp(eventId: $id) { status } }";

async fn the_last_place_goes_to_exactly_one_and_a_cancellation_promotes(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let mut input = event_input("Small workshop");
    input["capacity"] = json!(1);
    let id = create_as(&client, &net, input).await;

    let (supporter, trainer) = (net.token(Persona::Supporter), net.token(Persona::Trainer));
    let (a, b) = tokio::join!(
        graphql_as(&client, supporter.as_deref(), RSVP, json!({ "id": id })),
        graphql_as(&client, trainer.as_deref(), RSVP, json!({ "id": id })),
    );
    let mut statuses = [
        a.1["data"]["rsvp"]["status"].clone(),
        b.1["data"]["rsvp"]["status"].clone(),
    ];
    statuses.sort_by_key(|s| s.to_string());
    assert_eq!(statuses, [json!("GOING"), json!("WAITLISTED")], "{a:?} {b:?}");

    // Asking twice keeps one RSVP.
    let (_, again) = graphql_as(
        &client,
        net.token(Persona::Supporter).as_deref(),
        RSVP,
        json!({ "id": id }),
    )
    .await;
    assert!(again["data"]["rsvp"]["status"].is_string());

    let going = if a.1["data"]["rsvp"]["status"] == "GOING" {
        Persona::Supporter
    } else {
        Persona::Trainer
    };
    let waiting = if going == Persona::Supporter {
        Persona::Trainer
    } else {
        Persona::Supporter
    };
    let (_, cancelled) = graphql_as(
        &client,
        net.token(going).as_deref(),
        "mutation($id: ID!) { cancelRsvp(eventId: $id) }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(cancelled["data"]["cancelRsvp"], true);
    let (_, mine) = graphql_as(
        &client,
        net.token(waiting).as_deref(),
        "{ myEvents { status event { title placesLeft goingCount } } }",
        json!({}),
    )
    .await;
    let entry = mine["data"]["myEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"]["title"] == "Small workshop")
        .unwrap()
        .clone();
    assert_eq!(entry["status"], "GOING", "promoted: {mine}");
    assert_eq!(entry["event"]["placesLeft"], 0);

    // The attendee list: staff see it; the attendee sees only their own RSVP.
    let list = "query($id: ID!) { event(id: $id) { myRsvp { status } attendees { status user { displayName } } } }";
    let (_, staff) = graphql_as(
        &client,
        net.token(Persona::Coordinator).as_deref(),
        list,
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        staff["data"]["event"]["attendees"].as_array().unwrap().len(),
        1,
        "{staff}"
    );
    // Who goes to which meeting is personal data: the person on the list
    // finds the coordinator's read in their access log.
    let (_, log) = graphql_as(
        &client,
        net.token(waiting).as_deref(),
        "{ myDataAccessLog(first: 5) { edges { node { action actorName operation } } } }",
        json!({}),
    )
    .await;
    let reads: Vec<&Value> = log["data"]["myDataAccessLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .filter(|n| n["action"] == "READ_ATTENDANCE")
        .collect();
    assert_eq!(reads.len(), 1, "{log}");
    assert_eq!(reads[0]["actorName"], "coordinator Example", "{log}");
    let (_, attendee) = graphql_as(&client, net.token(waiting).as_deref(), list, json!({ "id": id })).await;
    assert_eq!(code(&attendee), Some("FORBIDDEN"));
    let (_, own) = graphql_as(
        &client,
        net.token(waiting).as_deref(),
        "query($id: ID!) { event(id: $id) { myRsvp { status } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(own["data"]["event"]["myRsvp"]["status"], "GOING");
}

/// The SQL statements of one page of `first` events with their relations.
async fn statements_for(db: &TestDb, net: &Network, first: usize) -> usize {
    let query = "query($first: Int) { events(first: $first) { totalCount edges { node {
        title group { slug name memberCount } topic { name } goingCount placesLeft myRsvp { status } } } } }";
    let token = net.token(Persona::Member);
    let (count, body) = common::count_statements(db, token.as_deref(), query, json!({ "first": first })).await;
    assert_eq!(
        body["data"]["events"]["edges"].as_array().unwrap().len(),
        first,
        "{body}"
    );
    count
}

async fn statements_do_not_grow_with_the_page_size(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let topic_id = network::add_topic(&db.conn, "stop-sharing", "Data sharing and patient confidentiality").await;
    for n in 0..110 {
        let mut input = event_input(&format!("Event {n}"));
        input["groupSlug"] = json!(if n % 2 == 0 { "alpha" } else { "beta" });
        input["topicId"] = json!(topic_id);
        create_as(&client, &net, input).await;
    }
    let small = statements_for(&db, &net, 5).await;
    let large = statements_for(&db, &net, 100).await;
    assert_eq!(small, large, "statements for 5 events vs 100");
    assert!(
        large <= 10,
        "{large} statements: auth (3), count, page, groups, member counts, topics, places, RSVPs"
    );
}
