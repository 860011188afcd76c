//! The journal of what happened: one typed [`DomainEvent`] per step that
//! others may need to hear about, written to `domain_events` in the same
//! transaction as the step itself. A step that fails leaves no entry, and
//! an entry never describes a change that did not land.
//!
//! This is the single hook for whatever follows a change (the mail outbox,
//! caches): they read the journal, never the API layer. An entry holds the
//! kind and the ids it is about, never a copy of a name, an address or a
//! note, so erasing a person leaves nothing of them here beyond an id.

use chrono::{DateTime, Utc};
use entity::domain_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::Result;

/// Something that happened, with the ids it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainEvent {
    RequestSubmitted {
        request_id: Uuid,
    },
    /// A coordinator proposed a trainer.
    RequestAssigned {
        request_id: Uuid,
        assignment_id: Uuid,
        trainer_id: Uuid,
    },
    /// The trainer accepted: the request is confirmed and its event made.
    RequestConfirmed {
        request_id: Uuid,
        assignment_id: Uuid,
        event_id: Uuid,
    },
    /// The trainer declined the proposal; the request is back in the queue.
    AssignmentDeclined {
        request_id: Uuid,
        assignment_id: Uuid,
        trainer_id: Uuid,
    },
    /// A coordinator turned the request down.
    RequestDeclined {
        request_id: Uuid,
    },
    RequestWithdrawn {
        request_id: Uuid,
    },
    RequestCancelled {
        request_id: Uuid,
    },
    RequestDelivered {
        request_id: Uuid,
    },
    MembershipRequested {
        group_id: Uuid,
        user_id: Uuid,
    },
    MembershipApproved {
        group_id: Uuid,
        user_id: Uuid,
    },
    MembershipRemoved {
        group_id: Uuid,
        user_id: Uuid,
    },
    EventCreated {
        event_id: Uuid,
    },
    /// Something a calendar shows changed (including erasure's scrub).
    EventChanged {
        event_id: Uuid,
    },
    EventCancelled {
        event_id: Uuid,
    },
    /// Its time or place changed (recorded beside [`Self::EventChanged`]).
    EventMoved {
        event_id: Uuid,
    },
    /// A place freed up and went to the first person waiting.
    RsvpPromoted {
        event_id: Uuid,
        user_id: Uuid,
    },
    AccountErased {
        user_id: Uuid,
    },
}

/// The kinds, as stored; stable across releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DomainEventKind {
    RequestSubmitted,
    RequestAssigned,
    RequestConfirmed,
    AssignmentDeclined,
    RequestDeclined,
    RequestWithdrawn,
    RequestCancelled,
    RequestDelivered,
    MembershipRequested,
    MembershipApproved,
    MembershipRemoved,
    EventCreated,
    EventChanged,
    EventCancelled,
    EventMoved,
    RsvpPromoted,
    AccountErased,
}

impl DomainEventKind {
    pub const ALL: [DomainEventKind; 17] = [
        Self::RequestSubmitted,
        Self::RequestAssigned,
        Self::RequestConfirmed,
        Self::AssignmentDeclined,
        Self::RequestDeclined,
        Self::RequestWithdrawn,
        Self::RequestCancelled,
        Self::RequestDelivered,
        Self::MembershipRequested,
        Self::MembershipApproved,
        Self::MembershipRemoved,
        Self::EventCreated,
        Self::EventChanged,
        Self::EventCancelled,
        Self::EventMoved,
        Self::RsvpPromoted,
        Self::AccountErased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestSubmitted => "REQUEST_SUBMITTED",
            Self::RequestAssigned => "REQUEST_ASSIGNED",
            Self::RequestConfirmed => "REQUEST_CONFIRMED",
            Self::AssignmentDeclined => "ASSIGNMENT_DECLINED",
            Self::RequestDeclined => "REQUEST_DECLINED",
            Self::RequestWithdrawn => "REQUEST_WITHDRAWN",
            Self::RequestCancelled => "REQUEST_CANCELLED",
            Self::RequestDelivered => "REQUEST_DELIVERED",
            Self::MembershipRequested => "MEMBERSHIP_REQUESTED",
            Self::MembershipApproved => "MEMBERSHIP_APPROVED",
            Self::MembershipRemoved => "MEMBERSHIP_REMOVED",
            Self::EventCreated => "EVENT_CREATED",
            Self::EventChanged => "EVENT_CHANGED",
            Self::EventCancelled => "EVENT_CANCELLED",
            Self::EventMoved => "EVENT_MOVED",
            Self::RsvpPromoted => "RSVP_PROMOTED",
            Self::AccountErased => "ACCOUNT_ERASED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// The columns an entry fills: which ids it is about.
#[derive(Default)]
struct Subjects {
    request_id: Option<Uuid>,
    assignment_id: Option<Uuid>,
    event_id: Option<Uuid>,
    group_id: Option<Uuid>,
    user_id: Option<Uuid>,
}

impl DomainEvent {
    pub fn kind(&self) -> DomainEventKind {
        use DomainEventKind as K;
        match self {
            Self::RequestSubmitted { .. } => K::RequestSubmitted,
            Self::RequestAssigned { .. } => K::RequestAssigned,
            Self::RequestConfirmed { .. } => K::RequestConfirmed,
            Self::AssignmentDeclined { .. } => K::AssignmentDeclined,
            Self::RequestDeclined { .. } => K::RequestDeclined,
            Self::RequestWithdrawn { .. } => K::RequestWithdrawn,
            Self::RequestCancelled { .. } => K::RequestCancelled,
            Self::RequestDelivered { .. } => K::RequestDelivered,
            Self::MembershipRequested { .. } => K::MembershipRequested,
            Self::MembershipApproved { .. } => K::MembershipApproved,
            Self::MembershipRemoved { .. } => K::MembershipRemoved,
            Self::EventCreated { .. } => K::EventCreated,
            Self::EventChanged { .. } => K::EventChanged,
            Self::EventCancelled { .. } => K::EventCancelled,
            Self::EventMoved { .. } => K::EventMoved,
            Self::RsvpPromoted { .. } => K::RsvpPromoted,
            Self::AccountErased { .. } => K::AccountErased,
        }
    }

    fn subjects(&self) -> Subjects {
        match *self {
            Self::RequestSubmitted { request_id }
            | Self::RequestDeclined { request_id }
            | Self::RequestWithdrawn { request_id }
            | Self::RequestCancelled { request_id }
            | Self::RequestDelivered { request_id } => Subjects {
                request_id: Some(request_id),
                ..Subjects::default()
            },
            Self::RequestAssigned {
                request_id,
                assignment_id,
                trainer_id,
            }
            | Self::AssignmentDeclined {
                request_id,
                assignment_id,
                trainer_id,
            } => Subjects {
                request_id: Some(request_id),
                assignment_id: Some(assignment_id),
                user_id: Some(trainer_id),
                ..Subjects::default()
            },
            Self::RequestConfirmed {
                request_id,
                assignment_id,
                event_id,
            } => Subjects {
                request_id: Some(request_id),
                assignment_id: Some(assignment_id),
                event_id: Some(event_id),
                ..Subjects::default()
            },
            Self::MembershipRequested { group_id, user_id }
            | Self::MembershipApproved { group_id, user_id }
            | Self::MembershipRemoved { group_id, user_id } => Subjects {
                group_id: Some(group_id),
                user_id: Some(user_id),
                ..Subjects::default()
            },
            Self::EventCreated { event_id }
            | Self::EventChanged { event_id }
            | Self::EventCancelled { event_id }
            | Self::EventMoved { event_id } => Subjects {
                event_id: Some(event_id),
                ..Subjects::default()
            },
            Self::RsvpPromoted { event_id, user_id } => Subjects {
                event_id: Some(event_id),
                user_id: Some(user_id),
                ..Subjects::default()
            },
            Self::AccountErased { user_id } => Subjects {
                user_id: Some(user_id),
                ..Subjects::default()
            },
        }
    }
}

/// Records `happened`, taken by `actor` (none: anonymous or the system).
/// Call it inside the step's transaction, after the change it describes.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    happened: DomainEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    let subjects = happened.subjects();
    domain_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        kind: Set(happened.kind().as_str().to_owned()),
        request_id: Set(subjects.request_id),
        assignment_id: Set(subjects.assignment_id),
        event_id: Set(subjects.event_id),
        group_id: Set(subjects.group_id),
        user_id: Set(subjects.user_id),
        actor_id: Set(actor),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// On erasure: the entries about the person go (their memberships, places
/// and offers, in the journal as in the tables), and the steps they took
/// keep no actor. Only [`DomainEvent::AccountErased`], recorded after
/// this, still carries the id, which no longer names anyone.
pub async fn forget(db: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    domain_event::Entity::delete_many()
        .filter(domain_event::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    domain_event::Entity::update_many()
        .col_expr(domain_event::Column::ActorId, Expr::value(Option::<Uuid>::None))
        .filter(domain_event::Column::ActorId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every entry in the order recorded (for consumers and tests).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<domain_event::Model>> {
    Ok(domain_event::Entity::find()
        .order_by_asc(domain_event::Column::Position)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_stable_name() {
        let names: std::collections::HashSet<&str> = DomainEventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), DomainEventKind::ALL.len());
        for kind in DomainEventKind::ALL {
            assert_eq!(DomainEventKind::parse(kind.as_str()), Some(kind));
        }
    }
}
