//! Requests in every state, with their windows, histories and assignments.
//! Those a trainer accepted lead to events (which count toward the
//! network's N): delivered ones in the past year, confirmed ones in the
//! coming year, and a few cancelled either side. The rest never reached an
//! event: submitted (many of them for the common topic in the busiest
//! region, as benchmarks want), assigned, declined and withdrawn.
//!
//! Every history follows the workflow and every step is in the past; a
//! trainer is only booked into a slot the matching rules would allow
//! (covered topic, free, not away, under their monthly cap).

use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use entity::{
    AssignmentStatus, EventStatus, EventVisibility, RequestKind, RequestState, assignment, event, request,
    request_transition, request_window,
};
use uuid::Uuid;

use super::{Scaler, Span};
use crate::seed::calendar::uk_time;
use crate::seed::catalogue::words::{
    BUSIEST_REGION, CANCEL_NOTES, COMMON_TOPIC, DECLINE_REASONS, FEEDBACK, REQUEST_NOTES, WITHDRAW_NOTES,
};
use crate::seed::random::reference;

use RequestState::{Assigned, Cancelled, Confirmed, Declined, Delivered, Submitted, Withdrawn};

const PROPOSED: &str = "Proposed a trainer who covers the topic and is free in the window.";
const TRAINER_DECLINED: &str = "Declined by the trainer: no longer free that day.";

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

/// A request being made: what it asks for and its history so far.
struct Draft {
    id: Uuid,
    reference: String,
    kind: RequestKind,
    topic: usize,
    asker: Asker,
    online: bool,
    audience: i32,
    windows: Vec<Span>,
    history: Vec<request_transition::Model>,
}

/// How a request ends up, beyond its history.
#[derive(Default)]
struct Outcome {
    decline_reason: Option<String>,
    public_event: bool,
    attendance: Option<i32>,
    feedback: Option<String>,
}

impl Draft {
    fn step(&mut self, to: RequestState, actor: Uuid, note: Option<&str>, at: DateTime<Utc>, id: Uuid) {
        let from = self.history.last().map(|t| t.to_state);
        self.history.push(request_transition::Model {
            id,
            request_id: self.id,
            from_state: from,
            to_state: to,
            actor_id: Some(actor),
            note: note.map(str::to_owned),
            created_at: at,
        });
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
        Some(Draft {
            id: self.ids.next(),
            reference,
            kind: if self.chance(35) {
                RequestKind::Speaker
            } else {
                RequestKind::Workshop
            },
            topic,
            asker,
            online: self.chance(20),
            audience: i32::try_from(self.rng.between(8, 80)).unwrap_or(20),
            windows: Vec::new(),
            history: Vec::new(),
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
            let ids = [self.ids.next(), self.ids.next(), self.ids.next(), self.ids.next()];
            draft.step(Submitted, draft.asker.submitter, None, submitted_at, ids[0]);
            draft.step(Assigned, coordinator, Some(PROPOSED), assigned_at, ids[1]);
            draft.step(Confirmed, trainer_id, Some("Accepted."), accepted_at, ids[2]);

            let cancelled = self.chance(6);
            let mut outcome = Outcome::default();
            let mut cancelled_at = None;
            if cancelled {
                let until = slot.0.min(self.cal.now);
                let span = (until - accepted_at).num_minutes();
                let at = accepted_at + TimeDelta::minutes((span * self.rng.between(10, 90) / 100).max(1));
                let note = self.word(CANCEL_NOTES);
                draft.step(Cancelled, coordinator, Some(note), at, ids[3]);
                cancelled_at = Some(at);
            } else if past {
                let at = self.cal.at(day + 1, 10, 0) + TimeDelta::minutes(self.rng.between(0, 120));
                let note = "Delivered; feedback form sent to the requester.";
                draft.step(Delivered, coordinator, Some(note), at, ids[3]);
                outcome.attendance = Some(draft.audience * i32::try_from(self.rng.between(60, 100))? / 100);
                outcome.feedback = self.chance(40).then(|| self.word(FEEDBACK).to_owned());
            }

            let assignment_id = self.ids.next();
            self.plan.assignments.push(assignment::Model {
                id: assignment_id,
                request_id: draft.id,
                trainer_id,
                status: AssignmentStatus::Accepted,
                starts_at: slot.0,
                ends_at: slot.1,
                assigned_by: Some(coordinator),
                note: None,
                created_at: assigned_at,
                responded_at: Some(accepted_at),
            });
            let members_only = draft.asker.site.is_some() && self.chance(15);
            outcome.public_event = !members_only;
            self.add_request_event(&draft, slot, trainer_id, accepted_at, cancelled_at, members_only);
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
        let (kind, title) = crate::domain::requests::transitions::engagement_kind_and_title(
            draft.kind,
            topic.spec.name,
            Some(&asker.name),
        );
        let capacity = self.chance(35).then_some(draft.audience.max(10));
        let event = event::Model {
            id: self.ids.next(),
            title,
            description: format!("{} Arranged through the network's requests.", topic.spec.description),
            starts_at: slot.0,
            ends_at: slot.1,
            timezone: "Europe/London".into(),
            venue,
            address,
            online_url,
            kind,
            group_id: asker.group_id,
            topic_id: Some(topic.id),
            visibility: if members_only {
                EventVisibility::Members
            } else {
                EventVisibility::Public
            },
            status: if cancelled_at.is_some() {
                EventStatus::Cancelled
            } else {
                EventStatus::Scheduled
            },
            sequence: i32::from(cancelled_at.is_some()),
            capacity,
            request_id: Some(draft.id),
            created_by: Some(trainer_id),
            cancelled_at,
            created_at: accepted_at,
            updated_at: cancelled_at.unwrap_or(accepted_at),
        };
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
        let ids = [self.ids.next(), self.ids.next(), self.ids.next()];
        draft.step(Assigned, coordinator, Some(PROPOSED), assigned_at, ids[0]);
        draft.step(Submitted, trainer, Some(TRAINER_DECLINED), declined_at, ids[1]);
        self.plan.assignments.push(assignment::Model {
            id: ids[2],
            request_id: draft.id,
            trainer_id: trainer,
            status: AssignmentStatus::Declined,
            starts_at,
            ends_at,
            assigned_by: Some(coordinator),
            note: None,
            created_at: assigned_at,
            responded_at: Some(declined_at),
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
        let id = self.ids.next();
        draft.step(Submitted, draft.asker.submitter, None, submitted_at, id);
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
        let id = self.ids.next();
        draft.step(Submitted, draft.asker.submitter, None, submitted_at, id);
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
            let (step_id, assignment_id) = (self.ids.next(), self.ids.next());
            draft.step(Assigned, coordinator, Some(PROPOSED), assigned_at, step_id);
            self.plan.assignments.push(assignment::Model {
                id: assignment_id,
                request_id: draft.id,
                trainer_id: self.trainers[trainer].id,
                status: AssignmentStatus::Proposed,
                starts_at: slot.0,
                ends_at: slot.1,
                assigned_by: Some(coordinator),
                note: None,
                created_at: assigned_at,
                responded_at: None,
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
        let id = self.ids.next();
        draft.step(Submitted, draft.asker.submitter, None, submitted_at, id);
        let coordinator = self.coordinator();
        let mut last = submitted_at;
        if self.chance(25) {
            last = self.trainer_declined(&mut draft, coordinator, submitted_at);
        }
        let at = self.hours_later(last, 18, 30);
        let reason = self.word(DECLINE_REASONS);
        let id = self.ids.next();
        draft.step(Declined, coordinator, Some(reason), at, id);
        let outcome = Outcome {
            decline_reason: Some(reason.into()),
            ..Outcome::default()
        };
        self.finish(draft, outcome)
    }

    /// Submitted some time in the past year, withdrawn by the requester.
    fn add_withdrawn(&mut self) -> anyhow::Result<()> {
        let Some(mut draft) = self.draft(false) else {
            return Ok(());
        };
        let submitted_at = self.cal.now - TimeDelta::minutes(self.rng.between(60 * 72, 60 * 24 * 360));
        let submitted_day = (submitted_at.date_naive() - self.cal.today).num_days();
        self.windows_ahead_of(&mut draft, submitted_day);
        let id = self.ids.next();
        draft.step(Submitted, draft.asker.submitter, None, submitted_at, id);
        let at = self.hours_later(submitted_at, 18, 60);
        let note = self.word(WITHDRAW_NOTES);
        let id = self.ids.next();
        draft.step(Withdrawn, draft.asker.submitter, Some(note), at, id);
        self.finish(draft, Outcome::default())
    }

    /// Windows 10 to 60 days after the day a request was submitted.
    fn windows_ahead_of(&mut self, draft: &mut Draft, submitted_day: i64) {
        let first_day = submitted_day + self.rng.between(10, 60);
        self.windows_ahead(draft, first_day);
    }

    /// Writes the request, its windows and its history.
    fn finish(&mut self, draft: Draft, outcome: Outcome) -> anyhow::Result<()> {
        let (state, last_at) = draft
            .history
            .last()
            .map(|t| (t.to_state, t.created_at))
            .ok_or_else(|| anyhow::anyhow!("{}: empty history", draft.reference))?;
        anyhow::ensure!(last_at <= self.cal.now, "{}: history in the future", draft.reference);
        let created_at = draft.history.first().map_or(last_at, |t| t.created_at);
        for &(starts_at, ends_at) in &draft.windows {
            let id = self.ids.next();
            self.plan.windows.push(request_window::Model {
                id,
                request_id: draft.id,
                starts_at,
                ends_at,
            });
        }
        let ended = matches!(state, Delivered | Declined | Withdrawn | Cancelled);
        let asker = draft.asker;
        let notes = self.word(REQUEST_NOTES).into();
        self.plan.requests.push(request::Model {
            id: draft.id,
            reference: draft.reference,
            kind: draft.kind,
            topic_id: self.topics.get(draft.topic).map(|t| t.id).unwrap_or_default(),
            group_id: asker.group_id,
            organisation_name: asker.organisation,
            contact_name: asker.contact.as_ref().map(|c| c.0.clone()),
            contact_email: asker.contact.map(|c| c.1),
            online: draft.online,
            town: Some(asker.town),
            postcode_area: Some(asker.postcode_area),
            region: Some(asker.region.into()),
            expected_audience: Some(draft.audience),
            notes,
            state,
            version: i32::try_from(draft.history.len())?,
            submitted_by: Some(asker.submitter),
            decline_reason: outcome.decline_reason,
            ended_at: ended.then_some(last_at),
            contact_purged_at: None,
            public_event: outcome.public_event || !matches!(state, Confirmed | Delivered | Cancelled),
            attendance: outcome.attendance,
            feedback: outcome.feedback,
            created_at,
            updated_at: last_at,
        });
        self.plan.transitions.extend(draft.history);
        Ok(())
    }
}
