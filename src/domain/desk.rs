//! The coordinators' desk: what needs doing (the home page's counts and
//! recent activity), the queue with its filters and urgency order, the
//! trainers a request could go to with what rules the others out, and the
//! bulk decline. Every front door that shows the desk calls these, so the
//! counts and the order are the same wherever they are read.
//!
//! **Urgency** is one rule, [`due`]: a request is due at its accepted
//! engagement's start once a trainer has taken it, otherwise at the start
//! of its first preferred window that has not yet ended. A request with
//! nothing ahead (every window passed, or its engagement begun) is
//! [`Urgency::Passed`] and comes first; then the soonest due; then the
//! oldest submitted.
//!
//! Each function reads a fixed number of statements however many requests
//! or trainers there are.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{AssignmentStatus, RequestState, assignment, group, request, request_transition, request_window, topic};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Iterable, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait, Func, IntoTableRef, Query},
};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        requests::{self, RequestFilter, Span, matching, transitions},
        reveal,
    },
    error::{Error, Result},
};

/// A request due within this many days is urgent.
pub const URGENT_DAYS: i64 = 14;
/// "This week": due within this many days.
pub const WEEK_DAYS: i64 = 7;
/// How many workflow steps the desk's recent activity lists.
pub const RECENT_STEPS: u64 = 20;

/// How soon a request needs a coordinator, by [`due`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// Nothing ahead: every window passed, or the engagement has begun.
    Passed,
    /// Due within [`WEEK_DAYS`].
    ThisWeek,
    /// Due within [`URGENT_DAYS`].
    Soon,
    Later,
}

impl Urgency {
    pub fn of(due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match due {
            None => Self::Passed,
            Some(at) if at < now => Self::Passed,
            Some(at) if at - now <= Duration::days(WEEK_DAYS) => Self::ThisWeek,
            Some(at) if at - now <= Duration::days(URGENT_DAYS) => Self::Soon,
            Some(_) => Self::Later,
        }
    }
}

/// When a request is due (see the module's header): the accepted slot's
/// start, else the first preferred window still open (from `now` if it
/// has begun), else none.
pub fn due(windows: &[Span], accepted: Option<&Span>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Some(slot) = accepted {
        return Some(slot.starts_at);
    }
    windows
        .iter()
        .filter(|w| w.ends_at > now)
        .map(|w| Ord::max(w.starts_at, now))
        .min()
}

/// Which urgencies a queue filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrgencyFilter {
    /// Passed, this week or within [`URGENT_DAYS`].
    Urgent,
    /// Due within [`WEEK_DAYS`] (not passed).
    Week,
    Passed,
}

impl UrgencyFilter {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "urgent" => Some(Self::Urgent),
            "week" => Some(Self::Week),
            "passed" => Some(Self::Passed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::Week => "week",
            Self::Passed => "passed",
        }
    }

    /// The rule `urgency_condition` says in SQL (the desk's tests hold
    /// the two equal).
    pub fn keeps(self, urgency: Urgency) -> bool {
        match self {
            Self::Urgent => urgency != Urgency::Later,
            Self::Week => urgency == Urgency::ThisWeek,
            Self::Passed => urgency == Urgency::Passed,
        }
    }
}

/// The queue's filters: the API's [`RequestFilter`] and the desk's own.
#[derive(Debug, Clone, Default)]
pub struct DeskFilter {
    pub base: RequestFilter,
    /// Only requests the viewer proposed a trainer for.
    pub assigned_by_me: bool,
    pub urgency: Option<UrgencyFilter>,
    /// A reference or part of an organisation's name, any case.
    pub text: Option<String>,
    /// Only delivered requests whose attendance is not recorded.
    pub attendance_missing: bool,
    /// Only these requests (a selection), whatever their state.
    pub only: Vec<Uuid>,
}

/// A request in the queue, with what orders and describes it.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub request: request::Model,
    pub windows: Vec<Span>,
    pub due: Option<DateTime<Utc>>,
    pub urgency: Urgency,
}

impl QueueRow {
    /// The queue's order: passed first, then soonest due, then oldest.
    fn key(&self) -> QueueCursor {
        QueueCursor {
            due: self.due.filter(|_| self.urgency != Urgency::Passed),
            created_at: self.request.created_at,
            id: self.request.id,
        }
    }
}

/// A position in the queue's order, written into the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueCursor {
    /// `None` (passed) sorts first.
    pub due: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl QueueCursor {
    /// Times in nanoseconds: SQLite keeps them so, and a cursor that
    /// dropped a digit would fall before its own row and repeat it.
    pub fn encode(&self) -> String {
        let nanos = |at: DateTime<Utc>| at.timestamp_nanos_opt().unwrap_or(i64::MAX).to_string();
        let due = self.due.map_or("-".to_owned(), nanos);
        format!("{due}.{}.{}", nanos(self.created_at), self.id)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let mut parts = raw.splitn(3, '.');
        let due = match parts.next()? {
            "-" => None,
            nanos => Some(DateTime::from_timestamp_nanos(nanos.parse().ok()?)),
        };
        let created_at = DateTime::from_timestamp_nanos(parts.next()?.parse().ok()?);
        let id = Uuid::parse_str(parts.next()?).ok()?;
        Some(Self { due, created_at, id })
    }
}

/// One page of the queue.
#[derive(Debug, Clone)]
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    /// Where the next page starts, when there is one.
    pub next: Option<QueueCursor>,
    pub total_count: usize,
}

fn text_condition(text: &str) -> Condition {
    let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_', '\\'], ""));
    Condition::any()
        .add(Expr::expr(Func::lower(Expr::col(request::Column::Reference))).like(pattern.clone()))
        .add(Expr::expr(Func::lower(Expr::col(request::Column::OrganisationName))).like(pattern))
}

/// Where a passed request sorts in [`queue_key`]: before any due date.
const PASSED: DateTime<Utc> = DateTime::UNIX_EPOCH;

/// The first part of the queue's order as SQL over a row of `requests`:
/// [`due`], with a passed request at [`PASSED`] (first). The database
/// orders, pages and counts the queue with it, so a filter selecting
/// thousands of requests moves one page of rows, not all of them; `due`
/// stays the rule the rows are shown by, and the tests hold the two to the
/// same order. Two subqueries, each read once per row: the accepted
/// engagement's start (or [`PASSED`] once begun), else the first open
/// window's start brought forward to now, else [`PASSED`].
fn queue_key(now: DateTime<Utc>) -> Expr {
    let engagement = earliest_start(
        assignment::Entity,
        Expr::col((assignment::Entity, assignment::Column::StartsAt)),
        Expr::col((assignment::Entity, assignment::Column::RequestId)),
        assignment::Column::Status.eq(AssignmentStatus::Accepted),
        PASSED,
        now,
    );
    let open_window = earliest_start(
        request_window::Entity,
        Expr::col((request_window::Entity, request_window::Column::StartsAt)),
        Expr::col((request_window::Entity, request_window::Column::RequestId)),
        Expr::col((request_window::Entity, request_window::Column::EndsAt)).gt(now),
        now,
        now,
    );
    Func::coalesce([engagement, open_window, Expr::val(PASSED)]).into()
}

/// The earliest `start` of the request's rows in `table` that `only`
/// keeps, as a subquery read once per request, with `if_before_now` in its
/// place when that is before `now`; NULL when no row is kept.
fn earliest_start(
    table: impl IntoTableRef,
    start: Expr,
    request_id: Expr,
    only: Expr,
    if_before_now: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Expr {
    Query::select()
        .expr(Expr::case(Expr::expr(Func::min(start.clone())).lt(now), if_before_now).finally(Func::min(start)))
        .from(table)
        .and_where(request_id.equals((request::Entity, request::Column::Id)))
        .and_where(only)
        .take()
        .into()
}

/// What a desk filter selects, as SQL (its urgency too).
fn selection(viewer: &Viewer, filter: &DeskFilter, now: DateTime<Utc>) -> Result<Condition> {
    let mut condition = requests::filter_condition(&filter.base);
    if filter.assigned_by_me {
        let me = viewer.user_id().ok_or(Error::Unauthenticated)?;
        condition = condition.add(
            request::Column::Id.in_subquery(
                assignment::Entity::find()
                    .select_only()
                    .column(assignment::Column::RequestId)
                    .filter(assignment::Column::AssignedBy.eq(me))
                    .into_query(),
            ),
        );
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        condition = condition.add(text_condition(text));
    }
    if !filter.only.is_empty() {
        condition = condition.add(request::Column::Id.is_in(filter.only.iter().copied()));
    }
    if filter.attendance_missing {
        condition = condition.add(request::Column::Attendance.is_null());
    }
    if let Some(urgency) = filter.urgency {
        condition = condition.add(urgency_condition(urgency, now));
    }
    Ok(condition)
}

/// [`UrgencyFilter::keeps`] as SQL: a due date that is not passed is never
/// before now, so "within N days" is "at most now + N days".
fn urgency_condition(urgency: UrgencyFilter, now: DateTime<Utc>) -> Condition {
    let key = queue_key(now);
    match urgency {
        UrgencyFilter::Passed => Condition::all().add(key.eq(PASSED)),
        UrgencyFilter::Week => Condition::all()
            .add(key.clone().gt(PASSED))
            .add(key.lte(now + Duration::days(WEEK_DAYS))),
        UrgencyFilter::Urgent => Condition::all().add(key.lte(now + Duration::days(URGENT_DAYS))),
    }
}

/// The rows after `after` in the queue's order, as SQL.
fn after_condition(after: &QueueCursor, now: DateTime<Utc>) -> Condition {
    let key = queue_key(now);
    let at = after.due.unwrap_or(PASSED);
    let later_made = Condition::any()
        .add(request::Column::CreatedAt.gt(after.created_at))
        .add(
            Condition::all()
                .add(request::Column::CreatedAt.eq(after.created_at))
                .add(request::Column::Id.gt(after.id)),
        );
    Condition::any()
        .add(key.clone().gt(at))
        .add(Condition::all().add(key.eq(at)).add(later_made))
}

/// The requests `condition` selects after `after`, at most `limit`, in
/// the queue's order, with their windows and urgency: three statements.
async fn ordered_rows(
    db: &impl ConnectionTrait,
    condition: Condition,
    after: Option<&QueueCursor>,
    limit: Option<u64>,
    now: DateTime<Utc>,
) -> Result<Vec<QueueRow>> {
    let mut select = request::Entity::find().filter(condition);
    if let Some(after) = after {
        select = select.filter(after_condition(after, now));
    }
    let mut select = select
        .order_by(queue_key(now), Order::Asc)
        .order_by_asc(request::Column::CreatedAt)
        .order_by_asc(request::Column::Id);
    if let Some(limit) = limit {
        select = select.limit(limit);
    }
    let found = select.all(db).await?;
    let ids: Vec<Uuid> = found.iter().map(|r| r.id).collect();
    let mut windows = requests::windows(db, &ids).await?;
    let mut accepted: HashMap<Uuid, Span> = HashMap::new();
    for engagement in assignment::Entity::find()
        .filter(assignment::Column::RequestId.is_in(ids.iter().copied()))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Accepted))
        .all(db)
        .await?
    {
        // The earliest, as the SQL order takes it.
        let slot = Span::new(engagement.starts_at, engagement.ends_at);
        accepted
            .entry(engagement.request_id)
            .and_modify(|kept| {
                if slot.starts_at < kept.starts_at {
                    *kept = slot;
                }
            })
            .or_insert(slot);
    }
    Ok(found
        .into_iter()
        .map(|request| {
            let windows = windows.remove(&request.id).unwrap_or_default();
            let due = due(&windows, accepted.get(&request.id), now);
            QueueRow {
                urgency: Urgency::of(due, now),
                request,
                windows,
                due,
            }
        })
        .collect())
}

/// The coordinators' queue, most urgent first, `limit` rows after `after`:
/// four statements, ordered, paged and counted by the database.
pub async fn queue(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &DeskFilter,
    after: Option<&QueueCursor>,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<QueuePage> {
    authorize(viewer, Action::TriageRequests)?;
    let condition = selection(viewer, filter, now)?;
    let total_count = request::Entity::find().filter(condition.clone()).count(db).await?;
    let mut rows = ordered_rows(db, condition, after, Some(limit as u64 + 1), now).await?;
    let next = (rows.len() > limit).then(|| rows[limit - 1].key());
    rows.truncate(limit);
    Ok(QueuePage {
        rows,
        next,
        total_count: usize::try_from(total_count).unwrap_or(usize::MAX),
    })
}

/// The desk's tiles: each count is what the queue shows with the filter
/// [`Tile::filter`] names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskCounts {
    /// Submitted, no trainer asked yet.
    pub new: usize,
    /// A trainer asked, no answer yet.
    pub offers_waiting: usize,
    /// Of those, asked longer ago than the chase period.
    pub offers_overdue: usize,
    /// Submitted, and urgent (passed or due within [`URGENT_DAYS`]).
    pub unassigned_urgent: usize,
    /// Confirmed, the engagement within [`WEEK_DAYS`].
    pub confirmed_this_week: usize,
    /// Delivered without the attendance recorded.
    pub delivered_without_attendance: u64,
}

/// Counts what needs doing. `chase_after` is how long an offer may wait
/// for its trainer's answer before it shows red.
pub async fn counts(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    chase_after: Duration,
    now: DateTime<Utc>,
) -> Result<DeskCounts> {
    authorize(viewer, Action::TriageRequests)?;
    let tiles = open_tiles(db, now).await?;
    let offers_overdue = assignment::Entity::find()
        .filter(assignment::Column::Status.eq(AssignmentStatus::Proposed))
        .filter(assignment::Column::CreatedAt.lte(now - chase_after))
        .filter(
            assignment::Column::RequestId.in_subquery(
                request::Entity::find()
                    .select_only()
                    .column(request::Column::Id)
                    .filter(request::Column::State.eq(RequestState::Assigned))
                    .into_query(),
            ),
        )
        .count(db)
        .await?;
    let count = |n: Option<i64>| usize::try_from(n.unwrap_or(0)).unwrap_or(usize::MAX);
    Ok(DeskCounts {
        new: count(tiles.0),
        offers_waiting: count(tiles.1),
        offers_overdue: usize::try_from(offers_overdue).unwrap_or(usize::MAX),
        unassigned_urgent: count(tiles.2),
        confirmed_this_week: count(tiles.3),
        delivered_without_attendance: request::Entity::find()
            .filter(request::Column::State.eq(RequestState::Delivered))
            .filter(request::Column::Attendance.is_null())
            .count(db)
            .await?,
    })
}

/// The open requests' tiles in one statement: new, offers waiting, new
/// and urgent, confirmed for this week (each what the queue shows with
/// the tile's filter; `SUM` is NULL when nothing is open).
async fn open_tiles(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(Option<i64>, Option<i64>, Option<i64>, Option<i64>)> {
    let in_state = |state: RequestState| request::Column::State.eq(state);
    let tally = |condition: Condition| -> Expr { Func::sum(Expr::case(condition, 1).finally(0)).into() };
    let tiles = request::Entity::find()
        .select_only()
        .expr(tally(Condition::all().add(in_state(RequestState::Submitted))))
        .expr(tally(Condition::all().add(in_state(RequestState::Assigned))))
        .expr(tally(
            Condition::all()
                .add(in_state(RequestState::Submitted))
                .add(urgency_condition(UrgencyFilter::Urgent, now)),
        ))
        .expr(tally(
            Condition::all()
                .add(in_state(RequestState::Confirmed))
                .add(urgency_condition(UrgencyFilter::Week, now)),
        ))
        .filter(request::Column::State.is_in([
            RequestState::Submitted,
            RequestState::Assigned,
            RequestState::Confirmed,
        ]))
        .into_tuple()
        .one(db)
        .await?;
    Ok(tiles.unwrap_or_default())
}

/// A workflow step as the desk's recent activity lists it.
#[derive(Debug, Clone)]
pub struct RecentStep {
    pub step: request_transition::Model,
    pub reference: String,
    /// Who took it; `None` for someone without an account (an outside
    /// organisation submitting) or a job.
    pub actor: Option<String>,
}

/// The last [`RECENT_STEPS`] workflow steps across all requests, newest
/// first, with who took them: three statements.
pub async fn recent_activity(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Vec<RecentStep>> {
    authorize(viewer, Action::TriageRequests)?;
    let steps = request_transition::Entity::find()
        .order_by_desc(request_transition::Column::CreatedAt)
        .order_by_desc(request_transition::Column::Id)
        .limit(RECENT_STEPS)
        .all(db)
        .await?;
    let request_ids: Vec<Uuid> = steps.iter().map(|s| s.request_id).collect();
    let references: HashMap<Uuid, String> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::Reference)
        .filter(request::Column::Id.is_in(request_ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let actor_ids: Vec<Uuid> = steps.iter().filter_map(|s| s.actor_id).collect();
    let people = reveal::people(db, &actor_ids).await?;
    Ok(steps
        .into_iter()
        .map(|step| RecentStep {
            reference: references.get(&step.request_id).cloned().unwrap_or_default(),
            actor: step
                .actor_id
                .and_then(|id| people.get(&id))
                .map(|p| p.display_name().to_owned()),
            step,
        })
        .collect())
}

/// A trainer who covers the topic but cannot take the request, and why.
#[derive(Debug, Clone)]
pub struct RuledOut {
    pub trainer_id: Uuid,
    /// The clash, as `TRAINER_UNAVAILABLE` words it.
    pub reason: String,
}

/// The trainers a request could go to, ranked as `suggestTrainers` ranks
/// them, and those who cover its topic but are ruled out, with the clash.
pub async fn candidates(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(Vec<matching::Suggestion>, Vec<RuledOut>)> {
    let (suggested, ruled_out) = matching::suggest_with_clashes(db, viewer, request_id, now).await?;
    let ruled_out = ruled_out
        .into_iter()
        .map(|(trainer_id, err)| RuledOut {
            trainer_id,
            reason: match err {
                Error::TrainerUnavailable { message, .. } => message,
                other => other.to_string(),
            },
        })
        .collect();
    Ok((suggested, ruled_out))
}

/// Declines every request in `request_ids` with one reason, each as its own
/// workflow step, all in the caller's unit of work: one refused step
/// refuses them all. Refused without a reason, or with nothing chosen.
pub async fn decline_all(
    work: &Work,
    viewer: &Viewer,
    request_ids: &[Uuid],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<request::Model>> {
    authorize(viewer, Action::TriageRequests)?;
    let reason_given = !reason.trim().is_empty();
    match (request_ids.is_empty(), reason_given) {
        (true, _) => return Err(Error::validation("ids", "choose at least one request")),
        (false, false) => return Err(Error::validation("reason", "say why, for the requesters")),
        (false, true) => {}
    }
    let references: HashMap<Uuid, String> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .column(request::Column::Reference)
        .filter(request::Column::Id.is_in(request_ids.iter().copied()))
        .into_tuple::<(Uuid, String)>()
        .all(work)
        .await?
        .into_iter()
        .collect();
    let mut declined = Vec::with_capacity(request_ids.len());
    for id in request_ids {
        let reference = references.get(id).ok_or(Error::NotFound)?;
        // A refusal names the request it is about, among the chosen.
        match transitions::decline(work, viewer, *id, reason, None, now).await {
            Ok(done) => declined.push(done),
            Err(Error::InvalidTransition(why)) => return Err(Error::InvalidTransition(format!("{reference}: {why}"))),
            Err(other) => return Err(other),
        }
    }
    Ok(declined)
}

/// The topics of the catalogue by id, archived ones too (a request keeps
/// its topic): one statement.
pub async fn topic_names(db: &impl ConnectionTrait) -> Result<HashMap<Uuid, String>> {
    Ok(topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

/// The chosen requests, in the queue's order, for an export.
pub async fn export(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    request_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<QueueRow>> {
    authorize(viewer, Action::TriageRequests)?;
    if request_ids.is_empty() {
        return Err(Error::validation("ids", "choose at least one request"));
    }
    let chosen = DeskFilter {
        base: RequestFilter {
            states: RequestState::iter().collect(),
            ..RequestFilter::default()
        },
        only: request_ids.to_vec(),
        ..DeskFilter::default()
    };
    ordered_rows(db, selection(viewer, &chosen, now)?, None, None, now).await
}

/// Groups' names by id (public): one statement.
pub async fn group_names(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(group::Entity::find()
        .filter(group::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect())
}

/// Lets the desk's reader in: staff only.
pub fn enter(viewer: &Viewer) -> Result<()> {
    authorize(viewer, Action::TriageRequests).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, day, 12, 0, 0).unwrap()
    }

    #[test]
    fn due_is_the_engagement_or_the_first_open_window() {
        let now = at(10);
        let windows = [
            Span::new(at(2), at(4)),
            Span::new(at(9), at(12)),
            Span::new(at(20), at(21)),
        ];
        assert_eq!(due(&windows, None, now), Some(now), "a window under way is due now");
        assert_eq!(due(&windows[2..], None, now), Some(at(20)));
        assert_eq!(due(&windows[..1], None, now), None, "every window passed");
        let slot = Span::new(at(25), at(25));
        assert_eq!(due(&windows, Some(&slot), now), Some(at(25)));
    }

    #[test]
    fn urgency_orders_passed_then_soonest() {
        let now = at(1);
        assert_eq!(Urgency::of(None, now), Urgency::Passed);
        assert_eq!(Urgency::of(Some(at(1) - Duration::hours(1)), now), Urgency::Passed);
        assert_eq!(Urgency::of(Some(at(8)), now), Urgency::ThisWeek);
        assert_eq!(Urgency::of(Some(at(15)), now), Urgency::Soon);
        assert_eq!(Urgency::of(Some(at(16)), now), Urgency::Later);
        assert!(UrgencyFilter::Urgent.keeps(Urgency::Passed));
        assert!(!UrgencyFilter::Urgent.keeps(Urgency::Later));
        assert!(!UrgencyFilter::Week.keeps(Urgency::Passed));
        let id = Uuid::nil();
        let passed = QueueCursor {
            due: None,
            created_at: at(5),
            id,
        };
        let soon = QueueCursor {
            due: Some(at(2)),
            created_at: at(1),
            id,
        };
        assert!(passed < soon, "passed comes first");
        assert_eq!(QueueCursor::decode(&soon.encode()), Some(soon));
        assert_eq!(QueueCursor::decode(&passed.encode()), Some(passed));
        assert_eq!(QueueCursor::decode("x.y.z"), None);
    }
}
