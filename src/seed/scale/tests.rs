//! The scaled plan: exact size, the same consistency as the plain demo, a
//! realistic mix, and the same rows on every build.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, ensure};
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use entity::{EventKind, EventStatus, EventVisibility, RequestState, RsvpStatus};
use sea_orm::Iterable;

use super::{MAX_EVENTS, build};
use crate::seed::build::Plan;
use crate::seed::calendar::instant;
use crate::seed::catalogue::GROUPS;
use crate::seed::catalogue::words::{BUSIEST_REGION, COMMON_TOPIC};
use crate::seed::checks::{Shape, check, fingerprint};

/// The shape of a scaled network: a group per 1,000 events beyond the
/// demo's, a calendar of a year either side (and a day for time of day).
fn shape(events: usize) -> Shape {
    Shape {
        groups: GROUPS.len() + events / 1000,
        days_back: 367,
        days_ahead: 367,
    }
}

fn scaled(now: DateTime<Utc>, events: usize) -> anyhow::Result<Plan> {
    build(now, events).map_err(|e| match e {
        crate::error::Error::Internal(cause) => cause,
        e => anyhow::anyhow!("{e}"),
    })
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole.max(1) as f64
}

#[test]
fn two_thousand_events_make_a_consistent_network_of_that_size() -> anyhow::Result<()> {
    let now = instant(2026, 11, 22, 14, 7)?;
    let plan = scaled(now, 2_000)?;
    check(&plan, now, &shape(2_000))?;
    assert_eq!(plan.events.len(), 2_000);
    assert_eq!(plan.groups.len(), 18);
    assert!(
        plan.trainer_profiles.len() >= 200,
        "{} trainers",
        plan.trainer_profiles.len()
    );
    let states: HashSet<_> = plan.requests.iter().map(|r| r.state).collect();
    assert!(RequestState::iter().all(|s| states.contains(&s)));
    for state in RequestState::iter() {
        let count = plan.requests.iter().filter(|r| r.state == state).count();
        assert!(count >= 3, "{count} {state:?} requests");
    }
    Ok(())
}

/// A `suggestTrainers` benchmark needs SUBMITTED requests, with windows
/// ahead, for a topic and region that many trainers cover.
#[test]
fn many_trainers_cover_the_topic_and_region_of_submitted_requests() -> anyhow::Result<()> {
    let now = instant(2027, 3, 9, 8, 30)?;
    let plan = scaled(now, 2_000)?;
    let topic = plan
        .topics
        .iter()
        .find(|t| t.slug == COMMON_TOPIC)
        .context("the common topic")?;
    let covering: HashSet<_> = plan
        .trainer_topics
        .iter()
        .filter(|t| t.topic_id == topic.id)
        .map(|t| t.trainer_id)
        .collect();
    let in_region = plan
        .trainer_regions
        .iter()
        .filter(|r| r.region == BUSIEST_REGION && covering.contains(&r.trainer_id))
        .count();
    assert!(covering.len() >= 150, "{} trainers give the topic", covering.len());
    assert!(in_region >= 40, "{in_region} give it in {BUSIEST_REGION}");

    let submitted: Vec<_> = plan
        .requests
        .iter()
        .filter(|r| {
            r.state == RequestState::Submitted && r.topic_id == topic.id && r.region.as_deref() == Some(BUSIEST_REGION)
        })
        .collect();
    assert!(submitted.len() >= 5, "{} such requests", submitted.len());
    for request in submitted {
        let ahead = plan
            .windows
            .iter()
            .filter(|w| w.request_id == request.id)
            .all(|w| w.starts_at > now);
        assert!(ahead, "{}: windows ahead", request.reference);
    }
    Ok(())
}

#[test]
fn the_calendar_has_the_mix_of_a_real_one() -> anyhow::Result<()> {
    let now = instant(2026, 6, 30, 19, 45)?;
    let plan = scaled(now, 5_000)?;
    check(&plan, now, &shape(5_000))?;
    let events = &plan.events;
    let n = events.len();
    let kinds: HashMap<EventKind, usize> = events.iter().fold(HashMap::new(), |mut counts, e| {
        *counts.entry(e.kind).or_default() += 1;
        counts
    });
    let kind = |k| share(kinds.get(&k).copied().unwrap_or(0), n);
    let main = kind(EventKind::Workshop) + kind(EventKind::Talk) + kind(EventKind::Training) + kind(EventKind::Meeting);
    assert!(
        (0.70..0.85).contains(&main),
        "workshops, talks, trainings, meetings: {main:.2}"
    );
    for k in [EventKind::Action, EventKind::Other] {
        assert!((0.05..0.18).contains(&kind(k)), "{k:?}: {:.2}", kind(k));
    }

    let public = share(
        events
            .iter()
            .filter(|e| e.visibility == EventVisibility::Public)
            .count(),
        n,
    );
    assert!((0.65..0.90).contains(&public), "public: {public:.2}");
    let cancelled: Vec<_> = events.iter().filter(|e| e.status == EventStatus::Cancelled).collect();
    assert!(
        (0.03..0.08).contains(&share(cancelled.len(), n)),
        "{} cancelled",
        cancelled.len()
    );
    assert!(cancelled.iter().all(|e| e.sequence >= 1 && e.cancelled_at.is_some()));
    assert!(
        events
            .iter()
            .any(|e| e.sequence >= 1 && e.status == EventStatus::Scheduled)
    );

    // A year back and a year ahead, every month of it.
    let past = share(events.iter().filter(|e| e.starts_at < now).count(), n);
    assert!((0.4..0.6).contains(&past), "in the past: {past:.2}");
    let months: HashSet<_> = events
        .iter()
        .map(|e| (e.starts_at.year(), e.starts_at.month()))
        .collect();
    assert!(months.len() >= 24, "{} months", months.len());
    assert!(events.iter().any(|e| e.starts_at < now - TimeDelta::days(330)));
    assert!(events.iter().any(|e| e.starts_at > now + TimeDelta::days(330)));

    // What feeds must escape, and the rest of a real calendar.
    let described = |f: &dyn Fn(&str) -> bool| events.iter().filter(|e| f(&e.description)).count();
    assert!(described(&|d| d.contains(',')) > n / 10);
    assert!(described(&|d| d.contains(';')) > n / 20);
    assert!(described(&|d| d.contains('\n')) > n / 20);
    assert!(described(&|d| !d.is_ascii()) > n / 50);
    assert!(
        events
            .iter()
            .any(|e| e.venue.as_deref().is_some_and(|v| v.contains("Café")))
    );
    let generated = |g: &&entity::group::Model| !GROUPS.iter().any(|spec| spec.slug == g.slug);
    assert!(
        plan.groups.iter().filter(generated).any(|g| g.region == "Wales"),
        "a Welsh town"
    );
    let online = share(events.iter().filter(|e| e.online_url.is_some()).count(), n);
    assert!((0.08..0.35).contains(&online), "online: {online:.2}");
    let capped = share(events.iter().filter(|e| e.capacity.is_some()).count(), n);
    assert!((0.15..0.5).contains(&capped), "with a capacity: {capped:.2}");
    let titles: HashSet<_> = events.iter().map(|e| e.title.as_str()).collect();
    assert!(titles.len() > 200, "{} titles", titles.len());

    let per_event = share(plan.rsvps.len(), n);
    assert!((2.0..6.0).contains(&per_event), "{per_event:.1} RSVPs per event");
    assert!(plan.rsvps.iter().filter(|r| r.status == RsvpStatus::Waitlisted).count() > 20);
    Ok(())
}

#[test]
fn two_builds_on_the_same_day_compare_row_for_row() -> anyhow::Result<()> {
    let (morning, night) = (instant(2026, 11, 22, 8, 5)?, instant(2026, 11, 22, 23, 50)?);
    let (first, second) = (scaled(morning, 1_500)?, scaled(night, 1_500)?);
    assert_eq!(fingerprint(&first), fingerprint(&second));
    let ids = |plan: &Plan| {
        let mut ids: Vec<_> = plan.users.iter().map(|u| u.id).collect();
        ids.extend(plan.events.iter().map(|e| e.id));
        ids.extend(plan.rsvps.iter().map(|r| r.id));
        ids.extend(plan.requests.iter().map(|r| r.id));
        ids.extend(plan.transitions.iter().map(|t| t.id));
        ids
    };
    assert_eq!(ids(&first), ids(&second), "ids are seeded too");
    let next_day = scaled(morning + TimeDelta::days(1), 1_500)?;
    assert_ne!(fingerprint(&first), fingerprint(&next_day), "times follow the day");
    Ok(())
}

#[test]
fn small_networks_are_consistent_whatever_the_date() -> anyhow::Result<()> {
    let start = instant(2026, 1, 1, 12, 0)?;
    for step in 0..8 {
        // Every 47 days and 7 hours: all seasons, weekdays and hours.
        let now = start + TimeDelta::hours(step * (47 * 24 + 7));
        let demo = crate::seed::build::build(now)?.events.len();
        for events in [demo, demo + 1, 600] {
            let plan = scaled(now, events)?;
            ensure!(plan.events.len() == events, "{events} events at {now}");
            check(&plan, now, &shape(events)).with_context(|| format!("{events} events at {now}"))?;
        }
    }
    Ok(())
}

#[test]
fn too_few_or_too_many_events_are_refused() -> anyhow::Result<()> {
    let now = instant(2026, 11, 22, 14, 7)?;
    let demo = crate::seed::build::build(now)?.events.len();
    for events in [0, demo - 1, MAX_EVENTS + 1] {
        let err = build(now, events).err().context("refused")?;
        assert_eq!(err.code(), "BAD_USER_INPUT", "{events}: {err}");
    }
    let err = build(now, 10).err().context("refused")?;
    assert!(err.to_string().contains(&format!("holds {demo} events")), "{err}");
    Ok(())
}

/// The size benchmarks use, held to every check on three days; about ten
/// seconds (`cargo test --lib seed -- --ignored`).
#[test]
#[ignore = "large: run by hand"]
fn a_hundred_thousand_events_make_a_consistent_network() -> anyhow::Result<()> {
    let start = instant(2026, 12, 1, 4, 40)?;
    for days in [0, 100, 200] {
        let now = start + TimeDelta::days(days);
        let plan = scaled(now, 100_000)?;
        ensure!(plan.events.len() == 100_000);
        check(&plan, now, &shape(100_000)).with_context(|| format!("at {now}"))?;
    }
    Ok(())
}
