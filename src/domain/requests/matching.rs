//! Whether a trainer can take a request, and which trainers to suggest.
//!
//! A preferred window is free for a trainer when a slot of the topic's
//! typical length fits in it between their away periods and engagements,
//! and the month it starts in is under their monthly cap. The rules are
//! pure functions over the trainer's calendar ([`TrainerCalendar`]), which
//! is loaded for many trainers at once, so assigning, accepting and
//! suggesting all judge by the same code.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use entity::{
    AssignmentStatus, RequestState, assignment, request, trainer_profile, trainer_topic, trainer_unavailability, user,
};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::{envelope, remaining_windows, topic_of, typical_length};
use crate::{
    auth::{Action, Viewer, authorize},
    domain::trainers,
    error::{Error, Result},
};

/// How far back "recent load" looks when ranking suggestions.
pub const RECENT_LOAD_DAYS: i64 = 90;

/// A period of time, `starts_at` < `ends_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Span {
    pub fn new(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Self {
        Self { starts_at, ends_at }
    }

    fn overlaps(&self, other: &Span) -> bool {
        self.starts_at < other.ends_at && other.starts_at < self.ends_at
    }

    pub fn contains(&self, other: &Span) -> bool {
        self.starts_at <= other.starts_at && other.ends_at <= self.ends_at
    }
}

/// Assignments that hold a trainer's time: proposals still waiting for an
/// answer, and accepted engagements of requests that are going ahead or
/// took place. Those of withdrawn or cancelled requests free the time.
pub fn live_assignments() -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(assignment::Column::Status.eq(AssignmentStatus::Proposed))
                .add(assignment::Column::RequestId.in_subquery(requests_in(&[RequestState::Assigned]))),
        )
        .add(
            Condition::all()
                .add(assignment::Column::Status.eq(AssignmentStatus::Accepted))
                .add(
                    assignment::Column::RequestId
                        .in_subquery(requests_in(&[RequestState::Confirmed, RequestState::Delivered])),
                ),
        )
}

fn requests_in(states: &[RequestState]) -> sea_orm::sea_query::SelectStatement {
    request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::State.is_in(states.iter().copied()))
        .into_query()
}

/// What stands in a trainer's way around a request's windows.
#[derive(Debug, Clone, Default)]
pub struct TrainerCalendar {
    pub monthly_cap: i32,
    pub away: Vec<Span>,
    /// Accepted engagements with their concrete slots.
    pub engaged: Vec<Span>,
    /// Start instants of live assignments (proposed or accepted), counted
    /// against the monthly cap by the month they start in.
    pub booked_starts: Vec<DateTime<Utc>>,
}

/// Why a window is not free, in the order a person would want to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// The monthly cap is reached in the window's month.
    MonthlyCap,
    /// Away for the whole window (or all but too short a part).
    Away,
    /// Engagements (and away periods) leave no slot long enough.
    Engaged,
}

/// Why a trainer cannot take a request, as `TRAINER_UNAVAILABLE` tells
/// it: [`UnavailableReason::code`] is the stable `extensions.reason`
/// clients branch on, and the functions below it word every refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnavailableReason {
    /// The trainer does not cover the request's topic.
    TopicNotCovered,
    Away,
    Engaged,
    MonthlyCap,
    /// Each preferred window is blocked, not all for the same reason.
    NotFree,
}

impl UnavailableReason {
    pub const ALL: [UnavailableReason; 5] = [
        Self::TopicNotCovered,
        Self::Away,
        Self::Engaged,
        Self::MonthlyCap,
        Self::NotFree,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::TopicNotCovered => "TOPIC_NOT_COVERED",
            Self::Away => "AWAY",
            Self::Engaged => "ENGAGED",
            Self::MonthlyCap => "MONTHLY_CAP",
            Self::NotFree => "NOT_FREE",
        }
    }

    fn refusal(self, message: impl Into<String>) -> Error {
        Error::TrainerUnavailable {
            reason: self,
            message: message.into(),
        }
    }
}

impl From<Blocked> for UnavailableReason {
    fn from(blocked: Blocked) -> Self {
        match blocked {
            Blocked::MonthlyCap => Self::MonthlyCap,
            Blocked::Away => Self::Away,
            Blocked::Engaged => Self::Engaged,
        }
    }
}

/// The refusal for a trainer who does not cover the topic.
pub fn topic_not_covered(topic_name: &str) -> Error {
    UnavailableReason::TopicNotCovered.refusal(format!("does not cover the topic \u{201c}{topic_name}\u{201d}"))
}

/// The refusal when no preferred window is free: the reason they share,
/// or `NOT_FREE` naming each window's.
fn no_window_free(verdicts: &[(Span, Blocked)], monthly_cap: i32) -> Error {
    let first = verdicts.first().map_or(Blocked::Engaged, |(_, b)| *b);
    if verdicts.iter().all(|(_, b)| *b == first) {
        let message = match first {
            Blocked::MonthlyCap => {
                format!("already has their monthly cap of {monthly_cap} engagements in every preferred window's month")
            }
            Blocked::Away => "is away in every preferred window".to_owned(),
            Blocked::Engaged => "is already engaged at an overlapping time in every preferred window".to_owned(),
        };
        return UnavailableReason::from(first).refusal(message);
    }
    let per_window: Vec<String> = verdicts
        .iter()
        .map(|(window, blocked)| {
            let why = match blocked {
                Blocked::MonthlyCap => "monthly cap reached",
                Blocked::Away => "away",
                Blocked::Engaged => "already engaged",
            };
            format!("{}: {why}", window.starts_at.format("%Y-%m-%d"))
        })
        .collect();
    UnavailableReason::NotFree.refusal(format!(
        "is free in none of the preferred windows ({})",
        per_window.join("; ")
    ))
}

/// The refusal for a slot that is not free.
pub fn slot_refusal(blocked: Blocked) -> Error {
    let message = match blocked {
        Blocked::MonthlyCap => "the monthly cap of engagements is reached in that month",
        Blocked::Away => "that time overlaps a period marked away",
        Blocked::Engaged => "that time overlaps another engagement",
    };
    UnavailableReason::from(blocked).refusal(message)
}

/// The calendar month (in UK time) an instant falls in, as UTC bounds.
pub fn month_of(at: DateTime<Utc>) -> Span {
    let local = at.with_timezone(&London).date_naive();
    let first = local.with_day(1).unwrap_or(local);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .unwrap_or(first);
    Span::new(uk_midnight(first), uk_midnight(next))
}

fn uk_midnight(day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // Midnight always exists in the UK (clocks change at 01:00/02:00).
    London
        .from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

impl TrainerCalendar {
    fn at_cap(&self, month: Span) -> bool {
        let booked = self
            .booked_starts
            .iter()
            .filter(|at| month.starts_at <= **at && **at < month.ends_at)
            .count();
        booked >= usize::try_from(self.monthly_cap.max(0)).unwrap_or(0)
    }

    /// Whether a slot of `length` fits in `window` between `busy` spans.
    fn fits(window: Span, busy: &[Span], length: Duration) -> bool {
        let mut busy: Vec<Span> = busy.iter().filter(|b| b.overlaps(&window)).copied().collect();
        busy.sort_by_key(|b| b.starts_at);
        let mut free_from = window.starts_at;
        for span in busy {
            if span.starts_at - free_from >= length {
                return true;
            }
            free_from = free_from.max(span.ends_at);
        }
        window.ends_at - free_from >= length
    }

    /// Whether the window leaves room for a slot of `length`, and if not why.
    pub fn window(&self, window: Span, length: Duration) -> std::result::Result<(), Blocked> {
        if self.at_cap(month_of(window.starts_at)) && self.at_cap(month_of(window.ends_at)) {
            return Err(Blocked::MonthlyCap);
        }
        if !Self::fits(window, &self.away, length) {
            return Err(Blocked::Away);
        }
        let mut busy = self.away.clone();
        busy.extend_from_slice(&self.engaged);
        if !Self::fits(window, &busy, length) {
            return Err(Blocked::Engaged);
        }
        Ok(())
    }

    /// Whether this exact slot is free.
    pub fn slot(&self, slot: Span) -> std::result::Result<(), Blocked> {
        if self.at_cap(month_of(slot.starts_at)) {
            Err(Blocked::MonthlyCap)
        } else if self.away.iter().any(|a| a.overlaps(&slot)) {
            Err(Blocked::Away)
        } else if self.engaged.iter().any(|e| e.overlaps(&slot)) {
            Err(Blocked::Engaged)
        } else {
            Ok(())
        }
    }

    /// The windows with room, or the error naming why there is none.
    pub fn free_windows(&self, windows: &[Span], length: Duration) -> Result<Vec<Span>> {
        let verdicts: Vec<_> = windows.iter().map(|w| (*w, self.window(*w, length))).collect();
        let free: Vec<Span> = verdicts.iter().filter(|(_, v)| v.is_ok()).map(|(w, _)| *w).collect();
        if !free.is_empty() {
            return Ok(free);
        }
        let blocked: Vec<(Span, Blocked)> = verdicts.iter().filter_map(|(w, v)| v.err().map(|b| (*w, b))).collect();
        Err(no_window_free(&blocked, self.monthly_cap))
    }
}

/// The calendars of several trainers around `span` (the envelope of a
/// request's windows), leaving out the assignments of `except_request`:
/// three queries however many trainers.
pub async fn calendars(
    db: &impl ConnectionTrait,
    trainers: &[(Uuid, i32)],
    span: Span,
    except_request: Uuid,
) -> Result<HashMap<Uuid, TrainerCalendar>> {
    let ids: Vec<Uuid> = trainers.iter().map(|(id, _)| *id).collect();
    let mut calendars: HashMap<Uuid, TrainerCalendar> = trainers
        .iter()
        .map(|(id, cap)| {
            (
                *id,
                TrainerCalendar {
                    monthly_cap: *cap,
                    ..Default::default()
                },
            )
        })
        .collect();
    for period in trainer_unavailability::Entity::find()
        .filter(trainer_unavailability::Column::TrainerId.is_in(ids.iter().copied()))
        .filter(trainer_unavailability::Column::StartsAt.lt(span.ends_at))
        .filter(trainer_unavailability::Column::EndsAt.gt(span.starts_at))
        .all(db)
        .await?
    {
        if let Some(calendar) = calendars.get_mut(&period.trainer_id) {
            calendar.away.push(Span::new(period.starts_at, period.ends_at));
        }
    }
    // The months the span touches, for the cap.
    let months = Span::new(month_of(span.starts_at).starts_at, month_of(span.ends_at).ends_at);
    for booked in assignment::Entity::find()
        .filter(assignment::Column::TrainerId.is_in(ids.iter().copied()))
        .filter(assignment::Column::RequestId.ne(except_request))
        .filter(assignment::Column::StartsAt.lt(months.ends_at))
        .filter(assignment::Column::EndsAt.gt(months.starts_at))
        .filter(live_assignments())
        .all(db)
        .await?
    {
        if let Some(calendar) = calendars.get_mut(&booked.trainer_id) {
            calendar.booked_starts.push(booked.starts_at);
            if booked.status == AssignmentStatus::Accepted {
                calendar.engaged.push(Span::new(booked.starts_at, booked.ends_at));
            }
        }
    }
    Ok(calendars)
}

/// Accepted engagements per trainer that started in the last
/// [`RECENT_LOAD_DAYS`] days before `now`.
pub async fn recent_load(
    db: &impl ConnectionTrait,
    trainer_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, u32>> {
    let mut load: HashMap<Uuid, u32> = HashMap::new();
    let since = now - Duration::days(RECENT_LOAD_DAYS);
    let rows: Vec<Uuid> = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::TrainerId)
        .filter(assignment::Column::TrainerId.is_in(trainer_ids.iter().copied()))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Accepted))
        .filter(
            assignment::Column::RequestId.in_subquery(requests_in(&[RequestState::Confirmed, RequestState::Delivered])),
        )
        .filter(assignment::Column::StartsAt.gte(since))
        .filter(assignment::Column::StartsAt.lte(now))
        .into_tuple()
        .all(db)
        .await?;
    for trainer_id in rows {
        *load.entry(trainer_id).or_default() += 1;
    }
    Ok(load)
}

/// A trainer who can take a request, and why they are suggested.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub trainer: trainer_profile::Model,
    /// They name the request's region among theirs.
    pub same_region: bool,
    /// The preferred windows with room for the engagement.
    pub free_windows: Vec<Span>,
    /// Engagements in the last [`RECENT_LOAD_DAYS`] days.
    pub recent_load: u32,
}

/// Trainers who cover the request's topic and have room in at least one
/// preferred window: those in the request's region first, then the
/// lightest recent load, then by name. A fixed number of queries however
/// many trainers there are.
pub async fn suggest(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Suggestion>> {
    Ok(suggest_with_clashes(db, viewer, request_id, now).await?.0)
}

/// [`suggest`]'s ranking, and beside it the trainers who cover the topic
/// but are ruled out, by name, each with the refusal assigning them would
/// meet (`TRAINER_UNAVAILABLE` and its reason). The same statements.
pub async fn suggest_with_clashes(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(Vec<Suggestion>, Vec<(Uuid, Error)>)> {
    authorize(viewer, Action::TriageRequests)?;
    let request = request::Entity::find_by_id(request_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let topic = topic_of(db, &request).await?;
    let windows = remaining_windows(db, request_id, now).await?;
    let Some(span) = envelope(&windows) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let candidates: Vec<(trainer_profile::Model, Option<user::Model>)> = trainer_profile::Entity::find()
        .filter(
            trainer_profile::Column::Id.in_subquery(
                trainer_topic::Entity::find()
                    .select_only()
                    .column(trainer_topic::Column::TrainerId)
                    .filter(trainer_topic::Column::TopicId.eq(topic.id))
                    .into_query(),
            ),
        )
        .find_also_related(user::Entity)
        .filter(user::Column::ErasedAt.is_null())
        .all(db)
        .await?;
    let ids: Vec<Uuid> = candidates.iter().map(|(p, _)| p.id).collect();
    let caps: Vec<(Uuid, i32)> = candidates.iter().map(|(p, _)| (p.id, p.monthly_cap)).collect();
    let mut calendars = calendars(db, &caps, span, request_id).await?;
    let load = recent_load(db, &ids, now).await?;
    let coverage = trainers::coverage(db, &ids).await?;
    let region = request.region.as_deref().map(str::to_lowercase);
    let length = typical_length(&topic);

    let mut suggestions: Vec<(String, Suggestion)> = Vec::new();
    let mut ruled_out: Vec<(String, Uuid, Error)> = Vec::new();
    for (profile, user) in candidates {
        let calendar = calendars.remove(&profile.id).unwrap_or_default();
        let free_windows = match calendar.free_windows(&windows, length) {
            Ok(free) => free,
            Err(clash) => {
                let name = user.and_then(|u| u.display_name).unwrap_or_default().to_lowercase();
                ruled_out.push((name, profile.id, clash));
                continue;
            }
        };
        let same_region = region.as_deref().is_some_and(|wanted| {
            coverage
                .get(&profile.id)
                .is_some_and(|(_, regions)| regions.iter().any(|r| r.to_lowercase() == wanted))
        });
        let name = user.and_then(|u| u.display_name).unwrap_or_default().to_lowercase();
        suggestions.push((
            name,
            Suggestion {
                recent_load: load.get(&profile.id).copied().unwrap_or(0),
                trainer: profile,
                same_region,
                free_windows,
            },
        ));
    }
    suggestions.sort_by(|(name_a, a), (name_b, b)| {
        b.same_region
            .cmp(&a.same_region)
            .then(a.recent_load.cmp(&b.recent_load))
            .then_with(|| name_a.cmp(name_b))
    });
    ruled_out.sort_by(|(a, ..), (b, ..)| a.cmp(b));
    Ok((
        suggestions.into_iter().map(|(_, s)| s).collect(),
        ruled_out.into_iter().map(|(_, id, clash)| (id, clash)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap()
    }

    fn span(from: (u32, u32), to: (u32, u32)) -> Span {
        Span::new(at(from.0, from.1), at(to.0, to.1))
    }

    const TWO_HOURS: Duration = Duration::hours(2);

    #[test]
    fn a_slot_must_fit_between_busy_spans() {
        let window = span((10, 18), (10, 22));
        let calendar = TrainerCalendar {
            monthly_cap: 4,
            engaged: vec![span((10, 19), (10, 21))],
            ..Default::default()
        };
        // 18–19 and 21–22 are each one hour: no room for two.
        assert_eq!(calendar.window(window, TWO_HOURS), Err(Blocked::Engaged));
        assert_eq!(calendar.window(window, Duration::hours(1)), Ok(()));
        // Touching spans do not overlap.
        assert_eq!(calendar.slot(span((10, 21), (10, 22))), Ok(()));
        assert_eq!(calendar.slot(span((10, 20), (10, 22))), Err(Blocked::Engaged));
    }

    #[test]
    fn away_is_told_apart_from_engaged() {
        let calendar = TrainerCalendar {
            monthly_cap: 4,
            away: vec![span((1, 0), (15, 0))],
            engaged: vec![span((20, 9), (20, 17))],
            ..Default::default()
        };
        assert_eq!(calendar.window(span((3, 9), (3, 17)), TWO_HOURS), Err(Blocked::Away));
        assert_eq!(
            calendar.window(span((20, 9), (20, 17)), TWO_HOURS),
            Err(Blocked::Engaged)
        );
        assert_eq!(calendar.window(span((20, 9), (20, 19)), TWO_HOURS), Ok(()));
        let err = calendar
            .free_windows(&[span((3, 9), (3, 17)), span((20, 9), (20, 17))], TWO_HOURS)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::TrainerUnavailable {
                    reason: UnavailableReason::NotFree,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = calendar.free_windows(&[span((3, 9), (3, 17))], TWO_HOURS).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TrainerUnavailable {
                    reason: UnavailableReason::Away,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn the_cap_counts_bookings_by_uk_month() {
        let calendar = TrainerCalendar {
            monthly_cap: 1,
            booked_starts: vec![at(5, 18)],
            ..Default::default()
        };
        assert_eq!(calendar.slot(span((25, 18), (25, 20))), Err(Blocked::MonthlyCap));
        // 1 April 00:30 BST is still 31 March in UTC, and already April here.
        let april = Span::new(
            Utc.with_ymd_and_hms(2027, 3, 31, 23, 30, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 4, 1, 1, 30, 0).unwrap(),
        );
        assert_eq!(calendar.slot(april), Ok(()));
        let paused = TrainerCalendar::default();
        let err = paused.free_windows(&[span((25, 9), (25, 17))], TWO_HOURS).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TrainerUnavailable {
                    reason: UnavailableReason::MonthlyCap,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn free_windows_are_those_with_room() {
        let calendar = TrainerCalendar {
            monthly_cap: 3,
            away: vec![span((3, 0), (4, 0))],
            ..Default::default()
        };
        let windows = [span((3, 9), (3, 17)), span((5, 9), (5, 17))];
        assert_eq!(calendar.free_windows(&windows, TWO_HOURS).unwrap(), vec![windows[1]]);
    }

    #[test]
    fn months_follow_uk_time() {
        let march = month_of(at(15, 12));
        assert_eq!(march.starts_at, Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap());
        // April starts at 00:00 BST, 23:00 UTC the day before.
        assert_eq!(march.ends_at, Utc.with_ymd_and_hms(2027, 3, 31, 23, 0, 0).unwrap());
        let december = month_of(Utc.with_ymd_and_hms(2027, 12, 31, 12, 0, 0).unwrap());
        assert_eq!(december.ends_at, Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap());
    }

    #[test]
    fn reasons_keep_the_codes_clients_read() {
        let codes: Vec<&str> = UnavailableReason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            ["TOPIC_NOT_COVERED", "AWAY", "ENGAGED", "MONTHLY_CAP", "NOT_FREE"]
        );
        let err = topic_not_covered("Safe Surgeries");
        assert_eq!(err.code(), "TRAINER_UNAVAILABLE");
        assert_eq!(
            err.to_string(),
            "trainer unavailable: does not cover the topic \u{201c}Safe Surgeries\u{201d}"
        );
        assert!(matches!(
            slot_refusal(Blocked::Away),
            Error::TrainerUnavailable {
                reason: UnavailableReason::Away,
                ..
            }
        ));
    }
}
