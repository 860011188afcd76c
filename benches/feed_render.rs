//! How long rendering a calendar feed takes, against a baseline measured in
//! the same run: the same fields written with `write!` and no escaping or
//! folding (what correctness costs on top of plain string building).
//!
//! `cargo bench --bench feed_render` prints, per size, the median of
//! several runs for each, their ratio, and the time per event (flat when
//! rendering grows linearly). Run without `--bench` (as `cargo test` does)
//! it renders each size once as a smoke check and times nothing.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::{fmt::Write, hint::black_box, time::Instant};

use chrono::{Duration, TimeZone, Utc};
use entity::EventKind;
use muster::{
    domain::feeds::FeedEvents,
    fixtures::{EventBuilder, GroupBuilder},
    http::feeds::render,
    urls::PublicUrls,
};

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
        println!("feed_render: smoke run passed (cargo bench --bench feed_render measures)");
        return;
    }
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
