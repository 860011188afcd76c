//! How long rendering a calendar feed takes, against a baseline measured in
//! the same run: the same fields written with `write!` and no escaping or
//! folding (what correctness costs on top of plain string building).
//!
//! `cargo bench --bench feed_render` prints, per size, the median of
//! several runs for each, their ratio, and the time per event (flat when
//! rendering grows linearly). Run without `--bench` (as `cargo test` does)
//! it renders each size once as a smoke check and times nothing.
//!
//! Recurring events: the expansion of 1,000 series over a year, and the
//! feed of a network with 200 series and 2,000 single events beside the
//! same 2,000 single events alone.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::{fmt::Write, hint::black_box, time::Instant};

use chrono::{Duration, TimeZone, Utc};
use entity::EventKind;
use muster::{
    domain::{
        feeds::{FeedEvents, SeriesInFeed},
        recurrence::{Rule, Timing},
    },
    fixtures::{EventBuilder, GroupBuilder},
    http::feeds::{render, render_with_series},
    urls::PublicUrls,
};

/// `n` series of a year, weekly, fortnightly or monthly, as stored.
fn series(n: usize) -> Vec<(entity::event_series::Model, Timing)> {
    let created = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let rules = [
        "FREQ=WEEKLY;UNTIL=20271231T235959Z",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20271231T235959Z",
        "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231T235959Z",
        "FREQ=MONTHLY;BYDAY=2TU;COUNT=12",
    ];
    (0..n)
        .map(|i| {
            let rule = rules[i % rules.len()];
            // A start the rule makes: the first matching day of 2027 at 19:00.
            let mut day = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
            let start = loop {
                let local = day.and_hms_opt(19, 0, 0).unwrap();
                let timing = Timing {
                    zone: chrono_tz::Europe::London,
                    local_start: local,
                    local_end: local + Duration::hours(2),
                    rule: Rule::parse(rule, chrono_tz::Europe::London).unwrap(),
                };
                if timing.expand().is_ok() {
                    break timing;
                }
                day += Duration::days(1);
            };
            let model = entity::event_series::Model {
                id: uuid::Uuid::new_v4(),
                title: format!("Open meeting {i}"),
                description: "Everyone welcome: news, plans and a cup of tea.".into(),
                timezone: "Europe/London".into(),
                local_starts_at: start.local_start,
                local_ends_at: start.local_end,
                rrule: start.rule.to_rrule(),
                venue: Some("Community Centre, Room 2".into()),
                address: None,
                online_url: None,
                venue_visibility: entity::VenueVisibility::Public,
                town: None,
                postcode_area: None,
                kind: EventKind::Meeting,
                group_id: None,
                topic_id: None,
                visibility: entity::EventVisibility::Public,
                capacity: None,
                sequence: 0,
                import_uid: None,
                created_by: None,
                created_at: created,
                updated_at: created,
            };
            (model, start)
        })
        .collect()
}

/// The series with their occurrences as rows, the third one cancelled.
fn series_in_feed(n: usize) -> Vec<SeriesInFeed> {
    series(n)
        .into_iter()
        .map(|(model, timing)| {
            let occurrences = timing
                .expand()
                .unwrap()
                .into_iter()
                .enumerate()
                .map(|(k, o)| {
                    let mut row = EventBuilder::new(model.created_at)
                        .title(model.title.clone())
                        .description(model.description.clone())
                        .starting(o.starts_at)
                        .venue("Community Centre, Room 2".to_owned())
                        .kind(EventKind::Meeting)
                        .cancelled_at((k == 2).then_some(model.created_at))
                        .build();
                    row.ends_at = o.ends_at;
                    row.series_id = Some(model.id);
                    row.original_starts_at = Some(o.starts_at);
                    row
                })
                .collect();
            SeriesInFeed {
                series: model,
                occurrences,
            }
        })
        .collect()
}

fn events(n: usize) -> FeedEvents {
    let start = Utc.with_ymd_and_hms(2027, 1, 1, 18, 0, 0).unwrap();
    let group = GroupBuilder::new("leeds", start)
        .name("Leeds Patients Not Passports")
        .region("Yorkshire and the Humber")
        .contact_email(None)
        .build();
    (0..n)
        .map(|i| {
            let event = EventBuilder::new(start)
                .title(format!("Know your rights on NHS charging, session {i}"))
                .description(
                    "How charging works, who is exempt, and how to support someone who has been charged or \
                     refused care; bring questions, cases and leaflets.",
                )
                .starting(start + Duration::hours(i as i64 * 7))
                .venue("Community Centre, Room 2".to_owned())
                .address("12 Example Street, Leeds LS1 1AA".to_owned())
                .online_url((i % 3 == 0).then(|| "https://meet.example.org/kyr".into()))
                .kind(EventKind::Workshop)
                .group(group.id)
                .revised((i % 4) as i32, start)
                .cancelled_at((i % 17 == 0).then_some(start));
            (event.build(), Some(group.clone()))
        })
        .collect()
}

/// The baseline: the same properties, unescaped and unfolded.
fn naive(events: &FeedEvents) -> String {
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
    for (e, _) in events {
        let _ = write!(
            out,
            "BEGIN:VEVENT\r\nUID:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{}\r\nDESCRIPTION:{}\r\nLOCATION:{}\r\nEND:VEVENT\r\n",
            e.id,
            e.starts_at.format("%Y%m%dT%H%M%SZ"),
            e.ends_at.format("%Y%m%dT%H%M%SZ"),
            e.title,
            e.description,
            e.venue.as_deref().unwrap_or_default()
        );
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

fn median_micros(runs: usize, mut f: impl FnMut() -> usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            black_box(f());
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test` runs this as a smoke check.
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let urls = PublicUrls::new(&url::Url::parse("https://muster.example.org").unwrap());
    if !measuring {
        for n in [0, 1, 100] {
            let body = render("muster events", &events(n), &urls);
            assert_eq!(body.matches("BEGIN:VEVENT").count(), n);
            assert!(body.ends_with("END:VCALENDAR\r\n"));
        }
        let mixed = series_in_feed(3);
        let body = render_with_series("muster events", &mixed, &events(5), &urls);
        // Three series, a cancelled occurrence each, five single events.
        assert_eq!(body.matches("BEGIN:VEVENT").count(), 3 + 3 + 5, "{body}");
        assert_eq!(body.matches("BEGIN:VTIMEZONE").count(), 1);
        println!("feed_render: smoke run passed (cargo bench --bench feed_render measures)");
        return;
    }
    let stored = series(1_000);
    let expansion = median_micros(11, || stored.iter().map(|(_, t)| t.expand().unwrap().len()).sum());
    let occurrences: usize = stored.iter().map(|(_, t)| t.expand().unwrap().len()).sum();
    println!(
        "expanding 1,000 series over a year ({occurrences} occurrences): {expansion:.0} µs, {:.0} ns/occurrence",
        expansion * 1000.0 / occurrences as f64
    );
    let (mixed, singles) = (series_in_feed(200), events(2_000));
    let with_series = median_micros(11, || {
        render_with_series("muster events", &mixed, &singles, &urls).len()
    });
    let alone = median_micros(11, || render("muster events", &singles, &urls).len());
    println!(
        "feed of 200 series + 2,000 single events: {with_series:.0} µs; the 2,000 single events alone: {alone:.0} µs"
    );
    println!(
        "{:>8} {:>14} {:>14} {:>8} {:>12} {:>12}",
        "events", "render (µs)", "baseline (µs)", "ratio", "ns/event", "bytes"
    );
    for n in [100, 1_000, 10_000, 100_000] {
        let data = events(n);
        let runs = if n >= 100_000 { 5 } else { 21 };
        let mut size = 0;
        let ours = median_micros(runs, || {
            let body = render("muster events", &data, &urls);
            size = body.len();
            body.len()
        });
        let base = median_micros(runs, || naive(&data).len());
        println!(
            "{n:>8} {ours:>14.0} {base:>14.0} {:>8.2} {:>12.0} {size:>12}",
            ours / base,
            ours * 1000.0 / n as f64
        );
    }
}
