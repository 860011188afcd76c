//! The calendar feeds over HTTP, read back with an independent parser (the
//! `ical` crate): what each feed holds, cancellations, time zones across a
//! daylight-saving change, ETags, and private feed tokens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use chrono::{NaiveDateTime, TimeZone, Utc};
use common::{
    TestDb,
    calendar::parse,
    graphql_as,
    network::{self, Persona},
};
use entity::{EventVisibility, event, user};
use muster::{domain::sealing::Field, fixtures::RequestBuilder};
use poem::{Endpoint, test::TestClient};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

struct Fetched {
    status: u16,
    etag: Option<String>,
    content_type: Option<String>,
    body: String,
}

async fn fetch<E: Endpoint>(client: &TestClient<E>, path: &str, if_none_match: Option<&str>) -> Fetched {
    let mut request = client.get(path);
    if let Some(tag) = if_none_match {
        request = request.header("If-None-Match", tag);
    }
    let response = request.send().await;
    let header = |name: &str| {
        response
            .0
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (status, etag, content_type) = (response.0.status().as_u16(), header("etag"), header("content-type"));
    let body = response.0.into_body().into_string().await.unwrap();
    Fetched {
        status,
        etag,
        content_type,
        body,
    }
}

fn utc(value: &str) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ").expect("a UTC date-time"))
}

on_both_databases!(
    the_seeded_public_feed_holds_exactly_the_public_events_and_no_personal_data,
    local_times_hold_across_a_daylight_saving_change,
    cancelling_changes_status_sequence_and_etag,
    private_feeds_follow_their_owner_and_die_with_their_token,
    gzip_has_its_own_etag_and_either_tag_answers_304,
    equal_filters_share_a_version_whatever_their_order,
    a_renamed_group_or_a_new_event_changes_the_kept_feed,
    the_version_follows_the_window_as_events_end,
);

async fn the_seeded_public_feed_holds_exactly_the_public_events_and_no_personal_data(db: TestDb) {
    muster::seed::seed_demo(&db.conn, common::now()).await.unwrap();
    let client = db.app();
    let feed = fetch(&client, "/calendar.ics", None).await;
    assert_eq!(feed.status, 200);
    assert_eq!(feed.content_type.as_deref(), Some("text/calendar; charset=utf-8"));
    assert!(feed.body.starts_with("BEGIN:VCALENDAR\r\n") && feed.body.ends_with("END:VCALENDAR\r\n"));
    assert!(
        feed.body.split("\r\n").all(|line| line.len() <= 75),
        "folded at 75 octets"
    );
    assert!(!feed.body.replace("\r\n", "").contains('\n'), "CRLF only");

    let events = parse(&feed.body);
    let since = common::now() - chrono::Duration::days(30);
    let all = event::Entity::find().all(&db.conn).await.unwrap();
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|e| e.visibility == EventVisibility::Public && e.ends_at >= since)
        .map(|e| e.id.to_string())
        .collect();
    let uids: BTreeSet<String> = events
        .iter()
        .map(|e| e["UID"].split('@').next().unwrap().to_owned())
        .collect();
    assert_eq!(uids, expected);
    assert!(expected.len() > 5);
    for members_only in all.iter().filter(|e| e.visibility == EventVisibility::Members) {
        assert!(
            !feed.body.contains(&members_only.id.to_string()),
            "members-only event in the public feed"
        );
        assert!(
            !feed.body.contains(&members_only.title),
            "members-only title {}",
            members_only.title
        );
    }
    for person in user::Entity::find()
        .filter(user::Column::Email.is_not_null())
        .all(&db.conn)
        .await
        .unwrap()
    {
        assert!(
            !feed.body.contains(
                &muster::domain::sealing::open(Field::UserEmail, person.id, person.email.as_deref().unwrap()).unwrap()
            ),
            "personal email in the public feed"
        );
    }

    // Field by field against the database.
    for parsed in &events {
        let id = parsed["UID"].split('@').next().unwrap();
        let stored = all.iter().find(|e| e.id.to_string() == id).unwrap();
        assert_eq!(utc(&parsed["DTSTART"]), stored.starts_at, "{id}");
        assert_eq!(utc(&parsed["DTEND"]), stored.ends_at);
        assert_eq!(
            utc(&parsed["LAST-MODIFIED"]),
            stored.updated_at.with_nanosecond(0).unwrap()
        );
        assert_eq!(parsed["SEQUENCE"], stored.sequence.to_string());
        let cancelled = stored.status == entity::EventStatus::Cancelled;
        assert_eq!(parsed["STATUS"], if cancelled { "CANCELLED" } else { "CONFIRMED" });
        assert_eq!(
            parsed["SUMMARY"].starts_with("Cancelled: "),
            cancelled,
            "{}",
            parsed["SUMMARY"]
        );
        // The event's own page, not its calendar file.
        assert!(parsed["URL"].ends_with(&format!("/events/{id}")), "{}", parsed["URL"]);
    }

    // A second, independent parser reads the same feed the same way.
    if common::python::python_icalendar_available() {
        let read = common::python::python_read(&feed.body);
        assert_eq!(read.len(), events.len());
        for (python, ours) in read.iter().zip(&events) {
            assert_eq!(python["uid"], ours["UID"].as_str());
            assert_eq!(
                python["dtstart"],
                utc(&ours["DTSTART"]).format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
            assert_eq!(python["status"], ours["STATUS"].as_str());
            assert_eq!(python["sequence"].to_string(), ours["SEQUENCE"]);
        }
    }

    // Filters narrow the feed; an unknown kind is a clear 400.
    let leeds = fetch(&client, "/calendar.ics?group=leeds&group=bristol", None).await;
    let leeds_events = parse(&leeds.body);
    assert!(!leeds_events.is_empty() && leeds_events.len() < events.len());
    let talks = fetch(&client, "/calendar.ics?kind=talk&kind=WORKSHOP", None).await;
    assert!(
        parse(&talks.body)
            .iter()
            .all(|e| ["Talk", "Workshop"].contains(&e["CATEGORIES"].as_str()))
    );
    assert_eq!(fetch(&client, "/calendar.ics?kind=PARTY", None).await.status, 400);
    let group = fetch(&client, "/groups/leeds/calendar.ics", None).await;
    assert_eq!(group.status, 200);
    assert!(group.body.contains("X-WR-CALNAME:"));
    assert_eq!(fetch(&client, "/groups/atlantis/calendar.ics", None).await.status, 404);
}

use chrono::Timelike;

const CREATE: &str = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }";

async fn local_times_hold_across_a_daylight_saving_change(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let london = chrono_tz::Europe::London;
    // 19:00 in London in late March (BST, UTC+1) and in November (GMT).
    for (day, title) in [((2031, 3, 31), "Spring meeting"), ((2031, 11, 3), "Autumn meeting")] {
        let start = london
            .with_ymd_and_hms(day.0, day.1, day.2, 19, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let input = json!({
            "title": title, "kind": "MEETING", "groupSlug": "alpha",
            "startsAt": start.to_rfc3339(), "endsAt": (start + chrono::Duration::hours(2)).to_rfc3339(),
        });
        let (_, body) = graphql_as(
            &client,
            net.token(Persona::Organiser).as_deref(),
            CREATE,
            json!({ "input": input }),
        )
        .await;
        assert!(body["data"]["createEvent"]["id"].is_string(), "{body}");
    }
    let feed = fetch(&client, "/groups/alpha/calendar.ics", None).await;
    let events = parse(&feed.body);
    for (title, utc_hour) in [("Spring meeting", 18), ("Autumn meeting", 19)] {
        let parsed = events.iter().find(|e| e["SUMMARY"] == title).unwrap();
        let start = utc(&parsed["DTSTART"]);
        assert_eq!(start.hour(), utc_hour, "{title} in UTC");
        assert_eq!(start.with_timezone(&london).hour(), 19, "{title} in London");
        assert_eq!(parsed["X-MUSTER-TIMEZONE"], "Europe/London");
    }
}

async fn cancelling_changes_status_sequence_and_etag(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let first = fetch(&client, "/groups/alpha/calendar.ics", None).await;
    let etag = first.etag.clone().expect("an ETag");
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "strong: {etag}");
    let again = fetch(&client, "/groups/alpha/calendar.ics", Some(&etag)).await;
    assert_eq!((again.status, again.body.as_str()), (304, ""));

    let id = net.alpha_public_event.to_string();
    let before = parse(&first.body)
        .into_iter()
        .find(|e| e["UID"].starts_with(&id))
        .unwrap();
    let (_, cancelled) = graphql_as(
        &client,
        net.token(Persona::Organiser).as_deref(),
        "mutation($id: ID!) { cancelEvent(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(cancelled["data"]["cancelEvent"]["status"], "CANCELLED");

    let after = fetch(&client, "/groups/alpha/calendar.ics", Some(&etag)).await;
    assert_eq!(after.status, 200, "the feed changed");
    assert_ne!(after.etag.as_deref(), Some(etag.as_str()));
    let entry = parse(&after.body)
        .into_iter()
        .find(|e| e["UID"].starts_with(&id))
        .expect("cancelled events stay");
    assert_eq!(entry["STATUS"], "CANCELLED");
    assert!(entry["SEQUENCE"].parse::<i32>().unwrap() > before["SEQUENCE"].parse::<i32>().unwrap());
    assert_eq!(entry["SUMMARY"], "Cancelled: Alpha open meeting");
}

async fn private_feeds_follow_their_owner_and_die_with_their_token(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let member = net.token(Persona::Member);
    let (_, created) = graphql_as(
        &client,
        member.as_deref(),
        "mutation { createFeedToken(label: \"phone\") { secret url webcalUrl feedToken { id label } } }",
        json!({}),
    )
    .await;
    let created = &created["data"]["createFeedToken"];
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "256 bits");
    let url = created["url"].as_str().unwrap();
    assert!(url.ends_with(&format!("/feeds/{secret}/calendar.ics")), "{url}");
    assert!(created["webcalUrl"].as_str().unwrap().starts_with("webcal://"));
    let path = format!("/feeds/{secret}/calendar.ics");

    let feed = fetch(&client, &path, None).await;
    assert_eq!(feed.status, 200);
    let titles: BTreeSet<String> = parse(&feed.body).into_iter().map(|e| e["SUMMARY"].clone()).collect();
    assert!(
        titles.contains("Alpha open meeting") && titles.contains("Alpha planning"),
        "{titles:?}"
    );
    assert!(!titles.contains("Beta planning"), "another group's members-only event");

    // The list shows the token without its secret; only the hash is stored.
    let (_, listed) = graphql_as(&client, member.as_deref(), "{ feedTokens { id label } }", json!({})).await;
    assert_eq!(listed["data"]["feedTokens"][0]["label"], "phone");
    assert!(!listed.to_string().contains(secret));
    let stored = entity::feed_token::Entity::find().all(&db.conn).await.unwrap();
    assert!(
        stored
            .iter()
            .all(|t| t.token_hash != secret && !t.token_hash.contains(secret))
    );

    // Someone else cannot revoke it; its owner can, and then it is gone.
    let token_id = created["feedToken"]["id"].as_str().unwrap();
    let revoke = "mutation($id: ID!) { revokeFeedToken(id: $id) }";
    let (_, other) = graphql_as(
        &client,
        net.token(Persona::Admin).as_deref(),
        revoke,
        json!({ "id": token_id }),
    )
    .await;
    assert_eq!(other["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(fetch(&client, &path, None).await.status, 200);
    let (_, revoked) = graphql_as(&client, member.as_deref(), revoke, json!({ "id": token_id })).await;
    assert_eq!(revoked["data"]["revokeFeedToken"], true);
    assert_eq!(fetch(&client, &path, None).await.status, 404);
    assert_eq!(
        fetch(&client, "/feeds/not-a-token/calendar.ics", None).await.status,
        404
    );
}

on_both_databases!(a_trainers_private_feed_and_attendee_list_include_their_engagements);

async fn a_trainers_private_feed_and_attendee_list_include_their_engagements(db: TestDb) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let net = network::build(&db.conn).await;
    let now = common::now();
    let topic_id = network::add_topic(&db.conn, "know-your-rights", "Know your rights").await;
    let engagement = event::Entity::find_by_id(net.beta_members_event)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let request = RequestBuilder::new(topic_id, now - chrono::Duration::hours(2))
        .reference("REQ-TEST01")
        .group(net.beta)
        .submitted_by(net.other_organiser.id)
        .place("Glasgow", "G1", "Scotland")
        .public_event(false)
        .window(engagement.starts_at, engagement.ends_at)
        .assigned(net.coordinator.id, net.trainer.id)
        .slot(engagement.starts_at, engagement.ends_at)
        .accepted()
        .insert(&db.conn)
        .await
        .unwrap()
        .request;
    let mut linked = engagement.into_active_model();
    linked.request_id = Set(Some(request.id));
    linked.update(&db.conn).await.unwrap();

    let client = db.app();
    let trainer = net.token(Persona::Trainer);
    let (_, created) = graphql_as(
        &client,
        trainer.as_deref(),
        "mutation { createFeedToken(label: \"work\") { secret } }",
        json!({}),
    )
    .await;
    let secret = created["data"]["createFeedToken"]["secret"].as_str().unwrap();
    let feed = fetch(&client, &format!("/feeds/{secret}/calendar.ics"), None).await;
    let titles: BTreeSet<String> = parse(&feed.body).into_iter().map(|e| e["SUMMARY"].clone()).collect();
    assert!(titles.contains("Beta planning"), "the engagement: {titles:?}");
    assert!(!titles.contains("Alpha planning"), "not a member of Alpha: {titles:?}");

    // Delivering it, the trainer may see who is coming, though not a member.
    let query = "query($id: ID!) { event(id: $id) { attendees { status } } }";
    let (_, own) = graphql_as(
        &client,
        trainer.as_deref(),
        query,
        json!({ "id": net.beta_members_event }),
    )
    .await;
    assert!(own["data"]["event"]["attendees"].is_array(), "their engagement: {own}");
    let (_, list) = graphql_as(
        &client,
        trainer.as_deref(),
        query,
        json!({ "id": net.alpha_public_event }),
    )
    .await;
    assert_eq!(
        list["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "not theirs: {list}"
    );
}

/// A GET with extra headers; the raw body (not decoded) and all headers.
async fn fetch_with<E: Endpoint>(
    client: &TestClient<E>,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, poem::http::HeaderMap, Vec<u8>) {
    let mut request = client.get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await;
    let status = response.0.status().as_u16();
    let headers = response.0.headers().clone();
    let body = response.0.into_body().into_vec().await.unwrap();
    (status, headers, body)
}

fn gunzip(body: &[u8]) -> String {
    use std::io::Read;
    let mut plain = String::new();
    flate2::read::GzDecoder::new(body)
        .read_to_string(&mut plain)
        .expect("valid gzip");
    plain
}

async fn gzip_has_its_own_etag_and_either_tag_answers_304(db: TestDb) {
    network::build(&db.conn).await;
    let client = db.app();
    let plain = fetch(&client, "/calendar.ics", None).await;
    assert_eq!(plain.status, 200);
    let plain_tag = plain.etag.clone().expect("an ETag");

    let (status, headers, body) = fetch_with(&client, "/calendar.ics", &[("Accept-Encoding", "br, gzip;q=0.8")]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["vary"], "Accept-Encoding");
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    let gzip_tag = headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(gzip_tag, plain_tag, "each representation has its own strong ETag");
    assert_eq!(gunzip(&body), plain.body, "the same calendar, compressed");
    assert!(
        body.len() < plain.body.len(),
        "{} gzipped from {}",
        body.len(),
        plain.body.len()
    );

    // A client that refuses gzip gets the plain body.
    let (_, headers, _) = fetch_with(&client, "/calendar.ics", &[("Accept-Encoding", "gzip;q=0, identity")]).await;
    assert!(headers.get("content-encoding").is_none());

    // Either tag means the client holds this version.
    for (tag, encoding, answered) in [
        (&plain_tag, "gzip", &gzip_tag),
        (&gzip_tag, "identity", &plain_tag),
        (&plain_tag, "identity", &plain_tag),
    ] {
        let (status, headers, body) = fetch_with(
            &client,
            "/calendar.ics",
            &[("If-None-Match", tag), ("Accept-Encoding", encoding)],
        )
        .await;
        assert_eq!((status, body.len()), (304, 0), "{tag} with {encoding}");
        assert_eq!(headers["etag"].to_str().unwrap(), answered.as_str());
    }
    let (status, _, _) = fetch_with(&client, "/calendar.ics", &[("If-None-Match", "\"something else\"")]).await;
    assert_eq!(status, 200);
}

async fn equal_filters_share_a_version_whatever_their_order(db: TestDb) {
    network::build(&db.conn).await;
    let client = db.app();
    let one = fetch(&client, "/calendar.ics?group=alpha&kind=MEETING&group=beta", None).await;
    let other = fetch(
        &client,
        "/calendar.ics?kind=meeting&group=Beta&group=ALPHA&group=alpha",
        None,
    )
    .await;
    assert_eq!((one.status, other.status), (200, 200));
    assert_eq!(one.etag, other.etag);
    assert_eq!(one.body, other.body);
    let narrower = fetch(&client, "/calendar.ics?group=alpha", None).await;
    assert_ne!(narrower.etag, one.etag, "another filter is another feed");
    // A value holding the separator of another value is not confused with two.
    let joined = fetch(&client, "/calendar.ics?group=alpha%2Cbeta", None).await;
    let two = fetch(&client, "/calendar.ics?group=alpha&group=beta", None).await;
    assert_ne!(joined.etag, two.etag);
}

async fn a_renamed_group_or_a_new_event_changes_the_kept_feed(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let first = fetch(&client, "/calendar.ics", None).await;
    let etag = first.etag.clone().unwrap();
    assert_eq!(fetch(&client, "/calendar.ics", Some(&etag)).await.status, 304);

    // The group's name is in each event's description, but no event changed.
    let (_, renamed) = graphql_as(
        &client,
        net.token(Persona::Coordinator).as_deref(),
        r#"mutation { updateGroup(slug: "alpha", input: { name: "Alpha Renamed" }) { name } }"#,
        json!({}),
    )
    .await;
    assert_eq!(renamed["data"]["updateGroup"]["name"], "Alpha Renamed", "{renamed}");
    let after_rename = fetch(&client, "/calendar.ics", Some(&etag)).await;
    assert_eq!(after_rename.status, 200);
    assert!(after_rename.body.contains("Held by Alpha Renamed"));
    let etag = after_rename.etag.unwrap();

    let starts = common::now() + chrono::Duration::days(3);
    let (_, created) = graphql_as(
        &client,
        net.token(Persona::Organiser).as_deref(),
        "mutation($s: DateTime!, $e: DateTime!) { createEvent(input: { title: \"Fresh stall\", startsAt: $s, endsAt: $e, kind: ACTION, groupSlug: \"alpha\" }) { id } }",
        json!({ "s": starts, "e": starts + chrono::Duration::hours(2) }),
    )
    .await;
    assert!(created["data"]["createEvent"]["id"].is_string(), "{created}");
    let after_create = fetch(&client, "/calendar.ics", Some(&etag)).await;
    assert_eq!(after_create.status, 200);
    assert!(after_create.body.contains("SUMMARY:Fresh stall"));
}

async fn the_version_follows_the_window_as_events_end(db: TestDb) {
    use muster::domain::feeds::{FeedFilter, public_feed};
    let net = network::build(&db.conn).await;
    let all = FeedFilter::default();
    let now = common::now();
    let current = public_feed(&all, now).version(&db.conn).await.unwrap();
    assert!(current.events > 0);
    let event = event::Entity::find_by_id(net.alpha_public_event)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    // Once the event has ended (and nothing else changed), the feed's window
    // no longer holds it: the version must differ so no client keeps it.
    let later = public_feed(&all, event.ends_at + chrono::Duration::seconds(1))
        .version(&db.conn)
        .await
        .unwrap();
    assert!(later.events < current.events);
    assert_ne!(later, current);
    assert_eq!(later.last_event_change, current.last_event_change);
}
