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

/// One person's membership of one group. Only reached through paths the
/// policy allowed: the person's own `myGroups`, or a group's member list.
pub struct Membership(pub membership::Model);

#[Object]
impl Membership {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn group(&self, ctx: &Context<'_>) -> ApiResult<Group> {
        let group = loader(ctx)?
            .load_one(GroupById(self.0.group_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(Group(group))
    }

    async fn user(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let user = loader(ctx)?
            .load_one(UserById(self.0.user_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(User::new(user))
    }

    async fn role(&self) -> GqlMembershipRole {
        self.0.role.into()
    }

    async fn status(&self) -> GqlMembershipStatus {
        self.0.status.into()
    }

    /// When the person asked to join.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approved_at
    }
}
