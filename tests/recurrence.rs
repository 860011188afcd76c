//! Recurring events through the API on real databases: series that keep
//! their wall-clock time across the clock changes, occurrences listed,
//! found and answered as events, single occurrences cancelled and moved,
//! "this and following" changes, refusals that write nothing, a constant
//! statement count for pages that mix series and single events, and the
//! feeds (one VEVENT per series with RRULE, EXDATE, RECURRENCE-ID and a
//! VTIMEZONE).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use chrono_tz::Europe::London;
use common::{
    TestDb, error_code as code, graphql_as,
    network::{self, Network, Persona},
};
use serde_json::{Value, json};

const CREATE_SERIES: &str = "mutation($input: CreateEventSeriesInput!) { createEventSeries(input: $input) {
    id rrule sequence occurrences { id startsAt endsAt originalStartsAt status title occurrenceOf { id } } } }";
const UPDATE_SERIES: &str = "mutation($id: ID!, $scope: SeriesScope!, $input: UpdateEventSeriesInput!) {
    updateEventSeries(id: $id, scope: $scope, input: $input) { id rrule sequence
      occurrences { id startsAt originalStartsAt status title } } }";
const EVENTS: &str = "query($filter: EventFilterInput, $first: Int) { events(filter: $filter, first: $first) {
    totalCount edges { node { id title startsAt originalStartsAt status occurrenceOf { id rrule } } } } }";

on_both_databases!(
    every_second_tuesday_at_seven_for_eighteen_months,
    the_last_friday_of_the_month,
    a_time_the_clocks_skip,
    cancelled_and_moved_occurrences_survive_this_and_following,
    occurrences_are_events_with_their_own_places,
    refusals_name_the_part_and_write_nothing,
    a_page_mixing_series_and_single_events_keeps_its_statement_count,
    a_series_is_one_vevent_in_the_feed,
    the_feed_expands_as_the_server_does,
);

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn series_input(title: &str, starts_at: &str, ends_at: &str, rrule: &str) -> Value {
    json!({
        "first": {
            "title": title,
            "startsAt": starts_at,
            "endsAt": ends_at,
            "kind": "MEETING",
            "groupSlug": "alpha",
            "venue": "Friends Meeting House",
            "timezone": "Europe/London",
        },
        "rrule": rrule,
    })
}

async fn create_series<E: poem::Endpoint>(client: &poem::test::TestClient<E>, net: &Network, input: Value) -> Value {
    let token = net.token(Persona::Organiser);
    let (_, body) = graphql_as(client, token.as_deref(), CREATE_SERIES, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["createEventSeries"].clone()
}

fn starts(series: &Value) -> Vec<DateTime<Utc>> {
    series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| at(o["startsAt"].as_str().unwrap()))
        .collect()
}

async fn every_second_tuesday_at_seven_for_eighteen_months(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    // Tuesday 7 January 2031, 19:00 GMT, fortnightly until early July 2032:
    // two March and two October changes.
    let series = create_series(
        &client,
        &net,
        series_input(
            "Fortnightly meeting",
            "2031-01-07T19:00:00Z",
            "2031-01-07T21:00:00Z",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20320706T230000Z",
        ),
    )
    .await;
    let all = starts(&series);
    assert_eq!(all.len(), 40, "{series}");
    for start in &all {
        let local = start.with_timezone(&London);
        assert_eq!(
            (local.weekday(), local.hour(), local.minute()),
            (chrono::Weekday::Tue, 19, 0),
            "{local}"
        );
    }
    assert!(all.iter().any(|s| s.hour() == 18), "summer occurrences are 18:00 UTC");
    // Listed as events in their window, each its own, linked to the series.
    let token = net.token(Persona::Supporter);
    let filter = json!({ "from": "2031-03-01T00:00:00Z", "to": "2031-11-01T00:00:00Z", "groups": ["alpha"] });
    let (_, body) = graphql_as(
        &client,
        token.as_deref(),
        EVENTS,
        json!({ "filter": filter, "first": 100 }),
    )
    .await;
    let edges = body["data"]["events"]["edges"].as_array().unwrap().clone();
    let expected = all
        .iter()
        .filter(|s| **s >= at("2031-03-01T00:00:00Z") && **s < at("2031-11-01T00:00:00Z"))
        .count();
    assert_eq!(edges.len(), expected, "{body}");
    for edge in &edges {
        assert_eq!(edge["node"]["occurrenceOf"]["id"], series["id"], "{edge}");
        assert_eq!(edge["node"]["originalStartsAt"], edge["node"]["startsAt"]);
    }
}

async fn the_last_friday_of_the_month(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let series = create_series(
        &client,
        &net,
        series_input(
            "Stall outside the hospital",
            "2031-01-31T11:00:00Z",
            "2031-01-31T13:00:00Z",
            "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
        ),
    )
    .await;
    let all = starts(&series);
    assert_eq!(all.len(), 12);
    for start in &all {
        let local = start.with_timezone(&London);
        assert_eq!(local.weekday(), chrono::Weekday::Fri);
        assert_ne!(
            (local + Duration::days(7)).month(),
            local.month(),
            "the last Friday: {local}"
        );
        assert_eq!(local.hour(), 11, "{local}");
    }
}

async fn a_time_the_clocks_skip(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    // London's clocks go forward at 01:00 GMT on Sunday 30 March 2031.
    let series = create_series(
        &client,
        &net,
        series_input(
            "Night shift handover",
            "2031-03-23T01:30:00Z",
            "2031-03-23T02:30:00Z",
            "FREQ=WEEKLY;COUNT=3",
        ),
    )
    .await;
    assert_eq!(
        starts(&series),
        [
            at("2031-03-23T01:30:00Z"),
            // 01:30 does not exist: read with the offset before the gap
            // (RFC 5545), it is 02:30 BST.
            at("2031-03-30T01:30:00Z"),
            at("2031-04-06T00:30:00Z"),
        ]
    );
}

async fn cancelled_and_moved_occurrences_survive_this_and_following(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = net.token(Persona::Organiser);
    let organiser = organiser.as_deref();
    let series = create_series(
        &client,
        &net,
        series_input(
            "Weekly meeting",
            "2031-02-04T19:00:00Z",
            "2031-02-04T21:00:00Z",
            "FREQ=WEEKLY;COUNT=10",
        ),
    )
    .await;
    let ids: Vec<String> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    // The second cancelled, the third moved an hour later and elsewhere.
    let (_, body) = graphql_as(
        &client,
        organiser,
        "mutation($id: ID!) { cancelOccurrence(id: $id) { status sequence } }",
        json!({ "id": ids[1] }),
    )
    .await;
    assert_eq!(body["data"]["cancelOccurrence"]["status"], "CANCELLED", "{body}");
    let (_, body) = graphql_as(
        &client,
        organiser,
        "mutation($id: ID!, $input: UpdateOccurrenceInput!) { updateOccurrence(id: $id, input: $input) {
            startsAt originalStartsAt venue sequence } }",
        json!({ "id": ids[2], "input": { "startsAt": "2031-02-18T20:00:00Z", "endsAt": "2031-02-18T22:00:00Z",
            "venue": "Town Hall" } }),
    )
    .await;
    let moved = &body["data"]["updateOccurrence"];
    assert_eq!(moved["startsAt"], "2031-02-18T20:00:00+00:00", "{body}");
    assert_eq!(moved["originalStartsAt"], "2031-02-18T19:00:00+00:00");
    assert_eq!(moved["venue"], "Town Hall");
    assert_eq!(moved["sequence"], 1);
    // A member takes a place at the sixth.
    let member = net.token(Persona::Member);
    let (_, body) = graphql_as(
        &client,
        member.as_deref(),
        "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
        json!({ "id": ids[5] }),
    )
    .await;
    assert_eq!(body["data"]["rsvp"]["status"], "GOING", "{body}");

    // A change to all of it keeps both exceptions.
    let (_, body) = graphql_as(
        &client,
        organiser,
        UPDATE_SERIES,
        json!({ "id": series["id"], "scope": "ALL", "input": { "fields": { "title": "Open meeting" } } }),
    )
    .await;
    let all = &body["data"]["updateEventSeries"];
    assert_eq!(all["sequence"], 1, "{body}");
    let occurrences = all["occurrences"].as_array().unwrap();
    assert_eq!(occurrences.len(), 10);
    assert_eq!(occurrences[1]["status"], "CANCELLED");
    assert_eq!(occurrences[2]["startsAt"], "2031-02-18T20:00:00+00:00");
    assert!(occurrences.iter().all(|o| o["title"] == "Open meeting"));
    let same_ids: Vec<&str> = occurrences.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(same_ids, ids, "occurrences keep their ids");

    // This and following, from the fifth: half an hour later.
    let (_, body) = graphql_as(
        &client,
        organiser,
        UPDATE_SERIES,
        json!({ "id": ids[4], "scope": "THIS_AND_FOLLOWING", "input": { "fields": {
            "startsAt": "2031-03-04T19:30:00Z", "endsAt": "2031-03-04T21:30:00Z" } } }),
    )
    .await;
    let rest = &body["data"]["updateEventSeries"];
    assert_ne!(rest["id"], series["id"], "split into a new series: {body}");
    assert_eq!(rest["rrule"], "FREQ=WEEKLY;COUNT=6");
    let rest_occurrences = rest["occurrences"].as_array().unwrap();
    assert_eq!(rest_occurrences.len(), 6);
    assert_eq!(rest_occurrences[0]["startsAt"], "2031-03-04T19:30:00+00:00");
    // The sixth kept its row and its place, now at the new time; BST from
    // 30 March moves the UTC time of the last ones.
    assert_eq!(rest_occurrences[1]["id"], ids[5].as_str());
    assert_eq!(rest_occurrences[5]["startsAt"], "2031-04-08T18:30:00+00:00");
    let (_, body) = graphql_as(
        &client,
        member.as_deref(),
        "{ myEvents { status event { id startsAt } } }",
        json!({}),
    )
    .await;
    let mine: Vec<&Value> = body["data"]["myEvents"].as_array().unwrap().iter().collect();
    assert!(
        mine.iter()
            .any(|r| r["event"]["id"] == ids[5].as_str() && r["event"]["startsAt"] == "2031-03-11T19:30:00+00:00"),
        "{body}"
    );
    // The first part ends before the fifth, exceptions intact.
    let (_, body) = graphql_as(
        &client,
        organiser,
        "query($id: ID!) { event(id: $id) { occurrenceOf { rrule sequence occurrences { status startsAt } } } }",
        json!({ "id": ids[0] }),
    )
    .await;
    let first = &body["data"]["event"]["occurrenceOf"];
    assert_eq!(first["rrule"], "FREQ=WEEKLY;COUNT=4", "{body}");
    assert_eq!(first["sequence"], 2);
    let first_occurrences = first["occurrences"].as_array().unwrap();
    assert_eq!(first_occurrences.len(), 4);
    assert_eq!(first_occurrences[1]["status"], "CANCELLED");
    assert_eq!(first_occurrences[2]["startsAt"], "2031-02-18T20:00:00+00:00");
}

async fn occurrences_are_events_with_their_own_places(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let mut input = series_input(
        "Know your rights",
        "2031-05-06T17:00:00Z",
        "2031-05-06T19:00:00Z",
        "FREQ=WEEKLY;BYDAY=TU;COUNT=52",
    );
    input["first"]["capacity"] = json!(1);
    let series = create_series(&client, &net, input).await;
    let ids: Vec<&str> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 52);
    // Over its year, 52 events.
    let token = net.token(Persona::Supporter);
    let filter = json!({ "from": "2031-05-01T00:00:00Z", "to": "2032-05-01T00:00:00Z", "groups": ["alpha"] });
    let (_, body) = graphql_as(
        &client,
        token.as_deref(),
        EVENTS,
        json!({ "filter": filter, "first": 10 }),
    )
    .await;
    assert_eq!(body["data"]["events"]["totalCount"], 52, "{body}");
    // `event(id)` finds one; places are per occurrence.
    let (_, body) = graphql_as(
        &client,
        token.as_deref(),
        "query($id: ID!) { event(id: $id) { title occurrenceOf { title } placesLeft } }",
        json!({ "id": ids[3] }),
    )
    .await;
    assert_eq!(
        body["data"]["event"]["occurrenceOf"]["title"], "Know your rights",
        "{body}"
    );
    let rsvp = "mutation($id: ID!) { rsvp(eventId: $id) { status } }";
    let (_, body) = graphql_as(&client, token.as_deref(), rsvp, json!({ "id": ids[3] })).await;
    assert_eq!(body["data"]["rsvp"]["status"], "GOING");
    let member = net.token(Persona::Member);
    let (_, body) = graphql_as(&client, member.as_deref(), rsvp, json!({ "id": ids[3] })).await;
    assert_eq!(body["data"]["rsvp"]["status"], "WAITLISTED", "full: {body}");
    let (_, body) = graphql_as(&client, member.as_deref(), rsvp, json!({ "id": ids[4] })).await;
    assert_eq!(body["data"]["rsvp"]["status"], "GOING", "the next one has room: {body}");
    // A change to an occurrence through `updateEvent` becomes its exception;
    // what belongs to the series is refused there.
    let organiser = net.token(Persona::Organiser);
    let update = "mutation($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { title } }";
    let (_, body) = graphql_as(
        &client,
        organiser.as_deref(),
        update,
        json!({ "id": ids[6], "input": { "title": "Know your rights (with interpreters)" } }),
    )
    .await;
    assert_eq!(
        body["data"]["updateEvent"]["title"], "Know your rights (with interpreters)",
        "{body}"
    );
    let (_, body) = graphql_as(
        &client,
        organiser.as_deref(),
        update,
        json!({ "id": ids[6], "input": { "capacity": 40 } }),
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "capacity");
}

async fn refusals_name_the_part_and_write_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let token = net.token(Persona::Organiser);
    for (rrule, part) in [
        ("FREQ=YEARLY;COUNT=3", "FREQ=YEARLY"),
        ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1;COUNT=3", "BYSETPOS"),
        ("FREQ=DAILY;COUNT=501", "COUNT=501"),
        ("FREQ=DAILY;UNTIL=20350101T000000Z", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20300101T000000Z", "UNTIL"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "BYDAY"),
        ("FREQ=WEEKLY", "COUNT or UNTIL"),
    ] {
        let input = series_input("Refused", "2031-01-07T19:00:00Z", "2031-01-07T21:00:00Z", rrule);
        let (_, body) = graphql_as(&client, token.as_deref(), CREATE_SERIES, json!({ "input": input })).await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{rrule}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "rrule", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(part), "{rrule}: {message}");
    }
    let (_, body) = graphql_as(
        &client,
        token.as_deref(),
        EVENTS,
        json!({ "filter": { "from": "2030-01-01T00:00:00Z", "search": "Refused" } }),
    )
    .await;
    assert_eq!(body["data"]["events"]["totalCount"], 0, "{body}");
}

async fn statements_for(db: &TestDb, net: &Network, first: usize) -> usize {
    let query = "query($first: Int) { events(first: $first, filter: { from: \"2031-01-01T00:00:00Z\" }) {
        totalCount edges { node { title originalStartsAt occurrenceOf { id rrule title }
        group { slug } goingCount placesLeft myRsvp { status } } } } }";
    let token = net.token(Persona::Member);
    let (count, body) = common::count_statements(db, token.as_deref(), query, json!({ "first": first })).await;
    assert_eq!(
        body["data"]["events"]["edges"].as_array().unwrap().len(),
        first,
        "{body}"
    );
    count
}

async fn a_page_mixing_series_and_single_events_keeps_its_statement_count(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    for (n, day) in ["06", "07", "08", "09", "10"].iter().enumerate() {
        let start = format!("2031-01-{day}T18:00:00Z");
        let end = format!("2031-01-{day}T20:00:00Z");
        create_series(
            &client,
            &net,
            series_input(&format!("Series {n}"), &start, &end, "FREQ=WEEKLY;COUNT=12"),
        )
        .await;
    }
    let token = net.token(Persona::Organiser);
    for n in 0..30 {
        let input = json!({ "title": format!("Single {n}"), "startsAt": format!("2031-02-{:02}T12:00:00Z", n % 28 + 1),
            "endsAt": format!("2031-02-{:02}T13:00:00Z", n % 28 + 1), "kind": "TALK", "groupSlug": "alpha" });
        let (_, body) = graphql_as(
            &client,
            token.as_deref(),
            "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    let small = statements_for(&db, &net, 5).await;
    let large = statements_for(&db, &net, 50).await;
    assert_eq!(small, large, "statements for 5 events vs 50");
}

/// The group's feed, as text.
async fn group_feed<E: poem::Endpoint>(client: &poem::test::TestClient<E>) -> String {
    let response = client.get("/groups/alpha/calendar.ics").send().await;
    response.assert_status_is_ok();
    response.0.into_body().into_string().await.unwrap()
}

/// Occurrence ids of a created series.
fn ids(series: &Value) -> Vec<String> {
    series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_series_is_one_vevent_in_the_feed(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = net.token(Persona::Organiser);
    let singles = group_feed(&client).await.matches("BEGIN:VEVENT").count();
    let series = create_series(
        &client,
        &net,
        series_input(
            "Weekly stall",
            "2031-05-06T17:00:00Z",
            "2031-05-06T19:00:00Z",
            "FREQ=WEEKLY;COUNT=52",
        ),
    )
    .await;
    let feed = group_feed(&client).await;
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), singles + 1, "{feed}");
    assert!(feed.contains("RRULE:FREQ=WEEKLY;COUNT=52\r\n"), "{feed}");
    assert!(
        feed.contains("DTSTART;TZID=Europe/London:20310506T180000\r\n"),
        "{feed}"
    );
    assert!(feed.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n"), "{feed}");
    assert!(feed.contains("TZOFFSETTO:+0100\r\n") && feed.contains("TZOFFSETTO:+0000\r\n"));
    // One cancelled, one moved: two overriding VEVENTs, same UID.
    let occurrences = ids(&series);
    graphql_as(
        &client,
        organiser.as_deref(),
        "mutation($id: ID!) { cancelOccurrence(id: $id) { id } }",
        json!({ "id": occurrences[1] }),
    )
    .await;
    graphql_as(
        &client,
        organiser.as_deref(),
        "mutation($id: ID!) { updateOccurrence(id: $id, input: { title: \"Stall at the market\" }) { id } }",
        json!({ "id": occurrences[2] }),
    )
    .await;
    let feed = group_feed(&client).await;
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), singles + 3, "{feed}");
    assert!(
        feed.contains("RECURRENCE-ID;TZID=Europe/London:20310513T180000\r\n"),
        "{feed}"
    );
    assert!(feed.contains("STATUS:CANCELLED\r\n"));
    assert!(feed.contains("SUMMARY:Stall at the market\r\n"));
    // Independent readers take it.
    let parsed = ical::IcalParser::new(feed.as_bytes()).next().unwrap().unwrap();
    assert_eq!(parsed.events.len(), singles + 3);
    assert_eq!(parsed.timezones.len(), 1);
}

/// A small deterministic generator: the same rules on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// Random rules over two years across the Europe/London changes, with a
/// cancelled and a moved occurrence each: the server's own occurrences
/// equal what Python's `recurring-ical-events` and ical.js make of the feed.
async fn the_feed_expands_as_the_server_does(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = net.token(Persona::Organiser);
    let mut random = Lcg(18);
    let weekdays = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let mut expected: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
    for n in 0..12 {
        // Starts between 00:00 and 23:30 local, on a day in 2031.
        let day = chrono::NaiveDate::from_ymd_opt(2031, 1, 1).unwrap() + Duration::days(random.next(365) as i64);
        let time =
            chrono::NaiveTime::from_hms_opt(random.next(24) as u32, [0, 30][random.next(2) as usize], 0).unwrap();
        let weekday = weekdays[day.weekday().num_days_from_monday() as usize];
        let interval = 1 + random.next(3);
        let rule = match random.next(4) {
            0 => format!("FREQ=WEEKLY;INTERVAL={interval};COUNT={}", 20 + random.next(60)),
            1 => {
                let other = weekdays[random.next(7) as usize];
                format!("FREQ=WEEKLY;BYDAY={weekday},{other};UNTIL=20330101T000000Z")
            }
            2 => {
                let nth = (day.day() as i64 - 1) / 7 + 1;
                let nth = if nth == 5 { -1 } else { nth };
                format!(
                    "FREQ=MONTHLY;INTERVAL={interval};BYDAY={nth}{weekday};COUNT={}",
                    6 + random.next(18)
                )
            }
            _ => format!("FREQ=MONTHLY;BYMONTHDAY={};UNTIL=20330601T000000Z", day.day()),
        };
        let local = day.and_time(time);
        let start = muster::domain::recurrence::resolve_local(London, local);
        let input = series_input(
            &format!("Series {n}"),
            &start.to_rfc3339(),
            &(start + Duration::minutes(90)).to_rfc3339(),
            &rule,
        );
        let series = create_series(&client, &net, input).await;
        let occurrences = ids(&series);
        let cancel = &occurrences[random.next(occurrences.len() as u64) as usize];
        let moved = &occurrences[random.next(occurrences.len() as u64) as usize];
        if cancel != moved {
            let (_, body) = graphql_as(
                &client,
                organiser.as_deref(),
                "mutation($id: ID!) { cancelOccurrence(id: $id) { id } }",
                json!({ "id": cancel }),
            )
            .await;
            assert!(body.get("errors").is_none(), "{body}");
            let (_, body) = graphql_as(
                &client,
                organiser.as_deref(),
                "mutation($id: ID!) { event(id: $id) { startsAt } }"
                    .replace("mutation", "query")
                    .as_str(),
                json!({ "id": moved }),
            )
            .await;
            let was = at(body["data"]["event"]["startsAt"].as_str().unwrap());
            let (_, body) = graphql_as(
                &client,
                organiser.as_deref(),
                "mutation($id: ID!, $s: DateTime!, $e: DateTime!) { updateOccurrence(id: $id, input: { startsAt: $s, endsAt: $e }) { id } }",
                json!({ "id": moved, "s": was + Duration::hours(26), "e": was + Duration::hours(27) }),
            )
            .await;
            assert!(body.get("errors").is_none(), "{body}");
        }
        let (_, body) = graphql_as(
            &client,
            organiser.as_deref(),
            "query($id: ID!) { event(id: $id) { occurrenceOf { id occurrences { startsAt status } } } }",
            json!({ "id": occurrences[0] }),
        )
        .await;
        let of = &body["data"]["event"]["occurrenceOf"];
        let mut instances: Vec<(String, String)> = of["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let start = at(o["startsAt"].as_str().unwrap())
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string();
                let status = if o["status"] == "CANCELLED" {
                    "CANCELLED"
                } else {
                    "CONFIRMED"
                };
                (start, status.to_owned())
            })
            .collect();
        instances.sort();
        expected.insert(format!("{}@", of["id"].as_str().unwrap()), instances);
    }
    let feed = group_feed(&client).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &feed).unwrap();
    let ical_js = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/ical-js/node_modules/ical.js/dist/ical.js"
    );
    let readers: [(&str, Vec<&str>); 2] = [
        (
            "python3",
            vec![concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/expand_ics.py")],
        ),
        (
            "node",
            vec![
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/expand_ics.mjs"),
                ical_js,
            ],
        ),
    ];
    for (program, args) in readers {
        // The file goes right after the script.
        let mut argv: Vec<std::ffi::OsString> = vec![args[0].into(), file.path().into()];
        argv.extend(args.iter().skip(1).map(std::ffi::OsString::from));
        let output = std::process::Command::new(program).args(&argv).output();
        let output = match output {
            Ok(output) if output.status.success() => output,
            other => {
                let why = format!("{program} could not expand the feed: {other:?}");
                if std::env::var_os("CI").is_some() {
                    panic!("{why}");
                }
                eprintln!("skipped: {why}");
                continue;
            }
        };
        let found: std::collections::BTreeMap<String, Vec<(String, String)>> =
            serde_json::from_slice(&output.stdout).unwrap();
        let found: std::collections::BTreeMap<String, Vec<(String, String)>> = found
            .into_iter()
            .map(|(uid, mut instances)| {
                instances.sort();
                (uid.split('@').next().unwrap().to_owned() + "@", instances)
            })
            .collect();
        for (uid, instances) in &expected {
            assert_eq!(found.get(uid), Some(instances), "{program}: {uid}\n{feed}");
        }
    }
}
