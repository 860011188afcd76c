//! Speaker and workshop requests: intake, who may see them, the
//! coordinators' queue and the public status page. The workflow's steps
//! are in [`transitions`], the matching of trainers in [`matching`].
//!
//! Who relates to a request how is worked out once, in [`Relation`], from
//! the database and the viewer; the policy decides what each relation may
//! see and the state machine what it may do.

pub mod matching;
pub mod offers;
pub mod transitions;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{
    AssignmentStatus, EventStatus, EventVisibility, RequestKind, RequestState, assignment, event, group, request,
    request_transition, request_window, topic,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use crate::{
    auth::{Action, Grant, Viewer, authorize},
    domain::{
        Work, batch, groups,
        journal::{self, DomainEvent},
        pagination::{Page, keyset_page, two_column_position},
        sealing::{self, Field},
        values::{AllValid, Email, MultiLine, PostcodeArea, SingleLine, in_range},
        workflow::Actor,
    },
    error::{Error, Result},
};

pub use matching::Span;

pub const MIN_WINDOWS: usize = 1;
pub const MAX_WINDOWS: usize = 3;
/// A preferred window spans at most this long ("any evening in March").
const MAX_WINDOW_DAYS: i64 = 62;
/// Requests are for the next year and a half at most.
const MAX_LEAD_DAYS: i64 = 550;
const MAX_NAME_CHARS: usize = 200;
const MAX_PLACE_CHARS: usize = 100;
const MAX_NOTES_CHARS: usize = 4000;
const MAX_AUDIENCE: i32 = 100_000;
/// The most of their own requests `myRequests` returns, newest first.
pub const MY_REQUESTS_LIMIT: u64 = 100;

/// Unambiguous characters of a reference: no 0/O, 1/I/L or U.
pub const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
const REFERENCE_LENGTH: usize = 6;

/// A request as it was submitted.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub kind: RequestKind,
    pub topic_id: Uuid,
    /// The group asking, for a group's own request.
    pub group_slug: Option<String>,
    pub organisation_name: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub windows: Vec<Span>,
    pub online: bool,
    pub town: Option<String>,
    pub postcode_area: Option<String>,
    pub region: Option<String>,
    pub expected_audience: Option<i32>,
    pub notes: String,
    /// Whether the event may be listed publicly (for a group: public, or
    /// for its members only).
    pub public_event: bool,
}

/// One to three windows, each in the future, not too long, not too far.
pub fn validate_windows(windows: &[Span], now: DateTime<Utc>) -> Result<Vec<Span>> {
    if !(MIN_WINDOWS..=MAX_WINDOWS).contains(&windows.len()) {
        return Err(Error::validation(
            "preferredWindows",
            format!("give {MIN_WINDOWS} to {MAX_WINDOWS} preferred windows"),
        ));
    }
    for window in windows {
        if window.ends_at <= window.starts_at {
            return Err(Error::validation("preferredWindows", "each must end after it starts"));
        }
        if window.starts_at <= now {
            return Err(Error::validation("preferredWindows", "each must be in the future"));
        }
        if window.ends_at - window.starts_at > Duration::days(MAX_WINDOW_DAYS) {
            return Err(Error::validation(
                "preferredWindows",
                format!("each may span {MAX_WINDOW_DAYS} days at most"),
            ));
        }
        if window.starts_at > now + Duration::days(MAX_LEAD_DAYS) {
            return Err(Error::validation(
                "preferredWindows",
                format!("must start within {MAX_LEAD_DAYS} days"),
            ));
        }
    }
    let mut sorted = windows.to_vec();
    sorted.sort_by_key(|w| w.starts_at);
    Ok(sorted)
}

fn new_reference() -> Result<String> {
    let mut bytes = [0u8; REFERENCE_LENGTH];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    let mut reference = String::from("REQ-");
    // 256 is not a multiple of 30; the bias this leaves is immaterial for
    // a reference that is not a secret.
    reference.extend(
        bytes
            .iter()
            .map(|b| char::from(REFERENCE_ALPHABET[usize::from(*b) % REFERENCE_ALPHABET.len()])),
    );
    Ok(reference)
}

/// A request's details as checked, ready to store.
pub struct Details {
    pub windows: Vec<Span>,
    pub organisation_name: Option<SingleLine>,
    pub contact_name: Option<SingleLine>,
    pub contact_email: Option<Email>,
    pub region: Option<String>,
    pub town: Option<SingleLine>,
    pub postcode_area: Option<PostcodeArea>,
    pub expected_audience: Option<i32>,
    pub notes: MultiLine,
}

/// Checks everything a person typed into a request, every field at once
/// (no database needed, so a form can show them all before anything is
/// looked up). A group's request takes the group's region and no contact:
/// it is followed by the group's organisers' accounts.
pub fn check_details(new: &NewRequest, group: Option<&group::Model>, now: DateTime<Utc>) -> Result<Details> {
    let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    let leave_out = |field: &str, value: &Option<String>| -> Result<()> {
        if given(value) {
            Err(Error::validation(
                field,
                "a group's request is followed by its organisers; leave it out",
            ))
        } else {
            Ok(())
        }
    };
    let contact = match group {
        Some(group) => (
            leave_out("organisationName", &new.organisation_name).map(|()| None),
            leave_out("contactName", &new.contact_name).map(|()| None),
            leave_out("contactEmail", &new.contact_email).map(|()| None),
            Ok(Some(group.region.clone())),
        ),
        None => (
            SingleLine::required(
                "organisationName",
                new.organisation_name.as_deref().unwrap_or_default(),
                MAX_NAME_CHARS,
            )
            .map(Some),
            SingleLine::required(
                "contactName",
                new.contact_name.as_deref().unwrap_or_default(),
                MAX_NAME_CHARS,
            )
            .map(Some),
            match new.contact_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                None => Err(Error::validation("contactEmail", "is required")),
                Some(email) => Email::parse("contactEmail", email).map(Some),
            },
            SingleLine::optional("region", new.region.as_deref(), MAX_PLACE_CHARS).map(|r| r.map(String::from)),
        ),
    };
    let town = match SingleLine::optional("town", new.town.as_deref(), MAX_PLACE_CHARS) {
        Ok(None) if !new.online => Err(Error::validation("town", "is required unless the request is online")),
        other => other,
    };
    let (
        windows,
        organisation_name,
        contact_name,
        contact_email,
        region,
        town,
        postcode_area,
        expected_audience,
        notes,
    ) = (
        validate_windows(&new.windows, now),
        contact.0,
        contact.1,
        contact.2,
        contact.3,
        town,
        PostcodeArea::optional("postcodeArea", new.postcode_area.as_deref()),
        new.expected_audience
            .map(|n| in_range("expectedAudience", n, 1..=MAX_AUDIENCE))
            .transpose(),
        MultiLine::or_empty("notes", &new.notes, MAX_NOTES_CHARS),
    )
        .all_valid()?;
    Ok(Details {
        windows,
        organisation_name,
        contact_name,
        contact_email,
        region,
        town,
        postcode_area,
        expected_audience,
        notes,
    })
}

/// Takes a request: by a group's organiser for the group, or by anyone
/// (signed in or not) for an outside organisation. The request, its
/// windows and its first history row are written in one transaction.
pub async fn submit(work: &Work, viewer: &Viewer, new: NewRequest, now: DateTime<Utc>) -> Result<request::Model> {
    let group = match new.group_slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => Some(groups::get_by_slug(work, slug).await?),
        None => None,
    };
    authorize(
        viewer,
        Action::SubmitRequest {
            group_id: group.as_ref().map(|g| g.id),
        },
    )?;
    let topic = topic::Entity::find_by_id(new.topic_id)
        .filter(topic::Column::ArchivedAt.is_null())
        .one(work)
        .await?
        .ok_or_else(|| Error::validation("topicId", "is not a topic of the catalogue"));
    let (topic, checked) = (topic, check_details(&new, group.as_ref(), now)).all_valid()?;

    let id = Uuid::new_v4();
    let mut reference = new_reference()?;
    // A clash among 729 million references is rare; try a few before failing.
    for _ in 0..5 {
        let taken = request::Entity::find()
            .filter(request::Column::Reference.eq(reference.as_str()))
            .count(work)
            .await?;
        if taken == 0 {
            break;
        }
        reference = new_reference()?;
    }
    let model = request::ActiveModel {
        id: Set(id),
        reference: Set(reference),
        kind: Set(new.kind),
        topic_id: Set(topic.id),
        group_id: Set(group.as_ref().map(|g| g.id)),
        organisation_name: Set(checked.organisation_name.map(String::from)),
        contact_name: Set(sealing::seal_optional(
            Field::RequestContactName,
            id,
            checked.contact_name.as_ref().map(SingleLine::as_str),
        )?),
        contact_email: Set(sealing::seal_optional(
            Field::RequestContactEmail,
            id,
            checked.contact_email.as_ref().map(Email::as_str),
        )?),
        contact_email_hash: Set(checked
            .contact_email
            .as_ref()
            .map(|e| sealing::lookup(e.as_str()))
            .transpose()?),
        online: Set(new.online),
        town: Set(checked.town.map(String::from)),
        postcode_area: Set(checked.postcode_area.map(String::from)),
        region: Set(checked.region),
        expected_audience: Set(checked.expected_audience),
        notes: Set(checked.notes.into()),
        state: Set(RequestState::Submitted),
        version: Set(1),
        submitted_by: Set(viewer.user_id()),
        decline_reason: Set(None),
        ended_at: Set(None),
        contact_purged_at: Set(None),
        public_event: Set(new.public_event),
        attendance: Set(None),
        feedback: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(work)
    .await?;
    request_window::Entity::insert_many(checked.windows.iter().map(|w| request_window::ActiveModel {
        id: Set(Uuid::new_v4()),
        request_id: Set(id),
        starts_at: Set(w.starts_at),
        ends_at: Set(w.ends_at),
    }))
    .exec_without_returning(work)
    .await?;
    request_transition::ActiveModel {
        id: Set(Uuid::new_v4()),
        request_id: Set(id),
        from_state: Set(None),
        to_state: Set(RequestState::Submitted),
        actor_id: Set(viewer.user_id()),
        note: Set(None),
        created_at: Set(now),
    }
    .insert(work)
    .await?;
    journal::record(
        work,
        viewer.user_id(),
        DomainEvent::RequestSubmitted { request_id: id },
        now,
    )
    .await?;
    Ok(model)
}

/// How a viewer relates to a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    pub staff: bool,
    /// Submitted it, or organises the group it is for.
    pub requester: bool,
    /// The trainer of its open or accepted assignment.
    pub assigned_trainer: bool,
    /// Was ever assigned to it (an earlier, declined assignment too).
    pub ever_assigned: bool,
}

impl Relation {
    /// The workflow actors this relation can act as.
    pub fn actors(self) -> Vec<Actor> {
        let mut actors = Vec::new();
        if self.staff {
            actors.push(Actor::Coordinator);
        }
        if self.requester {
            actors.push(Actor::Requester);
        }
        if self.assigned_trainer {
            actors.push(Actor::AssignedTrainer);
        }
        actors
    }

    pub fn may_view(self, viewer: &Viewer) -> Result<()> {
        authorize(
            viewer,
            Action::ViewRequest {
                requester: self.requester,
                trainer: self.ever_assigned,
            },
        )
        .map(|_| ())
    }

    /// Whether the viewer may read the contact details, and whether that
    /// read must be recorded.
    pub fn contact_grant(self, viewer: &Viewer) -> Result<Grant> {
        authorize(
            viewer,
            Action::ReadRequestContact {
                requester: self.requester,
                assigned_trainer: self.assigned_trainer,
            },
        )
    }
}

/// Whether an assignment holds the request's trainer now.
pub fn is_open(status: AssignmentStatus) -> bool {
    matches!(status, AssignmentStatus::Proposed | AssignmentStatus::Accepted)
}

/// How `viewer` relates to `request`, given its assignments.
pub fn relation(viewer: &Viewer, request: &request::Model, assignments: &[assignment::Model]) -> Relation {
    let Some(user_id) = viewer.user_id() else {
        return Relation::default();
    };
    let mine = || assignments.iter().filter(move |a| a.trainer_id == user_id);
    Relation {
        staff: viewer.is_staff(),
        requester: request.submitted_by == Some(user_id) || request.group_id.is_some_and(|g| viewer.is_organiser_of(g)),
        assigned_trainer: mine().any(|a| is_open(a.status)),
        ever_assigned: mine().next().is_some(),
    }
}

/// A request's assignments, oldest first.
pub async fn assignments_of(db: &impl ConnectionTrait, request_id: Uuid) -> Result<Vec<assignment::Model>> {
    Ok(assignment::Entity::find()
        .filter(assignment::Column::RequestId.eq(request_id))
        .order_by_asc(assignment::Column::CreatedAt)
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?)
}

/// A request the viewer may see, with how they relate to it.
pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> Result<(request::Model, Relation)> {
    authorize(viewer, Action::UseOwnAccount)?;
    let request = request::Entity::find_by_id(id).one(db).await?.ok_or(Error::NotFound)?;
    let relation = relation(viewer, &request, &assignments_of(db, id).await?);
    relation.may_view(viewer)?;
    Ok((request, relation))
}

/// What the coordinators' queue can be narrowed by.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Empty: the states waiting on the network (submitted, assigned).
    pub states: Vec<RequestState>,
    pub kinds: Vec<RequestKind>,
    /// Topic slug.
    pub topic: Option<String>,
    pub region: Option<String>,
    /// Group slug.
    pub group: Option<String>,
}

two_column_position!(
    /// Position in the queue: submission time, then id.
    RequestPosition in request { created_at: DateTime<Utc> = CreatedAt Ascending, id: Uuid = Id Ascending }
);

pub(crate) fn filter_condition(filter: &RequestFilter) -> Condition {
    let states = if filter.states.is_empty() {
        vec![RequestState::Submitted, RequestState::Assigned]
    } else {
        filter.states.clone()
    };
    let mut condition = Condition::all().add(request::Column::State.is_in(states));
    if !filter.kinds.is_empty() {
        condition = condition.add(request::Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    if let Some(slug) = filter.topic.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        condition = condition.add(
            request::Column::TopicId.in_subquery(
                topic::Entity::find()
                    .select_only()
                    .column(topic::Column::Id)
                    .filter(topic::Column::Slug.eq(slug.to_lowercase()))
                    .into_query(),
            ),
        );
    }
    if let Some(region) = filter.region.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        condition = condition.add(ExprTrait::eq(
            Func::lower(Expr::col(request::Column::Region)),
            region.to_lowercase(),
        ));
    }
    if let Some(slug) = filter.group.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        condition = condition.add(
            request::Column::GroupId.in_subquery(
                group::Entity::find()
                    .select_only()
                    .column(group::Column::Id)
                    .filter(group::Column::Slug.eq(slug.to_lowercase()))
                    .into_query(),
            ),
        );
    }
    condition
}

/// The coordinators' queue: oldest waiting first.
pub async fn queue(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &RequestFilter,
    after: Option<&RequestPosition>,
    limit: u64,
) -> Result<Page<request::Model>> {
    authorize(viewer, Action::TriageRequests)?;
    keyset_page(
        db,
        request::Entity::find().filter(filter_condition(filter)),
        after,
        limit,
    )
    .await
}

/// The viewer's own requests and their groups' requests, newest first.
pub async fn mine(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Vec<request::Model>> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    Ok(request::Entity::find()
        .filter(
            Condition::any()
                .add(request::Column::SubmittedBy.eq(user_id))
                .add(request::Column::GroupId.is_in(viewer.organised_group_ids())),
        )
        .order_by_desc(request::Column::CreatedAt)
        .order_by_desc(request::Column::Id)
        .limit(MY_REQUESTS_LIMIT)
        .all(db)
        .await?)
}

/// A group's own requests, newest first, for its organisers and staff.
pub async fn of_group(db: &impl ConnectionTrait, viewer: &Viewer, group_id: Uuid) -> Result<Vec<request::Model>> {
    authorize(
        viewer,
        Action::ViewRequest {
            requester: viewer.is_organiser_of(group_id),
            trainer: false,
        },
    )?;
    Ok(request::Entity::find()
        .filter(request::Column::GroupId.eq(group_id))
        .order_by_desc(request::Column::CreatedAt)
        .order_by_desc(request::Column::Id)
        .limit(MY_REQUESTS_LIMIT)
        .all(db)
        .await?)
}

/// The viewer's assignments as a trainer: open and accepted ones whose
/// slot has not ended, or with `include_past` every one, by start.
pub async fn my_assignments(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    include_past: bool,
    now: DateTime<Utc>,
) -> Result<Vec<assignment::Model>> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let mut query = assignment::Entity::find().filter(assignment::Column::TrainerId.eq(user_id));
    if !include_past {
        query = query
            .filter(assignment::Column::EndsAt.gte(now))
            .filter(assignment::Column::Status.is_in([AssignmentStatus::Proposed, AssignmentStatus::Accepted]));
    }
    Ok(query
        .order_by_asc(assignment::Column::StartsAt)
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?)
}

/// A request by its public reference, for the requester to follow without
/// an account: only what the status page shows is read from it.
pub async fn by_reference(db: &impl ConnectionTrait, reference: &str) -> Result<request::Model> {
    let reference = reference.trim().to_uppercase();
    if reference.len() > 20 {
        return Err(Error::NotFound);
    }
    request::Entity::find()
        .filter(request::Column::Reference.eq(reference))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// What anyone holding a request's reference may see, for the API's
/// `requestStatus` and the `/request/{reference}` page alike: where it is,
/// when it moved, when it takes place, and its calendar event while that is
/// public and scheduled. Nobody's name, contact or notes.
#[derive(Debug, Clone)]
pub struct PublicStatus {
    pub reference: String,
    pub kind: RequestKind,
    /// The catalogue's topic (public).
    pub topic: topic::Model,
    pub state: RequestState,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The states it went through and when, oldest first.
    pub history: Vec<(RequestState, DateTime<Utc>)>,
    /// Once confirmed (and after): when the engagement is, or was to be.
    pub scheduled: Option<Span>,
    /// The public calendar event, while it is public and scheduled: a
    /// cancelled one is told by the state, and a members-only one is not
    /// for everyone holding a reference.
    pub public_event: Option<event::Model>,
}

/// The public status of the request with this reference.
pub async fn public_status(db: &impl ConnectionTrait, reference: &str) -> Result<PublicStatus> {
    let request = by_reference(db, reference).await?;
    public_status_of(db, request).await
}

/// The public status of a request already loaded (a submission's receipt).
pub async fn public_status_of(db: &impl ConnectionTrait, request: request::Model) -> Result<PublicStatus> {
    let topic = topic::Entity::find_by_id(request.topic_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let history = history(db, &[request.id])
        .await?
        .remove(&request.id)
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.to_state, t.created_at))
        .collect();
    let event = if matches!(
        request.state,
        RequestState::Confirmed | RequestState::Delivered | RequestState::Cancelled
    ) {
        transitions::event_of(db, request.id).await?
    } else {
        None
    };
    Ok(PublicStatus {
        reference: request.reference,
        kind: request.kind,
        topic,
        state: request.state,
        submitted_at: request.created_at,
        updated_at: request.updated_at,
        history,
        scheduled: event.as_ref().map(|e| Span {
            starts_at: e.starts_at,
            ends_at: e.ends_at,
        }),
        public_event: event.filter(|e| e.visibility == EventVisibility::Public && e.status == EventStatus::Scheduled),
    })
}

/// A request's history, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    request_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<request_transition::Model>>> {
    let rows = request_transition::Entity::find()
        .filter(request_transition::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(request_transition::Column::CreatedAt)
        .order_by_asc(request_transition::Column::Id)
        .all(db)
        .await?;
    Ok(batch::group_by(rows, |row| row.request_id))
}

/// Preferred windows of several requests, by start.
pub async fn windows(db: &impl ConnectionTrait, request_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Span>>> {
    let rows = request_window::Entity::find()
        .filter(request_window::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(request_window::Column::StartsAt)
        .all(db)
        .await?;
    Ok(batch::group_by(rows, |row| row.request_id)
        .into_iter()
        .map(|(id, rows)| {
            (
                id,
                rows.iter().map(|row| Span::new(row.starts_at, row.ends_at)).collect(),
            )
        })
        .collect())
}

/// Assignments of several requests, oldest first.
pub async fn assignments(
    db: &impl ConnectionTrait,
    request_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<assignment::Model>>> {
    let rows = assignment::Entity::find()
        .filter(assignment::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(assignment::Column::CreatedAt)
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?;
    Ok(batch::group_by(rows, |row| row.request_id))
}

/// The preferred windows still ahead, from now on.
pub(crate) async fn remaining_windows(
    db: &impl ConnectionTrait,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Span>> {
    Ok(windows(db, &[request_id])
        .await?
        .remove(&request_id)
        .unwrap_or_default()
        .into_iter()
        .filter(|w| w.ends_at > now)
        .map(|w| Span::new(Ord::max(w.starts_at, now), w.ends_at))
        .collect())
}

pub(crate) fn envelope(spans: &[Span]) -> Option<Span> {
    let starts_at = spans.iter().map(|s| s.starts_at).min()?;
    let ends_at = spans.iter().map(|s| s.ends_at).max()?;
    Some(Span::new(starts_at, ends_at))
}

pub(crate) fn typical_length(topic: &topic::Model) -> Duration {
    Duration::minutes(i64::from(Ord::max(topic.typical_duration_minutes, 15)))
}

pub(crate) async fn topic_of(db: &impl ConnectionTrait, request: &request::Model) -> Result<topic::Model> {
    topic::Entity::find_by_id(request.topic_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("request without its topic")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_one_to_three_future_spans() {
        let now = Utc::now();
        let day = |d: i64, h: i64| now + Duration::days(d) + Duration::hours(h);
        let ok = [Span::new(day(10, 0), day(10, 4)), Span::new(day(3, 0), day(3, 2))];
        let sorted = validate_windows(&ok, now).unwrap();
        assert_eq!(sorted[0], ok[1], "sorted by start");
        for bad in [
            vec![],
            vec![Span::new(day(1, 0), day(1, 1)); 4],
            vec![Span::new(day(1, 2), day(1, 1))],
            vec![Span::new(day(-1, 0), day(1, 0))],
            vec![Span::new(day(1, 0), day(100, 0))],
            vec![Span::new(day(600, 0), day(600, 2))],
        ] {
            let err = validate_windows(&bad, now).unwrap_err();
            assert_eq!(err.field(), Some("preferredWindows"));
        }
    }

    #[test]
    fn references_use_the_unambiguous_alphabet() {
        let reference = new_reference().unwrap();
        assert_eq!(reference.len(), 4 + REFERENCE_LENGTH);
        assert!(reference.bytes().skip(4).all(|b| REFERENCE_ALPHABET.contains(&b)));
    }
}
