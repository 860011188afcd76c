use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::membership;

use crate::{
    error::Error,
    graphql::{
        context::loader,
        error::ApiResult,
        loaders::{GroupById, UserById},
        types::{GqlMembershipRole, GqlMembershipStatus, Group, User},
    },
};

pub struct Membership(pub membership::Model);

/// One person's membership of one group. Only reached through paths the
/// policy allowed: the person's own `myGroups`, or a group's member list.
#[Object]
impl Membership {
    /// The membership's id (a UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The group joined, or asked to join.
    async fn group(&self, ctx: &Context<'_>) -> ApiResult<Group> {
        let group = loader(ctx)?
            .load_one(GroupById(self.0.group_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(Group(group))
    }

    /// The member; their email follows the usual rules.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let user = loader(ctx)?
            .load_one(UserById(self.0.user_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(User::new(user))
    }

    /// Member or organiser of this group.
    async fn role(&self) -> GqlMembershipRole {
        self.0.role.into()
    }

    /// Waiting for an organiser's approval, or approved.
    async fn status(&self) -> GqlMembershipStatus {
        self.0.status.into()
    }

    /// When the person asked to join.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When an organiser approved it; null while pending.
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at
    }
}
