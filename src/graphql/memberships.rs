//! Joining groups, approving members, roles within a group, leaving.

use async_graphql::{Context, ID, Object};

use crate::{
    domain::{
        in_work,
        memberships::{self, MemberChange},
    },
    graphql::{
        context::{db, loader, now, operation_name, viewer},
        error::ApiResult,
        loaders::GroupById,
        parse_id,
        types::{GqlMembershipRole, Membership},
    },
};

#[derive(Default)]
pub struct MembershipQuery;

#[Object]
impl MembershipQuery {
    /// The signed-in person's memberships, requests to join included.
    async fn my_groups(&self, ctx: &Context<'_>) -> ApiResult<Vec<Membership>> {
        let rows = memberships::my_memberships(db(ctx), viewer(ctx)).await?;
        // The groups came with the memberships: hand them to the loader
        // rather than fetch them again for `Membership.group`.
        loader(ctx)?
            .feed_many(rows.iter().map(|(_, group)| (GroupById(group.id), group.clone())))
            .await;
        Ok(rows
            .into_iter()
            .map(|(membership, _group)| Membership(membership))
            .collect())
    }
}

#[derive(Default)]
pub struct MembershipMutation;

#[Object]
impl MembershipMutation {
    /// Asks to join a group; its organisers approve.
    async fn request_to_join(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The slug of the group to join.")] group_slug: String,
    ) -> ApiResult<Membership> {
        Ok(Membership(
            in_work(db(ctx), async |work| {
                memberships::request_to_join(work, viewer(ctx), &group_slug, now(ctx)).await
            })
            .await?,
        ))
    }

    /// The group's organisers: approves a request to join.
    async fn approve_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The slug of a group you organise.")] group_slug: String,
        #[graphql(desc = "The person who asked to join.")] user_id: ID,
    ) -> ApiResult<Membership> {
        let operation = operation_name(ctx);
        let change = MemberChange {
            group_slug: &group_slug,
            user_id: parse_id("userId", &user_id)?,
            operation: &operation,
        };
        Ok(Membership(
            in_work(db(ctx), async |work| {
                memberships::approve_member(work, viewer(ctx), change, now(ctx)).await
            })
            .await?,
        ))
    }

    /// The group's organisers: removes a member or turns down a request.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The slug of a group you organise.")] group_slug: String,
        #[graphql(desc = "The member, or the person who asked to join.")] user_id: ID,
    ) -> ApiResult<bool> {
        let operation = operation_name(ctx);
        let change = MemberChange {
            group_slug: &group_slug,
            user_id: parse_id("userId", &user_id)?,
            operation: &operation,
        };
        in_work(db(ctx), async |work| {
            memberships::remove_member(work, viewer(ctx), change, now(ctx)).await
        })
        .await?;
        Ok(true)
    }

    /// The group's organisers: makes a member organiser, or back.
    async fn set_member_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The slug of a group you organise.")] group_slug: String,
        #[graphql(desc = "The member whose role changes.")] user_id: ID,
        #[graphql(desc = "Their new role in the group.")] role: GqlMembershipRole,
    ) -> ApiResult<Membership> {
        let operation = operation_name(ctx);
        let change = MemberChange {
            group_slug: &group_slug,
            user_id: parse_id("userId", &user_id)?,
            operation: &operation,
        };
        Ok(Membership(
            in_work(db(ctx), async |work| {
                memberships::set_member_role(work, viewer(ctx), change, role.into(), now(ctx)).await
            })
            .await?,
        ))
    }

    /// Leaves a group, or withdraws a request to join.
    async fn leave_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's slug.")] group_slug: String,
    ) -> ApiResult<bool> {
        in_work(db(ctx), async |work| {
            memberships::leave_group(work, viewer(ctx), &group_slug, now(ctx)).await
        })
        .await?;
        Ok(true)
    }
}
