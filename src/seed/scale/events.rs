//! The calendar beyond the requests' events, and every generated event's
//! RSVPs.
//!
//! Events start on any day from a year back to a year ahead, at the times
//! groups meet (weekday lunchtimes and evenings, weekend days). The mix is
//! that of a real calendar: mostly meetings, workshops, talks and trainings,
//! some actions and socials; most public, members-only meetings; about one
//! in twenty cancelled, some edited; a few online, some with a capacity,
//! and now and then a popular one with a waiting list.

use chrono::{Datelike, TimeDelta, Weekday};
use entity::{EventKind, EventVisibility, event};
use uuid::Uuid;

use super::{Scaler, fill};
use crate::fixtures::{EventBuilder, RsvpBuilder};
use crate::seed::calendar::uk_time;
use crate::seed::catalogue::words::{
    ACTION_DESCRIPTIONS, ACTION_TITLES, AUDIENCES, EXTRAS, MEETING_DESCRIPTIONS, MEETING_TITLES, NATIONAL_TITLES,
    OTHER_DESCRIPTIONS, OTHER_TITLES, OTHER_VENUES, OUTDOOR_VENUES, STREETS, TALK_TITLES, TRAINING_TITLES, WELSH_EXTRA,
    WELSH_STREETS, WORKSHOP_TITLES,
};

/// How often each kind of event is planned, relative to the others (the
/// requests' workshops and talks come on top).
const KINDS: &[(EventKind, usize)] = &[
    (EventKind::Meeting, 24),
    (EventKind::Workshop, 18),
    (EventKind::Talk, 18),
    (EventKind::Training, 16),
    (EventKind::Action, 14),
    (EventKind::Other, 10),
];

/// Percent of each kind's events that are for members only.
fn members_only_percent(kind: EventKind) -> usize {
    match kind {
        EventKind::Meeting => 75,
        EventKind::Training => 20,
        EventKind::Other => 15,
        EventKind::Workshop => 10,
        EventKind::Talk => 3,
        EventKind::Action => 0,
    }
}

impl Scaler {
    pub(super) fn add_events(&mut self, count: usize) {
        for _ in 0..count {
            self.add_event();
        }
    }

    fn kind(&mut self) -> EventKind {
        let total: usize = KINDS.iter().map(|(_, w)| w).sum();
        let mut draw = self.rng.below(total);
        for &(kind, weight) in KINDS {
            if draw < weight {
                return kind;
            }
            draw -= weight;
        }
        EventKind::Other
    }

    fn add_event(&mut self) {
        let kind = self.kind();
        let national = matches!(kind, EventKind::Talk | EventKind::Training | EventKind::Action) && self.chance(8);
        let site = if national {
            None
        } else {
            Some(self.rng.below(self.sites.len()))
        };
        let topic = matches!(kind, EventKind::Workshop | EventKind::Talk | EventKind::Training).then(|| self.topic());

        let date = self.cal.day(self.rng.between(-365, 365));
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let times: &[(u32, u32)] = match kind {
            _ if weekend => &[(10, 0), (10, 30), (11, 0), (13, 0), (14, 0)],
            EventKind::Workshop | EventKind::Talk => &[(12, 30), (18, 0), (18, 30), (19, 0)],
            _ => &[(18, 0), (18, 30), (19, 0), (19, 30)],
        };
        let (hour, minute) = self.pick(times).unwrap_or((18, 30));
        let topic_minutes = topic
            .and_then(|t| self.topics.get(t))
            .map_or(90, |t| i64::from(t.spec.minutes));
        let minutes = match kind {
            EventKind::Meeting => 90,
            EventKind::Talk => self.pick(&[60, 90]).unwrap_or(90),
            EventKind::Workshop => topic_minutes,
            EventKind::Training => self.pick(&[120, 180, 240]).unwrap_or(180).max(topic_minutes),
            EventKind::Action => self.pick(&[120, 180, 240]).unwrap_or(120),
            EventKind::Other => self.pick(&[120, 150]).unwrap_or(120),
        };
        let starts_at = uk_time(date, hour, minute);

        let visibility = if site.is_some() && self.chance(members_only_percent(kind)) {
            EventVisibility::Members
        } else {
            EventVisibility::Public
        };
        let (venue, address, online_url) = self.place(kind, site);
        let (title, description) = self.wording(kind, site, topic);

        // Listed one to thirteen weeks ahead (events far ahead: recently),
        // sometimes edited, one in twenty cancelled; all before now.
        let lead = TimeDelta::days(self.rng.between(7, 90)) + TimeDelta::minutes(self.rng.between(0, 600));
        let latest = self.before(self.cal.now, 24 * 30);
        let created_at = (starts_at - lead).min(latest);
        let limit = starts_at.min(self.cal.now);
        let (mut revisions, mut revised_at) = (0, created_at);
        if self.chance(15) {
            revisions = self.rng.between(1, 2) as i32;
            revised_at = (created_at + TimeDelta::hours(self.rng.between(2, 240))).clamp(created_at, limit);
        }
        let cancelled_at = self.chance(5).then(|| {
            let span = (limit - revised_at).num_minutes().max(0);
            revised_at + TimeDelta::minutes(span * self.rng.between(10, 90) / 100)
        });

        let popular = visibility == EventVisibility::Public && self.chance(4);
        let capacity = match kind {
            EventKind::Meeting => None,
            _ if popular => self.chance(70).then(|| self.rng.between(10, 20) as i32),
            _ if online_url.is_some() => self.chance(30).then_some(100),
            _ => self
                .chance(35)
                .then(|| self.pick(&[12, 15, 20, 25, 30, 40, 50, 60]).unwrap_or(20)),
        };
        let created_by = match site.and_then(|s| self.sites.get(s)) {
            Some(site) => site.organisers.first().copied(),
            None => {
                let coordinators = std::mem::take(&mut self.coordinators);
                let chosen = self.pick(&coordinators);
                self.coordinators = coordinators;
                chosen
            }
        };
        let mut event = EventBuilder::new(created_at)
            .id(self.ids.next())
            .title(title)
            .description(description)
            .starting(starts_at)
            .lasting(TimeDelta::minutes(minutes))
            .place((venue, address, online_url))
            .kind(kind)
            .group(site.and_then(|s| self.sites.get(s)).map(|s| s.id))
            .topic(topic.and_then(|t| self.topics.get(t)).map(|t| t.id))
            .visibility(visibility)
            .capacity(capacity)
            .created_by(created_by)
            .cancelled_at(cancelled_at);
        if revisions > 0 {
            event = event.revised(revisions, revised_at);
        }
        let event = event.build();
        let rsvps = self.rsvp_count(popular);
        self.push_event(event, site, rsvps);
    }

    /// Venue and address, or a meeting link.
    fn place(&mut self, kind: EventKind, site: Option<usize>) -> (Option<String>, Option<String>, Option<String>) {
        let Some(site) = site.and_then(|s| self.sites.get(s)) else {
            return if kind == EventKind::Action {
                (
                    Some("Hospitals and GP surgeries across the network".into()),
                    Some("See your local group's page for its meeting point".into()),
                    None,
                )
            } else {
                self.links += 1;
                (
                    None,
                    None,
                    Some(format!("https://meet.example.org/network-{}", self.links)),
                )
            };
        };
        let (slug, town, postcode_area, welsh) = (
            site.slug.clone(),
            site.town.clone(),
            site.postcode_area.clone(),
            site.welsh,
        );
        let (home, home_address) = (site.venue.clone(), site.address.clone());
        let online = match kind {
            EventKind::Action => 0,
            EventKind::Meeting => 35,
            _ => 15,
        };
        if self.chance(online) {
            self.links += 1;
            return (
                None,
                None,
                Some(format!("https://meet.example.org/{slug}-{}", self.links)),
            );
        }
        if kind == EventKind::Action {
            let venue = fill(self.word(OUTDOOR_VENUES), &[("town", &town)]);
            return (Some(venue), Some(format!("{town} {postcode_area}")), None);
        }
        if self.chance(60) {
            return (Some(home), Some(home_address), None);
        }
        let venue = fill(self.word(OTHER_VENUES), &[("town", &town)]);
        let street = self.word(if welsh { WELSH_STREETS } else { STREETS });
        (Some(venue), Some(format!("{street}, {town} {postcode_area}")), None)
    }

    /// Title and description, from the topic catalogue and the group's
    /// town; some descriptions carry practical notes (with commas,
    /// semicolons, line breaks and non-ASCII letters).
    fn wording(&mut self, kind: EventKind, site: Option<usize>, topic: Option<usize>) -> (String, String) {
        let (town, welsh) = site
            .and_then(|s| self.sites.get(s))
            .map_or((String::new(), false), |s| (s.town.clone(), s.welsh));
        let topic = topic.and_then(|t| self.topics.get(t)).map(|t| t.spec);
        let titles = match kind {
            _ if site.is_none() && kind != EventKind::Action => NATIONAL_TITLES,
            EventKind::Workshop => WORKSHOP_TITLES,
            EventKind::Talk => TALK_TITLES,
            EventKind::Training => TRAINING_TITLES,
            EventKind::Meeting => MEETING_TITLES,
            EventKind::Action if site.is_none() => &["National day of action: Patients Not Passports"],
            EventKind::Action => ACTION_TITLES,
            EventKind::Other => OTHER_TITLES,
        };
        let template = self.word(titles);
        let audience = self.word(AUDIENCES);
        let topic_name = topic.map_or("", |t| t.name);
        let title = fill(
            template,
            &[("topic", topic_name), ("town", &town), ("audience", audience)],
        );
        let mut description = match (topic, kind) {
            (Some(topic), _) => topic.description.to_owned(),
            (None, EventKind::Meeting) => self.word(MEETING_DESCRIPTIONS).to_owned(),
            (None, EventKind::Action) => self.word(ACTION_DESCRIPTIONS).to_owned(),
            (None, _) => self.word(OTHER_DESCRIPTIONS).to_owned(),
        };
        if self.chance(50) {
            let extra = self.word(EXTRAS);
            let joint = if self.chance(50) { "\n\n" } else { " " };
            description = format!("{description}{joint}{extra}");
        }
        if welsh && self.chance(50) {
            description = format!("{description}\n{WELSH_EXTRA}");
        }
        (title, description)
    }

    /// How many people RSVP: a few, or for a popular event a crowd.
    pub(super) fn rsvp_count(&mut self, popular: bool) -> usize {
        if popular {
            self.rng.between(12, 30) as usize
        } else {
            self.rng.below(7)
        }
    }

    /// Adds the event with up to `count` RSVPs from people who may come
    /// (its group's active members for a members-only event; half from
    /// the group, half from everyone otherwise), made between its listing
    /// and its start, cancellation or now; beyond the capacity they wait.
    pub(super) fn push_event(&mut self, event: event::Model, site: Option<usize>, count: usize) {
        let until = event
            .starts_at
            .min(self.cal.now)
            .min(event.cancelled_at.unwrap_or(event.starts_at));
        let people = self.attendees(site, event.visibility, count);
        let span = (until - event.created_at).num_minutes().max(0);
        let capacity = event.capacity.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(0));
        let count = people.len() as i64;
        for (k, user_id) in people.into_iter().enumerate() {
            let at = event.created_at + TimeDelta::minutes(span * (k as i64 + 1) / (count + 1));
            let rsvp = RsvpBuilder::new(event.id, user_id, at).id(self.ids.next());
            let rsvp = if k < capacity { rsvp } else { rsvp.waitlisted() };
            self.plan.rsvps.push(rsvp.build());
        }
        self.plan.events.push(event);
    }

    fn attendees(&mut self, site: Option<usize>, visibility: EventVisibility, count: usize) -> Vec<Uuid> {
        let own = site.and_then(|s| self.sites.get(s)).map_or(0, |s| s.active.len());
        let count = if visibility == EventVisibility::Members {
            count.min(own)
        } else {
            count
        };
        let mut chosen: Vec<Uuid> = Vec::with_capacity(count);
        for _ in 0..count * 4 + 8 {
            if chosen.len() >= count {
                break;
            }
            let from_group = own > 0 && (visibility == EventVisibility::Members || self.chance(50));
            let candidate = if from_group {
                let k = self.rng.below(own);
                site.and_then(|s| self.sites.get(s))
                    .and_then(|s| s.active.get(k))
                    .copied()
            } else {
                let k = self.rng.below(self.crowd.len());
                self.crowd.get(k).copied()
            };
            if let Some(person) = candidate.filter(|p| !chosen.contains(p)) {
                chosen.push(person);
            }
        }
        chosen
    }
}
