//! Importing a group's calendar through `importEvents` on real databases,
//! with files written the way Google Calendar and Thunderbird write them
//! (their PRODIDs, VTIMEZONE blocks, folded lines, alarms, attendees and
//! `X-` properties): series with removed, moved and cancelled occurrences,
//! single, all-day and online events; a second import of the same file
//! changes nothing; a changed file updates in place and reports what it no
//! longer holds; a dry run and every refused file write nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pages::{Answer, answer, get_as, session_of};
use poem::http::header;

use chrono::{DateTime, SecondsFormat, Utc};
use common::{
    TestDb, error_code as code, graphql_as,
    network::{self, Network, Persona},
    sql_rows,
};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const GOOGLE: &str = include_str!("fixtures/calendars/google.ics");
const THUNDERBIRD: &str = include_str!("fixtures/calendars/thunderbird.ics");
const GOOGLE_SERIES: &str = "6bq3jg0c5p7m2k0f8s1d4h9v2n@google.com";

const IMPORT: &str =
    "mutation($group: String!, $ics: String!, $dryRun: Boolean!, $visibility: EventVisibility = MEMBERS) {
    importEvents(groupSlug: $group, ics: $ics, dryRun: $dryRun, visibility: $visibility) {
      dryRun
      created { uid title startsAt recurring occurrences eventId note }
      updated { uid title startsAt recurring occurrences eventId note }
      unchanged { uid eventId }
      skipped { uid title reason }
      missingFromFile { uid title eventId }
    } }";
const EVENTS: &str = "query($filter: EventFilterInput) { events(filter: $filter, first: 100) {
    totalCount edges { node { id title startsAt endsAt timezone status venue address onlineUrl visibility sequence
      originalStartsAt occurrenceOf { id rrule } } } } }";

on_both_databases!(
    a_google_export_becomes_the_groups_events,
    a_thunderbird_export_keeps_its_series_and_the_change_day,
    importing_the_same_file_again_changes_nothing,
    a_changed_file_updates_in_place_and_reports_what_it_no_longer_holds,
    a_dry_run_reports_and_writes_nothing,
    bad_files_are_refused_whole_and_write_nothing,
    only_the_groups_organisers_and_staff_may_import,
    the_import_page_previews_then_imports,
);

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn import(db: &TestDb, net: &Network, persona: Persona, ics: &str, dry_run: bool) -> Value {
    let token = net.token(persona);
    // A body large enough for a file of more than 2,000 events.
    let (_, body) = graphql_as(
        &db.app_with(&[("MUSTER_MAX_BODY_BYTES", "4194304")]),
        token.as_deref(),
        IMPORT,
        json!({ "group": "alpha", "ics": ics, "dryRun": dry_run }),
    )
    .await;
    body
}

async fn imported(db: &TestDb, net: &Network, ics: &str) -> Value {
    let body = import(db, net, Persona::Organiser, ics, false).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["importEvents"].clone()
}

fn uids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["uid"].as_str().unwrap())
        .collect()
}

/// Every event of group Alpha from 2031 on, as its organiser sees them.
async fn alpha_events(db: &TestDb, net: &Network) -> Vec<Value> {
    let token = net.token(Persona::Organiser);
    let (_, body) = graphql_as(
        &db.app(),
        token.as_deref(),
        EVENTS,
        json!({ "filter": { "from": "2031-01-01T00:00:00Z", "groups": ["alpha"], "includeCancelled": true } }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["events"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut node = e["node"].clone();
            for field in ["startsAt", "endsAt", "originalStartsAt"] {
                if let Some(text) = node[field].as_str() {
                    node[field] = json!(at(text).to_rfc3339_opts(SecondsFormat::Secs, true));
                }
            }
            node
        })
        .collect()
}

fn titled<'a>(events: &'a [Value], title: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["title"] == title).collect()
}

async fn counts(db: &TestDb) -> (u64, u64, u64) {
    (
        entity::event::Entity::find().count(&db.conn).await.unwrap(),
        entity::event_series::Entity::find().count(&db.conn).await.unwrap(),
        entity::event_series_exception::Entity::find()
            .count(&db.conn)
            .await
            .unwrap(),
    )
}

async fn a_google_export_becomes_the_groups_events(db: TestDb) {
    let net = network::build(&db.conn).await;
    let report = imported(&db, &net, GOOGLE).await;
    assert_eq!(report["dryRun"], false);
    let mut created = uids(&report["created"]);
    created.sort_unstable();
    assert_eq!(
        created,
        [
            "0a1b2c3d4e5f6g7h8i9j@google.com",
            "1k2j3h4g5f6d7s8a9p0o@google.com",
            GOOGLE_SERIES,
            "9z8y7x6w5v4u3t2s1r0q@google.com",
        ],
        "{report}"
    );
    // The private entry is named in the report and nowhere else.
    assert_eq!(uids(&report["skipped"]), ["5p4o3i2u1y0t9r8e7w6q@google.com"]);
    assert!(report["skipped"][0]["reason"].as_str().unwrap().contains("private"));
    assert_eq!(report["skipped"][0]["title"], "A private entry");

    let series = report["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uid"] == GOOGLE_SERIES)
        .unwrap();
    assert_eq!(series["recurring"], true);
    // No end in the file: imported a year past its first meeting (the
    // suite runs before 2031), January 2031 to January 2032, April removed.
    assert_eq!(series["occurrences"], 12, "{series}");
    assert!(series["note"].as_str().unwrap().contains("without end"), "{series}");

    let events = alpha_events(&db, &net).await;
    let meetings: Vec<&Value> = events
        .iter()
        .filter(|e| e["occurrenceOf"].is_object() && e["title"].as_str().unwrap().starts_with("Alpha monthly"))
        .collect();
    assert_eq!(meetings.len(), 12);
    let starts: Vec<&str> = meetings.iter().map(|e| e["startsAt"].as_str().unwrap()).collect();
    // 19:00 on the wall clock all year: GMT in winter, BST in summer.
    assert_eq!(starts[0], "2031-01-14T19:00:00Z");
    assert!(starts.contains(&"2031-03-11T19:00:00Z"));
    assert!(!starts.iter().any(|s| s.starts_with("2031-04-08")), "April is removed");
    assert!(starts.contains(&"2031-07-08T18:00:00Z"));
    assert_eq!(
        meetings[0]["occurrenceOf"]["rrule"],
        "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20320114T235959Z"
    );
    let agm = titled(&events, "Alpha monthly meeting and AGM");
    assert_eq!(agm.len(), 1);
    assert_eq!(agm[0]["startsAt"], "2031-05-13T18:30:00Z");
    assert_eq!(agm[0]["originalStartsAt"], "2031-05-13T18:00:00Z");
    let june = meetings
        .iter()
        .find(|e| e["startsAt"] == "2031-06-10T18:00:00Z")
        .unwrap();
    assert_eq!(june["status"], "CANCELLED");
    assert_eq!(
        meetings[0]["venue"],
        "Friends Meeting House, 6 Mount Street, Manchester M2 5NS, UK"
    );
    assert_eq!(
        meetings[0]["visibility"], "MEMBERS",
        "members only unless the importer says"
    );

    let stall = titled(&events, "Stall outside the hospital")[0];
    assert_eq!(stall["startsAt"], "2031-03-01T10:00:00Z");
    assert_eq!(stall["endsAt"], "2031-03-01T13:00:00Z");
    assert_eq!(stall["venue"], "Manchester Royal Infirmary, Oxford Road");
    let day = titled(&events, "National day of action")[0];
    assert_eq!(day["startsAt"], "2031-03-15T00:00:00Z");
    assert_eq!(day["endsAt"], "2031-03-16T00:00:00Z");
    let online = titled(&events, "Online training: NHS charging")[0];
    assert_eq!(online["onlineUrl"], "https://meet.google.com/abc-defg-hij");
    assert_eq!(online["startsAt"], "2031-03-20T18:30:00Z");

    // Attendees' and organisers' addresses and the private entry are
    // nowhere in the database.
    for table in ["events", "event_series", "event_series_exceptions", "domain_events"] {
        let rows = sql_rows(&db.conn, format!("SELECT * FROM {table}")).await;
        let text = format!("{rows:?}");
        for secret in ["people.example.org", "alpha.group.organisers", "clinic", "Jo - clinic"] {
            assert!(!text.contains(secret), "{table} holds {secret}");
        }
    }
}

async fn a_thunderbird_export_keeps_its_series_and_the_change_day(db: TestDb) {
    let net = network::build(&db.conn).await;
    let report = imported(&db, &net, THUNDERBIRD).await;
    assert_eq!(report["created"].as_array().unwrap().len(), 3, "{report}");
    let events = alpha_events(&db, &net).await;
    let stalls: Vec<&Value> = events
        .iter()
        .filter(|e| e["title"].as_str().unwrap().starts_with("Stall on the first Saturday"))
        .collect();
    // COUNT=6 with April removed.
    assert_eq!(stalls.len(), 5);
    let market = titled(&events, "Stall on the first Saturday (at the market)")[0];
    assert_eq!(market["startsAt"], "2031-03-01T12:00:00Z");
    assert_eq!(market["venue"], "Market square");
    let checkins = titled(&events, "Organisers' check-in (last Friday)");
    let days: Vec<&str> = checkins
        .iter()
        .map(|e| &e["startsAt"].as_str().unwrap()[..10])
        .collect();
    assert_eq!(
        days,
        [
            "2031-01-31",
            "2031-02-28",
            "2031-03-28",
            "2031-04-25",
            "2031-05-30",
            "2031-06-27",
            "2031-07-25",
            "2031-08-29",
            "2031-09-26",
            "2031-10-31",
            "2031-11-28",
            "2031-12-26"
        ]
    );
    assert_eq!(checkins[0]["onlineUrl"], "https://meet.jit.si/alpha-checkin");
    assert_eq!(checkins[0]["startsAt"], "2031-01-31T18:00:00Z");
    assert_eq!(checkins[5]["startsAt"], "2031-06-27T17:00:00Z");
    // 01:30 on the day the clocks go forward does not exist: RFC 5545 reads
    // it with the offset before the gap, 02:30 BST.
    let early = titled(&events, "Early start on the change day")[0];
    assert_eq!(early["startsAt"], "2031-03-30T01:30:00Z");
    assert_eq!(early["timezone"], "Europe/London");
}

async fn importing_the_same_file_again_changes_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    imported(&db, &net, GOOGLE).await;
    let before = alpha_events(&db, &net).await;
    let counted = counts(&db).await;
    let again = imported(&db, &net, GOOGLE).await;
    assert_eq!(again["created"], json!([]), "{again}");
    assert_eq!(again["updated"], json!([]), "{again}");
    assert_eq!(again["missingFromFile"], json!([]), "{again}");
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 4);
    assert_eq!(counts(&db).await, counted);
    // The same rows: ids and sequences as they were.
    assert_eq!(alpha_events(&db, &net).await, before);

    // A second calendar of the same group: its own entries, and the first
    // file's named as not in it (they are the group's, imported from a
    // file), never removed.
    imported(&db, &net, THUNDERBIRD).await;
    let counted = counts(&db).await;
    let again = imported(&db, &net, THUNDERBIRD).await;
    assert_eq!(again["created"], json!([]), "{again}");
    assert_eq!(again["updated"], json!([]), "{again}");
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 3);
    assert_eq!(again["missingFromFile"].as_array().unwrap().len(), 4, "{again}");
    assert_eq!(counts(&db).await, counted);
}

async fn a_changed_file_updates_in_place_and_reports_what_it_no_longer_holds(db: TestDb) {
    let net = network::build(&db.conn).await;
    imported(&db, &net, GOOGLE).await;
    let before = alpha_events(&db, &net).await;
    let stall = titled(&before, "Stall outside the hospital")[0].clone();
    let first_meeting = before
        .iter()
        .find(|e| e["startsAt"] == "2031-01-14T19:00:00Z")
        .unwrap()
        .clone();
    // A member takes a place at the first meeting before the change.
    let member = net.token(Persona::Member);
    let (_, body) = graphql_as(
        &db.app(),
        member.as_deref(),
        "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
        json!({ "id": first_meeting["id"] }),
    )
    .await;
    assert_eq!(body["data"]["rsvp"]["status"], "GOING", "{body}");

    // In the calendar: the stall is renamed and lasts an hour longer, the
    // meetings move to 19:30, and the day of action is deleted.
    let changed = GOOGLE
        .replace(
            "SUMMARY:Stall outside the hospital",
            "SUMMARY:Hospital stall and petition",
        )
        .replace("DTEND:20310301T130000Z", "DTEND:20310301T140000Z")
        .replace(
            "DTSTART;TZID=Europe/London:20310114T190000",
            "DTSTART;TZID=Europe/London:20310114T193000",
        )
        .replace(
            "DTEND;TZID=Europe/London:20310114T210000",
            "DTEND;TZID=Europe/London:20310114T213000",
        )
        .replace(
            "EXDATE;TZID=Europe/London:20310408T190000",
            "EXDATE;TZID=Europe/London:20310408T193000",
        )
        .replace(
            "RECURRENCE-ID;TZID=Europe/London:20310513T190000",
            "RECURRENCE-ID;TZID=Europe/London:20310513T193000",
        )
        .replace(
            "RECURRENCE-ID;TZID=Europe/London:20310610T190000",
            "RECURRENCE-ID;TZID=Europe/London:20310610T193000",
        );
    let day_of_action = changed.find("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE").unwrap();
    let end = day_of_action + changed[day_of_action..].find("END:VEVENT\r\n").unwrap() + "END:VEVENT\r\n".len();
    let changed = format!("{}{}", &changed[..day_of_action], &changed[end..]);

    let report = imported(&db, &net, &changed).await;
    let mut updated = uids(&report["updated"]);
    updated.sort_unstable();
    assert_eq!(updated, ["1k2j3h4g5f6d7s8a9p0o@google.com", GOOGLE_SERIES], "{report}");
    assert_eq!(uids(&report["missingFromFile"]), ["0a1b2c3d4e5f6g7h8i9j@google.com"]);
    assert_eq!(report["created"], json!([]));

    let after = alpha_events(&db, &net).await;
    let renamed = titled(&after, "Hospital stall and petition")[0];
    assert_eq!(renamed["id"], stall["id"], "updated in place");
    assert_eq!(renamed["endsAt"], "2031-03-01T14:00:00Z");
    assert!(renamed["sequence"].as_i64() > stall["sequence"].as_i64());
    // Not deleted: reported, and still on.
    let day = titled(&after, "National day of action")[0];
    assert_eq!(day["status"], "SCHEDULED");
    // The meeting moved within its day keeps its row and its RSVP.
    let moved = after.iter().find(|e| e["id"] == first_meeting["id"]).unwrap();
    assert_eq!(moved["startsAt"], "2031-01-14T19:30:00Z");
    let (_, body) = graphql_as(
        &db.app(),
        member.as_deref(),
        "query($id: ID!) { event(id: $id) { myRsvp { status } } }",
        json!({ "id": first_meeting["id"] }),
    )
    .await;
    assert_eq!(body["data"]["event"]["myRsvp"]["status"], "GOING", "{body}");
    let agm = titled(&after, "Alpha monthly meeting and AGM");
    assert_eq!(agm.len(), 1);
    assert_eq!(agm[0]["startsAt"], "2031-05-13T18:30:00Z");
    let meetings = after
        .iter()
        .filter(|e| e["occurrenceOf"].is_object() && e["status"] == "SCHEDULED")
        .count();
    // Thirteen made, April removed, June cancelled.
    assert_eq!(meetings, 11);
}

async fn a_dry_run_reports_and_writes_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    let before = counts(&db).await;
    let body = import(&db, &net, Persona::Organiser, GOOGLE, true).await;
    let report = &body["data"]["importEvents"];
    assert_eq!(report["dryRun"], true, "{body}");
    assert_eq!(report["created"].as_array().unwrap().len(), 4);
    assert!(
        report["created"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["eventId"].is_null())
    );
    assert_eq!(counts(&db).await, before);
    let journal = sql_rows(&db.conn, "SELECT id FROM domain_events").await.len();
    // The real import afterwards creates what the dry run said.
    let report = imported(&db, &net, GOOGLE).await;
    assert_eq!(report["created"].as_array().unwrap().len(), 4);
    assert!(sql_rows(&db.conn, "SELECT id FROM domain_events").await.len() > journal);
    // A dry run of a changed file reports the change and makes none.
    let renamed = GOOGLE.replace("SUMMARY:Stall outside the hospital", "SUMMARY:Renamed stall");
    let counted = counts(&db).await;
    let before = alpha_events(&db, &net).await;
    let body = import(&db, &net, Persona::Organiser, &renamed, true).await;
    assert_eq!(
        uids(&body["data"]["importEvents"]["updated"]),
        ["1k2j3h4g5f6d7s8a9p0o@google.com"],
        "{body}"
    );
    assert_eq!(counts(&db).await, counted);
    assert_eq!(alpha_events(&db, &net).await, before);
}

fn calendar(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Test//EN\r\n{body}END:VCALENDAR\r\n")
}

fn event(uid: &str, title: &str, extra: &str) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{title}\r\nDTSTART;TZID=Europe/London:20310107T190000\r\nDTEND;TZID=Europe/London:20310107T200000\r\n{extra}END:VEVENT\r\n"
    )
}

async fn bad_files_are_refused_whole_and_write_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    let good = event("good-1", "A good meeting", "");
    let many: String = (0..2_001).map(|i| event(&format!("e{i}"), "Meeting", "")).collect();
    let cases: Vec<(String, &str)> = vec![
        ("Just some notes".into(), "not an iCalendar file"),
        ("BEGIN:VCARD\r\nFN:Jo\r\nEND:VCARD\r\n".into(), "not an iCalendar file"),
        (calendar(&many), "more than 2000 events"),
        (
            calendar(&format!(
                "{good}{}",
                event("mars-1", "On Mars", "").replace("TZID=Europe/London", "TZID=Mars/Olympus_Mons")
            )),
            "\"On Mars\" (mars-1): the time zone \"Mars/Olympus_Mons\"",
        ),
        (
            calendar(&format!(
                "{good}{}",
                event("yearly-1", "Annual general meeting", "RRULE:FREQ=YEARLY\r\n")
            )),
            "\"Annual general meeting\" (yearly-1): rrule FREQ=YEARLY is not supported",
        ),
        (
            calendar(&format!(
                "{good}{}",
                event(
                    "setpos-1",
                    "Last Friday",
                    "RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1;COUNT=5\r\n"
                )
            )),
            "\"Last Friday\" (setpos-1): rrule BYSETPOS is not supported",
        ),
        (
            calendar(&format!(
                "{good}{}",
                event("daily-1", "Daily", "RRULE:FREQ=DAILY;COUNT=900\r\n")
            )),
            "\"Daily\" (daily-1): rrule COUNT=900",
        ),
        (
            calendar(&format!(
                "{good}{}",
                event("backwards-1", "Ends before it starts", "").replace("T200000", "T180000")
            )),
            "\"Ends before it starts\" (backwards-1): endsAt must be after startsAt",
        ),
        (
            calendar(&format!("{good}{}", event("good-1", "The same UID again", ""))),
            "(good-1): the UID is used by two events",
        ),
    ];
    let before = counts(&db).await;
    for (file, said) in cases {
        let body = import(&db, &net, Persona::Organiser, &file, false).await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{said}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "ics", "{body}");
        let messages: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap())
            .collect();
        let all = messages.join("\n");
        assert!(all.contains(said), "{said}: {messages:?}");
        assert_eq!(counts(&db).await, before, "{said}: nothing written");
    }
}

async fn only_the_groups_organisers_and_staff_may_import(db: TestDb) {
    let net = network::build(&db.conn).await;
    let file = calendar(&event("stall-1", "Stall", ""));
    for (persona, expected) in [
        (Persona::Anonymous, Some("UNAUTHENTICATED")),
        (Persona::Member, Some("FORBIDDEN")),
        (Persona::OtherOrganiser, Some("FORBIDDEN")),
        (Persona::Trainer, Some("FORBIDDEN")),
    ] {
        let body = import(&db, &net, persona, &file, false).await;
        assert_eq!(code(&body), expected, "{persona:?}: {body}");
    }
    assert_eq!(counts(&db).await.1, 0);
    // Staff may import for any group, and publish what they import.
    let token = net.token(Persona::Coordinator);
    let (_, body) = graphql_as(
        &db.app(),
        token.as_deref(),
        IMPORT,
        json!({ "group": "alpha", "ics": file, "dryRun": false, "visibility": "PUBLIC" }),
    )
    .await;
    assert_eq!(uids(&body["data"]["importEvents"]["created"]), ["stall-1"], "{body}");
    let (_, body) = graphql_as(
        &db.app(),
        None,
        "query($id: ID!) { event(id: $id) { title visibility } }",
        json!({ "id": body["data"]["importEvents"]["created"][0]["eventId"] }),
    )
    .await;
    assert_eq!(body["data"]["event"]["visibility"], "PUBLIC", "{body}");
    // The organiser importing the same file finds the coordinator's import.
    let body = import(&db, &net, Persona::Organiser, &file, false).await;
    assert_eq!(uids(&body["data"]["importEvents"]["unchanged"]), ["stall-1"], "{body}");
    let token = net.token(Persona::Organiser);
    let (_, body) = graphql_as(
        &db.app(),
        token.as_deref(),
        IMPORT,
        json!({ "group": "no-such-group", "ics": file, "dryRun": false }),
    )
    .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
}

const PAGE: &str = "/groups/alpha/manage/import";

/// Posts the import form as a browser does: multipart, with the file (or
/// the previewed text sent back) and the anti-forgery token.
async fn post_import(db: &TestDb, session: &str, csrf: &str, fields: &[(&str, &str)], file: Option<&str>) -> Answer {
    let boundary = "----muster-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields.iter().copied().chain([("csrf", csrf)]) {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    if let Some(file) = file {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"alpha.ics\"\r\nContent-Type: text/calendar\r\n\r\n{file}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let client = db.app();
    let request = client
        .post(PAGE)
        .header(header::COOKIE, format!("muster_csrf={csrf}; muster_session={session}"))
        .header(header::ACCEPT, "text/html")
        .content_type(format!("multipart/form-data; boundary={boundary}"))
        .body(body);
    answer(request.send().await).await
}

/// The text the preview sends back with its confirmation, as a browser
/// sends a textarea's value.
fn previewed_text(page: &str) -> String {
    let start = page.find("<textarea name=\"ics\"").unwrap();
    let start = start + page[start..].find('>').unwrap() + 1;
    let end = start + page[start..].find("</textarea>").unwrap();
    let text = page[start..end].strip_prefix('\n').unwrap_or(&page[start..end]);
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
}

async fn the_import_page_previews_then_imports(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    // Who may open it.
    let anonymous = get_as(&client, PAGE, None).await;
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.location().unwrap().starts_with("/signin?next="));
    let member = session_of(&db, net.member.id).await;
    assert_eq!(get_as(&client, PAGE, Some(&member)).await.status, 403);
    let organiser = session_of(&db, net.organiser.id).await;
    let opened = get_as(&client, PAGE, Some(&organiser)).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert!(opened.body.contains("enctype=\"multipart/form-data\""));
    let events = get_as(&client, "/groups/alpha/manage/events", Some(&organiser)).await;
    assert!(
        events.body.contains(&format!("href=\"{PAGE}\"")),
        "linked from the events page"
    );
    let csrf = opened.cookie("muster_csrf").unwrap();

    // A forged token or a member's session writes nothing.
    let before = counts(&db).await;
    let forged = post_import(&db, &organiser, "forged.1.AAAA", &[("step", "import")], Some(GOOGLE)).await;
    assert_eq!(forged.status, 403);
    let refused = post_import(&db, &member, &csrf, &[("step", "import")], Some(GOOGLE)).await;
    assert_eq!(refused.status, 403);
    assert_eq!(counts(&db).await, before);

    // No file: said, nothing written.
    let empty = post_import(&db, &organiser, &csrf, &[("step", "preview")], None).await;
    assert_eq!(empty.status, 400);
    assert!(empty.body.contains("Choose the calendar file"));

    // A bad file: each problem said with its event.
    let bad = GOOGLE.replace("RRULE:FREQ=MONTHLY;BYDAY=2TU", "RRULE:FREQ=YEARLY");
    let refused = post_import(&db, &organiser, &csrf, &[("step", "preview")], Some(&bad)).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Alpha monthly meeting"), "{}", refused.body);
    assert!(refused.body.contains("FREQ=YEARLY is not supported"));
    assert_eq!(counts(&db).await, before);

    // The preview: what would happen, and nothing written.
    let preview = post_import(
        &db,
        &organiser,
        &csrf,
        &[("step", "preview"), ("visibility", "public")],
        Some(GOOGLE),
    )
    .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Would be added (4)"), "{}", preview.body);
    assert!(preview.body.contains("Not imported (1)"));
    assert!(preview.body.contains("marked private in the calendar"));
    assert!(!preview.body.contains("clinic"), "not even a private entry's title");
    assert!(
        preview.body.contains("Tue 14 Jan 2031, 19:00–21:00"),
        "{}",
        preview.body
    );
    assert!(!preview.body.contains("people.example.org"), "no attendee shown");
    assert_eq!(counts(&db).await, before);

    // The confirmation sends back what was previewed.
    let csrf = preview.cookie("muster_csrf").unwrap_or(csrf);
    let text = previewed_text(&preview.body);
    let done = post_import(
        &db,
        &organiser,
        &csrf,
        &[("step", "import"), ("visibility", "public"), ("ics", &text)],
        None,
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Imported."), "{}", done.body);
    assert!(done.body.contains("Added (4)"));
    let listed = alpha_events(&db, &net).await;
    let stall = titled(&listed, "Stall outside the hospital")[0];
    assert_eq!(stall["visibility"], "PUBLIC");
    assert!(
        done.body
            .contains(&format!("/events/{}", stall["id"].as_str().unwrap()))
    );

    // The same file again: up to date.
    let again = post_import(&db, &organiser, &csrf, &[("step", "import")], Some(GOOGLE)).await;
    assert!(again.body.contains("Already up to date (4)"), "{}", again.body);
    assert!(!again.body.contains("Added ("));
}
