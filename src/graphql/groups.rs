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

/// A new local group.
#[derive(InputObject)]
pub struct CreateGroupInput {
    /// 2–40 characters of a-z, 0-9 and hyphens; fixed once created.
    pub slug: String,
    /// The group's name as people know it; one line, at most 100 characters.
    pub name: String,
    /// The region it belongs to, e.g. `North West`; at most 60 characters.
    pub region: String,
    /// What the group does and how to join in, in plain text; at most 5,000
    /// characters.
    #[graphql(default)]
    pub description: String,
    /// A group mailbox, never a person's own address.
    pub contact_email: Option<String>,
}

/// Omitted fields stay as they are; `contactEmail: null` clears it.
#[derive(InputObject)]
pub struct UpdateGroupInput {
    /// A new name, at most 100 characters.
    pub name: Option<String>,
    /// Coordinators and admins only.
    pub region: Option<String>,
    /// A new description, at most 5,000 characters.
    pub description: Option<String>,
    /// A new public address (a group mailbox, never a person's); `null` removes it.
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
        #[graphql(desc = "Which groups; without it, all of them.")] filter: Option<GroupFilterInput>,
        #[graphql(desc = "How many to return: 1 to 100, 20 if omitted.")] first: Option<i32>,
        #[graphql(
            desc = "Continue after this cursor: the previous page's `pageInfo.endCursor`. Omit it for the first page."
        )]
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
    async fn group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's slug, e.g. `leeds`.")] slug: String,
    ) -> ApiResult<Option<Group>> {
        Ok(groups::find_by_slug(db(ctx), &slug).await?.map(Group))
    }
}

#[derive(Default)]
pub struct GroupMutation;

#[Object]
impl GroupMutation {
    /// Coordinators and admins: adds a local group to the network.
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new group's slug, name, region, description and public address.")]
        input: CreateGroupInput,
    ) -> ApiResult<Group> {
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
    async fn update_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's slug.")] slug: String,
        #[graphql(desc = "Only the fields to change; the others stay as they are.")] input: UpdateGroupInput,
    ) -> ApiResult<Group> {
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
    async fn archive_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group's slug.")] slug: String,
    ) -> ApiResult<bool> {
        groups::archive_group(db(ctx), viewer(ctx), &slug, now(ctx)).await?;
        Ok(true)
    }
}
