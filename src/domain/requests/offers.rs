//! A trainer's own side of the workflow, for their pages: the offers
//! waiting for their answer with what they need to decide (the topic, the
//! place as far as the request says it, the audience, the preferred
//! windows) and their own calendar in the weeks those windows touch; their
//! engagements ahead and behind; and declining with a reason.
//!
//! Reading it all costs a fixed number of statements however many offers
//! and engagements there are. The requester's contact details are not part
//! of it: seeing them is a separate, audited read.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use entity::{
    AssignmentStatus, RequestState, assignment, group, request, topic, trainer_profile, trainer_unavailability,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Span, transitions, typical_length, windows};
use crate::{
    auth::Viewer,
    domain::{Work, trainers},
    error::{Error, Result},
};

/// How many past engagements the trainer's area lists, newest first.
pub const PAST_SHOWN: u64 = 20;

/// An open offer and what the trainer needs to answer it.
#[derive(Debug, Clone)]
pub struct Offer {
    pub assignment: assignment::Model,
    pub request: request::Model,
    pub topic: topic::Model,
    /// The group that asked, when a group did.
    pub group_name: Option<String>,
    /// The preferred windows, by start.
    pub windows: Vec<Span>,
    /// The topic's typical length, to pre-fill the slot.
    pub typical_length: Duration,
}

/// An accepted engagement.
#[derive(Debug, Clone)]
pub struct Engagement {
    pub assignment: assignment::Model,
    pub request: request::Model,
    pub topic: topic::Model,
    pub group_name: Option<String>,
}

/// What stands in the trainer's calendar in the weeks of their offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booked {
    /// An accepted engagement, by its topic's name.
    Engagement(String),
    /// An away period, with its note if it has one.
    Away(Option<String>),
}

#[derive(Debug, Clone)]
pub struct TrainerArea {
    pub profile: trainer_profile::Model,
    pub topics: Vec<topic::Model>,
    pub regions: Vec<String>,
    /// The catalogue's live topics, for choosing which to cover.
    pub catalogue: Vec<topic::Model>,
    /// Open offers, oldest first.
    pub offers: Vec<Offer>,
    /// The weeks (Monday to Monday, UTC) the offers' windows touch, and
    /// what is booked in them, by start.
    pub calendar_weeks: Option<Span>,
    pub calendar: Vec<(Span, Booked)>,
    /// Accepted engagements that have not ended, by start.
    pub upcoming: Vec<Engagement>,
    /// The last [`PAST_SHOWN`] engagements that have ended, newest first.
    pub past: Vec<Engagement>,
    /// Away periods that have not ended, by start.
    pub away: Vec<trainer_unavailability::Model>,
}

/// The Monday 00:00 UTC on or before `at`.
fn week_start(at: DateTime<Utc>) -> DateTime<Utc> {
    let date = at.date_naive() - Duration::days(i64::from(at.weekday().num_days_from_monday()));
    date.and_hms_opt(0, 0, 0).map_or(at, |t| t.and_utc())
}

/// The whole weeks that `spans` touch, as one span.
fn weeks_of(spans: &[Span]) -> Option<Span> {
    let starts_at = spans.iter().map(|s| s.starts_at).min()?;
    let ends_at = spans.iter().map(|s| s.ends_at).max()?;
    Some(Span::new(
        week_start(starts_at),
        week_start(ends_at - Duration::seconds(1)) + Duration::weeks(1),
    ))
}

/// The signed-in trainer's area. Anyone without a trainer profile (a
/// coordinator included: these are a trainer's own pages) is refused.
pub async fn trainer_area(db: &impl ConnectionTrait, viewer: &Viewer, now: DateTime<Utc>) -> Result<TrainerArea> {
    let me = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let profile = trainers::get_profile(db, viewer, None).await?.ok_or(Error::Forbidden)?;
    let live = assignment::Entity::find()
        .filter(assignment::Column::TrainerId.eq(me))
        .filter(assignment::Column::EndsAt.gte(now))
        .filter(assignment::Column::Status.is_in([AssignmentStatus::Proposed, AssignmentStatus::Accepted]))
        .order_by_asc(assignment::Column::StartsAt)
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?;
    let ended = assignment::Entity::find()
        .filter(assignment::Column::TrainerId.eq(me))
        .filter(assignment::Column::EndsAt.lt(now))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Accepted))
        .order_by_desc(assignment::Column::StartsAt)
        .order_by_desc(assignment::Column::Id)
        .limit(PAST_SHOWN)
        .all(db)
        .await?;
    let request_ids: Vec<Uuid> = live.iter().chain(&ended).map(|a| a.request_id).collect();
    let requests: HashMap<Uuid, request::Model> = request::Entity::find()
        .filter(request::Column::Id.is_in(request_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut windows = windows(db, &request_ids).await?;
    let (topic_ids, regions) = trainers::coverage(db, &[me]).await?.remove(&me).unwrap_or_default();
    let wanted_topics = requests.values().map(|r| r.topic_id).chain(topic_ids.iter().copied());
    let topics: HashMap<Uuid, topic::Model> = topic::Entity::find()
        .filter(topic::Column::Id.is_in(wanted_topics))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let group_ids = requests.values().filter_map(|r| r.group_id);
    let groups: HashMap<Uuid, String> = group::Entity::find()
        .filter(group::Column::Id.is_in(group_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let away_all = trainers::unavailability(db, &[me])
        .await?
        .remove(&me)
        .unwrap_or_default();
    let catalogue = crate::domain::topics::list(db, false).await?;

    let engagement = |a: &assignment::Model| {
        let request = requests.get(&a.request_id)?;
        Some(Engagement {
            assignment: a.clone(),
            request: request.clone(),
            topic: topics.get(&request.topic_id)?.clone(),
            group_name: request.group_id.and_then(|id| groups.get(&id).cloned()),
        })
    };
    let held = |e: &Engagement| matches!(e.request.state, RequestState::Confirmed | RequestState::Delivered);
    let mut offers = Vec::new();
    let mut upcoming = Vec::new();
    for a in &live {
        let Some(found) = engagement(a) else { continue };
        match a.status {
            AssignmentStatus::Proposed if found.request.state == RequestState::Assigned => offers.push(Offer {
                windows: windows.remove(&a.request_id).unwrap_or_default(),
                typical_length: typical_length(&found.topic),
                assignment: found.assignment,
                request: found.request,
                topic: found.topic,
                group_name: found.group_name,
            }),
            AssignmentStatus::Accepted if held(&found) => upcoming.push(found),
            _ => {}
        }
    }
    offers.sort_by_key(|o| (o.assignment.created_at, o.assignment.id));
    let past: Vec<Engagement> = ended.iter().filter_map(engagement).filter(held).collect();

    let all_windows: Vec<Span> = offers.iter().flat_map(|o| o.windows.iter().copied()).collect();
    let calendar_weeks = weeks_of(&all_windows);
    let mut calendar = Vec::new();
    if let Some(weeks) = calendar_weeks {
        let overlaps = |s: &Span| s.starts_at < weeks.ends_at && s.ends_at > weeks.starts_at;
        for e in &upcoming {
            let span = Span::new(e.assignment.starts_at, e.assignment.ends_at);
            if overlaps(&span) {
                calendar.push((span, Booked::Engagement(e.topic.name.clone())));
            }
        }
        for period in &away_all {
            let span = Span::new(period.starts_at, period.ends_at);
            if overlaps(&span) {
                calendar.push((span, Booked::Away(period.note.clone())));
            }
        }
        calendar.sort_by_key(|(span, _)| (span.starts_at, span.ends_at));
    }
    let mut covered: Vec<topic::Model> = topic_ids.iter().filter_map(|id| topics.get(id).cloned()).collect();
    covered.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(TrainerArea {
        profile,
        topics: covered,
        regions,
        catalogue,
        offers,
        calendar_weeks,
        calendar,
        upcoming,
        past,
        away: away_all.into_iter().filter(|p| p.ends_at > now).collect(),
    })
}

/// The trainer turns an offer down; the reason is required, so that the
/// coordinator who proposed them knows what to try next.
pub async fn decline_offer(
    work: &Work,
    viewer: &Viewer,
    assignment_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    if reason.trim().is_empty() {
        return Err(Error::validation("reason", "say why, for the coordinator"));
    }
    let (request, _) = transitions::respond(work, viewer, assignment_id, false, None, Some(reason), now).await?;
    Ok(request)
}

/// The trainer accepts an offer with a concrete slot; the engagement goes
/// in the calendar. Refusals say why in words (outside the windows, a
/// clash with an engagement or an away period, the monthly cap).
pub async fn accept_offer(
    work: &Work,
    viewer: &Viewer,
    assignment_id: Uuid,
    slot: Span,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    let (request, _) = transitions::respond(work, viewer, assignment_id, true, Some(slot), None, now).await?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_calendar_covers_whole_weeks_from_monday() {
        // Wed 13 Jan 2027 10:00 to Tue 19 Jan 2027 12:00.
        let from = Utc.with_ymd_and_hms(2027, 1, 13, 10, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2027, 1, 19, 12, 0, 0).unwrap();
        let weeks = weeks_of(&[Span::new(from, to)]).unwrap();
        assert_eq!(weeks.starts_at, Utc.with_ymd_and_hms(2027, 1, 11, 0, 0, 0).unwrap());
        assert_eq!(weeks.ends_at, Utc.with_ymd_and_hms(2027, 1, 25, 0, 0, 0).unwrap());
        // A window ending exactly at a Monday midnight does not add a week.
        let monday = Utc.with_ymd_and_hms(2027, 1, 18, 0, 0, 0).unwrap();
        let weeks = weeks_of(&[Span::new(from, monday)]).unwrap();
        assert_eq!(weeks.ends_at, monday);
        assert_eq!(weeks_of(&[]), None);
    }
}
