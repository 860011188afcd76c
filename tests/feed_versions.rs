//! Feed versions over HTTP: a private feed's ETag comes from a version of
//! exactly what that person's feed holds, so every change to it (a new
//! RSVP, leaving a group, a role change, an erasure, an edited
//! members-only event) must change the ETag, and a change to what it does
//! not hold must not. An unchanged feed answers `304` from what the server
//! remembers at the current change stamp (one statement), a changed one
//! is rendered once; time alone moves a version when an event leaves the
//! window; and two instances on one database see each other's changes at
//! the next request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use common::{
    TestDb, graphql_as,
    network::{self, Network, Persona},
    test_secret,
};
use muster::AppState;
use poem::{Endpoint, test::TestClient};
use serde_json::json;

struct Fetched {
    status: u16,
    etag: Option<String>,
    body: String,
}

async fn fetch<E: Endpoint>(client: &TestClient<E>, path: &str, if_none_match: Option<&str>) -> Fetched {
    let mut request = client.get(path);
    if let Some(tag) = if_none_match {
        request = request.header("If-None-Match", tag);
    }
    let response = request.send().await;
    let status = response.0.status().as_u16();
    let etag = response
        .0
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.0.into_body().into_string().await.unwrap();
    Fetched { status, etag, body }
}

/// A private feed of `persona`'s, made through the API: its path.
async fn feed_of<E: Endpoint>(client: &TestClient<E>, net: &Network, persona: Persona) -> String {
    let (_, created) = graphql_as(
        client,
        net.token(persona).as_deref(),
        "mutation { createFeedToken(label: \"phone\") { secret } }",
        json!({}),
    )
    .await;
    let secret = created["data"]["createFeedToken"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    format!("/feeds/{secret}/calendar.ics")
}

/// The feed now, checked to be a full answer that the ETag it carries
/// then answers with `304`.
async fn current<E: Endpoint>(client: &TestClient<E>, path: &str) -> (String, String) {
    let feed = fetch(client, path, None).await;
    assert_eq!(feed.status, 200, "{path}: {}", feed.body);
    let etag = feed.etag.unwrap();
    assert_eq!(fetch(client, path, Some(&etag)).await.status, 304, "{path}");
    (etag, feed.body)
}

/// After a change, the ETag the client holds no longer matches: the feed
/// comes in full, with a new ETag. Returns the new body.
async fn moved<E: Endpoint>(client: &TestClient<E>, path: &str, old: &str) -> String {
    let after = fetch(client, path, Some(old)).await;
    assert_eq!(after.status, 200, "the old ETag must no longer match: {}", after.body);
    assert_ne!(after.etag.as_deref(), Some(old));
    after.body
}

async fn mutate<E: Endpoint>(
    client: &TestClient<E>,
    net: &Network,
    persona: Persona,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let (_, body) = graphql_as(client, net.token(persona).as_deref(), query, variables).await;
    assert!(body["errors"].is_null(), "{query}: {body}");
    body
}

/// A public event of Alpha next week that keeps its exact venue for those
/// going; its id.
async fn event_keeping_its_venue<E: Endpoint>(client: &TestClient<E>, net: &Network) -> String {
    let starts = common::day(8, 18);
    let created = mutate(
        client,
        net,
        Persona::Organiser,
        "mutation($s: DateTime!, $e: DateTime!) { createEvent(input: { title: \"Back room meeting\", \
         startsAt: $s, endsAt: $e, kind: MEETING, groupSlug: \"alpha\", venue: \"Room 4\", \
         address: \"1 Quiet Street\", town: \"Cardiff\", venueVisibility: GOING }) { id } }",
        json!({ "s": starts, "e": starts + chrono::Duration::hours(2) }),
    )
    .await;
    created["data"]["createEvent"]["id"].as_str().unwrap().to_owned()
}

on_both_databases!(
    a_new_rsvp_moves_the_etag,
    leaving_a_group_moves_the_etag,
    a_role_change_moves_the_etag,
    an_erasure_moves_the_etag,
    an_edited_members_only_event_moves_the_etags_of_those_who_see_it_only,
    an_unchanged_feed_costs_one_statement_and_a_changed_one_one_render,
    time_alone_moves_a_version_when_an_event_leaves_the_window,
    a_change_through_one_instance_is_seen_by_the_next_request_to_another,
);

async fn a_new_rsvp_moves_the_etag(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let event = event_keeping_its_venue(&client, &net).await;
    let path = feed_of(&client, &net, Persona::Member).await;
    let (etag, before) = current(&client, &path).await;
    assert!(before.contains("SUMMARY:Back room meeting"), "{before}");
    assert!(!before.contains("Room 4"), "the venue is kept for those going");

    // The same events, but now the member is going: the venue is theirs.
    mutate(
        &client,
        &net,
        Persona::Member,
        "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
        json!({ "id": event }),
    )
    .await;
    let after = moved(&client, &path, &etag).await;
    assert!(after.contains("Room 4"), "{after}");
}

async fn leaving_a_group_moves_the_etag(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let path = feed_of(&client, &net, Persona::Member).await;
    let (etag, before) = current(&client, &path).await;
    assert!(before.contains("SUMMARY:Alpha planning"), "{before}");

    mutate(
        &client,
        &net,
        Persona::Member,
        "mutation { leaveGroup(groupSlug: \"alpha\") }",
        json!({}),
    )
    .await;
    let after = moved(&client, &path, &etag).await;
    assert!(
        !after.contains("Alpha planning"),
        "a members-only event of a group left"
    );
    assert!(after.contains("SUMMARY:Alpha open meeting"), "their place stays");
}

async fn a_role_change_moves_the_etag(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let path = feed_of(&client, &net, Persona::Member).await;
    let (etag, before) = current(&client, &path).await;
    assert!(!before.contains("Beta planning"), "{before}");

    mutate(
        &client,
        &net,
        Persona::Admin,
        "mutation($id: ID!) { setUserRole(userId: $id, role: COORDINATOR) { id } }",
        json!({ "id": net.member.id }),
    )
    .await;
    let (etag, after) = {
        let body = moved(&client, &path, &etag).await;
        (fetch(&client, &path, None).await.etag.unwrap(), body)
    };
    assert!(after.contains("SUMMARY:Beta planning"), "staff see every event");

    // And back: the feed returns to what a member sees.
    mutate(
        &client,
        &net,
        Persona::Admin,
        "mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORTER) { id } }",
        json!({ "id": net.member.id }),
    )
    .await;
    let back = moved(&client, &path, &etag).await;
    assert!(!back.contains("Beta planning"));
}

async fn an_erasure_moves_the_etag(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    // A members-only event whose description quotes the supporter's
    // address: erasing the supporter scrubs it from the event.
    mutate(
        &client,
        &net,
        Persona::Organiser,
        "mutation($id: ID!, $text: String!) { updateEvent(id: $id, input: { description: $text }) { id } }",
        json!({
            "id": net.alpha_members_event,
            "text": format!("Keys from {}", net.supporter.email),
        }),
    )
    .await;
    let member = feed_of(&client, &net, Persona::Member).await;
    let (etag, before) = current(&client, &member).await;
    assert!(before.contains(&net.supporter.email), "{before}");

    mutate(
        &client,
        &net,
        Persona::Admin,
        "mutation($id: ID!) { eraseUser(userId: $id) }",
        json!({ "id": net.supporter.id }),
    )
    .await;
    let after = moved(&client, &member, &etag).await;
    assert!(!after.contains(&net.supporter.email), "{after}");
    assert!(after.contains("SUMMARY:Alpha planning"));

    // The owner's own erasure ends the feed: no 304 for what it held.
    let (etag, _) = current(&client, &member).await;
    mutate(
        &client,
        &net,
        Persona::Admin,
        "mutation($id: ID!) { eraseUser(userId: $id) }",
        json!({ "id": net.member.id }),
    )
    .await;
    assert_eq!(fetch(&client, &member, Some(&etag)).await.status, 404);
    assert_eq!(fetch(&client, &member, None).await.status, 404);
}

async fn an_edited_members_only_event_moves_the_etags_of_those_who_see_it_only(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let member = feed_of(&client, &net, Persona::Member).await;
    let outsider = feed_of(&client, &net, Persona::OtherOrganiser).await;
    let supporter = feed_of(&client, &net, Persona::Supporter).await;
    let (member_etag, _) = current(&client, &member).await;
    let (outsider_etag, _) = current(&client, &outsider).await;
    let (supporter_etag, _) = current(&client, &supporter).await;

    mutate(
        &client,
        &net,
        Persona::Organiser,
        "mutation($id: ID!) { updateEvent(id: $id, input: { title: \"Alpha planning, moved upstairs\" }) { id } }",
        json!({ "id": net.alpha_members_event }),
    )
    .await;
    let after = moved(&client, &member, &member_etag).await;
    assert!(after.contains("SUMMARY:Alpha planning\\, moved upstairs"), "{after}");
    // Neither a member of another group nor a supporter holds it: their
    // feeds did not change, and their calendars are told so.
    assert_eq!(fetch(&client, &outsider, Some(&outsider_etag)).await.status, 304);
    assert_eq!(fetch(&client, &supporter, Some(&supporter_etag)).await.status, 304);
}

async fn an_unchanged_feed_costs_one_statement_and_a_changed_one_one_render(db: TestDb) {
    let net = network::build(&db.conn).await;
    let statements = Arc::new(AtomicUsize::new(0));
    let mut conn = db.conn.clone();
    let counting = statements.clone();
    conn.set_metric_callback(move |_| {
        counting.fetch_add(1, Ordering::SeqCst);
    });
    let state = AppState::with_clock(conn, &db.config(), &test_secret(), db.clock.clone());
    let client = TestClient::new(muster::app(state.clone()));
    let path = feed_of(&client, &net, Persona::Member).await;

    for feed in ["/calendar.ics", path.as_str()] {
        let (etag, body) = current(&client, feed).await;
        statements.store(0, Ordering::SeqCst);
        for _ in 0..3 {
            assert_eq!(fetch(&client, feed, Some(&etag)).await.status, 304);
        }
        assert_eq!(
            statements.load(Ordering::SeqCst),
            3,
            "{feed}: a 304 reads the change stamp and nothing else"
        );
        // Without If-None-Match, the kept render: the same bytes.
        let again = fetch(&client, feed, None).await;
        assert_eq!(
            (again.etag.as_deref(), again.body.as_str()),
            (Some(etag.as_str()), body.as_str())
        );
    }
    assert_eq!(state.private_feeds.stats().misses, 1, "rendered once");

    // A change to what the feed holds: rendered once more, then kept.
    mutate(
        &client,
        &net,
        Persona::Organiser,
        "mutation($id: ID!) { updateEvent(id: $id, input: { title: \"Alpha planning (new room)\" }) { id } }",
        json!({ "id": net.alpha_members_event }),
    )
    .await;
    let (etag, _) = current(&client, &path).await;
    for _ in 0..3 {
        assert_eq!(fetch(&client, &path, None).await.etag.as_deref(), Some(etag.as_str()));
    }
    assert_eq!(state.private_feeds.stats().misses, 2, "one render per version");
}

async fn time_alone_moves_a_version_when_an_event_leaves_the_window(db: TestDb) {
    use muster::domain::feeds::{FeedFilter, public_feed};
    let net = network::build(&db.conn).await;
    let client = db.app();
    let path = feed_of(&client, &net, Persona::Member).await;
    let (public_etag, _) = current(&client, "/calendar.ics").await;
    let (private_etag, _) = current(&client, &path).await;

    // Nothing is written; the first public event ends, and the window of
    // past events (30 days by default) passes it by.
    let past = chrono::Duration::days(30);
    let first_end = public_feed(&FeedFilter::default(), db.now() - past)
        .version(&db.conn)
        .await
        .unwrap()
        .first_end
        .unwrap();
    assert!(
        db.clock
            .advance(first_end + past - db.now() + chrono::Duration::minutes(1))
    );
    moved(&client, "/calendar.ics", &public_etag).await;
    moved(&client, &path, &private_etag).await;
}

async fn a_change_through_one_instance_is_seen_by_the_next_request_to_another(db: TestDb) {
    let net = network::build(&db.conn).await;
    let one = db.app();
    // Another server process on the same database: its own pool, its own
    // memory of versions and renders.
    let url = muster::config::DatabaseUrl::parse(&db.url).unwrap();
    let other_conn = muster::db::connect(&url).await.unwrap();
    let other = TestClient::new(muster::app(AppState::with_clock(
        other_conn,
        &db.config(),
        &test_secret(),
        db.clock.clone(),
    )));
    let path = feed_of(&one, &net, Persona::Member).await;
    let (public_etag, _) = current(&other, "/calendar.ics").await;
    let (private_etag, _) = current(&other, &path).await;

    // A new public event through the first: the other's next answer has it.
    let starts = common::day(5, 18);
    mutate(
        &one,
        &net,
        Persona::Organiser,
        "mutation($s: DateTime!, $e: DateTime!) { createEvent(input: { title: \"Market stall\", \
         startsAt: $s, endsAt: $e, kind: ACTION, groupSlug: \"alpha\" }) { id } }",
        json!({ "s": starts, "e": starts + chrono::Duration::hours(2) }),
    )
    .await;
    assert!(
        moved(&other, "/calendar.ics", &public_etag)
            .await
            .contains("SUMMARY:Market stall")
    );
    let private = moved(&other, &path, &private_etag).await;
    assert!(private.contains("SUMMARY:Market stall"));
    let (private_etag, _) = current(&other, &path).await;

    // A personal change through the first: leaving a group.
    mutate(
        &one,
        &net,
        Persona::Member,
        "mutation { leaveGroup(groupSlug: \"alpha\") }",
        json!({}),
    )
    .await;
    assert!(!moved(&other, &path, &private_etag).await.contains("Alpha planning"));
    let (private_etag, _) = current(&other, &path).await;

    // A revoked token through the first: the other answers 404 at once.
    let (_, tokens) = graphql_as(
        &one,
        net.token(Persona::Member).as_deref(),
        "{ feedTokens { id } }",
        json!({}),
    )
    .await;
    let id = tokens["data"]["feedTokens"][0]["id"].as_str().unwrap().to_owned();
    mutate(
        &one,
        &net,
        Persona::Member,
        "mutation($id: ID!) { revokeFeedToken(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(fetch(&other, &path, Some(&private_etag)).await.status, 404);
}
