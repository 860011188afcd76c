#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The iCalendar writer, checked by reading its output back with parsers we
//! did not write: the `ical` crate here, and Python's `icalendar` package
//! through `tests/ical/validate.py`. Agreement between our writer and our own
//! reading of RFC 5545 would prove little.

mod common;

use std::io::BufReader;
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use ical::parser::ical::component::{IcalCalendar, IcalEvent};
use ical::property::Property;
use muster::ical::{CalendarMeta, CalendarWriter, EventEntry, EventStatus, escape_text};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const META: CalendarMeta<'static> = CalendarMeta {
    name: "Muster: Leeds, Bradford; Wakefield",
    prodid: "-//muster//muster 0.1//EN",
    refresh: Duration::from_secs(3600),
};

/// Values that have broken calendar writers and readers: every TEXT special,
/// each newline form, control characters, a would-be property and component,
/// multibyte text of every UTF-8 length, right-to-left text and direction
/// overrides, long enough to be folded several times.
const TRICKY: &str = "Door-knocking; phone banking, leaflets: a \\n is not a newline \\\\ \\, \\;\r\n\
    BEGIN:VEVENT\nUID:evil\rEND:VEVENT\u{0}\u{7}\u{1b}[31m\u{7f}\ttab \
    café €5 😀👩\u{200d}👩\u{200d}👧 𝄞 שלום עולם مرحبا \u{202e}reversed\u{202c} \u{a0}nbsp \u{2028}ls \u{85}nel \u{feff}bom";

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn event<'a>(uid: &'a str, summary: &'a str) -> EventEntry<'a> {
    EventEntry {
        uid,
        dtstamp: at(2025, 1, 2, 3, 4, 5),
        starts_at: at(2025, 3, 1, 18, 30, 0),
        ends_at: at(2025, 3, 1, 20, 0, 0),
        summary,
        description: "",
        location: None,
        url: None,
        status: EventStatus::Confirmed,
        sequence: 0,
        created: at(2024, 12, 1, 10, 0, 0),
        last_modified: at(2025, 1, 2, 3, 4, 5),
        categories: &[],
        timezone: None,
    }
}

fn render(events: &[EventEntry<'_>]) -> String {
    let mut writer = CalendarWriter::with_capacity(&META, events.len());
    for e in events {
        writer.event(e);
    }
    writer.finish()
}

/// The writer's documented normalisation of TEXT: CRLF, CR and LF are each
/// one newline; other control characters (but tab) are gone.
fn normalise(input: &str) -> String {
    input
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_ascii_control())
        .collect()
}

/// What the `ical` crate 0.11 can give back of a TEXT value: its line reader
/// trims trailing whitespace off every physical line (so off the end of a
/// value; the writer keeps whitespace away from folds) and its property
/// parser strips every leading `:` of a value. Neither can be escaped in TEXT.
fn ical_crate_view(normalised: &str) -> String {
    normalised
        .trim_end_matches(|c: char| c.is_whitespace() && c != '\n')
        .trim_start_matches(':')
        .to_owned()
}

/// RFC 5545 3.3.11 TEXT unescaping, in one pass: the `ical` crate returns
/// values still escaped.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c @ ('\\' | ';' | ',')) => out.push(c),
            other => panic!("invalid escape \\{other:?} in {raw:?}"),
        }
    }
    out
}

/// Splits a list value (CATEGORIES) on its unescaped commas.
fn split_list(raw: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut escaped = false;
    for c in raw.chars() {
        let last = items.last_mut().unwrap();
        if escaped {
            last.push(c);
            escaped = false;
        } else if c == '\\' {
            last.push(c);
            escaped = true;
        } else if c == ',' {
            items.push(String::new());
        } else {
            last.push(c);
        }
    }
    items.iter().map(|i| unescape(i)).collect()
}

fn parse(text: &str) -> IcalCalendar {
    let mut calendars = ical::IcalParser::new(BufReader::new(text.as_bytes()));
    let calendar = calendars
        .next()
        .expect("no calendar")
        .expect("ical crate rejected the calendar");
    assert!(calendars.next().is_none(), "more than one calendar");
    calendar
}

fn props<'a>(properties: &'a [Property], name: &str) -> Vec<&'a Property> {
    properties.iter().filter(|p| p.name == name).collect()
}

/// The raw (still escaped) value of a property that must occur exactly once.
fn raw<'a>(properties: &'a [Property], name: &str) -> &'a str {
    let found = props(properties, name);
    assert_eq!(found.len(), 1, "{name} occurs {} times", found.len());
    found[0].value.as_deref().unwrap_or("")
}

fn text(properties: &[Property], name: &str) -> String {
    unescape(raw(properties, name))
}

fn datetime(properties: &[Property], name: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(raw(properties, name), "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc()
}

fn names(properties: &[Property]) -> Vec<&str> {
    properties.iter().map(|p| p.name.as_str()).collect()
}

/// Every physical line: CRLF-terminated, at most 75 octets, valid UTF-8.
fn assert_physical_lines(bytes: &[u8]) {
    let body = bytes.strip_suffix(b"\r\n").expect("missing final CRLF");
    let crlf = body.windows(2).filter(|w| w == b"\r\n").count();
    assert_eq!(body.iter().filter(|&&b| b == b'\r').count(), crlf, "CR without LF");
    assert_eq!(body.iter().filter(|&&b| b == b'\n').count(), crlf, "LF without CR");
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(line.len() <= 75, "line of {} octets", line.len());
        std::str::from_utf8(line).expect("line is not valid UTF-8 on its own");
    }
}

/// SEQUENCE is a signed 32-bit INTEGER in RFC 5545; the writer clamps to it.
fn expected_sequence(sequence: u32) -> u32 {
    sequence.min(i32::MAX.unsigned_abs())
}

fn check_event(parsed: &IcalEvent, e: &EventEntry<'_>) {
    let p = &parsed.properties;
    assert_eq!(text(p, "UID"), ical_crate_view(&normalise(e.uid)));
    assert_eq!(datetime(p, "DTSTAMP"), e.dtstamp);
    assert_eq!(datetime(p, "DTSTART"), e.starts_at);
    assert_eq!(datetime(p, "DTEND"), e.ends_at);
    assert_eq!(text(p, "SUMMARY"), ical_crate_view(&normalise(e.summary)));
    if e.description.is_empty() {
        assert!(props(p, "DESCRIPTION").is_empty());
    } else {
        assert_eq!(text(p, "DESCRIPTION"), ical_crate_view(&normalise(e.description)));
    }
    match e.location {
        Some(l) => assert_eq!(text(p, "LOCATION"), ical_crate_view(&normalise(l))),
        None => assert!(props(p, "LOCATION").is_empty()),
    }
    match e.url {
        Some(u) => assert_eq!(raw(p, "URL"), u),
        None => assert!(props(p, "URL").is_empty()),
    }
    let status = match e.status {
        EventStatus::Confirmed => "CONFIRMED",
        EventStatus::Cancelled => "CANCELLED",
    };
    assert_eq!(raw(p, "STATUS"), status);
    assert_eq!(
        raw(p, "SEQUENCE").parse::<u32>().unwrap(),
        expected_sequence(e.sequence)
    );
    assert_eq!(datetime(p, "CREATED"), e.created);
    assert_eq!(datetime(p, "LAST-MODIFIED"), e.last_modified);
    let mut categories: Vec<String> = e
        .categories
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| normalise(c))
        .collect();
    // The `ical` crate's losses apply to the line, so to the ends of the list.
    if let Some(first) = categories.first_mut() {
        *first = first.trim_start_matches(':').to_owned();
    }
    if let Some(last) = categories.last_mut() {
        *last = ical_crate_view(last);
    }
    if categories.is_empty() {
        assert!(props(p, "CATEGORIES").is_empty());
    } else {
        assert_eq!(split_list(raw(p, "CATEGORIES")), categories);
    }
    match e.timezone {
        Some(tz) => assert_eq!(text(p, "X-MUSTER-TIMEZONE"), ical_crate_view(&normalise(tz))),
        None => assert!(props(p, "X-MUSTER-TIMEZONE").is_empty()),
    }
}

#[test]
fn every_field_round_trips_through_the_ical_crate() {
    let categories = ["Workshop", "Leeds, West Yorkshire", "a;b\\c", "", TRICKY];
    let full = EventEntry {
        uid: "0190c1a2-0000-7000-8000-000000000001@muster.example.org",
        sequence: 4_294_967_295,
        description: TRICKY,
        location: Some("Chapeltown Community Centre, 12 Reginald Terrace; Leeds LS7 3EZ\nUK"),
        url: Some("https://muster.example.org/events/1?a=1;b=2,3#x:y"),
        categories: &categories,
        timezone: Some("Europe/London"),
        status: EventStatus::Confirmed,
        ..event("", TRICKY)
    };
    let minimal = EventEntry {
        status: EventStatus::Cancelled,
        sequence: 7,
        starts_at: at(2025, 12, 31, 23, 59, 59),
        ends_at: at(2026, 1, 1, 0, 0, 0),
        ..event("two@muster.example.org", "Café social ☕")
    };
    let text_out = render(&[full, minimal]);
    assert_physical_lines(text_out.as_bytes());

    let calendar = parse(&text_out);
    let p = &calendar.properties;
    assert_eq!(
        names(p),
        [
            "VERSION",
            "PRODID",
            "CALSCALE",
            "METHOD",
            "X-WR-CALNAME",
            "REFRESH-INTERVAL",
            "X-PUBLISHED-TTL"
        ]
    );
    assert_eq!(raw(p, "VERSION"), "2.0");
    assert_eq!(text(p, "PRODID"), META.prodid);
    assert_eq!(raw(p, "CALSCALE"), "GREGORIAN");
    assert_eq!(raw(p, "METHOD"), "PUBLISH");
    assert_eq!(text(p, "X-WR-CALNAME"), META.name);
    assert_eq!(raw(p, "REFRESH-INTERVAL"), "PT1H");
    assert_eq!(
        props(p, "REFRESH-INTERVAL")[0].params,
        Some(vec![("VALUE".to_owned(), vec!["DURATION".to_owned()])])
    );
    assert_eq!(raw(p, "X-PUBLISHED-TTL"), "PT1H");

    assert_eq!(calendar.events.len(), 2);
    assert!(calendar.todos.is_empty() && calendar.timezones.is_empty() && calendar.alarms.is_empty());
    for parsed in &calendar.events {
        assert!(parsed.alarms.is_empty());
    }
    assert_eq!(
        names(&calendar.events[0].properties),
        [
            "UID",
            "DTSTAMP",
            "DTSTART",
            "DTEND",
            "SUMMARY",
            "DESCRIPTION",
            "LOCATION",
            "URL",
            "STATUS",
            "SEQUENCE",
            "CREATED",
            "LAST-MODIFIED",
            "CATEGORIES",
            "X-MUSTER-TIMEZONE"
        ]
    );
    assert_eq!(
        names(&calendar.events[1].properties),
        [
            "UID",
            "DTSTAMP",
            "DTSTART",
            "DTEND",
            "SUMMARY",
            "STATUS",
            "SEQUENCE",
            "CREATED",
            "LAST-MODIFIED"
        ]
    );
    check_event(&calendar.events[0], &full);
    check_event(&calendar.events[1], &minimal);
}

#[test]
fn the_ical_crate_loses_only_what_text_cannot_protect() {
    // Documents the parser quirks that `ical_crate_view` models, so that a
    // fixed (or newly broken) `ical` release shows up here first.
    let e = event("x@example.org", "::colons first, spaces last  ");
    let calendar = parse(&render(&[e]));
    assert_eq!(
        text(&calendar.events[0].properties, "SUMMARY"),
        "colons first, spaces last"
    );
    // Our own reading keeps both.
    let out = render(&[e]);
    assert!(out.contains("\r\nSUMMARY:::colons first\\, spaces last  \r\n"));
}

#[test]
fn ten_thousand_events_parse_back() {
    let uids: Vec<String> = (0..10_000).map(|i| format!("{i:08}@muster.example.org")).collect();
    let events: Vec<EventEntry<'_>> = uids
        .iter()
        .map(|uid| EventEntry {
            description: "A fairly ordinary description, long enough to be folded once or twice \
                          by the writer; with punctuation.",
            location: Some("Somewhere, Leeds"),
            ..event(uid, "Weekly meeting")
        })
        .collect();
    let out = render(&events);
    assert_physical_lines(out.as_bytes());
    let calendar = parse(&out);
    assert_eq!(calendar.events.len(), events.len());
    for (parsed, e) in calendar.events.iter().zip(&events) {
        check_event(parsed, e);
    }
}

/// Characters that stress escaping, folding and line handling, mixed with
/// arbitrary Unicode so that anything else gets tried too.
fn nasty_string() -> impl Strategy<Value = String> {
    let special = prop_oneof![
        Just('\r'),
        Just('\n'),
        Just('\\'),
        Just(';'),
        Just(','),
        Just(':'),
        Just(' '),
        Just('\t'),
        Just('"'),
        Just('\u{0}'),
        Just('\u{7f}'),
        Just('é'),
        Just('€'),
        Just('😀'),
        Just('\u{200d}'),
        Just('ש'),
        Just('م'),
        Just('\u{202e}'),
        Just('\u{2028}'),
        Just('\u{85}'),
        Just('\u{3000}'),
    ];
    let ch = prop_oneof![3 => special, 3 => proptest::char::range('a', 'z'), 2 => any::<char>()];
    prop_oneof![
        proptest::collection::vec(ch, 0..300).prop_map(String::from_iter),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_survives_writer_and_ical_crate(
        summary in nasty_string(),
        description in nasty_string(),
        location in nasty_string(),
        category in nasty_string(),
    ) {
        let categories = [category.as_str(), "fixed"];
        let e = EventEntry {
            description: &description,
            location: Some(&location),
            categories: &categories,
            timezone: Some(&summary),
            ..event("p@muster.example.org", &summary)
        };
        let out = render(&[e]);
        assert_physical_lines(out.as_bytes());

        // Our own reading (RFC unfolding + unescaping) gives back exactly the
        // documented normalisation...
        let unfolded = out.replace("\r\n ", "");
        let summary_line = unfolded.split("\r\n").find_map(|l| l.strip_prefix("SUMMARY:")).unwrap();
        prop_assert_eq!(unescape(summary_line), normalise(&summary));
        let mut escaped = String::new();
        escape_text(&description, &mut escaped);
        prop_assert_eq!(unescape(&escaped), normalise(&description));

        // ...and so does the `ical` crate, up to the losses it always has.
        let calendar = parse(&out);
        prop_assert_eq!(calendar.events.len(), 1);
        check_event(&calendar.events[0], &e);
    }
}

// ----- Python's `icalendar` -----

use common::python::{python_icalendar_available, python_read};

fn iso(value: DateTime<Utc>) -> String {
    value.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn python_icalendar_reads_tricky_values_exactly() {
    if !python_icalendar_available() {
        return;
    }
    let leading_and_trailing = "::starts with colons, ends with spaces \t ";
    let long = "Großes Treffen – 東京 – 😀😀😀 – ".repeat(8);
    let categories = ["Workshop", "Leeds, West Yorkshire", "a;b\\c", TRICKY];
    let events = [
        EventEntry {
            description: TRICKY,
            location: Some(leading_and_trailing),
            url: Some("https://muster.example.org/events/1?a=1;b=2,3#x:y"),
            categories: &categories,
            timezone: Some("Europe/London"),
            sequence: 12,
            ..event("one@muster.example.org", TRICKY)
        },
        EventEntry {
            description: &long,
            location: Some(&long),
            status: EventStatus::Cancelled,
            sequence: 4_294_967_295,
            starts_at: at(2025, 12, 31, 23, 59, 59),
            ends_at: at(2026, 1, 1, 0, 0, 0),
            last_modified: at(2025, 6, 30, 12, 0, 1),
            ..event("two@muster.example.org", leading_and_trailing)
        },
        EventEntry {
            // Escape sequences written out literally must stay literal.
            description: "\\n \\N \\, \\; \\\\ \\: \\",
            ..event("three@muster.example.org", "")
        },
    ];
    assert_python_reads_exactly(&events);
}

/// Python sees every value as written, with none of the `ical` crate's
/// losses: the expectation is the writer's normalisation alone.
fn assert_python_reads_exactly(events: &[EventEntry<'_>]) {
    let rows = python_read(&render(events));
    assert_eq!(rows.len(), events.len());
    for (row, e) in rows.iter().zip(events) {
        let opt = |v: Option<&str>| v.map(normalise).map_or(serde_json::Value::Null, Into::into);
        let desc = Some(e.description).filter(|d| !d.is_empty());
        let cats: Vec<String> = e
            .categories
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| normalise(c))
            .collect();
        let expected = serde_json::json!({
            "uid": normalise(e.uid),
            "summary": normalise(e.summary),
            "description": opt(desc),
            "location": opt(e.location),
            "url": e.url,
            "status": if e.status == EventStatus::Confirmed { "CONFIRMED" } else { "CANCELLED" },
            "sequence": expected_sequence(e.sequence),
            "categories": if cats.is_empty() { serde_json::Value::Null } else { cats.into() },
            "dtstart": iso(e.starts_at),
            "dtend": iso(e.ends_at),
            "last_modified": iso(e.last_modified),
        });
        assert_eq!(row, &expected);
    }
}

#[test]
fn python_icalendar_reads_random_values_exactly() {
    if !python_icalendar_available() {
        return;
    }
    // One Python run for many generated values: a process per proptest case
    // would make the suite slow for no extra coverage.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut value = || nasty_string().new_tree(&mut runner).unwrap().current();
    let values: Vec<[String; 4]> = (0..400).map(|_| [value(), value(), value(), value()]).collect();
    let uids: Vec<String> = (0..values.len()).map(|i| format!("{i}@muster.example.org")).collect();
    let categories: Vec<[&str; 2]> = values.iter().map(|v| [v[3].as_str(), "fixed"]).collect();
    let events: Vec<EventEntry<'_>> = values
        .iter()
        .zip(&uids)
        .zip(&categories)
        .map(|((v, uid), cats)| EventEntry {
            description: &v[1],
            location: Some(&v[2]),
            categories: cats,
            ..event(uid, &v[0])
        })
        .collect();
    assert_python_reads_exactly(&events);
}

#[test]
fn validate_py_rejects_what_is_not_a_calendar() {
    if !python_icalendar_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ical/validate.py");
    for bad in [
        "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
        "not a calendar at all\r\n",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2025-01-01\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    ] {
        let path = dir.path().join("bad.ics");
        std::fs::write(&path, bad).unwrap();
        let output = Command::new("python3").arg(script).arg(&path).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "accepted {bad:?}");
        assert!(!output.stderr.is_empty());
    }
}
