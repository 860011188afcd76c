//! Membership of local groups: asking to join, approval by organisers,
//! roles, leaving, and the rule that a group always keeps an organiser.
//!
//! Every change to a group's memberships takes the group's lock first (see
//! [`lock_group`]) so that two organisers stepping down at the same moment
//! cannot leave a group with none.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{MembershipRole, MembershipStatus, group, membership};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        audit::{self, AuditAction, NewAuditEntry},
        batch,
        groups::{get_by_slug, lock_group},
        journal::{self, DomainEvent},
        pagination::{Page, keyset_page, two_column_position},
    },
    error::{Error, Result},
};

pub const LAST_ORGANISER: &str = "a group must keep at least one organiser: make another member organiser first";

async fn find_membership(
    db: &impl ConnectionTrait,
    group_id: Uuid,
    user_id: Uuid,
) -> Result<Option<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

async fn active_organiser_count(db: &impl ConnectionTrait, group_id: Uuid) -> Result<u64> {
    Ok(membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group_id))
        .filter(membership::Column::Role.eq(MembershipRole::Organiser))
        .filter(membership::Column::Status.eq(MembershipStatus::Active))
        .count(db)
        .await?)
}

fn is_active_organiser(membership: &membership::Model) -> bool {
    membership.role == MembershipRole::Organiser && membership.status == MembershipStatus::Active
}

/// A signed-in person asks to join a group; organisers then approve.
pub async fn request_to_join(
    txn: &Work,
    viewer: &Viewer,
    group_slug: &str,
    now: DateTime<Utc>,
) -> Result<membership::Model> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let group = get_by_slug(txn, group_slug).await?;
    lock_group(txn, group.id).await?;
    if let Some(existing) = find_membership(txn, group.id, user_id).await? {
        return Err(Error::Conflict(match existing.status {
            MembershipStatus::Pending => "you have already asked to join this group".into(),
            MembershipStatus::Active => "you are already a member of this group".into(),
        }));
    }
    let created = membership::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        group_id: Set(group.id),
        role: Set(MembershipRole::Member),
        status: Set(MembershipStatus::Pending),
        created_at: Set(now),
        approved_at: Set(None),
    }
    .insert(txn)
    .await?;
    let happened = DomainEvent::MembershipRequested {
        group_id: group.id,
        user_id,
    };
    journal::record(txn, Some(user_id), happened, now).await?;
    Ok(created)
}

/// Who acts on whose membership, for the audit trail.
pub struct MemberChange<'a> {
    pub group_slug: &'a str,
    pub user_id: Uuid,
    /// The API operation, recorded as the reason in the audit entry.
    pub operation: &'a str,
}

fn audit_entry(viewer: &Viewer, subject: Uuid, action: AuditAction, operation: &str) -> NewAuditEntry {
    NewAuditEntry {
        actor_id: viewer.user_id(),
        subject_id: Some(subject),
        request_id: None,
        action,
        operation: operation.to_owned(),
    }
}

/// Opens the transaction of a change to someone's membership: load the
/// group, authorize, lock, load the membership.
async fn begin_member_change(
    txn: &Work,
    viewer: &Viewer,
    change: &MemberChange<'_>,
) -> Result<(group::Model, membership::Model)> {
    let group = get_by_slug(txn, change.group_slug).await?;
    authorize(viewer, Action::ManageMembers { group_id: group.id })?;
    lock_group(txn, group.id).await?;
    let membership = find_membership(txn, group.id, change.user_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((group, membership))
}

/// An organiser (or staff) approves a pending member. Approving an active
/// member changes nothing.
pub async fn approve_member(
    txn: &Work,
    viewer: &Viewer,
    change: MemberChange<'_>,
    now: DateTime<Utc>,
) -> Result<membership::Model> {
    let (group, membership) = begin_member_change(txn, viewer, &change).await?;
    if membership.status == MembershipStatus::Active {
        return Ok(membership);
    }
    let mut active = membership.into_active_model();
    active.status = Set(MembershipStatus::Active);
    active.approved_at = Set(Some(now));
    let updated = active.update(txn).await?;
    audit::record(
        txn,
        audit_entry(viewer, change.user_id, AuditAction::ApproveMembership, change.operation),
        now,
    )
    .await?;
    let happened = DomainEvent::MembershipApproved {
        group_id: group.id,
        user_id: change.user_id,
    };
    journal::record(txn, viewer.user_id(), happened, now).await?;
    Ok(updated)
}

/// An organiser (or staff) removes a member or turns down a request to join.
pub async fn remove_member(txn: &Work, viewer: &Viewer, change: MemberChange<'_>, now: DateTime<Utc>) -> Result<()> {
    let (group, membership) = begin_member_change(txn, viewer, &change).await?;
    if is_active_organiser(&membership) && active_organiser_count(txn, group.id).await? <= 1 {
        return Err(Error::Conflict(LAST_ORGANISER.into()));
    }
    membership::Entity::delete_by_id(membership.id).exec(txn).await?;
    audit::record(
        txn,
        audit_entry(viewer, change.user_id, AuditAction::RemoveMembership, change.operation),
        now,
    )
    .await?;
    let happened = DomainEvent::MembershipRemoved {
        group_id: group.id,
        user_id: change.user_id,
    };
    journal::record(txn, viewer.user_id(), happened, now).await?;
    Ok(())
}

/// An organiser (or staff) makes an active member organiser, or back.
pub async fn set_member_role(
    txn: &Work,
    viewer: &Viewer,
    change: MemberChange<'_>,
    role: MembershipRole,
    now: DateTime<Utc>,
) -> Result<membership::Model> {
    let (group, membership) = begin_member_change(txn, viewer, &change).await?;
    if membership.status != MembershipStatus::Active {
        return Err(Error::validation(
            "userId",
            "approve this person's request to join first",
        ));
    }
    if membership.role == role {
        return Ok(membership);
    }
    if is_active_organiser(&membership) && active_organiser_count(txn, group.id).await? <= 1 {
        return Err(Error::Conflict(LAST_ORGANISER.into()));
    }
    let mut active = membership.into_active_model();
    active.role = Set(role);
    let updated = active.update(txn).await?;
    audit::record(
        txn,
        audit_entry(viewer, change.user_id, AuditAction::ChangeMemberRole, change.operation),
        now,
    )
    .await?;
    Ok(updated)
}

/// A member leaves (or withdraws a request to join); the last organiser
/// cannot.
pub async fn leave_group(txn: &Work, viewer: &Viewer, group_slug: &str, now: DateTime<Utc>) -> Result<()> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let group = get_by_slug(txn, group_slug).await?;
    lock_group(txn, group.id).await?;
    let membership = find_membership(txn, group.id, user_id).await?.ok_or(Error::NotFound)?;
    if is_active_organiser(&membership) && active_organiser_count(txn, group.id).await? <= 1 {
        return Err(Error::Conflict(LAST_ORGANISER.into()));
    }
    membership::Entity::delete_by_id(membership.id).exec(txn).await?;
    let happened = DomainEvent::MembershipRemoved {
        group_id: group.id,
        user_id,
    };
    journal::record(txn, Some(user_id), happened, now).await
}

/// The viewer's own memberships (pending ones included) with their groups,
/// in group name order; archived groups are left out.
pub async fn my_memberships(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
) -> Result<Vec<(membership::Model, group::Model)>> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(group::Entity)
        .filter(group::Column::ArchivedAt.is_null())
        .order_by_asc(group::Column::Name)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(m, g)| g.map(|g| (m, g))).collect())
}

two_column_position!(
    /// Position in a member list: join time, then id.
    MemberPosition in membership { created_at: DateTime<Utc> = CreatedAt Ascending, id: Uuid = Id Ascending }
);

/// The members of a group, oldest first, for its organisers and staff.
pub async fn list_members(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    group_id: Uuid,
    status: Option<MembershipStatus>,
    after: Option<&MemberPosition>,
    limit: u64,
) -> Result<Page<membership::Model>> {
    authorize(viewer, Action::ListGroupMembers { group_id })?;
    let mut condition = Condition::all().add(membership::Column::GroupId.eq(group_id));
    if let Some(status) = status {
        condition = condition.add(membership::Column::Status.eq(status));
    }
    keyset_page(db, membership::Entity::find().filter(condition), after, limit).await
}

/// Active member counts (public) of several groups, in one query.
pub async fn active_member_counts(db: &impl ConnectionTrait, group_ids: &[Uuid]) -> Result<HashMap<Uuid, u64>> {
    let active = membership::Entity::find().filter(membership::Column::Status.eq(MembershipStatus::Active));
    batch::count_by(db, active, membership::Column::GroupId, group_ids).await
}

/// The groups each user belongs to or asked to join, in one query; used
/// to decide whether an organiser may see someone's email.
pub async fn group_ids_of_users(db: &impl ConnectionTrait, user_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>> {
    let rows: Vec<(Uuid, Uuid)> = membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .column(membership::Column::GroupId)
        .filter(membership::Column::UserId.is_in(user_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(batch::group_by(rows, |(user, _)| *user)
        .into_iter()
        .map(|(user, rows)| (user, rows.into_iter().map(|(_, group)| group).collect()))
        .collect())
}
