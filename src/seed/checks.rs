//! The consistency checks every plan is held to, whatever its size: the
//! plain demo's tests and the scaled network's run the same ones. Rows are
//! grouped by their parent first, so that a network of thousands of events
//! is checked in moments.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, ensure};
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use entity::{
    AssignmentStatus, EventKind, EventStatus, EventVisibility, MembershipRole, MembershipStatus, RequestKind,
    RequestState, RsvpStatus, UserRole, assignment,
};
use sea_orm::Iterable;
use uuid::Uuid;

use super::build::Plan;
use crate::domain::workflow::{Actor, Step, acting_as, next_state};

/// How large a plan is and how far its calendar reaches.
pub(super) struct Shape {
    pub(super) groups: usize,
    /// Events start within this many days before and after `now`.
    pub(super) days_back: i64,
    pub(super) days_ahead: i64,
}

impl Shape {
    pub(super) const DEMO: Self = Self {
        groups: 16,
        days_back: 100,
        days_ahead: 125,
    };
}

/// Everything about a plan except its ids.
pub(super) fn fingerprint(plan: &Plan) -> Vec<String> {
    let mut lines = Vec::new();
    lines.extend(
        plan.users
            .iter()
            .map(|u| format!("{:?} {:?} {}", u.email, u.role, u.created_at)),
    );
    lines.extend(
        plan.groups
            .iter()
            .map(|g| format!("{} {} {}", g.slug, g.region, g.created_at)),
    );
    lines.extend(
        plan.memberships
            .iter()
            .map(|m| format!("{:?} {:?} {}", m.role, m.status, m.created_at)),
    );
    lines.extend(
        plan.unavailability
            .iter()
            .map(|u| format!("{} {}", u.starts_at, u.ends_at)),
    );
    lines.extend(plan.events.iter().map(|e| {
        format!(
            "{} {} {:?} {:?} {} {:?}",
            e.title, e.starts_at, e.status, e.venue, e.sequence, e.online_url
        )
    }));
    lines.extend(plan.rsvps.iter().map(|r| format!("{:?} {}", r.status, r.created_at)));
    lines.extend(
        plan.requests
            .iter()
            .map(|r| format!("{} {:?} {} {:?}", r.reference, r.state, r.version, r.contact_name)),
    );
    lines.extend(
        plan.transitions
            .iter()
            .map(|t| format!("{:?} {:?} {}", t.from_state, t.to_state, t.created_at)),
    );
    lines.extend(
        plan.assignments
            .iter()
            .map(|a| format!("{:?} {} {}", a.status, a.starts_at, a.ends_at)),
    );
    lines
}

/// Children grouped by their parent's id, in plan order.
fn by<T>(rows: &[T], parent: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<&T>> {
    let mut grouped: HashMap<Uuid, Vec<&T>> = HashMap::new();
    for row in rows {
        grouped.entry(parent(row)).or_default().push(row);
    }
    grouped
}

pub(super) fn check(plan: &Plan, now: DateTime<Utc>, shape: &Shape) -> anyhow::Result<()> {
    check_references(plan)?;
    check_people(plan, shape)?;
    check_events(plan, now, shape)?;
    check_requests(plan, now)?;
    check_histories(plan)?;
    check_trainers(plan)
}

/// Every id is unique and every reference points at a row of the plan, as
/// the database's keys will insist.
fn check_references(plan: &Plan) -> anyhow::Result<()> {
    fn ids<'a>(rows: impl Iterator<Item = &'a Uuid>, what: &str) -> anyhow::Result<HashSet<Uuid>> {
        let mut seen = HashSet::new();
        for id in rows {
            ensure!(seen.insert(*id), "{what}: duplicate id {id}");
        }
        Ok(seen)
    }
    let users = ids(plan.users.iter().map(|u| &u.id), "users")?;
    let groups = ids(plan.groups.iter().map(|g| &g.id), "groups")?;
    let topics = ids(plan.topics.iter().map(|t| &t.id), "topics")?;
    let trainers = ids(plan.trainer_profiles.iter().map(|p| &p.id), "trainers")?;
    let requests = ids(plan.requests.iter().map(|r| &r.id), "requests")?;
    let events = ids(plan.events.iter().map(|e| &e.id), "events")?;
    ids(plan.memberships.iter().map(|m| &m.id), "memberships")?;
    ids(plan.unavailability.iter().map(|u| &u.id), "unavailability")?;
    ids(plan.windows.iter().map(|w| &w.id), "windows")?;
    ids(plan.transitions.iter().map(|t| &t.id), "transitions")?;
    ids(plan.assignments.iter().map(|a| &a.id), "assignments")?;
    ids(plan.rsvps.iter().map(|r| &r.id), "rsvps")?;

    let known = |set: &HashSet<Uuid>, id: Option<Uuid>| id.is_none_or(|id| set.contains(&id));
    ensure!(trainers.is_subset(&users), "a trainer profile without its user");
    for m in &plan.memberships {
        ensure!(users.contains(&m.user_id) && groups.contains(&m.group_id), "membership");
    }
    for t in &plan.trainer_topics {
        ensure!(
            trainers.contains(&t.trainer_id) && topics.contains(&t.topic_id),
            "trainer topic"
        );
    }
    ensure!(plan.trainer_regions.iter().all(|r| trainers.contains(&r.trainer_id)));
    ensure!(plan.unavailability.iter().all(|u| trainers.contains(&u.trainer_id)));
    for r in &plan.requests {
        ensure!(topics.contains(&r.topic_id), "{}: topic", r.reference);
        ensure!(
            known(&groups, r.group_id) && known(&users, r.submitted_by),
            "{}",
            r.reference
        );
    }
    ensure!(plan.windows.iter().all(|w| requests.contains(&w.request_id)));
    for t in &plan.transitions {
        ensure!(
            requests.contains(&t.request_id) && known(&users, t.actor_id),
            "transition"
        );
    }
    for a in &plan.assignments {
        ensure!(
            requests.contains(&a.request_id) && trainers.contains(&a.trainer_id),
            "assignment"
        );
        ensure!(known(&users, a.assigned_by), "assignment");
    }
    for e in &plan.events {
        ensure!(known(&groups, e.group_id) && known(&topics, e.topic_id), "{}", e.title);
        ensure!(
            known(&requests, e.request_id) && known(&users, e.created_by),
            "{}",
            e.title
        );
    }
    for r in &plan.rsvps {
        ensure!(events.contains(&r.event_id) && users.contains(&r.user_id), "rsvp");
    }
    Ok(())
}

fn check_people(plan: &Plan, shape: &Shape) -> anyhow::Result<()> {
    ensure!(plan.groups.len() == shape.groups && plan.topics.len() == 8 && plan.trainer_profiles.len() >= 8);
    let regions: HashSet<_> = plan.groups.iter().map(|g| g.region.as_str()).collect();
    ensure!(regions.contains("Scotland") && regions.contains("Wales") && regions.len() >= 10);
    let slugs: HashSet<_> = plan.groups.iter().map(|g| g.slug.as_str()).collect();
    ensure!(slugs.len() == plan.groups.len(), "slugs are unique");
    ensure!(
        slugs.iter().all(|s| !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')),
        "slugs are lowercase ASCII words joined by hyphens"
    );
    let emails: HashSet<_> = plan.users.iter().filter_map(|u| u.email.as_deref()).collect();
    ensure!(emails.len() == plan.users.len(), "emails are unique");
    ensure!(
        emails
            .iter()
            .all(|e| e.ends_with("@example.org") && *e == e.to_lowercase())
    );
    ensure!(
        plan.users
            .iter()
            .all(|u| u.password_hash.is_none() && u.display_name.is_some())
    );
    let names: HashSet<_> = plan.users.iter().filter_map(|u| u.display_name.as_deref()).collect();
    ensure!(names.len() == plan.users.len(), "names are unique");
    let roles = |role| plan.users.iter().filter(|u| u.role == role).count();
    ensure!(roles(UserRole::Admin) == 1 && roles(UserRole::Coordinator) >= 2);
    let organised: HashSet<Uuid> = plan
        .memberships
        .iter()
        .filter(|m| m.role == MembershipRole::Organiser && m.status == MembershipStatus::Active)
        .map(|m| m.group_id)
        .collect();
    for group in &plan.groups {
        let contact = group.contact_email.as_deref().unwrap_or_default();
        ensure!(contact == format!("{}@groups.example.org", group.slug));
        ensure!(organised.contains(&group.id), "{} has an organiser", group.slug);
    }
    ensure!(plan.memberships.iter().any(|m| m.status == MembershipStatus::Pending));
    for m in &plan.memberships {
        ensure!((m.status == MembershipStatus::Active) == m.approved_at.is_some());
    }
    let pairs: HashSet<_> = plan.memberships.iter().map(|m| (m.user_id, m.group_id)).collect();
    ensure!(pairs.len() == plan.memberships.len());
    Ok(())
}

fn check_events(plan: &Plan, now: DateTime<Utc>, shape: &Shape) -> anyhow::Result<()> {
    let kinds: HashSet<_> = plan.events.iter().map(|e| e.kind).collect();
    ensure!(
        EventKind::iter().all(|k| kinds.contains(&k)),
        "every event kind is used"
    );
    ensure!(plan.events.iter().any(|e| e.visibility == EventVisibility::Public));
    ensure!(plan.events.iter().any(|e| e.starts_at < now) && plan.events.iter().any(|e| e.starts_at > now));
    ensure!(
        plan.events
            .iter()
            .filter(|e| e.status == EventStatus::Cancelled)
            .count()
            >= 3
    );
    let mut members: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for m in plan.memberships.iter().filter(|m| m.status == MembershipStatus::Active) {
        members.entry(m.group_id).or_default().insert(m.user_id);
    }
    let rsvps = by(&plan.rsvps, |r| r.event_id);
    let (earliest, latest) = (
        now - TimeDelta::days(shape.days_back),
        now + TimeDelta::days(shape.days_ahead),
    );
    let mut seen = HashSet::new();
    for e in &plan.events {
        ensure!(e.starts_at < e.ends_at && e.timezone == "Europe/London", "{}", e.title);
        ensure!(
            e.starts_at > earliest && e.starts_at < latest,
            "{}: {}",
            e.title,
            e.starts_at
        );
        ensure!(e.created_at <= e.updated_at && e.updated_at <= now && e.created_at < e.starts_at);
        ensure!(
            (e.status == EventStatus::Cancelled) == e.cancelled_at.is_some(),
            "{}",
            e.title
        );
        ensure!(e.cancelled_at.is_none() || e.sequence >= 1, "{}", e.title);
        ensure!(e.venue.is_some() || e.online_url.is_some(), "{}", e.title);
        ensure!(
            e.online_url
                .as_deref()
                .is_none_or(|u| u.starts_with("https://meet.example.org/"))
        );
        ensure!(
            e.visibility == EventVisibility::Public || e.group_id.is_some(),
            "{}",
            e.title
        );
        let rsvps = rsvps.get(&e.id).map(Vec::as_slice).unwrap_or_default();
        let going = rsvps.iter().filter(|r| r.status == RsvpStatus::Going).count();
        let capacity = e.capacity.map_or(usize::MAX, |c| c as usize);
        ensure!(going <= capacity, "{}: {going} going", e.title);
        ensure!(
            going == rsvps.len() || going == capacity,
            "{}: waitlist with free places",
            e.title
        );
        for r in rsvps {
            ensure!(seen.insert((r.event_id, r.user_id)), "one RSVP per person and event");
            ensure!(r.created_at >= e.created_at && r.created_at <= now);
            if e.visibility == EventVisibility::Members {
                let group = e.group_id.and_then(|g| members.get(&g)).context("group")?;
                ensure!(group.contains(&r.user_id), "{}: RSVP from a non-member", e.title);
            }
        }
    }
    ensure!(plan.rsvps.iter().any(|r| r.status == RsvpStatus::Waitlisted));
    Ok(())
}

fn check_requests(plan: &Plan, now: DateTime<Utc>) -> anyhow::Result<()> {
    use RequestState::{Assigned, Cancelled, Confirmed, Declined, Delivered, Submitted, Withdrawn};

    let states: HashSet<_> = plan.requests.iter().map(|r| r.state).collect();
    ensure!(
        RequestState::iter().all(|s| states.contains(&s)),
        "every request state is used"
    );
    ensure!(plan.requests.iter().any(|r| r.group_id.is_some()));
    ensure!(plan.requests.iter().any(|r| r.organisation_name.is_some()));
    let references: HashSet<_> = plan.requests.iter().map(|r| r.reference.as_str()).collect();
    ensure!(references.len() == plan.requests.len());
    let covers: HashSet<_> = plan.trainer_topics.iter().map(|t| (t.trainer_id, t.topic_id)).collect();
    let organisers: HashSet<_> = plan
        .memberships
        .iter()
        .filter(|m| m.role == MembershipRole::Organiser)
        .map(|m| (m.group_id, m.user_id))
        .collect();
    let windows = by(&plan.windows, |w| w.request_id);
    let transitions = by(&plan.transitions, |t| t.request_id);
    let assignments = by(&plan.assignments, |a| a.request_id);
    let events = by(&plan.events, |e| e.request_id.unwrap_or_default());
    for r in &plan.requests {
        let what = &r.reference;
        match (r.group_id, &r.organisation_name) {
            (Some(group), None) => ensure!(
                r.submitted_by.is_some_and(|by| organisers.contains(&(group, by))),
                "{what}: submitted by an organiser"
            ),
            (None, Some(_)) => {
                ensure!(r.contact_name.is_some(), "{what}: contact name");
                ensure!(
                    r.contact_email.as_deref().is_some_and(|e| e.ends_with("@example.org")),
                    "{what}: contact email"
                );
            }
            _ => anyhow::bail!("{what}: a group or an organisation, not both"),
        }
        let windows = windows.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        ensure!((1..=3).contains(&windows.len()), "{what}: {} windows", windows.len());
        ensure!(
            windows
                .iter()
                .all(|w| w.starts_at < w.ends_at && w.starts_at > r.created_at),
            "{what}: windows after submission"
        );

        let history = transitions.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        ensure!(r.version as usize == history.len(), "{what}: version");
        let mut previous = None;
        let mut last_at = r.created_at - TimeDelta::seconds(1);
        for t in history {
            ensure!(t.from_state == previous, "{what}: from {:?}", t.from_state);
            ensure!(
                t.created_at > last_at && t.created_at <= now,
                "{what}: at {}",
                t.created_at
            );
            ensure!(t.actor_id.is_some(), "{what}: actor");
            previous = Some(t.to_state);
            last_at = t.created_at;
        }
        ensure!(
            history
                .first()
                .is_some_and(|t| t.to_state == Submitted && t.created_at == r.created_at)
        );
        ensure!(previous == Some(r.state) && r.updated_at == last_at, "{what}: history");
        let ended = matches!(r.state, Delivered | Declined | Withdrawn | Cancelled);
        ensure!(r.ended_at == ended.then_some(last_at), "{what}: ended_at");
        ensure!(
            (r.state == Declined) == r.decline_reason.is_some(),
            "{what}: decline reason"
        );

        let assignments = assignments.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let events = events.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let expected = match r.state {
            Assigned => Some(AssignmentStatus::Proposed),
            Confirmed | Delivered | Cancelled => Some(AssignmentStatus::Accepted),
            Submitted | Declined | Withdrawn => None,
        };
        if let Some(status) = expected {
            ensure!(
                assignments.len() == 1 && assignments[0].status == status,
                "{what}: assignment"
            );
        } else {
            ensure!(
                assignments.iter().all(|a| a.status == AssignmentStatus::Declined),
                "{what}: only declined assignments"
            );
        }
        for a in assignments {
            ensure!(
                covers.contains(&(a.trainer_id, r.topic_id)),
                "{what}: trainer covers the topic"
            );
            ensure!(
                windows
                    .iter()
                    .any(|w| w.starts_at <= a.starts_at && a.ends_at <= w.ends_at),
                "{what}: assignment in a window"
            );
            ensure!(
                a.created_at > r.created_at && a.responded_at.is_none_or(|t| t > a.created_at),
                "{what}: assignment times"
            );
        }
        if expected == Some(AssignmentStatus::Accepted) {
            let (a, e) = (assignments[0], events.first().context("accepted without an event")?);
            ensure!(
                events.len() == 1 && e.starts_at == a.starts_at && e.ends_at == a.ends_at,
                "{what}: event at the assignment's time"
            );
            let kind = if r.kind == RequestKind::Speaker {
                EventKind::Talk
            } else {
                EventKind::Workshop
            };
            ensure!(
                e.kind == kind && e.topic_id == Some(r.topic_id) && e.group_id == r.group_id,
                "{what}: event kind, topic and group"
            );
            ensure!(
                (r.state == Cancelled) == (e.status == EventStatus::Cancelled),
                "{what}: event status"
            );
            match r.state {
                Confirmed => ensure!(e.starts_at > now, "{what}: confirmed in the future"),
                Delivered => ensure!(e.ends_at < last_at, "{what}: delivered after the event"),
                _ => ensure!(
                    e.sequence >= 1 && e.cancelled_at == r.ended_at,
                    "{what}: event cancelled with the request"
                ),
            }
        } else {
            ensure!(events.is_empty(), "{what}: no event before acceptance");
        }
    }
    Ok(())
}

/// Every request's history replayed through the workflow: each step after
/// the submission must be one that [`next_state`] allows from the state
/// before it, to the state after it, for someone in the actor's relation
/// to the request at that moment (staff, its requester, or the trainer of
/// an assignment still open then).
fn check_histories(plan: &Plan) -> anyhow::Result<()> {
    let staff: HashSet<Uuid> = plan
        .users
        .iter()
        .filter(|u| matches!(u.role, UserRole::Coordinator | UserRole::Admin))
        .map(|u| u.id)
        .collect();
    let organisers: HashSet<(Uuid, Uuid)> = plan
        .memberships
        .iter()
        .filter(|m| m.role == MembershipRole::Organiser && m.status == MembershipStatus::Active)
        .map(|m| (m.group_id, m.user_id))
        .collect();
    let transitions = by(&plan.transitions, |t| t.request_id);
    let assignments = by(&plan.assignments, |a| a.request_id);
    for r in &plan.requests {
        let what = &r.reference;
        let history = transitions.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let assignments = assignments.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let (first, steps) = history.split_first().context("an empty history")?;
        ensure!(
            first.from_state.is_none() && first.to_state == RequestState::Submitted && first.actor_id == r.submitted_by,
            "{what}: submitted by its submitter"
        );
        for t in steps {
            let from = t.from_state.with_context(|| format!("{what}: a step from nowhere"))?;
            let actor = t.actor_id.with_context(|| format!("{what}: a step by nobody"))?;
            let mut relations = Vec::new();
            if staff.contains(&actor) {
                relations.push(Actor::Coordinator);
            }
            let requester =
                r.submitted_by == Some(actor) || r.group_id.is_some_and(|group| organisers.contains(&(group, actor)));
            if requester {
                relations.push(Actor::Requester);
            }
            let assigned = assignments.iter().any(|a| {
                a.trainer_id == actor
                    && a.created_at < t.created_at
                    && (a.status != AssignmentStatus::Declined || a.responded_at.is_some_and(|at| at >= t.created_at))
            });
            if assigned {
                relations.push(Actor::AssignedTrainer);
            }
            let allowed = Step::ALL
                .iter()
                .any(|&step| next_state(from, step, acting_as(step, &relations)).ok() == Some(t.to_state));
            ensure!(
                allowed,
                "{what}: the workflow allows no step from {} to {} by {relations:?}",
                from.as_str(),
                t.to_state.as_str()
            );
        }
    }
    Ok(())
}

fn check_trainers(plan: &Plan) -> anyhow::Result<()> {
    let covered: HashSet<Uuid> = plan.trainer_topics.iter().map(|c| c.topic_id).collect();
    for t in &plan.topics {
        ensure!(covered.contains(&t.id), "{} has a trainer", t.slug);
    }
    let with_region: HashSet<Uuid> = plan.trainer_regions.iter().map(|r| r.trainer_id).collect();
    let assignments = by(&plan.assignments, |a| a.trainer_id);
    let away = by(&plan.unavailability, |u| u.trainer_id);
    for p in &plan.trainer_profiles {
        ensure!((2..=6).contains(&p.monthly_cap));
        ensure!(with_region.contains(&p.id));
        let busy: Vec<_> = assignments
            .get(&p.id)
            .into_iter()
            .flatten()
            .filter(|a| a.status != AssignmentStatus::Declined)
            .collect();
        let away = away.get(&p.id).map(Vec::as_slice).unwrap_or_default();
        for (i, a) in busy.iter().enumerate() {
            for b in &busy[i + 1..] {
                ensure!(
                    a.ends_at <= b.starts_at || b.ends_at <= a.starts_at,
                    "double-booked trainer"
                );
            }
            for u in away {
                ensure!(
                    a.ends_at <= u.starts_at || u.ends_at <= a.starts_at,
                    "booked while away"
                );
            }
            let month = |x: &assignment::Model| (x.starts_at.year(), x.starts_at.month());
            let in_month = busy.iter().filter(|b| month(b) == month(a)).count();
            ensure!(in_month <= p.monthly_cap as usize, "over the monthly cap");
        }
    }
    ensure!(plan.unavailability.iter().all(|u| u.starts_at < u.ends_at));
    Ok(())
}

#[cfg(test)]
mod tests {
    use entity::RequestState;

    use super::check_histories;
    use crate::seed::{build::build, calendar::instant, scale};

    #[test]
    fn every_seeded_history_is_one_the_workflow_allows() -> anyhow::Result<()> {
        let now = instant(2026, 11, 22, 14, 7)?;
        check_histories(&build(now)?)?;
        check_histories(&scale::build(now, 3_000)?)?;
        Ok(())
    }

    #[test]
    fn a_history_the_workflow_forbids_is_caught() -> anyhow::Result<()> {
        let now = instant(2026, 11, 22, 14, 7)?;
        let mut plan = build(now)?;
        // A delivery straight from the queue, without a trainer.
        let delivered = plan
            .transitions
            .iter_mut()
            .find(|t| t.to_state == RequestState::Delivered)
            .ok_or_else(|| anyhow::anyhow!("no delivered request"))?;
        delivered.from_state = Some(RequestState::Submitted);
        let refused = check_histories(&plan).expect_err("refused");
        assert!(refused.to_string().contains("from SUBMITTED to DELIVERED"), "{refused}");

        // A requester accepting their own request.
        let mut plan = build(now)?;
        let accepted = plan
            .transitions
            .iter()
            .position(|t| t.to_state == RequestState::Confirmed)
            .ok_or_else(|| anyhow::anyhow!("no confirmed request"))?;
        let request = plan.transitions[accepted].request_id;
        let submitter = plan
            .requests
            .iter()
            .find(|r| r.id == request)
            .and_then(|r| r.submitted_by);
        plan.transitions[accepted].actor_id = submitter;
        assert!(check_histories(&plan).is_err(), "the requester cannot accept");
        Ok(())
    }
}
