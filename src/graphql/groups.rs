//! The group directory and how groups are created, edited and archived.

use async_graphql::{Context, InputObject, MaybeUndefined, Object};

use crate::{
    domain::groups::{self, GroupChanges, GroupFilter, GroupPosition, NewGroup},
    graphql::{
        context::{db, now, viewer},
        error::ApiResult,
        pagination::{PageArgs, PagedConnection, connection},
        prime,
        types::Group,
    },
};

/// Filters for the group directory.
#[derive(InputObject, Default)]
pub struct GroupFilterInput {
    /// Only groups in this region (case-insensitive exact match).
    pub region: Option<String>,
    /// Only groups whose name contains this text (case-insensitive).
    pub search: Option<String>,
}

#[derive(InputObject)]
pub struct CreateGroupInput {
    /// 2–40 characters of a-z, 0-9 and hyphens; fixed once created.
    pub slug: String,
    pub name: String,
    pub region: String,
    #[graphql(default)]
    pub description: String,
    /// A group mailbox, never a person's own address.
    pub contact_email: Option<String>,
}

/// Omitted fields stay as they are; `contactEmail: null` clears it.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    pub name: Option<String>,
    /// Coordinators and admins only.
    pub region: Option<String>,
    pub description: Option<String>,
    pub contact_email: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct GroupQuery;

#[Object]
impl GroupQuery {
    /// The directory of local groups, in name order.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn groups(
        &self,
        ctx: &Context<'_>,
        filter: Option<GroupFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<PagedConnection<Group>> {
        let args = PageArgs::<GroupPosition>::parse(first, after)?;
        let filter = filter.unwrap_or_default();
        let filter = GroupFilter {
            region: filter.region,
            search: filter.search,
        };

        let page = groups::list_groups(db(ctx), &filter, args.after.as_ref(), args.first).await?;
        prime::groups(ctx, &page.groups).await?;
        connection(&args, page.into(), async |rows| {
            Ok(rows.into_iter().map(Group).collect())
        })
        .await
    }

    /// A group by its slug; null when there is none.
    async fn group(&self, ctx: &Context<'_>, slug: String) -> ApiResult<Option<Group>> {
        Ok(groups::find_by_slug(db(ctx), &slug).await?.map(Group))
    }
}

#[derive(Default)]
pub struct GroupMutation;

#[Object]
impl GroupMutation {
    /// Coordinators and admins: adds a local group to the network.
    async fn create_group(&self, ctx: &Context<'_>, input: CreateGroupInput) -> ApiResult<Group> {
        let new = NewGroup {
            slug: &input.slug,
            name: &input.name,
            region: &input.region,
            description: &input.description,
            contact_email: input.contact_email.as_deref(),
        };
        Ok(Group(groups::create_group(db(ctx), viewer(ctx), new, now(ctx)).await?))
    }

    /// The group's organisers edit its public profile; coordinators and
    /// admins also its region.
    async fn update_group(&self, ctx: &Context<'_>, slug: String, input: UpdateGroupInput) -> ApiResult<Group> {
        let changes = GroupChanges {
            name: input.name.as_deref(),
            region: input.region.as_deref(),
            description: input.description.as_deref(),
            contact_email: match &input.contact_email {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(email) => Some(Some(email.as_str())),
            },
        };
        Ok(Group(
            groups::update_group(db(ctx), viewer(ctx), &slug, changes, now(ctx)).await?,
        ))
    }

    /// Coordinators and admins: hides a group from the directory, keeping
    /// its history.
    async fn archive_group(&self, ctx: &Context<'_>, slug: String) -> ApiResult<bool> {
        groups::archive_group(db(ctx), viewer(ctx), &slug, now(ctx)).await?;
        Ok(true)
    }
}
