use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::group;

use crate::{
    domain::memberships::{self, MemberPosition},
    graphql::{
        context::{db, loader, viewer},
        error::ApiResult,
        loaders::ActiveMemberCount,
        pagination::{PageArgs, PagedConnection, connection},
        types::{GqlMembershipStatus, Membership},
    },
};

pub struct Group(pub group::Model);

/// A local group of the network.
#[Object]
impl Group {
    /// The group's id (a UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Short unique name used in URLs, e.g. `leeds`. It never changes.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The group's name as people know it; at most 100 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Region of the UK, e.g. `Yorkshire and the Humber`.
    async fn region(&self) -> &str {
        &self.0.region
    }

    /// What the group does and how to join in, in plain text; may be empty. At most
    /// 5,000 characters.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The group's public address (a group mailbox, never a person's).
    async fn contact_email(&self) -> Option<&str> {
        self.0.contact_email.as_deref()
    }

    /// When the group was added to the network.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// How many approved members the group has. Public; who they are is not.
    async fn member_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        Ok(loader(ctx)?.load_one(ActiveMemberCount(self.0.id)).await?.unwrap_or(0))
    }

    /// The group's members and requests to join, oldest first. Only the
    /// group's organisers, coordinators and admins may see them.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only those with this status: `PENDING` for requests to join, `ACTIVE` for members. Omitted: both."
        )]
        status: Option<GqlMembershipStatus>,
        #[graphql(desc = "How many to return: 1 to 100, 20 if omitted.")] first: Option<i32>,
        #[graphql(
            desc = "Continue after this cursor: the previous page's `pageInfo.endCursor`. Omit it for the first page."
        )]
        after: Option<String>,
    ) -> ApiResult<PagedConnection<Membership>> {
        let args = PageArgs::<MemberPosition>::parse(first, after)?;
        let page = memberships::list_members(
            db(ctx),
            viewer(ctx),
            self.0.id,
            status.map(Into::into),
            args.after.as_ref(),
            args.first,
        )
        .await?;
        connection(&args, page, async |rows| Ok(rows.into_iter().map(Membership).collect())).await
    }
}
