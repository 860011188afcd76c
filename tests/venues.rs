//! Venues kept for those going, on both databases: the exact address of an
//! event that keeps it is absent from every public door (GraphQL for those
//! not entitled, the public, group and single-event calendars, the pages
//! and lists, the sitemap, mail) and present where it must be (GraphQL,
//! the event's page and the private feed of those going, promoted from the
//! waiting list, organising, delivering or on the staff). Every check
//! looks for both: the address where it belongs, and its absence
//! elsewhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::{
    TestDb, day, error_code, graphql_as,
    network::{self, Network},
};
use entity::{RsvpStatus, VenueVisibility, user};
use muster::fixtures::{EventBuilder, RequestBuilder, RsvpBuilder, UserBuilder};
use poem::{Endpoint, http::header, test::TestClient};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use uuid::Uuid;

const VENUE: &str = "Quaker Room Seven";
const ADDRESS: &str = "14 Hidden Lane";
const TOWN: &str = "Cardiff";
const AREA: &str = "CF10";

/// The people around the event, beyond the network's personas.
struct Fixture {
    net: Network,
    /// Public, of group Alpha, two places, keeping its venue for those
    /// going, delivered by the network's trainer.
    event: Uuid,
    /// Alpha's request the event delivers.
    request: Uuid,
    /// Has a place from the start.
    going: Person,
    /// Has the other place, and gives it up in the tests.
    giver: Person,
    /// First on the waiting list: promoted when the giver gives up.
    waiting: Person,
    /// Second on the waiting list: stays there.
    waitlisted: Person,
}

#[derive(Clone)]
struct Person {
    id: Uuid,
    email: String,
}

fn token(db: &TestDb, id: Uuid) -> Option<String> {
    let keys = muster::auth::jwt::TokenKeys::new(&common::test_secret(), Duration::hours(1));
    Some(keys.issue(id, 0, db.now()).unwrap().token)
}

async fn person(db: &TestDb, name: &str) -> Person {
    let email = format!("{name}@venues.example.org");
    let user = UserBuilder::new(db.now()).name(format!("{name} Example")).email(&email);
    let user = user.insert(&db.conn).await.unwrap();
    Person { id: user.id, email }
}

/// A kept-venue event of `group` with places for two, held by the
/// network's trainer for `request`, which they accepted.
fn kept_event(db: &TestDb, group: Uuid, request: Uuid, title: &str) -> EventBuilder {
    EventBuilder::new(db.now())
        .title(title)
        .group(Some(group))
        .starting(day(10, 18))
        .capacity(Some(2))
        .venue(Some(VENUE.to_owned()))
        .address(Some(ADDRESS.to_owned()))
        .venue_visibility(VenueVisibility::Going)
        .town(Some(TOWN.to_owned()))
        .postcode_area(Some(AREA.to_owned()))
        .request(Some(request))
}

async fn fixture(db: &TestDb) -> Fixture {
    let net = network::build(&db.conn).await;
    let request = RequestBuilder::new(net.topic, db.now() - Duration::days(5))
        .reference("REQ-VENUE7")
        .group(net.alpha)
        .submitted_by(net.organiser.id)
        .window(day(10, 0), day(11, 0))
        .assigned(net.coordinator.id, net.trainer.id)
        .slot(day(10, 18), day(10, 20))
        .accepted()
        .insert(&db.conn)
        .await
        .unwrap();
    let event = kept_event(db, net.alpha, request.request.id, "Kept venue meeting")
        .insert(&db.conn)
        .await
        .unwrap()
        .id;
    let going = person(db, "going").await;
    let giver = person(db, "giver").await;
    let waiting = person(db, "waiting").await;
    let waitlisted = person(db, "waitlisted").await;
    let at = db.now() - Duration::hours(4);
    for (i, (who, status)) in [
        (&going, RsvpStatus::Going),
        (&giver, RsvpStatus::Going),
        (&waiting, RsvpStatus::Waitlisted),
        (&waitlisted, RsvpStatus::Waitlisted),
    ]
    .into_iter()
    .enumerate()
    {
        let rsvp = RsvpBuilder::new(event, who.id, at + Duration::minutes(i as i64)).status(status);
        rsvp.insert(&db.conn).await.unwrap();
    }
    Fixture {
        net,
        request: request.request.id,
        event,
        going,
        giver,
        waiting,
        waitlisted,
    }
}

/// `text` with iCalendar's folded lines joined, so that a folded address
/// cannot hide from a search.
fn unfolded(text: &str) -> String {
    text.replace("\r\n ", "").replace("\r\n\t", "")
}

/// The exact address is in `text` (`shown`) or wholly absent from it, and
/// the town and postcode area are there either way.
fn assert_place(text: &str, shown: bool, what: &str) {
    let text = unfolded(text);
    for exact in [VENUE, ADDRESS] {
        assert_eq!(
            text.contains(exact),
            shown,
            "{what}: {exact} shown should be {shown}:\n{text}"
        );
    }
    for area in [TOWN, AREA] {
        assert!(text.contains(area), "{what}: {area} missing:\n{text}");
    }
}

const EVENT: &str =
    "query($id: ID!) { event(id: $id) { id venue address town postcodeArea venueShown venueVisibility } }";
const EVENTS: &str = "{ events(filter: { groups: [\"alpha\"] }, first: 50) { edges { node { id venue address town postcodeArea venueShown } } } }";

async fn check_graphql(db: &TestDb, fx: &Fixture, who: &str, token: Option<String>, shown: bool) {
    let client = db.app();
    let (_, body) = graphql_as(&client, token.as_deref(), EVENT, json!({ "id": fx.event })).await;
    let event = &body["data"]["event"];
    assert_eq!(event["id"], json!(fx.event), "{who}: {body}");
    assert_eq!(event["venueShown"], shown, "{who}: {body}");
    assert_eq!(event["venueVisibility"], "GOING", "{who}: {body}");
    assert_eq!(event["venue"], if shown { json!(VENUE) } else { Value::Null }, "{who}");
    assert_eq!(
        event["address"],
        if shown { json!(ADDRESS) } else { Value::Null },
        "{who}"
    );
    assert_place(&body.to_string(), shown, &format!("event as {who}"));

    let (_, body) = graphql_as(&client, token.as_deref(), EVENTS, json!({})).await;
    let edges = body["data"]["events"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{who}: {body}"));
    let node = edges
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["id"] == json!(fx.event))
        .unwrap_or_else(|| panic!("{who}: the event is listed: {body}"));
    assert_eq!(node["venue"], if shown { json!(VENUE) } else { Value::Null }, "{who}");
    assert_eq!(
        node["address"],
        if shown { json!(ADDRESS) } else { Value::Null },
        "{who}"
    );
    assert_place(&body.to_string(), shown, &format!("events as {who}"));
}

async fn give_up_the_place(db: &TestDb, fx: &Fixture) {
    let (_, body) = graphql_as(
        &db.app(),
        token(db, fx.giver.id).as_deref(),
        "mutation($id: ID!) { cancelRsvp(eventId: $id) }",
        json!({ "id": fx.event }),
    )
    .await;
    assert_eq!(body["data"]["cancelRsvp"], true, "{body}");
}

on_both_databases!(
    graphql_as_each_role,
    lists_decide_in_a_constant_number_of_statements,
    public_feeds_and_the_event_file_carry_the_area_only,
    private_feeds_follow_the_place,
    pages_show_the_address_to_those_going_only,
    a_kept_venue_needs_a_town_and_changes_are_checked,
    mail_about_a_moved_event_carries_no_venue,
    erasure_scrubs_an_address_quoted_in_the_town,
    a_private_feed_decides_in_a_constant_number_of_statements,
);

/// `event` and `events` as every role and every relation to the event,
/// before and after a place is given up and the first waiting moves up.
async fn graphql_as_each_role(db: TestDb) {
    let fx = fixture(&db).await;
    let net = &fx.net;
    let cases: Vec<(&str, Option<Uuid>, bool)> = vec![
        ("anonymous", None, false),
        ("supporter not going", Some(net.supporter.id), false),
        ("member of the group, not going", Some(net.member.id), false),
        ("waitlisted", Some(fx.waitlisted.id), false),
        ("first on the waiting list", Some(fx.waiting.id), false),
        ("going", Some(fx.going.id), true),
        ("going, about to give up", Some(fx.giver.id), true),
        ("organiser of the group", Some(net.organiser.id), true),
        ("organiser of another group", Some(net.other_organiser.id), false),
        ("the trainer delivering it", Some(net.trainer.id), true),
        ("coordinator", Some(net.coordinator.id), true),
        ("admin", Some(net.admin.id), true),
    ];
    for (who, id, shown) in cases {
        check_graphql(&db, &fx, who, id.and_then(|id| token(&db, id)), shown).await;
    }

    give_up_the_place(&db, &fx).await;
    for (who, id, shown) in [
        ("promoted from the waiting list", fx.waiting.id, true),
        ("gave up the place", fx.giver.id, false),
        ("still waitlisted", fx.waitlisted.id, false),
        ("still going", fx.going.id, true),
    ] {
        check_graphql(&db, &fx, who, token(&db, id), shown).await;
    }
}

/// The `events` list decides for its whole page at once: as many
/// statements for one kept-venue event as for six.
async fn lists_decide_in_a_constant_number_of_statements(db: TestDb) {
    let fx = fixture(&db).await;
    let going = token(&db, fx.going.id);
    let (one, body) = common::count_statements(&db, going.as_deref(), EVENTS, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    for i in 0..5 {
        let event = kept_event(&db, fx.net.alpha, fx.request, &format!("Kept venue meeting {i}"))
            .insert(&db.conn)
            .await
            .unwrap();
        let rsvp = RsvpBuilder::new(event.id, fx.going.id, db.now());
        rsvp.insert(&db.conn).await.unwrap();
    }
    let (six, body) = common::count_statements(&db, going.as_deref(), EVENTS, json!({})).await;
    let shown = body.to_string().matches(ADDRESS).count();
    assert_eq!(shown, 6, "the going person sees all six: {body}");
    let plain = "{ events(filter: { groups: [\"alpha\"] }, first: 50) { edges { node { id town postcodeArea } } } }";
    let (without, _) = common::count_statements(&db, going.as_deref(), plain, json!({})).await;
    eprintln!(
        "events list as a going person: {one} statements for one kept-venue event, {six} for six, {without} without the venue fields"
    );
    assert_eq!(one, six, "statements for one kept-venue event and for six");
    assert!(
        six <= without + 2,
        "the decision costs at most two queries: {six} against {without}"
    );
    let trainer = token(&db, fx.net.trainer.id);
    let (_, body) = common::count_statements(&db, trainer.as_deref(), EVENTS, json!({})).await;
    assert_eq!(
        body.to_string().matches(ADDRESS).count(),
        6,
        "the trainer delivers all six: {body}"
    );
    let supporter = token(&db, fx.net.supporter.id);
    let (_, body) = common::count_statements(&db, supporter.as_deref(), EVENTS, json!({})).await;
    assert_eq!(body.to_string().matches(ADDRESS).count(), 0, "{body}");
    assert_eq!(body.to_string().matches(TOWN).count(), 6, "{body}");
}

async fn get<E: Endpoint>(client: &TestClient<E>, path: &str, cookie: Option<&str>) -> (u16, String, Option<String>) {
    let mut request = client.get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = request.send().await;
    let status = response.0.status().as_u16();
    let etag = response
        .0
        .headers()
        .get(header::ETAG)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.0.into_body().into_string().await.unwrap();
    (status, body, etag)
}

async fn feed_secret(db: &TestDb, id: Uuid) -> String {
    let (_, body) = graphql_as(
        &db.app(),
        token(db, id).as_deref(),
        "mutation { createFeedToken(label: \"phone\") { secret } }",
        json!({}),
    )
    .await;
    body["data"]["createFeedToken"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// The public and group calendars (rendered once and kept for everyone)
/// and the single-event file show the town and postcode area, never the
/// address, also after a person entitled to it fetched their own feed and
/// after the event changed.
async fn public_feeds_and_the_event_file_carry_the_area_only(db: TestDb) {
    let fx = fixture(&db).await;
    let client = db.app();
    let going = feed_secret(&db, fx.going.id).await;
    let public = [
        "/calendar.ics".to_owned(),
        "/calendar.ics?group=alpha".to_owned(),
        "/groups/alpha/calendar.ics".to_owned(),
        format!("/events/{}.ics", fx.event),
    ];
    for round in ["first", "after a private render", "after a change"] {
        let (status, body, _) = get(&client, &format!("/feeds/{going}/calendar.ics"), None).await;
        assert_eq!(status, 200);
        assert_place(&body, true, &format!("{round}: the going person's feed"));
        for path in &public {
            let (status, body, _) = get(&client, path, None).await;
            assert_eq!(status, 200, "{path}");
            assert_place(&body, false, &format!("{round}: {path}"));
            assert!(
                unfolded(&body).contains("The exact address is given to those going"),
                "{round}: {path} says why: {body}"
            );
            // An independent parser reads the same LOCATION.
            let parsed = common::calendar::parse(&body);
            let entry = parsed
                .iter()
                .find(|e| e.get("SUMMARY").is_some_and(|s| s.starts_with("Kept venue")))
                .unwrap_or_else(|| panic!("{round}: {path} holds the event"));
            assert_eq!(entry["LOCATION"], format!("{TOWN} {AREA}"), "{round}: {path}");
        }
        if round == "after a private render" {
            let (_, body) = graphql_as(
                &client,
                token(&db, fx.net.organiser.id).as_deref(),
                "mutation($id: ID!) { updateEvent(id: $id, input: { title: \"Kept venue, renamed\" }) { sequence } }",
                json!({ "id": fx.event }),
            )
            .await;
            assert_eq!(body["data"]["updateEvent"]["sequence"], 1, "{body}");
        }
    }
}

/// The private feeds of the going, the waitlisted and the promoted: the
/// address follows the place, and a feed's ETag moves when it does, so a
/// calendar holding the old version fetches the new one.
async fn private_feeds_follow_the_place(db: TestDb) {
    let fx = fixture(&db).await;
    let client = db.app();
    let feed = async |id: Uuid| format!("/feeds/{}/calendar.ics", feed_secret(&db, id).await);
    let (going, giver, waiting, waitlisted, trainer, organiser) = (
        feed(fx.going.id).await,
        feed(fx.giver.id).await,
        feed(fx.waiting.id).await,
        feed(fx.waitlisted.id).await,
        feed(fx.net.trainer.id).await,
        feed(fx.net.organiser.id).await,
    );
    let mut before = std::collections::HashMap::new();
    for (who, path, shown) in [
        ("going", &going, true),
        ("going, about to give up", &giver, true),
        ("first on the waiting list", &waiting, false),
        ("waitlisted", &waitlisted, false),
        ("the trainer delivering it", &trainer, true),
        ("organiser of the group", &organiser, true),
    ] {
        let (status, body, etag) = get(&client, path, None).await;
        assert_eq!(status, 200, "{who}");
        assert_place(&body, shown, &format!("{who}'s feed"));
        before.insert(who, etag.unwrap());
    }

    give_up_the_place(&db, &fx).await;
    for (who, path, shown, moved) in [
        ("going", &going, true, false),
        ("going, about to give up", &giver, false, true),
        ("first on the waiting list", &waiting, true, true),
        ("waitlisted", &waitlisted, false, false),
    ] {
        let old = &before[who];
        let response = client
            .get(path)
            .header(header::IF_NONE_MATCH, old.as_str())
            .send()
            .await;
        let status = response.0.status().as_u16();
        if moved {
            assert_eq!(status, 200, "{who}: the old version is not current");
            let etag = response.0.headers()[header::ETAG].to_str().unwrap().to_owned();
            assert_ne!(&etag, old, "{who}");
            let body = response.0.into_body().into_string().await.unwrap();
            assert_place(&body, shown, &format!("{who}'s feed, after"));
        } else {
            assert_eq!(status, 304, "{who}: nothing changed for them");
            let (_, body, _) = get(&client, path, None).await;
            assert_place(&body, shown, &format!("{who}'s feed, after"));
        }
    }
}

async fn session(db: &TestDb, id: Uuid) -> String {
    use muster::domain::sessions;
    let user = user::Entity::find_by_id(id).one(&db.conn).await.unwrap().unwrap();
    let secret = sessions::start(
        &db.conn,
        &user,
        None,
        sessions::SessionPolicy::from_days(30, 90),
        db.now(),
    )
    .await
    .unwrap();
    format!("{}={secret}", sessions::COOKIE)
}

/// The event's page shows the address to those entitled (a page of their
/// own, kept by no cache) and the area with a sentence to everyone else;
/// the lists and the sitemap are the same for everyone and show the area.
async fn pages_show_the_address_to_those_going_only(db: TestDb) {
    let fx = fixture(&db).await;
    let client = db.app();
    let page = format!("/events/{}", fx.event);
    let net = &fx.net;
    let (status, body, _) = get(&client, &page, None).await;
    assert_eq!(status, 200);
    assert_place(&body, false, "the page, anonymous");
    assert!(body.contains("sign in and say you are going to see it here"), "{body}");

    for (who, id, shown, says) in [
        ("going", fx.going.id, true, None),
        ("organiser of the group", net.organiser.id, true, None),
        ("the trainer delivering it", net.trainer.id, true, None),
        ("coordinator", net.coordinator.id, true, None),
        (
            "waitlisted",
            fx.waitlisted.id,
            false,
            Some("if a place comes free for you"),
        ),
        (
            "supporter not going",
            net.supporter.id,
            false,
            Some("say you are going to see it here"),
        ),
        ("organiser of another group", net.other_organiser.id, false, None),
    ] {
        let cookie = session(&db, id).await;
        let response = client.get(&page).header(header::COOKIE, cookie.as_str()).send().await;
        assert_eq!(response.0.status().as_u16(), 200, "{who}");
        let cache = response.0.headers()[header::CACHE_CONTROL].to_str().unwrap().to_owned();
        assert!(cache.contains("no-store"), "{who}: {cache}");
        let body = response.0.into_body().into_string().await.unwrap();
        assert_place(&body, shown, &format!("the page as {who}"));
        if let Some(words) = says {
            assert!(body.contains(words), "{who}: {body}");
        }

        for list in ["/", "/groups/alpha", "/sitemap.xml"] {
            let (status, body, _) = get(&client, list, Some(&cookie)).await;
            assert_eq!(status, 200, "{list}");
            for exact in [VENUE, ADDRESS] {
                assert!(!body.contains(exact), "{list} as {who} shows {exact}");
            }
            if list != "/sitemap.xml" {
                assert_place(&body, false, &format!("{list} as {who}"));
                assert!(body.contains("exact address for those going"), "{list}");
            } else {
                assert!(body.contains(&fx.event.to_string()), "the sitemap lists the event");
            }
        }
    }
}

/// Keeping a venue needs a town (what everyone else sees); a whole
/// postcode is refused; the organiser who makes such an event sees its
/// address in the answer, and switching it back to public shows it to all.
async fn a_kept_venue_needs_a_town_and_changes_are_checked(db: TestDb) {
    let fx = fixture(&db).await;
    let client = db.app();
    let organiser = token(&db, fx.net.organiser.id);
    let create = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id venue address town postcodeArea venueVisibility venueShown } }";
    let input = |extra: Value| {
        let mut input = json!({
            "title": "Know your rights", "kind": "WORKSHOP", "groupSlug": "alpha",
            "startsAt": day(20, 18), "endsAt": day(20, 20),
            "venue": VENUE, "address": ADDRESS, "venueVisibility": "GOING",
        });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        input
    };
    for (extra, field) in [
        (json!({}), "town"),
        (json!({ "town": "  " }), "town"),
        (json!({ "town": TOWN, "postcodeArea": "CF10 1AB" }), "postcodeArea"),
        (json!({ "town": "Car\ndiff" }), "town"),
    ] {
        let (_, body) = graphql_as(&client, organiser.as_deref(), create, json!({ "input": input(extra) })).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let (_, body) = graphql_as(
        &client,
        organiser.as_deref(),
        create,
        json!({ "input": input(json!({ "town": TOWN, "postcodeArea": "cf10" })) }),
    )
    .await;
    let created = &body["data"]["createEvent"];
    assert_eq!(created["postcodeArea"], AREA, "stored as the area: {body}");
    assert_eq!(created["venueShown"], true, "{body}");
    assert_place(&body.to_string(), true, "the organiser's answer");
    let id = created["id"].as_str().unwrap().to_owned();

    let (_, body) = graphql_as(&client, None, EVENT, json!({ "id": id })).await;
    assert_place(&body.to_string(), false, "anonymous, the new event");

    let update = "mutation($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { sequence venueVisibility } }";
    let (_, body) = graphql_as(
        &client,
        organiser.as_deref(),
        update,
        json!({ "id": id, "input": { "town": null } }),
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "town", "{body}");
    let (_, body) = graphql_as(
        &client,
        organiser.as_deref(),
        update,
        json!({ "id": id, "input": { "venueVisibility": "PUBLIC" } }),
    )
    .await;
    assert_eq!(
        body["data"]["updateEvent"]["sequence"], 1,
        "a change calendars show: {body}"
    );
    let (_, body) = graphql_as(&client, None, EVENT, json!({ "id": id })).await;
    assert_place(&body.to_string(), true, "anonymous, once the venue is public");
}

/// Those going are told the event moved, in words that carry no venue,
/// old or new.
async fn mail_about_a_moved_event_carries_no_venue(db: TestDb) {
    use muster::{
        config::MailConfig,
        mail::{Mailer, worker::Worker},
    };
    let Some(sink) = common::smtp::SmtpSink::start() else {
        return;
    };
    let fx = fixture(&db).await;
    let state = db.state();
    let config = MailConfig {
        smtp: Some(muster::config::SmtpUrl::parse(&sink.url()).unwrap()),
        from: "Campaign network <network@muster.example.org>".to_owned(),
    };
    let mailer = Mailer::new(&config, std::path::Path::new("."), "muster.example.org").unwrap();
    let mut worker = Worker::new(db.conn.clone(), state.mailroom.clone(), mailer);
    let (_, body) = graphql_as(
        &db.app(),
        token(&db, fx.net.organiser.id).as_deref(),
        "mutation($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { id } }",
        json!({ "id": fx.event, "input": {
            "startsAt": day(11, 18), "endsAt": day(11, 20),
            "venue": "Back Room Nine", "address": "99 Quiet Road",
        } }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    worker.round(db.now()).await.unwrap();
    for who in [&fx.going, &fx.giver] {
        let told = sink.to(&who.email);
        assert_eq!(told.len(), 1, "{}: {told:?}", who.email);
        assert!(told[0].subject.starts_with("Changed"), "{}", told[0].subject);
        for exact in [VENUE, ADDRESS, "Back Room Nine", "99 Quiet Road"] {
            assert!(!told[0].raw.contains(exact), "{exact} in the mail: {}", told[0].raw);
        }
    }
}

/// The town is free text like the venue, so erasing a person scrubs their
/// address from it too (and calendars get the new version).
async fn erasure_scrubs_an_address_quoted_in_the_town(db: TestDb) {
    let fx = fixture(&db).await;
    let quoted = kept_event(&db, fx.net.alpha, fx.request, "Ask at the door")
        .town(Some(format!("Cardiff (ask {})", fx.going.email.to_uppercase())))
        .insert(&db.conn)
        .await
        .unwrap();
    let admin = token(&db, fx.net.admin.id);
    let (_, body) = graphql_as(
        &db.app(),
        admin.as_deref(),
        "mutation($id: ID!) { eraseUser(userId: $id) }",
        json!({ "id": fx.going.id }),
    )
    .await;
    assert_eq!(body["data"]["eraseUser"], true, "{body}");
    let (_, body) = graphql_as(
        &db.app(),
        admin.as_deref(),
        "query($id: ID!) { event(id: $id) { town sequence } }",
        json!({ "id": quoted.id }),
    )
    .await;
    let town = body["data"]["event"]["town"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(!town.to_lowercase().contains(&fx.going.email), "{body}");
    assert!(town.starts_with("Cardiff (ask "), "{body}");
    assert_eq!(body["data"]["event"]["sequence"], 1, "{body}");
}

/// Fetches `path` through an app whose connection counts its statements.
async fn statements_for(db: &TestDb, path: &str) -> (usize, String) {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let counter = Arc::new(AtomicUsize::new(0));
    let mut conn = db.conn.clone();
    let counting = counter.clone();
    conn.set_metric_callback(move |_| {
        counting.fetch_add(1, Ordering::SeqCst);
    });
    let state = muster::AppState::with_clock(conn, &db.config(), &common::test_secret(), db.clock.clone());
    let client = TestClient::new(muster::app(state));
    let (status, body, _) = get(&client, path, None).await;
    assert_eq!(status, 200, "{path}");
    (counter.load(Ordering::SeqCst), body)
}

/// A private feed asks the same number of statements whether it holds one
/// kept venue or six (the viewer's places and engagements are loaded
/// once), and shows the going person all six.
async fn a_private_feed_decides_in_a_constant_number_of_statements(db: TestDb) {
    let fx = fixture(&db).await;
    let path = format!("/feeds/{}/calendar.ics", feed_secret(&db, fx.going.id).await);
    // The first fetch also notes when the token was used (hourly at most).
    statements_for(&db, &path).await;
    let (one, body) = statements_for(&db, &path).await;
    assert_eq!(unfolded(&body).matches(ADDRESS).count(), 1, "{body}");
    for i in 0..5 {
        let event = kept_event(&db, fx.net.alpha, fx.request, &format!("Kept venue meeting {i}"))
            .insert(&db.conn)
            .await
            .unwrap();
        let rsvp = RsvpBuilder::new(event.id, fx.going.id, db.now());
        rsvp.insert(&db.conn).await.unwrap();
    }
    let (six, body) = statements_for(&db, &path).await;
    assert_eq!(unfolded(&body).matches(ADDRESS).count(), 6, "{body}");
    eprintln!("private feed of a going person: {one} statements with one kept venue, {six} with six");
    assert_eq!(one, six, "statements for one kept venue and for six");
}
