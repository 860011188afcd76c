//! The workflow's steps, each in one transaction:
//!
//! 1. lock the request's row (a row lock on PostgreSQL; on SQLite the
//!    first write makes the transaction the writer), so steps on one
//!    request run one after the other;
//! 2. work out how the viewer relates to it and ask the state machine
//!    (`FORBIDDEN`, then `CONFLICT` for a stale version, then
//!    `INVALID_TRANSITION`);
//! 3. apply the step's own rules and side effects (the assignment, the
//!    event);
//! 4. write the new state with `version = version + 1` conditionally on
//!    the version read, and the history row.
//!
//! A step that fails anywhere rolls all of it back.

use chrono::{DateTime, Duration, Utc};
use entity::{
    AssignmentStatus, EventKind, EventStatus, EventVisibility, RequestKind, RequestState, VenueVisibility, assignment,
    event, group, request, request_transition, trainer_profile, trainer_topic, user,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set, UpdateMany,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    Span, assignments_of, envelope,
    matching::{self, slot_refusal},
    relation, remaining_windows, topic_of, typical_length, windows,
};
use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        events::{DEFAULT_TIMEZONE, MAX_DURATION_DAYS, MAX_TITLE_CHARS, mark_cancelled},
        journal::{self, DomainEvent},
        lock_row,
        values::MultiLine,
        workflow::{Step, acting_as, check_actor, has_ended, next_state},
    },
    error::{Error, Result},
};

const MAX_NOTE_CHARS: usize = 2000;
const MAX_FEEDBACK_CHARS: usize = 4000;
const MAX_ATTENDANCE: i32 = 100_000;

/// A note, reason or feedback: optional paragraphs, as stored.
fn clean_note(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>> {
    Ok(MultiLine::optional(field, raw, max)?.map(String::from))
}

/// Serialises steps on one request (see the module comment).
async fn lock_request(db: &impl ConnectionTrait, request_id: Uuid) -> Result<()> {
    lock_row(db, request::Column::Id, request_id).await
}

/// Serialises bookings of one trainer: two requests accepted at once
/// cannot both take the same evening.
async fn lock_trainer(db: &impl ConnectionTrait, trainer_id: Uuid) -> Result<trainer_profile::Model> {
    let profile = match lock_row(db, trainer_profile::Column::Id, trainer_id).await {
        Ok(()) => trainer_profile::Entity::find_by_id(trainer_id).one(db).await?,
        Err(Error::NotFound) => None,
        Err(other) => return Err(other),
    };
    let active = user::Entity::find_by_id(trainer_id)
        .filter(user::Column::ErasedAt.is_null())
        .count(db)
        .await?
        > 0;
    profile
        .filter(|_| active)
        .ok_or_else(|| Error::validation("trainerId", "is not a trainer"))
}

/// A request locked for a step, with what the step was judged on.
struct Begun {
    request: request::Model,
    assignments: Vec<assignment::Model>,
    next: RequestState,
}

async fn begin(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    request_id: Uuid,
    step: Step,
    expected_version: Option<i32>,
) -> Result<Begun> {
    authorize(viewer, Action::UseOwnAccount)?;
    lock_request(db, request_id).await?;
    let request = request::Entity::find_by_id(request_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let assignments = assignments_of(db, request_id).await?;
    let relation = relation(viewer, &request, &assignments);
    relation.may_view(viewer)?;
    let actor = acting_as(step, &relation.actors());
    check_actor(step, actor)?;
    if let Some(expected) = expected_version
        && expected != request.version
    {
        return Err(Error::Conflict(format!(
            "the request has changed since version {expected} (it is at version {}); reload it and try again",
            request.version
        )));
    }
    let next = next_state(request.state, step, actor)?;
    Ok(Begun {
        request,
        assignments,
        next,
    })
}

/// Writes the new state, conditionally on the version the step was judged
/// on, its history row and what happened; `extra` sets the step's own
/// columns.
async fn record(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    begun: &Begun,
    note: Option<String>,
    happened: DomainEvent,
    now: DateTime<Utc>,
    extra: impl FnOnce(UpdateMany<request::Entity>) -> UpdateMany<request::Entity>,
) -> Result<request::Model> {
    let request = &begun.request;
    let mut update = request::Entity::update_many()
        .col_expr(request::Column::State, Expr::value(begun.next.as_str()))
        .col_expr(request::Column::Version, Expr::col(request::Column::Version).add(1))
        .col_expr(request::Column::UpdatedAt, Expr::value(now));
    if has_ended(begun.next) {
        update = update.col_expr(request::Column::EndedAt, Expr::value(now));
    }
    let written = extra(update)
        .filter(request::Column::Id.eq(request.id))
        .filter(request::Column::Version.eq(request.version))
        .exec(db)
        .await?;
    if written.rows_affected != 1 {
        return Err(Error::Conflict(
            "the request changed while this step ran; reload it".into(),
        ));
    }
    request_transition::ActiveModel {
        id: Set(Uuid::new_v4()),
        request_id: Set(request.id),
        from_state: Set(Some(request.state)),
        to_state: Set(begun.next),
        actor_id: Set(viewer.user_id()),
        note: Set(note),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    journal::record(db, viewer.user_id(), happened, now).await?;
    request::Entity::find_by_id(request.id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Proposes a trainer (coordinators): refused with `TRAINER_UNAVAILABLE`
/// and the reason when they do not cover the topic, or have no room in any
/// preferred window.
pub async fn assign(
    work: &Work,
    viewer: &Viewer,
    request_id: Uuid,
    trainer_id: Uuid,
    version: i32,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    let note = clean_note("note", note, MAX_NOTE_CHARS)?;
    let begun = begin(work, viewer, request_id, Step::Assign, Some(version)).await?;
    let profile = lock_trainer(work, trainer_id).await?;
    let topic = topic_of(work, &begun.request).await?;
    let covers = trainer_topic::Entity::find()
        .filter(trainer_topic::Column::TrainerId.eq(trainer_id))
        .filter(trainer_topic::Column::TopicId.eq(topic.id))
        .count(work)
        .await?
        > 0;
    if !covers {
        return Err(matching::topic_not_covered(&topic.name));
    }
    let windows = remaining_windows(work, request_id, now).await?;
    let Some(span) = envelope(&windows) else {
        return Err(Error::InvalidTransition(
            "every preferred window has passed; ask the requester for new dates".into(),
        ));
    };
    let calendar = matching::calendars(work, &[(trainer_id, profile.monthly_cap)], span, request_id)
        .await?
        .remove(&trainer_id)
        .unwrap_or_default();
    let free = calendar.free_windows(&windows, typical_length(&topic))?;
    // The proposal holds the trainer across the windows they are free in
    // until they answer with a concrete slot.
    let hold = envelope(&free).unwrap_or(span);
    let proposal = assignment::ActiveModel {
        id: Set(Uuid::new_v4()),
        request_id: Set(request_id),
        trainer_id: Set(trainer_id),
        status: Set(AssignmentStatus::Proposed),
        starts_at: Set(hold.starts_at),
        ends_at: Set(hold.ends_at),
        assigned_by: Set(viewer.user_id()),
        note: Set(note.clone()),
        created_at: Set(now),
        responded_at: Set(None),
    }
    .insert(work)
    .await?;
    let happened = DomainEvent::RequestAssigned {
        request_id,
        assignment_id: proposal.id,
        trainer_id,
    };
    record(work, viewer, &begun, note, happened, now, |u| u).await
}

/// The trainer's answer. Accepting names a slot inside a preferred window
/// and puts the engagement in the calendar; declining returns the request
/// to the queue.
pub async fn respond(
    work: &Work,
    viewer: &Viewer,
    assignment_id: Uuid,
    accept: bool,
    slot: Option<Span>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(request::Model, assignment::Model)> {
    authorize(viewer, Action::UseOwnAccount)?;
    let note = clean_note("note", note, MAX_NOTE_CHARS)?;
    let request_id = assignment::Entity::find_by_id(assignment_id)
        .one(work)
        .await?
        .ok_or(Error::NotFound)?
        .request_id;
    lock_request(work, request_id).await?;
    let answered = assignment::Entity::find_by_id(assignment_id)
        .one(work)
        .await?
        .ok_or(Error::NotFound)?;
    if viewer.user_id() != Some(answered.trainer_id) {
        return Err(Error::Forbidden);
    }
    if answered.status != AssignmentStatus::Proposed {
        return Err(Error::InvalidTransition(format!(
            "this assignment has already been {}",
            answered.status.as_str().to_lowercase()
        )));
    }
    let step = if accept { Step::Accept } else { Step::TrainerDecline };
    let begun = begin(work, viewer, request_id, step, None).await?;

    let mut answer = answered.clone().into_active_model();
    answer.responded_at = Set(Some(now));
    if accept {
        let slot = slot.ok_or_else(|| Error::validation("slot", "choose when the engagement starts and ends"))?;
        if slot.ends_at <= slot.starts_at {
            return Err(Error::validation("slot", "must end after it starts"));
        }
        if slot.starts_at <= now {
            return Err(Error::validation("slot", "must be in the future"));
        }
        // The engagement becomes an event, and events keep to this length.
        if slot.ends_at - slot.starts_at > Duration::days(MAX_DURATION_DAYS) {
            return Err(Error::validation(
                "slot",
                format!("may last {MAX_DURATION_DAYS} days at most"),
            ));
        }
        let windows = windows(work, &[request_id])
            .await?
            .remove(&request_id)
            .unwrap_or_default();
        if !windows.iter().any(|w| w.contains(&slot)) {
            return Err(Error::validation(
                "slot",
                "must lie inside one of the preferred windows",
            ));
        }
        let profile = lock_trainer(work, answered.trainer_id).await?;
        let calendar = matching::calendars(work, &[(profile.id, profile.monthly_cap)], slot, request_id)
            .await?
            .remove(&profile.id)
            .unwrap_or_default();
        calendar.slot(slot).map_err(slot_refusal)?;
        answer.status = Set(AssignmentStatus::Accepted);
        answer.starts_at = Set(slot.starts_at);
        answer.ends_at = Set(slot.ends_at);
        let answer = answer.update(work).await?;
        let event = create_event(work, &begun.request, &answer, now).await?;
        let trainer = Some(answer.trainer_id);
        journal::record(work, trainer, DomainEvent::EventCreated { event_id: event.id }, now).await?;
        let happened = DomainEvent::RequestConfirmed {
            request_id,
            assignment_id: answer.id,
            event_id: event.id,
        };
        let request = record(work, viewer, &begun, note, happened, now, |u| u).await?;
        Ok((request, answer))
    } else {
        answer.status = Set(AssignmentStatus::Declined);
        let answer = answer.update(work).await?;
        let happened = DomainEvent::AssignmentDeclined {
            request_id,
            assignment_id: answer.id,
            trainer_id: answer.trainer_id,
        };
        let request = record(work, viewer, &begun, note, happened, now, |u| u).await?;
        Ok((request, answer))
    }
}

/// What the calendar calls an engagement: a workshop under its topic's
/// name, a talk as "Talk: …", with who asked for it in brackets. The seed
/// names its engagements with this too.
pub fn engagement_kind_and_title(kind: RequestKind, topic_name: &str, host: Option<&str>) -> (EventKind, String) {
    let (kind, title) = match kind {
        RequestKind::Workshop => (EventKind::Workshop, topic_name.to_owned()),
        RequestKind::Speaker => (EventKind::Talk, format!("Talk: {topic_name}")),
    };
    let title = match host {
        Some(host) => format!("{title} ({host})"),
        None => title,
    };
    (kind, title.chars().take(MAX_TITLE_CHARS).collect())
}

/// The calendar event of an accepted engagement. Public unless the
/// requester asked otherwise: then a group's event is for its members, and
/// an outside organisation's is seen only by coordinators and the trainer.
async fn create_event(
    db: &impl ConnectionTrait,
    request: &request::Model,
    engagement: &assignment::Model,
    now: DateTime<Utc>,
) -> Result<event::Model> {
    let topic = topic_of(db, request).await?;
    let host = match request.group_id {
        Some(group_id) => group::Entity::find_by_id(group_id).one(db).await?.map(|g| g.name),
        None => request.organisation_name.clone(),
    };
    let (kind, title) = engagement_kind_and_title(request.kind, &topic.name, host.as_deref());
    let place = [request.town.as_deref(), request.postcode_area.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let (venue, address) = if request.online {
        (Some("Online".to_owned()), None)
    } else {
        (host, (!place.is_empty()).then_some(place))
    };
    Ok(event::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(title),
        description: Set(topic.description.clone()),
        starts_at: Set(engagement.starts_at),
        ends_at: Set(engagement.ends_at),
        timezone: Set(DEFAULT_TIMEZONE.to_owned()),
        venue: Set(venue),
        address: Set(address),
        online_url: Set(None),
        kind: Set(kind),
        group_id: Set(request.group_id),
        topic_id: Set(Some(topic.id)),
        visibility: Set(if request.public_event {
            EventVisibility::Public
        } else {
            EventVisibility::Members
        }),
        status: Set(EventStatus::Scheduled),
        sequence: Set(0),
        capacity: Set(None),
        request_id: Set(Some(request.id)),
        created_by: Set(Some(engagement.trainer_id)),
        cancelled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        going_count_kept: Set(None),
        waitlisted_count_kept: Set(None),
        attendance_forgotten_at: Set(None),
        venue_visibility: Set(VenueVisibility::Public),
        town: Set(request.town.clone()),
        postcode_area: Set(request.postcode_area.clone()),
        series_id: Set(None),
        original_starts_at: Set(None),
        import_uid: Set(None),
    }
    .insert(db)
    .await?)
}

/// The event an accepted engagement of this request put in the calendar.
pub async fn event_of(db: &impl ConnectionTrait, request_id: Uuid) -> Result<Option<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::RequestId.eq(request_id))
        .order_by_desc(event::Column::CreatedAt)
        .one(db)
        .await?)
}

/// Coordinators turn a request down, with the reason the requester sees.
pub async fn decline(
    work: &Work,
    viewer: &Viewer,
    request_id: Uuid,
    reason: &str,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    let reason = clean_note("reason", Some(reason), MAX_NOTE_CHARS)?
        .ok_or_else(|| Error::validation("reason", "say why, for the requester"))?;
    let begun = begin(work, viewer, request_id, Step::Decline, version).await?;
    let stored = reason.clone();
    let happened = DomainEvent::RequestDeclined { request_id };
    record(work, viewer, &begun, Some(reason), happened, now, move |u| {
        u.col_expr(request::Column::DeclineReason, Expr::value(stored))
    })
    .await
}

/// The requester (or a coordinator for them) calls it off; an engagement
/// already in the calendar is cancelled with it.
pub async fn withdraw(
    work: &Work,
    viewer: &Viewer,
    request_id: Uuid,
    reason: Option<&str>,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    call_off(work, viewer, request_id, Step::Withdraw, reason, version, now).await
}

/// Coordinators cancel a confirmed engagement; its event is cancelled so
/// that every subscribed calendar shows it.
pub async fn cancel(
    work: &Work,
    viewer: &Viewer,
    request_id: Uuid,
    reason: Option<&str>,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    call_off(work, viewer, request_id, Step::Cancel, reason, version, now).await
}

/// Withdrawing and cancelling end the request the same way; they differ
/// in who may take the step and from which states.
async fn call_off(
    work: &Work,
    viewer: &Viewer,
    request_id: Uuid,
    step: Step,
    reason: Option<&str>,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    let reason = clean_note("reason", reason, MAX_NOTE_CHARS)?;
    let begun = begin(work, viewer, request_id, step, version).await?;
    if let Some(event) = event_of(work, request_id).await? {
        mark_cancelled(work, viewer.user_id(), event, now).await?;
    }
    let happened = match step {
        Step::Withdraw => DomainEvent::RequestWithdrawn { request_id },
        _ => DomainEvent::RequestCancelled { request_id },
    };
    record(work, viewer, &begun, reason, happened, now, |u| u).await
}

/// The coordinator or the trainer records that it took place, once the
/// engagement has ended.
pub async fn mark_delivered(
    work: &Work,
    viewer: &Viewer,
    request_id: Uuid,
    attendance: Option<i32>,
    feedback: Option<&str>,
    version: Option<i32>,
    now: DateTime<Utc>,
) -> Result<request::Model> {
    if attendance.is_some_and(|n| !(0..=MAX_ATTENDANCE).contains(&n)) {
        return Err(Error::validation(
            "attendance",
            format!("must be between 0 and {MAX_ATTENDANCE}"),
        ));
    }
    let feedback = clean_note("feedback", feedback, MAX_FEEDBACK_CHARS)?;
    let begun = begin(work, viewer, request_id, Step::MarkDelivered, version).await?;
    let ends_at = begun
        .assignments
        .iter()
        .filter(|a| a.status == AssignmentStatus::Accepted)
        .map(|a| a.ends_at)
        .max();
    if ends_at.is_none_or(|end| end > now) {
        return Err(Error::InvalidTransition(
            "a request can be marked delivered once its engagement has ended".into(),
        ));
    }
    let happened = DomainEvent::RequestDelivered { request_id };
    record(work, viewer, &begun, None, happened, now, move |u| {
        u.col_expr(request::Column::Attendance, Expr::value(attendance))
            .col_expr(request::Column::Feedback, Expr::value(feedback))
    })
    .await
}
