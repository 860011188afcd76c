//! The pure in-memory builder: every row of the demo network, made from the
//! tables in [`catalogue`](super::catalogue) and the generators in
//! [`random`](super::random), without a database. Its tests check that the
//! plan is repeatable and consistent whatever the date.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, anyhow};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc, Weekday};
use entity::{
    EventVisibility, MembershipRole, RequestState, UserRole, VenueVisibility, assignment, event, group, membership,
    request, request_transition, request_window, rsvp, topic, trainer_profile, trainer_region, trainer_topic,
    trainer_unavailability, user,
};
use uuid::Uuid;

use super::calendar::{Calendar, add_months, uk_time};
use super::catalogue::{
    ACCEPTED, AWAY, COORDINATORS, DELIVERED, EVENTS, GROUPS, GroupSpec, PROPOSED, Place, REQUESTS, RequestSpec,
    Requester, SUPPORTERS, TOPICS, TRAINER_DECLINED, TRAINERS, TopicSpec,
};
use super::random::{Ids, NamePool, REFERENCE_STREAM, SEED, SplitMix64, reference};
use crate::fixtures::{
    EventBuilder, GroupBuilder, MembershipBuilder, RequestBuilder, RequestRows, RsvpBuilder, TopicBuilder,
    TrainerBuilder, TrainerRows, UnavailabilityBuilder, UserBuilder,
};

/// Every row of the demo network, in the order they are written.
#[derive(Default)]
pub(super) struct Plan {
    pub(super) users: Vec<user::Model>,
    pub(super) groups: Vec<group::Model>,
    pub(super) memberships: Vec<membership::Model>,
    pub(super) topics: Vec<topic::Model>,
    pub(super) trainer_profiles: Vec<trainer_profile::Model>,
    pub(super) trainer_topics: Vec<trainer_topic::Model>,
    pub(super) trainer_regions: Vec<trainer_region::Model>,
    pub(super) unavailability: Vec<trainer_unavailability::Model>,
    pub(super) requests: Vec<request::Model>,
    pub(super) windows: Vec<request_window::Model>,
    pub(super) transitions: Vec<request_transition::Model>,
    pub(super) assignments: Vec<assignment::Model>,
    pub(super) events: Vec<event::Model>,
    pub(super) rsvps: Vec<rsvp::Model>,
}

impl Plan {
    /// A trainer's profile, topics, regions and unavailable periods.
    pub(super) fn add_trainer(&mut self, rows: TrainerRows) {
        self.trainer_profiles.push(rows.profile);
        self.trainer_topics.extend(rows.topics);
        self.trainer_regions.extend(rows.regions);
        self.unavailability.extend(rows.away);
    }

    /// A membership made at `created_at`: approved by an organiser that
    /// evening or the next day, or still pending.
    pub(super) fn add_membership(
        &mut self,
        id: Uuid,
        (user_id, group_id): (Uuid, Uuid),
        role: MembershipRole,
        created_at: DateTime<Utc>,
        approved: bool,
    ) {
        let membership = MembershipBuilder::new(user_id, group_id, created_at).id(id).role(role);
        let membership = if approved {
            membership.approved_at(created_at + TimeDelta::hours(20))
        } else {
            membership.pending()
        };
        self.memberships.push(membership.build());
    }

    /// A request with its windows, history and assignments.
    pub(super) fn add_request(&mut self, rows: RequestRows) {
        self.requests.push(rows.request);
        self.windows.extend(rows.windows);
        self.transitions.extend(rows.transitions);
        self.assignments.extend(rows.assignments);
    }
}

#[derive(Clone)]
struct Person {
    id: Uuid,
    name: String,
    email: String,
}

/// What later steps need to know about a group.
struct GroupInfo {
    id: Uuid,
    spec: &'static GroupSpec,
    organisers: Vec<Uuid>,
    /// Organisers and active members.
    active: Vec<Uuid>,
}

#[derive(Clone, Copy)]
struct TopicInfo {
    id: Uuid,
    spec: &'static TopicSpec,
}

struct Builder {
    cal: Calendar,
    rng: SplitMix64,
    ids: Ids,
    names: NamePool,
    plan: Plan,
    coordinators: Vec<Uuid>,
    trainers: Vec<Uuid>,
    supporters: Vec<Uuid>,
    groups: Vec<GroupInfo>,
    topics: HashMap<&'static str, TopicInfo>,
}

/// The whole demo network as rows, relative to `now`. Pure apart from the
/// random UUIDs; fails only if the tables in [`catalogue`](super::catalogue)
/// contradict themselves.
pub(super) fn build(now: DateTime<Utc>) -> anyhow::Result<Plan> {
    build_with_ids(now, Ids::Random)
}

/// [`build`], with the row ids taken from `ids`.
pub(super) fn build_with_ids(now: DateTime<Utc>, ids: Ids) -> anyhow::Result<Plan> {
    let mut builder = Builder {
        cal: Calendar::new(now),
        rng: SplitMix64::new(SEED),
        ids,
        names: NamePool::default(),
        plan: Plan::default(),
        coordinators: Vec::new(),
        trainers: Vec::new(),
        supporters: Vec::new(),
        groups: Vec::new(),
        topics: HashMap::new(),
    };
    builder.add_staff();
    builder.add_topics();
    builder.add_groups();
    builder.add_trainers()?;
    builder.add_events()?;
    builder.add_meetings();
    builder.add_requests()?;
    Ok(builder.plan)
}

impl Builder {
    fn add_user(&mut self, role: UserRole, created_at: DateTime<Utc>) -> Person {
        let (first, last) = self.names.draw(&mut self.rng);
        let name = format!("{first} {last}");
        let email = format!("{first}.{last}@example.org").to_lowercase();
        let id = self.ids.next();
        let user = UserBuilder::new(created_at).id(id).name(&name).email(&email).role(role);
        self.plan.users.push(user.build());
        Person { id, name, email }
    }

    fn topic(&self, slug: &str) -> anyhow::Result<&TopicInfo> {
        self.topics
            .get(slug)
            .with_context(|| format!("demo tables name an unknown topic {slug:?}"))
    }

    fn group_index(&self, slug: &str) -> anyhow::Result<usize> {
        self.groups
            .iter()
            .position(|g| g.spec.slug == slug)
            .with_context(|| format!("demo tables name an unknown group {slug:?}"))
    }

    fn trainer(&self, index: usize) -> anyhow::Result<Uuid> {
        self.trainers
            .get(index)
            .copied()
            .with_context(|| format!("no demo trainer {index}"))
    }

    /// The admin, the coordinators and the supporters who belong to no group.
    fn add_staff(&mut self) {
        self.add_user(UserRole::Admin, self.cal.at(-900, 10, 0));
        for k in 0..COORDINATORS {
            let coordinator = self.add_user(UserRole::Coordinator, self.cal.at(-850 + 150 * k as i64, 10, 0));
            self.coordinators.push(coordinator.id);
        }
        for _ in 0..SUPPORTERS {
            let day = -self.rng.between(20, 600);
            let supporter = self.add_user(UserRole::Supporter, self.cal.at(day, 20, 15));
            self.supporters.push(supporter.id);
        }
    }

    fn add_topics(&mut self) {
        for (k, spec) in TOPICS.iter().enumerate() {
            let id = self.ids.next();
            let created_at = self.cal.at(-800 + 10 * k as i64, 11, 0);
            let topic = TopicBuilder::new(spec.slug, created_at)
                .id(id)
                .name(spec.name)
                .description(spec.description)
                .minutes(spec.minutes);
            self.plan.topics.push(topic.build());
            self.topics.insert(spec.slug, TopicInfo { id, spec });
        }
    }

    /// Groups, each with one or two organisers, active members and a few
    /// pending ones.
    fn add_groups(&mut self) {
        for (k, spec) in GROUPS.iter().enumerate() {
            let age_days = 500 + 23 * k as i64;
            let created_at = self.cal.at(-age_days, 19, 30);
            let id = self.ids.next();
            let group = GroupBuilder::new(spec.slug, created_at)
                .id(id)
                .name(spec.name)
                .region(spec.region)
                .description(spec.description);
            self.plan.groups.push(group.build());
            let mut info = GroupInfo {
                id,
                spec,
                organisers: Vec::new(),
                active: Vec::new(),
            };

            let organisers = 1 + usize::from(k % 3 == 0);
            for _ in 0..organisers {
                let person = self.add_user(UserRole::Supporter, created_at);
                self.plan.add_membership(
                    self.ids.next(),
                    (person.id, id),
                    MembershipRole::Organiser,
                    created_at,
                    true,
                );
                info.organisers.push(person.id);
                info.active.push(person.id);
            }
            let active = 3 + self.rng.below(5);
            for _ in 0..active {
                let joined = self.cal.at(-self.rng.between(20, age_days - 1), 20, 0);
                let person = self.add_user(UserRole::Supporter, joined);
                self.plan
                    .add_membership(self.ids.next(), (person.id, id), MembershipRole::Member, joined, true);
                info.active.push(person.id);
            }
            let pending = usize::from(k % 4 == 1) + self.rng.below(2);
            for _ in 0..pending {
                let asked = self.cal.at(-self.rng.between(1, 12), 21, 0);
                let person = self.add_user(UserRole::Supporter, asked);
                self.plan
                    .add_membership(self.ids.next(), (person.id, id), MembershipRole::Member, asked, false);
            }
            self.groups.push(info);
        }
    }

    fn add_trainers(&mut self) -> anyhow::Result<()> {
        for (k, spec) in TRAINERS.iter().enumerate() {
            let created_at = self.cal.at(-700 + 45 * k as i64, 12, 0);
            let person = self.add_user(UserRole::Supporter, created_at);
            let mut trainer = TrainerBuilder::new(person.id, created_at).monthly_cap(spec.monthly_cap);
            for slug in spec.topics {
                trainer = trainer.topic(self.topic(slug)?.id);
            }
            for region in spec.regions {
                trainer = trainer.region(*region);
            }
            let rows = trainer.build_with_ids(&mut || self.ids.next());
            self.plan.add_trainer(rows);
            self.trainers.push(person.id);
        }
        for &(trainer, first_day, days, note) in AWAY {
            let starts_at = self.cal.at(first_day, 0, 0);
            let ends_at = self.cal.at(first_day + days, 0, 0);
            let away = UnavailabilityBuilder::new(self.trainer(trainer)?, starts_at, ends_at)
                .id(self.ids.next())
                .note(note)
                .noted_at(self.cal.listed(starts_at));
            self.plan.unavailability.push(away.build());
        }
        Ok(())
    }

    /// The people who might RSVP: the group's active members first (all of
    /// them for a members-only event), then supporters and other members.
    fn rsvp_pool(&mut self, group: Option<usize>, visibility: EventVisibility) -> Vec<Uuid> {
        let mut own = group
            .and_then(|g| self.groups.get(g))
            .map(|g| g.active.clone())
            .unwrap_or_default();
        self.rng.shuffle(&mut own);
        if visibility == EventVisibility::Members {
            return own;
        }
        let mut others: Vec<Uuid> = self.supporters.clone();
        for (k, info) in self.groups.iter().enumerate() {
            if Some(k) != group {
                others.extend(&info.active);
            }
        }
        self.rng.shuffle(&mut others);
        own.extend(others);
        own
    }

    /// `count` RSVPs from the front of `pool`, spread between the listing and
    /// the start (or now); beyond the capacity they are waitlisted.
    fn add_rsvps(&mut self, event: &event::Model, pool: Vec<Uuid>, count: usize) {
        let until = event.starts_at.min(self.cal.now);
        let span = (until - event.created_at).num_minutes().max(0);
        let count = count.min(pool.len());
        let capacity = event.capacity.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(0));
        for (k, user_id) in pool.into_iter().take(count).enumerate() {
            let at = event.created_at + TimeDelta::minutes(span * (k as i64 + 1) / (count as i64 + 1));
            let rsvp = RsvpBuilder::new(event.id, user_id, at).id(self.ids.next());
            let rsvp = if k < capacity { rsvp } else { rsvp.waitlisted() };
            self.plan.rsvps.push(rsvp.build());
        }
    }

    fn place(&self, group: Option<usize>, place: Place<'_>) -> (Option<String>, Option<String>, Option<String>) {
        match place {
            Place::Home => match group.and_then(|g| self.groups.get(g)) {
                Some(info) => (Some(info.spec.venue.into()), Some(info.spec.address.into()), None),
                None => (None, None, None),
            },
            Place::Venue(venue, address) => (Some(venue.into()), Some(address.into()), None),
            Place::Online(path) => (None, None, Some(format!("https://meet.example.org/{path}"))),
        }
    }

    fn add_events(&mut self) -> anyhow::Result<()> {
        for spec in EVENTS {
            let group = spec.group.map(|slug| self.group_index(slug)).transpose()?;
            let topic_id = spec.topic.map(|slug| self.topic(slug).map(|t| t.id)).transpose()?;
            let starts_at = uk_time(self.cal.week_day(spec.week, spec.weekday), spec.time.0, spec.time.1);
            let created_at = self.cal.listed(starts_at);
            let cancelled_at = spec.cancelled_day.map(|day| self.cal.at(day, 16, 45));
            let created_by = match group.and_then(|g| self.groups.get(g)) {
                Some(info) => info.organisers.first().copied(),
                None => self.coordinators.first().copied(),
            };
            let mut event = EventBuilder::new(created_at)
                .id(self.ids.next())
                .title(spec.title)
                .description(spec.description)
                .starting(starts_at)
                .lasting(TimeDelta::minutes(spec.minutes))
                .place(self.place(group, spec.place))
                .kind(spec.kind)
                .group(group.and_then(|g| self.groups.get(g)).map(|g| g.id))
                .topic(topic_id)
                .visibility(spec.visibility)
                .capacity(spec.capacity)
                .created_by(created_by)
                .cancelled_at(cancelled_at);
            if spec.sequence > 0 {
                event = event.revised(spec.sequence, self.cal.edited(created_at));
            }
            let event = event.build();
            let pool = self.rsvp_pool(group, spec.visibility);
            self.add_rsvps(&event, pool, spec.rsvps);
            self.plan.events.push(event);
        }
        Ok(())
    }

    /// Each group's monthly members' meeting, from two months back to three
    /// ahead: a fixed weekday and week of the month per group, alternately
    /// in person and online.
    fn add_meetings(&mut self) {
        const WEEKDAYS: [Weekday; 4] = [Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Mon];
        let earliest = self.cal.day(-92);
        let latest = self.cal.day(122);
        for g in 0..self.groups.len() {
            let weekday = WEEKDAYS[g % WEEKDAYS.len()];
            let nth = 1 + (g / WEEKDAYS.len() % 3) as u8;
            let (hour, minute) = if g % 2 == 0 { (18, 30) } else { (19, 0) };
            for month in -2..=3 {
                let (year, month_number) = add_months(self.cal.today, month);
                let Some(date) = NaiveDate::from_weekday_of_month_opt(year, month_number, weekday, nth) else {
                    continue;
                };
                if date < earliest || date > latest {
                    continue;
                }
                let (id, slug, organiser, town, postcode_area) = {
                    let info = &self.groups[g];
                    let spec = &info.spec;
                    (
                        info.id,
                        spec.slug,
                        info.organisers.first().copied(),
                        spec.town,
                        spec.postcode_area,
                    )
                };
                let in_person = month % 2 == 0;
                let place = if in_person { Place::Home } else { Place::Online(slug) };
                // Members' meetings in person keep the address for those
                // going; everyone else sees the town and postcode area.
                let venue_visibility = if in_person {
                    VenueVisibility::Going
                } else {
                    VenueVisibility::Public
                };
                let (venue, address, online_url) = self.place(Some(g), place);
                let online_url = online_url.map(|url| format!("{url}-monthly"));
                let starts_at = uk_time(date, hour, minute);
                let event = EventBuilder::new(self.cal.listed(starts_at))
                    .id(self.ids.next())
                    .title("Monthly organising meeting")
                    .description(
                        "Members' meeting: news from the network, a casework round-up (no names), and \
                         planning for the weeks ahead. Ask an organiser about travel costs or childcare.",
                    )
                    .starting(starts_at)
                    .lasting(TimeDelta::minutes(90))
                    .place((venue, address, online_url))
                    .venue_visibility(venue_visibility)
                    .town(in_person.then(|| town.to_owned()))
                    .postcode_area(in_person.then(|| postcode_area.to_owned()))
                    .group(id)
                    .members_only()
                    .created_by(organiser)
                    .build();
                let pool = self.rsvp_pool(Some(g), EventVisibility::Members);
                let count = 2 + self.rng.below(pool.len().saturating_sub(1));
                self.add_rsvps(&event, pool, count);
                self.plan.events.push(event);
            }
        }
    }

    fn add_requests(&mut self) -> anyhow::Result<()> {
        let mut references = SplitMix64::new(SEED ^ REFERENCE_STREAM);
        let mut used = HashSet::new();
        for (k, spec) in REQUESTS.iter().enumerate() {
            let reference = reference(&mut references, &mut used);
            self.add_request(k, spec, reference)
                .with_context(|| format!("demo request {k}"))?;
        }
        Ok(())
    }

    fn add_request(&mut self, k: usize, spec: &RequestSpec, reference: String) -> anyhow::Result<()> {
        use RequestState::{Assigned, Cancelled, Confirmed, Declined, Delivered, Submitted, Withdrawn};

        let cal = self.cal;
        let id = self.ids.next();
        let topic = *self.topic(spec.topic)?;
        let coordinator = self.coordinators[k % self.coordinators.len()];
        let submitted_at = cal.at(spec.submitted_day, 9 + (k % 9) as u32, 5 * (k % 12) as u32);
        let asker = self.asker(spec.requester, submitted_at)?;

        let mut request = RequestBuilder::new(topic.id, submitted_at)
            .id(id)
            .reference(&reference)
            .kind(spec.kind)
            .submitted_by(asker.submitter)
            .online(spec.online)
            .place(&asker.town, &asker.postcode_area, &asker.region)
            .audience(spec.audience)
            .notes(spec.notes)
            .public_event(spec.visibility == EventVisibility::Public);
        request = match (asker.group_id, &asker.organisation, &asker.contact) {
            (Some(group_id), _, _) => request.group(group_id),
            (None, Some(organisation), Some(contact)) => request
                .organisation(organisation)
                .contact(&contact.name, &contact.email),
            _ => return Err(anyhow!("a request from neither a group nor an organisation")),
        };
        for &(first_day, days) in spec.windows {
            request = request.window(cal.at(first_day, 9, 0), cal.at(first_day + days - 1, 21, 30));
        }

        // The history step by step, each one the workflow allows: assigned
        // a day after submission, answered a day after that.
        let minute = 15 * (k % 4) as u32;
        let assigned_at = cal.at(spec.submitted_day + 1, 10 + (k % 6) as u32, minute);
        let answered_at = cal.at(spec.submitted_day + 2, 18 + (k % 3) as u32, minute);
        let mut slot_day = None;
        if let Some((trainer_index, slot)) = spec.trainer {
            let trainer_id = self.trainer(trainer_index)?;
            let &(first_day, _) = spec.windows.get(slot.window).context("slot outside the windows")?;
            let day = first_day + slot.day;
            slot_day = Some(day);
            let starts_at = cal.at(day, slot.hour, slot.minute);
            let ends_at = starts_at + TimeDelta::minutes(i64::from(topic.spec.minutes));
            request = request
                .assigned(coordinator, trainer_id)
                .slot(starts_at, ends_at)
                .at(assigned_at)
                .note(PROPOSED);
            request = if spec.state == Assigned {
                request
            } else if spec.trainer_declined {
                request.turned_down().at(answered_at).note(TRAINER_DECLINED)
            } else {
                request.accepted().at(answered_at).note(ACCEPTED)
            };
        }
        let ending = spec.ended.map(|(day, note)| (note, cal.at(day, 11, 30)));
        request = match (spec.state, ending) {
            (Submitted | Assigned | Confirmed, _) => request,
            (Delivered, _) => {
                let day = slot_day.context("a delivered request needs a slot")?;
                request
                    .delivered(coordinator)
                    .at(cal.at(day + 1, 10, 0))
                    .note(DELIVERED)
                    .attendance(spec.audience.unwrap_or(20) * 4 / 5)
            }
            (Cancelled, Some((note, at))) => request.cancelled(coordinator).at(at).note(note),
            (Declined, Some((reason, at))) => request.declined(coordinator, reason).at(at),
            (Withdrawn, Some((note, at))) => request.withdrawn().at(at).note(note),
            (state, None) => return Err(anyhow!("a {} request needs `ended`", state.as_str())),
        };
        let rows = request.build_with_ids(&mut || self.ids.next())?;
        if rows.request.state != spec.state {
            return Err(anyhow!(
                "history ends in {} instead of {}",
                rows.request.state.as_str(),
                spec.state.as_str()
            ));
        }
        if let Some(event) = rows.engagement(topic.spec.name, Some(&asker.name)) {
            self.add_request_event(spec, &asker, topic, &reference, event);
        }
        self.plan.add_request(rows);
        Ok(())
    }

    /// Who asks: a group's first organiser, or an outside organisation's
    /// contact person, who gets a supporter account.
    fn asker(&mut self, requester: Requester, submitted_at: DateTime<Utc>) -> anyhow::Result<Asker> {
        match requester {
            Requester::Group(slug) => {
                let g = self.group_index(slug)?;
                let info = &self.groups[g];
                let submitter = info.organisers.first().copied().context("group without organiser")?;
                Ok(Asker {
                    group: Some(g),
                    group_id: Some(info.id),
                    name: info.spec.name.into(),
                    submitter,
                    organisation: None,
                    contact: None,
                    town: info.spec.town.into(),
                    postcode_area: info.spec.postcode_area.into(),
                    region: info.spec.region.into(),
                })
            }
            Requester::Organisation {
                name,
                town,
                postcode_area,
                region,
            } => {
                let contact = self.add_user(UserRole::Supporter, submitted_at - TimeDelta::days(2));
                Ok(Asker {
                    group: None,
                    group_id: None,
                    name: name.into(),
                    submitter: contact.id,
                    organisation: Some(name.into()),
                    contact: Some(contact),
                    town: town.into(),
                    postcode_area: postcode_area.into(),
                    region: region.into(),
                })
            }
        }
    }

    /// The calendar event an accepted assignment creates (`engagement`, as
    /// the workflow names it), with its place and RSVPs.
    fn add_request_event(
        &mut self,
        spec: &RequestSpec,
        asker: &Asker,
        topic: TopicInfo,
        reference: &str,
        engagement: EventBuilder,
    ) {
        let place = if spec.online {
            let path = reference.to_lowercase();
            self.place(None, Place::Online(&path))
        } else if asker.group.is_some() {
            self.place(asker.group, Place::Home)
        } else {
            let address = format!("{} {}", asker.town, asker.postcode_area);
            (Some(asker.name.clone()), Some(address), None)
        };
        let event = engagement
            .id(self.ids.next())
            .description(format!(
                "{} Arranged through the network's requests.",
                topic.spec.description
            ))
            .place(place)
            .capacity(spec.capacity)
            .build();
        let pool = self.rsvp_pool(asker.group, spec.visibility);
        self.add_rsvps(&event, pool, spec.rsvps);
        self.plan.events.push(event);
    }
}

/// Who asked for a request.
struct Asker {
    /// Index into the builder's groups, for a group's own request.
    group: Option<usize>,
    group_id: Option<Uuid>,
    /// The group's or the organisation's name.
    name: String,
    submitter: Uuid,
    organisation: Option<String>,
    /// An organisation's contact person (a group's request has none).
    contact: Option<Person>,
    town: String,
    postcode_area: String,
    region: String,
}

#[cfg(test)]
mod tests {
    use anyhow::Context;
    use chrono::TimeDelta;

    use super::build;
    use crate::seed::calendar::instant;
    use crate::seed::checks::{Shape, check, fingerprint};

    #[test]
    fn two_builds_give_the_same_network() -> anyhow::Result<()> {
        let now = instant(2026, 11, 22, 14, 7)?;
        let (first, second) = (build(now)?, build(now)?);
        assert_eq!(fingerprint(&first), fingerprint(&second));
        assert_ne!(first.users[0].id, second.users[0].id, "ids are random, the rest is not");
        Ok(())
    }

    #[test]
    fn the_plan_is_consistent_whatever_the_date() -> anyhow::Result<()> {
        let start = instant(2026, 1, 1, 12, 0)?;
        for step in 0..40 {
            // Every 19 days and 5 hours: all seasons, weekdays and hours.
            let now = start + TimeDelta::hours(step * (19 * 24 + 5));
            check(&build(now)?, now, &Shape::DEMO).with_context(|| format!("now = {now}"))?;
        }
        Ok(())
    }
}
