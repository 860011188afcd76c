//! The viewer: who is making this request, as the database says now.
//!
//! A missing `Authorization` header is anonymous. A header that is present
//! but not a valid, current bearer token is an error (`UNAUTHENTICATED`),
//! never a silent downgrade to anonymous: a client whose token expired must
//! learn so rather than see a thinner page.

use chrono::{DateTime, Utc};
use entity::{MembershipRole, MembershipStatus, UserRole, membership, trainer_profile, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::jwt::TokenKeys,
    error::{Error, Result},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewerMembership {
    pub group_id: Uuid,
    pub role: MembershipRole,
    pub status: MembershipStatus,
}

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: Uuid,
    pub role: UserRole,
    pub is_trainer: bool,
    pub memberships: Vec<ViewerMembership>,
}

#[derive(Debug, Clone, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    User(SignedIn),
}

impl Viewer {
    pub fn signed_in(&self) -> Option<&SignedIn> {
        match self {
            Self::Anonymous => None,
            Self::User(user) => Some(user),
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        self.signed_in().map(|u| u.id)
    }

    /// Coordinators and admins: the network's staff.
    pub fn is_staff(&self) -> bool {
        self.signed_in()
            .is_some_and(|u| matches!(u.role, UserRole::Coordinator | UserRole::Admin))
    }

    pub fn is_admin(&self) -> bool {
        self.signed_in().is_some_and(|u| u.role == UserRole::Admin)
    }

    pub fn is_trainer(&self) -> bool {
        self.signed_in().is_some_and(|u| u.is_trainer)
    }

    fn active_membership(&self, group_id: Uuid) -> Option<&ViewerMembership> {
        self.signed_in()?
            .memberships
            .iter()
            .find(|m| m.group_id == group_id && m.status == MembershipStatus::Active)
    }

    /// An active member (or organiser) of the group.
    pub fn is_member_of(&self, group_id: Uuid) -> bool {
        self.active_membership(group_id).is_some()
    }

    /// An active organiser of the group.
    pub fn is_organiser_of(&self, group_id: Uuid) -> bool {
        self.active_membership(group_id)
            .is_some_and(|m| m.role == MembershipRole::Organiser)
    }

    /// The groups the viewer is an active member of.
    pub fn member_group_ids(&self) -> Vec<Uuid> {
        self.signed_in()
            .map(|u| {
                u.memberships
                    .iter()
                    .filter(|m| m.status == MembershipStatus::Active)
                    .map(|m| m.group_id)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The groups the viewer is an active organiser of.
    pub fn organised_group_ids(&self) -> Vec<Uuid> {
        self.member_group_ids()
            .into_iter()
            .filter(|g| self.is_organiser_of(*g))
            .collect()
    }
}

/// The bearer token of an `Authorization` header value.
fn bearer_token(header: &str) -> Result<&str> {
    let (scheme, token) = header.trim().split_once(' ').ok_or(Error::Unauthenticated)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Error::Unauthenticated);
    }
    Ok(token.trim())
}

/// Resolves the `Authorization` header (if any) to a viewer.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    authorization: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Viewer> {
    let Some(header) = authorization else {
        return Ok(Viewer::Anonymous);
    };
    let claims = keys.verify(bearer_token(header)?, now)?;
    let user = user::Entity::find_by_id(claims.sub)
        .filter(user::Column::ErasedAt.is_null())
        .filter(user::Column::TokenVersion.eq(claims.ver))
        .one(db)
        .await?
        .ok_or(Error::Unauthenticated)?;
    load_signed_in(db, user).await.map(Viewer::User)
}

/// The viewer for a user row: their memberships and trainer profile.
pub async fn load_signed_in(db: &impl ConnectionTrait, user: user::Model) -> Result<SignedIn> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| ViewerMembership {
            group_id: m.group_id,
            role: m.role,
            status: m.status,
        })
        .collect();
    let is_trainer = trainer_profile::Entity::find_by_id(user.id).count(db).await? > 0;
    Ok(SignedIn {
        id: user.id,
        role: user.role,
        is_trainer,
        memberships,
    })
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn only_bearer_headers_carry_a_token() {
        assert_eq!(bearer_token("Bearer abc.def.ghi").unwrap(), "abc.def.ghi");
        assert_eq!(bearer_token("bearer  abc ").unwrap(), "abc");
        for bad in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "abc.def.ghi", ""] {
            assert_eq!(bearer_token(bad).unwrap_err().code(), "UNAUTHENTICATED", "{bad}");
        }
    }
}
