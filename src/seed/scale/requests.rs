//! Requests in every state, with their windows, histories and assignments.
//! Those a trainer accepted lead to events (which count toward the
//! network's N): delivered ones in the past year, confirmed ones in the
//! coming year, and a few cancelled either side. The rest never reached an
//! event: submitted (many of them for the common topic in the busiest
//! region, as benchmarks want), assigned, declined and withdrawn.
//!
//! Every history is made step by step through the workflow (the request
//! builder asks `workflow::next_state` of each step) and every step is in
//! the past; a trainer is only booked into a slot the matching rules would
//! allow (covered topic, free, not away, under their monthly cap).

use anyhow::Context;
use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use entity::RequestKind;
use uuid::Uuid;

use super::{Scaler, Span};
use crate::fixtures::{EventBuilder, RequestBuilder};
use crate::seed::calendar::uk_time;
use crate::seed::catalogue::words::{
    BUSIEST_REGION, CANCEL_NOTES, COMMON_TOPIC, DECLINE_REASONS, FEEDBACK, REQUEST_NOTES, WITHDRAW_NOTES,
};
use crate::seed::catalogue::{ACCEPTED, DELIVERED, PROPOSED, TRAINER_DECLINED};
use crate::seed::random::reference;

/// Who asks: a group (one of its organisers submits) or an outside
/// organisation (its contact person submits).
struct Asker {
    site: Option<usize>,
    group_id: Option<Uuid>,
    /// The group's or the organisation's name.
    name: String,
    submitter: Uuid,
    organisation: Option<String>,
    contact: Option<(String, String)>,
    town: String,
    postcode_area: String,
    region: &'static str,
}

/// A request being made: what it asks for, and its history so far.
struct Draft {
    id: Uuid,
    reference: String,
    kind: RequestKind,
    topic: usize,
    asker: Asker,
    online: bool,
    audience: i32,
    windows: Vec<Span>,
    /// Who asks and what for, and the steps taken so far (`None` only
    /// while a step is being added).
    request: Option<RequestBuilder>,
}

/// How a request ends up, beyond its history.
#[derive(Default)]
struct Outcome {
    members_only: bool,
    attendance: Option<i32>,
    feedback: Option<String>,
}

impl Draft {
    /// Takes the next steps of its history.
    fn then(&mut self, steps: impl FnOnce(RequestBuilder) -> RequestBuilder) {
        self.request = self.request.take().map(steps);
    }
}

impl Scaler {
    /// A group or an organisation to ask; for `focus`, one in the busiest
    /// region.
    fn asker(&mut self, focus: bool) -> Option<Asker> {
        let in_region = |region: &str| region == BUSIEST_REGION || !focus;
        let sites: Vec<usize> = (0..self.sites.len())
            .filter(|&s| in_region(self.sites[s].region))
            .collect();
        let organisations: Vec<usize> = (0..self.organisations.len())
            .filter(|&o| {
                let site = self.organisations[o].site;
                self.sites.get(site).is_some_and(|s| in_region(s.region))
            })
            .collect();
        if organisations.is_empty() || self.chance(55) {
            let s = self.pick(&sites)?;
            let site = &self.sites[s];
            Some(Asker {
                site: Some(s),
                group_id: Some(site.id),
                name: site.name.clone(),
                submitter: *site.organisers.first()?,
                organisation: None,
                contact: None,
                town: site.town.clone(),
                postcode_area: site.postcode_area.clone(),
                region: site.region,
            })
        } else {
            let o = self.pick(&organisations)?;
            let organisation = &self.organisations[o];
            let site = self.sites.get(organisation.site)?;
            Some(Asker {
                site: None,
                group_id: None,
                name: organisation.name.clone(),
                submitter: organisation.contact,
                organisation: Some(organisation.name.clone()),
                contact: Some((organisation.contact_name.clone(), organisation.contact_email.clone())),
                town: site.town.clone(),
                postcode_area: site.postcode_area.clone(),
                region: site.region,
            })
        }
    }

    fn draft(&mut self, focus: bool) -> Option<Draft> {
        let asker = self.asker(focus)?;
        let topic = match self.topic_index(COMMON_TOPIC) {
            Some(common) if focus => common,
            _ => self.topic(),
        };
        let reference = reference(&mut self.references, &mut self.used_references);
        let id = self.ids.next();
        let kind = if self.chance(35) {
            RequestKind::Speaker
        } else {
            RequestKind::Workshop
        };
        let online = self.chance(20);
        let audience = i32::try_from(self.rng.between(8, 80)).unwrap_or(20);
        let topic_id = self.topics.get(topic).map(|t| t.id).unwrap_or_default();
        // Submitted now unless its submission is dated (`at`, first).
        let request = RequestBuilder::new(topic_id, self.cal.now)
            .id(id)
            .reference(&reference)
            .kind(kind)
            .submitted_by(asker.submitter)
            .online(online)
            .place(&asker.town, &asker.postcode_area, asker.region)
            .audience(audience);
        let request = match (asker.group_id, &asker.organisation, &asker.contact) {
            (Some(group_id), _, _) => request.group(group_id),
            (None, Some(organisation), Some((name, email))) => request.organisation(organisation).contact(name, email),
            _ => return None,
        };
        Some(Draft {
            id,
            reference,
            kind,
            topic,
            asker,
            online,
            audience,
            windows: Vec::new(),
            request: Some(request),
        })
    }

    fn topic_minutes(&self, topic: usize) -> i64 {
        self.topics.get(topic).map_or(90, |t| i64::from(t.spec.minutes))
    }

    /// A slot on the day `day` days from today at a time people ask for:
    /// a weekday lunchtime or evening, a weekend morning or afternoon.
    fn slot(&mut self, day: i64, minutes: i64) -> Span {
        let date = self.cal.day(day);
        let times: &[(u32, u32)] = if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            &[(10, 0), (10, 30), (13, 0)]
        } else {
            &[(12, 30), (18, 0), (18, 30), (19, 0)]
        };
        let (hour, minute) = self.pick(times).unwrap_or((18, 30));
        let starts_at = uk_time(date, hour, minute);
        (starts_at, starts_at + TimeDelta::minutes(minutes))
    }

    /// A window from 09:00 on its first day to 22:00 on its last.
    fn window(&self, first_day: i64, days: i64) -> Span {
        (self.cal.at(first_day, 9, 0), self.cal.at(first_day + days - 1, 22, 0))
    }

    /// A generated trainer who covers the topic (in the region, if one is
    /// free there) and is free for the slot.
    fn free_trainer(&mut self, topic: usize, region: &'static str, slot: Span) -> Option<usize> {
        for attempt in 0..24 {
            let candidates = if attempt < 12 {
                self.by_topic_region.get(&(topic, region))
            } else {
                self.by_topic.get(topic)
            };
            let Some(len) = candidates.map(Vec::len).filter(|&n| n > 0) else {
                continue;
            };
            let k = self.rng.below(len);
            let trainer = candidates.and_then(|c| c.get(k)).copied()?;
            if self.trainers.get(trainer).is_some_and(|t| t.free(slot)) {
                return Some(trainer);
            }
        }
        None
    }

    /// A coordinator (the demo has two, larger networks more).
    fn coordinator(&mut self) -> Uuid {
        let coordinators = std::mem::take(&mut self.coordinators);
        let chosen = self.pick(&coordinators).unwrap_or_default();
        self.coordinators = coordinators;
        chosen
    }

    fn hours_later(&mut self, at: DateTime<Utc>, from: i64, to: i64) -> DateTime<Utc> {
        at + TimeDelta::minutes(self.rng.between(60 * from, 60 * to))
    }

    /// Requests a trainer accepted, each with its event; as many as the
    /// sizes ask for, less any for which no trainer is free (the plain
    /// events make up the count).
    pub(super) fn add_booked_requests(&mut self) -> anyhow::Result<()> {
        for _ in 0..self.sizes.booked_requests {
            let past = self.chance(55);
            let day = match past {
                true => -self.rng.between(6, 360),
                false if self.chance(75) => self.rng.between(3, 120),
                false => self.rng.between(121, 360),
            };
            let Some(mut draft) = self.draft(false) else {
                continue;
            };
            let minutes = self.topic_minutes(draft.topic);
            let mut booking = None;
            for shift in 0..3 {
                let day = if past { day - shift } else { day + shift };
                let slot = self.slot(day, minutes);
                if let Some(trainer) = self.free_trainer(draft.topic, draft.asker.region, slot) {
                    booking = Some((day, slot, trainer));
                    break;
                }
            }
            let Some((day, slot, trainer)) = booking else {
                continue;
            };
            self.trainers[trainer].book(slot);
            let trainer_id = self.trainers[trainer].id;

            let first_day = day - self.rng.between(0, 2);
            let days = day - first_day + 1 + self.rng.between(0, 3);
            draft.windows.push(self.window(first_day, days));
            for j in 1..=self.rng.below(3) as i64 {
                let days = self.rng.between(1, 3);
                let window = self.window(first_day + 7 * j, days);
                draft.windows.push(window);
            }
            // Submitted, assigned and accepted (up to 80 hours) before the
            // slot, and before today.
            let mut submitted_day = first_day - self.rng.between(14, 70);
            if !past {
                submitted_day = submitted_day.min(-self.rng.between(5, 30));
            }
            let submitted_at = self.day_at(submitted_day..=submitted_day, 8..=20);
            let assigned_at = self.hours_later(submitted_at, 18, 30);
            let accepted_at = self.hours_later(assigned_at, 18, 50);
            let coordinator = self.coordinator();
            draft.then(|r| {
                r.at(submitted_at)
                    .assigned(coordinator, trainer_id)
                    .slot(slot.0, slot.1)
                    .at(assigned_at)
                    .note(PROPOSED)
                    .accepted()
                    .at(accepted_at)
                    .note(ACCEPTED)
            });

            let cancelled = self.chance(6);
            let mut outcome = Outcome::default();
            let mut cancelled_at = None;
            if cancelled {
                let until = slot.0.min(self.cal.now);
                let span = (until - accepted_at).num_minutes();
                let at = accepted_at + TimeDelta::minutes((span * self.rng.between(10, 90) / 100).max(1));
                let note = self.word(CANCEL_NOTES);
                draft.then(|r| r.cancelled(coordinator).at(at).note(note));
                cancelled_at = Some(at);
            } else if past {
                let at = self.cal.at(day + 1, 10, 0) + TimeDelta::minutes(self.rng.between(0, 120));
                draft.then(|r| r.delivered(coordinator).at(at).note(DELIVERED));
                outcome.attendance = Some(draft.audience * i32::try_from(self.rng.between(60, 100))? / 100);
                outcome.feedback = self.chance(40).then(|| self.word(FEEDBACK).to_owned());
            }

            outcome.members_only = draft.asker.site.is_some() && self.chance(15);
            self.add_request_event(
                &draft,
                slot,
                trainer_id,
                accepted_at,
                cancelled_at,
                outcome.members_only,
            );
            self.finish(draft, outcome)?;
        }
        Ok(())
    }

    /// The calendar event an accepted assignment creates, with its RSVPs.
    fn add_request_event(
        &mut self,
        draft: &Draft,
        slot: Span,
        trainer_id: Uuid,
        accepted_at: DateTime<Utc>,
        cancelled_at: Option<DateTime<Utc>>,
        members_only: bool,
    ) {
        let asker = &draft.asker;
        let (venue, address, online_url) = if draft.online {
            let url = format!("https://meet.example.org/{}", draft.reference.to_lowercase());
            (None, None, Some(url))
        } else if let Some(site) = asker.site.and_then(|s| self.sites.get(s)) {
            (Some(site.venue.clone()), Some(site.address.clone()), None)
        } else {
            let address = format!("{} {}", asker.town, asker.postcode_area);
            (Some(asker.name.clone()), Some(address), None)
        };
        let Some(topic) = self.topics.get(draft.topic).copied() else {
            return;
        };
        let capacity = self.chance(35).then_some(draft.audience.max(10));
        let host = Some(asker.name.as_str());
        let event = EventBuilder::engagement(draft.kind, topic.spec.name, host, slot, !members_only, accepted_at)
            .id(self.ids.next())
            .description(format!(
                "{} Arranged through the network's requests.",
                topic.spec.description
            ))
            .place((venue, address, online_url))
            .group(asker.group_id)
            .topic(topic.id)
            .capacity(capacity)
            .request(draft.id)
            .created_by(trainer_id)
            .cancelled_at(cancelled_at)
            .build();
        let rsvps = self.rsvp_count(false);
        self.push_event(event, asker.site, rsvps);
    }

    /// Requests that never reached an event, in fixed proportions: three in
    /// ten submitted, two assigned, two declined, three withdrawn.
    pub(super) fn add_open_requests(&mut self) -> anyhow::Result<()> {
        for k in 0..self.sizes.open_requests {
            match k % 10 {
                0..=2 => self.add_submitted(k % 10 == 0)?,
                3 | 4 => self.add_assigned()?,
                5 | 6 => self.add_declined()?,
                _ => self.add_withdrawn()?,
            }
        }
        Ok(())
    }

    /// Windows ahead: 1 to 3, the first `first_day` days from today.
    fn windows_ahead(&mut self, draft: &mut Draft, first_day: i64) {
        for j in 0..=self.rng.below(3) as i64 {
            let days = self.rng.between(1, 7);
            let window = self.window(first_day + 14 * j, days);
            draft.windows.push(window);
        }
    }

    /// An assignment the trainer turned down, for the first window's first
    /// evening: the request went back to SUBMITTED.
    fn trainer_declined(&mut self, draft: &mut Draft, coordinator: Uuid, after: DateTime<Utc>) -> DateTime<Utc> {
        let Some(trainer) = self
            .by_topic
            .get(draft.topic)
            .cloned()
            .and_then(|trainers| self.pick(&trainers))
            .and_then(|t| self.trainers.get(t))
            .map(|t| t.id)
        else {
            return after;
        };
        let Some(&(window_start, _)) = draft.windows.first() else {
            return after;
        };
        let starts_at = uk_time(window_start.date_naive(), 18, 30);
        let ends_at = starts_at + TimeDelta::minutes(self.topic_minutes(draft.topic));
        let assigned_at = self.hours_later(after, 18, 30);
        let declined_at = self.hours_later(assigned_at, 18, 26);
        draft.then(|r| {
            r.assigned(coordinator, trainer)
                .slot(starts_at, ends_at)
                .at(assigned_at)
                .note(PROPOSED)
                .turned_down()
                .at(declined_at)
                .note(TRAINER_DECLINED)
        });
        declined_at
    }

    /// Waiting for a coordinator, with windows ahead; `focus` ones ask for
    /// the common topic in the busiest region.
    fn add_submitted(&mut self, focus: bool) -> anyhow::Result<()> {
        let Some(mut draft) = self.draft(focus) else {
            return Ok(());
        };
        let bounced = self.chance(20);
        let submitted_at =
            self.cal.now - TimeDelta::minutes(self.rng.between(120, 60 * 24 * 20) + 60 * 72 * i64::from(bounced));
        let first_day = self.rng.between(10, 90);
        self.windows_ahead(&mut draft, first_day);
        draft.then(|r| r.at(submitted_at));
        if bounced {
            let coordinator = self.coordinator();
            self.trainer_declined(&mut draft, coordinator, submitted_at);
        }
        self.finish(draft, Outcome::default())
    }

    /// A trainer proposed for a free slot, not answered yet.
    fn add_assigned(&mut self) -> anyhow::Result<()> {
        let Some(mut draft) = self.draft(false) else {
            return Ok(());
        };
        let submitted_at = self.cal.now - TimeDelta::minutes(self.rng.between(60 * 48, 60 * 24 * 25));
        let first_day = self.rng.between(7, 90);
        self.windows_ahead(&mut draft, first_day);
        draft.then(|r| r.at(submitted_at));
        let minutes = self.topic_minutes(draft.topic);
        let last_day = draft
            .windows
            .first()
            .map_or(first_day, |w| (w.1.date_naive() - self.cal.today).num_days());
        let day = self.rng.between(first_day, last_day);
        let slot = self.slot(day, minutes);
        if let Some(trainer) = self.free_trainer(draft.topic, draft.asker.region, slot) {
            self.trainers[trainer].book(slot);
            let coordinator = self.coordinator();
            let assigned_at = self.hours_later(submitted_at, 18, 30);
            let trainer_id = self.trainers[trainer].id;
            draft.then(|r| {
                r.assigned(coordinator, trainer_id)
                    .slot(slot.0, slot.1)
                    .at(assigned_at)
                    .note(PROPOSED)
            });
        }
        // No trainer free: it stays SUBMITTED, as it would in the queue.
        self.finish(draft, Outcome::default())
    }

    /// Submitted some time in the past year and declined by a coordinator,
    /// a quarter of them after a trainer turned them down.
    fn add_declined(&mut self) -> anyhow::Result<()> {
        let Some(mut draft) = self.draft(false) else {
            return Ok(());
        };
        let submitted_at = self.cal.now - TimeDelta::minutes(self.rng.between(60 * 96, 60 * 24 * 360));
        let submitted_day = (submitted_at.date_naive() - self.cal.today).num_days();
        self.windows_ahead_of(&mut draft, submitted_day);
        draft.then(|r| r.at(submitted_at));
        let coordinator = self.coordinator();
        let mut last = submitted_at;
        if self.chance(25) {
            last = self.trainer_declined(&mut draft, coordinator, submitted_at);
        }
        let at = self.hours_later(last, 18, 30);
        let reason = self.word(DECLINE_REASONS);
        draft.then(|r| r.declined(coordinator, reason).at(at));
        self.finish(draft, Outcome::default())
    }

    /// Submitted some time in the past year, withdrawn by the requester.
    fn add_withdrawn(&mut self) -> anyhow::Result<()> {
        let Some(mut draft) = self.draft(false) else {
            return Ok(());
        };
        let submitted_at = self.cal.now - TimeDelta::minutes(self.rng.between(60 * 72, 60 * 24 * 360));
        let submitted_day = (submitted_at.date_naive() - self.cal.today).num_days();
        self.windows_ahead_of(&mut draft, submitted_day);
        draft.then(|r| r.at(submitted_at));
        let at = self.hours_later(submitted_at, 18, 60);
        let note = self.word(WITHDRAW_NOTES);
        draft.then(|r| r.withdrawn().at(at).note(note));
        self.finish(draft, Outcome::default())
    }

    /// Windows 10 to 60 days after the day a request was submitted.
    fn windows_ahead_of(&mut self, draft: &mut Draft, submitted_day: i64) {
        let first_day = submitted_day + self.rng.between(10, 60);
        self.windows_ahead(draft, first_day);
    }

    /// Writes the request, its windows and its history.
    fn finish(&mut self, draft: Draft, outcome: Outcome) -> anyhow::Result<()> {
        let mut request = draft
            .request
            .with_context(|| format!("{}: a step was lost", draft.reference))?;
        for &(starts_at, ends_at) in &draft.windows {
            request = request.window(starts_at, ends_at);
        }
        let request = request
            .notes(self.word(REQUEST_NOTES))
            .public_event(!outcome.members_only)
            .attendance(outcome.attendance)
            .feedback(outcome.feedback);
        let rows = request.build_with_ids(&mut || self.ids.next())?;
        anyhow::ensure!(
            rows.request.updated_at <= self.cal.now,
            "{}: history in the future",
            draft.reference
        );
        self.plan.add_request(rows);
        Ok(())
    }
}
