//! `seed-demo --scale N`: the demo network grown to exactly N events, for
//! benchmarks.
//!
//! The plain demo ([`build`](super::build)) is built first and kept whole;
//! generated rows are added around it: more groups (one per 1,000 events,
//! in invented towns), more members and supporters, trainers (at least 200
//! once N reaches 2,000), outside organisations, requests in every state
//! with their histories, assignments and events, and then ordinary events
//! until the calendar holds N. Events spread over a year back and a year
//! ahead of `now`, with the mix of kinds, visibilities and cancellations of
//! a real calendar and a few RSVPs each.
//!
//! How and why:
//! - **Deterministic.** Choices come from a seeded stream of its own and
//!   every time is relative to the start of `now`'s day; row ids come from
//!   seeded streams too, so two networks of the same size built on the same
//!   day compare row for row, ids included.
//! - **Consistent.** The scaled plan passes the same checks as the plain
//!   demo (`checks`): no trainer double-booked, away or over their monthly
//!   cap; histories that the workflow allows; RSVPs within capacity.
//! - **Useful to benchmarks.** Nearly every trainer covers
//!   [`COMMON_TOPIC`], many work in [`BUSIEST_REGION`], and a good share of
//!   the SUBMITTED requests ask for that topic there, with windows ahead:
//!   `suggestTrainers` on one of them weighs hundreds of candidates.
//!
//! Layout: this file holds the sizes and the shared state; `people` the
//! groups, members, supporters, trainers and organisations; `requests` the
//! requests and the events they lead to; `events` the rest of the calendar
//! and every event's RSVPs.

mod events;
mod people;
mod requests;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use entity::{MembershipStatus, UserRole, user};
use uuid::Uuid;

use super::build::{Plan, build_with_ids};
use super::calendar::Calendar;
use super::catalogue::words::TOPIC_WEIGHTS;
use super::catalogue::{FIRST_NAMES, GROUPS, SURNAMES, TOPICS, TopicSpec};
use super::random::{Ids, REFERENCE_STREAM, SEED, SplitMix64};
use crate::error::Error;
use crate::fixtures::UserBuilder;

/// The most events a scaled network may hold: its rows are planned in
/// memory before they are written (about 1.5 GB at this size).
pub(super) const MAX_EVENTS: usize = 1_000_000;

/// Streams of their own ("SCALE", and row ids for the demo's part and the
/// generated part), so that the plain demo's choices stay as they are.
const SCALE_STREAM: u64 = 0x0053_4341_4c45;
const DEMO_ID_STREAM: u64 = 1;
const SCALE_ID_STREAM: u64 = 2;

/// The demo network grown to exactly `events` events, as of the start of
/// `now`'s day (UTC): every run that day plans the same rows, and all of
/// them lie in the past of any of its instants.
pub(super) fn build(now: DateTime<Utc>, events: usize) -> Result<Plan, Error> {
    let now = now.date_naive().and_time(NaiveTime::MIN).and_utc();
    if events > MAX_EVENTS {
        return Err(Error::validation(
            "scale",
            format!("at most {MAX_EVENTS} events, not {events}"),
        ));
    }
    let plan = build_with_ids(now, Ids::seeded(DEMO_ID_STREAM)).map_err(Error::Internal)?;
    let demo = plan.events.len();
    if events < demo {
        return Err(Error::validation(
            "scale",
            format!("the demo network alone holds {demo} events; ask for at least that many, not {events}"),
        ));
    }
    let mut scaler = Scaler::new(plan, now, events);
    scaler.grow().map_err(Error::Internal)?;
    Ok(scaler.plan)
}

/// How much of everything a network of `events` events holds.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    events: usize,
    extra_groups: usize,
    /// Organisers and active members a group grows to.
    members_per_group: usize,
    extra_supporters: usize,
    extra_coordinators: usize,
    /// Trainers in all, the demo's included.
    trainers: usize,
    organisations: usize,
    /// Requests that reached an event (confirmed, delivered or cancelled).
    booked_requests: usize,
    /// Requests that did not (submitted, assigned, declined, withdrawn).
    open_requests: usize,
}

impl Sizes {
    fn new(events: usize, demo_events: usize) -> Self {
        let extra_groups = events / 1000;
        let groups = GROUPS.len() + extra_groups;
        let extra = events.saturating_sub(demo_events);
        let booked_requests = extra * 8 / 100;
        Self {
            events,
            extra_groups,
            members_per_group: (6 + events / groups / 20).min(150),
            extra_supporters: events / 25,
            extra_coordinators: events / 25_000,
            // N/10 up to 200 trainers, 200 from N = 2,000, N/40 beyond 8,000.
            trainers: (events / 10).min((events / 40).max(200)).max(10),
            organisations: (events / 200).max(4),
            booked_requests,
            open_requests: booked_requests / 2 + 8,
        }
    }
}

/// A group, the demo's or a generated one, as events and requests need it.
struct Site {
    id: Uuid,
    slug: String,
    name: String,
    region: &'static str,
    town: String,
    postcode_area: String,
    venue: String,
    address: String,
    welsh: bool,
    created_at: DateTime<Utc>,
    organisers: Vec<Uuid>,
    /// Organisers and active members.
    active: Vec<Uuid>,
}

#[derive(Clone, Copy)]
struct Topic {
    id: Uuid,
    spec: &'static TopicSpec,
    weight: usize,
}

/// An outside organisation that asks for speakers and workshops.
struct Organisation {
    name: String,
    /// The group whose town it is in.
    site: usize,
    contact: Uuid,
    contact_name: String,
    contact_email: String,
}

/// A span of time a trainer is booked or away.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// A generated trainer and their calendar so far.
struct Trainer {
    id: Uuid,
    cap: usize,
    away: Vec<Span>,
    busy: Vec<Span>,
    /// Bookings per (year, month) of their start.
    months: HashMap<(i32, u32), usize>,
}

impl Trainer {
    fn free(&self, (starts_at, ends_at): Span) -> bool {
        let clear = |&(s, e): &Span| ends_at <= s || e <= starts_at;
        let month = month_of(starts_at);
        self.months.get(&month).copied().unwrap_or(0) < self.cap
            && self.away.iter().all(clear)
            && self.busy.iter().all(clear)
    }

    fn book(&mut self, span: Span) {
        self.busy.push(span);
        *self.months.entry(month_of(span.0)).or_default() += 1;
    }
}

fn month_of(at: DateTime<Utc>) -> (i32, u32) {
    use chrono::Datelike;
    (at.year(), at.month())
}

struct Scaler {
    cal: Calendar,
    rng: SplitMix64,
    ids: Ids,
    names: Names,
    plan: Plan,
    sizes: Sizes,
    coordinators: Vec<Uuid>,
    /// People in no group who follow the calendar.
    supporters: Vec<Uuid>,
    sites: Vec<Site>,
    topics: Vec<Topic>,
    trainers: Vec<Trainer>,
    /// Generated trainers by topic, and by topic and region.
    by_topic: Vec<Vec<usize>>,
    by_topic_region: HashMap<(usize, &'static str), Vec<usize>>,
    organisations: Vec<Organisation>,
    /// Everyone who might RSVP to a public event.
    crowd: Vec<Uuid>,
    /// Numbers meeting links, so each is its own.
    links: usize,
    references: SplitMix64,
    used_references: HashSet<String>,
}

impl Scaler {
    /// Reads back from the demo plan what growing it needs.
    fn new(plan: Plan, now: DateTime<Utc>, events: usize) -> Self {
        let mut rng = SplitMix64::new(SEED ^ SCALE_STREAM);
        let names = Names::new(&mut rng);
        let mut sites: Vec<Site> = Vec::new();
        for group in &plan.groups {
            let Some(spec) = GROUPS.iter().find(|spec| spec.slug == group.slug) else {
                continue;
            };
            let members = plan
                .memberships
                .iter()
                .filter(|m| m.group_id == group.id && m.status == MembershipStatus::Active);
            let (organisers, active): (Vec<_>, Vec<_>) =
                members.partition(|m| m.role == entity::MembershipRole::Organiser);
            let organisers: Vec<Uuid> = organisers.iter().map(|m| m.user_id).collect();
            sites.push(Site {
                id: group.id,
                slug: group.slug.clone(),
                name: group.name.clone(),
                region: spec.region,
                town: spec.town.into(),
                postcode_area: spec.postcode_area.into(),
                venue: spec.venue.into(),
                address: spec.address.into(),
                welsh: spec.region == "Wales",
                created_at: group.created_at,
                active: organisers
                    .iter()
                    .copied()
                    .chain(active.iter().map(|m| m.user_id))
                    .collect(),
                organisers,
            });
        }
        let in_group: HashSet<Uuid> = plan.memberships.iter().map(|m| m.user_id).collect();
        let trainers: HashSet<Uuid> = plan.trainer_profiles.iter().map(|p| p.id).collect();
        let with_role = |role| plan.users.iter().filter(move |u: &&user::Model| u.role == role);
        let coordinators = with_role(UserRole::Coordinator).map(|u| u.id).collect();
        let supporters = with_role(UserRole::Supporter)
            .filter(|u| !in_group.contains(&u.id) && !trainers.contains(&u.id))
            .map(|u| u.id)
            .collect();
        let topics: Vec<Topic> = plan
            .topics
            .iter()
            .filter_map(|t| {
                let spec = TOPICS.iter().find(|spec| spec.slug == t.slug)?;
                let weight = TOPIC_WEIGHTS
                    .iter()
                    .find(|(slug, _)| *slug == t.slug)
                    .map_or(1, |w| w.1);
                Some(Topic { id: t.id, spec, weight })
            })
            .collect();
        let used_references = plan.requests.iter().map(|r| r.reference.clone()).collect();
        Self {
            cal: Calendar::new(now),
            rng,
            ids: Ids::seeded(SCALE_ID_STREAM),
            names,
            sizes: Sizes::new(events, plan.events.len()),
            plan,
            coordinators,
            supporters,
            sites,
            by_topic: vec![Vec::new(); topics.len()],
            topics,
            trainers: Vec::new(),
            by_topic_region: HashMap::new(),
            organisations: Vec::new(),
            crowd: Vec::new(),
            links: 0,
            references: SplitMix64::new(SEED ^ REFERENCE_STREAM ^ SCALE_STREAM),
            used_references,
        }
    }

    fn grow(&mut self) -> anyhow::Result<()> {
        self.add_staff()?;
        self.add_groups()?;
        self.add_members()?;
        self.add_trainers()?;
        self.add_organisations()?;
        self.crowd = self.supporters.clone();
        for site in &self.sites {
            self.crowd.extend(&site.active);
        }
        self.add_booked_requests()?;
        self.add_open_requests()?;
        let missing = self.sizes.events.saturating_sub(self.plan.events.len());
        self.add_events(missing);
        anyhow::ensure!(
            self.plan.events.len() == self.sizes.events,
            "planned {} events instead of {}",
            self.plan.events.len(),
            self.sizes.events
        );
        Ok(())
    }

    /// A new account with an invented name; no password, so it cannot sign in.
    fn person(&mut self, role: UserRole, created_at: DateTime<Utc>) -> anyhow::Result<(Uuid, String, String)> {
        let (name, email) = self.names.draw()?;
        let id = self.ids.next();
        let user = UserBuilder::new(created_at).id(id).name(&name).email(&email).role(role);
        self.plan.users.push(user.build());
        Ok((id, name, email))
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.rng.below(100) < percent
    }

    /// One of a fixed list's words ("" for an empty list).
    fn word(&mut self, words: &[&'static str]) -> &'static str {
        words.get(self.rng.below(words.len())).copied().unwrap_or_default()
    }

    /// One of the items, if there are any.
    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        items.get(self.rng.below(items.len())).copied()
    }

    /// A topic's index, drawn by how often it is asked for.
    fn topic(&mut self) -> usize {
        let total: usize = self.topics.iter().map(|t| t.weight).sum();
        let mut draw = self.rng.below(total);
        for (k, topic) in self.topics.iter().enumerate() {
            if draw < topic.weight {
                return k;
            }
            draw -= topic.weight;
        }
        0
    }

    fn topic_index(&self, slug: &str) -> Option<usize> {
        self.topics.iter().position(|t| t.spec.slug == slug)
    }

    /// A random instant in the `hours` before `at`.
    fn before(&mut self, at: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
        at - TimeDelta::minutes(self.rng.between(60, 60 * hours.max(1)))
    }
}

/// Invented names of three parts (first name, middle initial, surname), so
/// that they never meet the demo's two-part names; a second initial once
/// the first 41,600 are used.
struct Names {
    order: Vec<u32>,
    next: usize,
}

const INITIALS: &[u8; 26] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";

impl Names {
    fn new(rng: &mut SplitMix64) -> Self {
        let total = FIRST_NAMES.len() * INITIALS.len() * SURNAMES.len();
        let mut order: Vec<u32> = (0..total as u32).collect();
        rng.shuffle(&mut order);
        Self { order, next: 0 }
    }

    /// The next display name and its example.org address.
    fn draw(&mut self) -> anyhow::Result<(String, String)> {
        let (k, total) = (self.next, self.order.len());
        self.next += 1;
        let index = self.order.get(k % total.max(1)).copied().unwrap_or(0) as usize;
        let first = FIRST_NAMES[index % FIRST_NAMES.len()];
        let rest = index / FIRST_NAMES.len();
        let mut initials = vec![char::from(INITIALS[rest % INITIALS.len()])];
        let surname = SURNAMES[rest / INITIALS.len() % SURNAMES.len()];
        match k / total.max(1) {
            0 => {}
            round if round <= INITIALS.len() => initials.push(char::from(INITIALS[round - 1])),
            _ => anyhow::bail!("more people than invented names"),
        }
        let middle: Vec<String> = initials.iter().map(|c| format!("{c}.")).collect();
        let name = format!("{first} {} {surname}", middle.join(" "));
        let dotted: String = initials.iter().map(|c| format!("{c}.")).collect();
        let email = format!("{first}.{dotted}{surname}@example.org").to_lowercase();
        Ok((name, email))
    }
}

/// `template` with each `{key}` replaced by its value.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_owned();
    for (key, value) in values {
        text = text.replace(&format!("{{{key}}}"), value);
    }
    text
}

/// A URL-safe slug: lowercase ASCII, Welsh letters without their accents,
/// words joined by hyphens.
fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        let c = match c {
            'â' | 'á' | 'à' => 'a',
            'ê' | 'é' | 'è' => 'e',
            'î' | 'í' => 'i',
            'ô' | 'ó' => 'o',
            'û' | 'ú' => 'u',
            'ŵ' => 'w',
            'ŷ' => 'y',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests;
