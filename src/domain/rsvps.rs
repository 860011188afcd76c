//! RSVPs: places at events, the waiting list, and who may see who is going.
//!
//! Capacity holds under concurrency because every change to an event's
//! RSVPs first takes the event's lock ([`lock_event`]): the count of places
//! taken cannot change between reading it and writing the new RSVP.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{AssignmentStatus, EventStatus, RsvpStatus, assignment, event, rsvp};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        audit::{self, AuditAction, NewAuditEntry},
        batch,
        events::get_visible,
        journal::{self, DomainEvent},
        lock_row,
    },
    error::{Error, Result},
};

/// Serialises RSVP changes of one event: on PostgreSQL a row lock, on
/// SQLite the write lock taken by the transaction's first statement.
pub async fn lock_event(db: &impl ConnectionTrait, event_id: Uuid) -> Result<()> {
    lock_row(db, event::Column::Id, event_id).await
}

async fn going_count(db: &impl ConnectionTrait, event_id: Uuid) -> Result<u64> {
    Ok(rsvp::Entity::find()
        .filter(rsvp::Column::EventId.eq(event_id))
        .filter(rsvp::Column::Status.eq(RsvpStatus::Going))
        .count(db)
        .await?)
}

fn has_room(capacity: Option<i32>, going: u64) -> bool {
    capacity.is_none_or(|cap| going < cap.max(0) as u64)
}

/// Takes a place at an event, or a place on its waiting list when it is
/// full. Asking again returns the RSVP already held.
pub async fn rsvp(txn: &Work, viewer: &Viewer, event_id: Uuid, now: DateTime<Utc>) -> Result<rsvp::Model> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    lock_event(txn, event_id).await?;
    let event = get_visible(txn, viewer, event_id).await?;
    if event.status == EventStatus::Cancelled {
        return Err(Error::validation("eventId", "this event has been cancelled"));
    }
    if event.ends_at <= now {
        return Err(Error::validation("eventId", "this event is over"));
    }
    if let Some(existing) = find(txn, event_id, user_id).await? {
        return Ok(existing);
    }
    let status = if has_room(event.capacity, going_count(txn, event_id).await?) {
        RsvpStatus::Going
    } else {
        RsvpStatus::Waitlisted
    };
    let created = rsvp::ActiveModel {
        id: Set(Uuid::new_v4()),
        event_id: Set(event_id),
        user_id: Set(user_id),
        status: Set(status),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(created)
}

async fn find(db: &impl ConnectionTrait, event_id: Uuid, user_id: Uuid) -> Result<Option<rsvp::Model>> {
    Ok(rsvp::Entity::find()
        .filter(rsvp::Column::EventId.eq(event_id))
        .filter(rsvp::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// Gives up the viewer's place; the first on the waiting list moves up.
pub async fn cancel_rsvp(txn: &Work, viewer: &Viewer, event_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    lock_event(txn, event_id).await?;
    let event = get_visible(txn, viewer, event_id).await?;
    let held = find(txn, event_id, user_id).await?.ok_or(Error::NotFound)?;
    rsvp::Entity::delete_by_id(held.id).exec(txn).await?;
    if held.status == RsvpStatus::Going {
        fill_free_places(txn, viewer.user_id(), &event, now).await?;
    }
    Ok(())
}

/// Moves people up from the waiting list, first come first served, while
/// the event has room, each promotion recorded in the journal with the
/// `actor` whose step freed the place. Call with the event locked.
pub async fn fill_free_places(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    event: &event::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let going = going_count(db, event.id).await?;
    let free = match event.capacity {
        None => u64::MAX,
        Some(cap) => (cap.max(0) as u64).saturating_sub(going),
    };
    if free == 0 {
        return Ok(());
    }
    let waiting = rsvp::Entity::find()
        .filter(rsvp::Column::EventId.eq(event.id))
        .filter(rsvp::Column::Status.eq(RsvpStatus::Waitlisted))
        .order_by_asc(rsvp::Column::CreatedAt)
        .order_by_asc(rsvp::Column::Id)
        .limit(free.min(10_000))
        .all(db)
        .await?;
    for promoted in waiting {
        let user_id = promoted.user_id;
        let mut active = promoted.into_active_model();
        active.status = Set(RsvpStatus::Going);
        active.updated_at = Set(now);
        active.update(db).await?;
        let happened = DomainEvent::RsvpPromoted {
            event_id: event.id,
            user_id,
        };
        journal::record(db, actor, happened, now).await?;
    }
    Ok(())
}

/// Whether `user_id` is the trainer who accepted the engagement this event
/// came from.
pub async fn delivered_by(db: &impl ConnectionTrait, event: &event::Model, user_id: Option<Uuid>) -> Result<bool> {
    let (Some(request_id), Some(user_id)) = (event.request_id, user_id) else {
        return Ok(false);
    };
    Ok(assignment::Entity::find()
        .filter(assignment::Column::RequestId.eq(request_id))
        .filter(assignment::Column::TrainerId.eq(user_id))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Accepted))
        .count(db)
        .await?
        > 0)
}

/// Who is going to (or waiting for) an event, in the order they answered:
/// for the group's organisers, the delivering trainer, and staff.
pub async fn attendees(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    event: &event::Model,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<Vec<rsvp::Model>> {
    let delivered_by_viewer = delivered_by(db, event, viewer.user_id()).await?;
    authorize(
        viewer,
        Action::ListAttendees {
            group_id: event.group_id,
            delivered_by_viewer,
        },
    )?;
    let answers = rsvp::Entity::find()
        .filter(rsvp::Column::EventId.eq(event.id))
        .order_by_asc(rsvp::Column::CreatedAt)
        .order_by_asc(rsvp::Column::Id)
        .all(db)
        .await?;
    // Each person on the list learns, in their access log, who saw that
    // they answered; before the list is returned, in one statement.
    let reads = answers
        .iter()
        .filter(|answer| Some(answer.user_id) != viewer.user_id())
        .map(|answer| NewAuditEntry {
            actor_id: viewer.user_id(),
            subject_id: Some(answer.user_id),
            request_id: None,
            action: AuditAction::ReadAttendance,
            operation: operation.to_owned(),
        })
        .collect();
    audit::record_all(db, reads, now).await?;
    Ok(answers)
}

/// How many have a place at `event`, given the live count of its GOING
/// RSVPs: once its attendance is forgotten the RSVPs are gone and the count
/// kept on the event stands in for them.
pub fn going(event: &event::Model, live: u64) -> u64 {
    event.going_count_kept.map_or(0, |kept| kept.max(0) as u64) + live
}

/// Places taken at each event (public), in one query.
pub async fn going_counts(db: &impl ConnectionTrait, event_ids: &[Uuid]) -> Result<HashMap<Uuid, u64>> {
    let going = rsvp::Entity::find().filter(rsvp::Column::Status.eq(RsvpStatus::Going));
    batch::count_by(db, going, rsvp::Column::EventId, event_ids).await
}

/// One person's RSVPs to several events, in one query.
pub async fn rsvps_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, rsvp::Model>> {
    let rows = rsvp::Entity::find()
        .filter(rsvp::Column::UserId.eq(user_id))
        .filter(rsvp::Column::EventId.is_in(event_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.event_id, r)).collect())
}

/// Where `user_id` stands on the waiting list of each of `event_ids`
/// (1 is next to get a place), in one query; an event where they are not
/// waiting is absent. Only positions leave here, never who is ahead.
pub async fn waiting_positions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    event_ids: &[Uuid],
) -> Result<HashMap<Uuid, u64>> {
    if event_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let waiting: Vec<(Uuid, Uuid)> = rsvp::Entity::find()
        .select_only()
        .column(rsvp::Column::EventId)
        .column(rsvp::Column::UserId)
        .filter(rsvp::Column::EventId.is_in(event_ids.iter().copied()))
        .filter(rsvp::Column::Status.eq(RsvpStatus::Waitlisted))
        // The order the waiting list moves up in (`fill_free_places`).
        .order_by_asc(rsvp::Column::CreatedAt)
        .order_by_asc(rsvp::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut ahead: HashMap<Uuid, u64> = HashMap::new();
    let mut positions = HashMap::new();
    for (event_id, waiting_user) in waiting {
        let count = ahead.entry(event_id).or_default();
        *count += 1;
        if waiting_user == user_id {
            positions.insert(event_id, *count);
        }
    }
    Ok(positions)
}

/// The viewer's RSVPs with their events, by start time; past events only
/// when `include_past`.
pub async fn my_events(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    include_past: bool,
    now: DateTime<Utc>,
) -> Result<Vec<(rsvp::Model, event::Model)>> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let mut query = rsvp::Entity::find()
        .filter(rsvp::Column::UserId.eq(user_id))
        .find_also_related(event::Entity);
    if !include_past {
        query = query.filter(event::Column::EndsAt.gte(now));
    }
    let rows = query.order_by_asc(event::Column::StartsAt).all(db).await?;
    Ok(rows.into_iter().filter_map(|(r, e)| e.map(|e| (r, e))).collect())
}
