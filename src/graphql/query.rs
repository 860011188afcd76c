//! Read operations. Resolvers stay thin: parse arguments, call the domain,
//! convert the result.

use async_graphql::{
    Context, InputObject, Object,
    connection::{Connection, Edge, EmptyFields},
};
use sea_orm::DatabaseConnection;

use crate::{
    domain::groups::{self, GroupFilter, GroupPosition},
    graphql::{
        error::ApiResult,
        pagination::{decode_cursor, encode_cursor, page_size},
        types::{ConnectionTotal, Group},
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

pub type GroupConnection = Connection<String, Group, ConnectionTotal, EmptyFields>;

#[derive(Default)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The directory of local groups, in name order.
    async fn groups(
        &self,
        ctx: &Context<'_>,
        filter: Option<GroupFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<GroupConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let limit = page_size(first)?;
        let after = after
            .map(|cursor| decode_cursor::<(String, String)>(&cursor))
            .transpose()?
            .map(|(name, slug)| GroupPosition { name, slug });
        let filter = filter.unwrap_or_default();
        let filter = GroupFilter {
            region: filter.region,
            search: filter.search,
        };

        let page = groups::list_groups(db, &filter, after.as_ref(), limit).await?;
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            page.has_next_page,
            ConnectionTotal {
                total_count: page.total_count,
            },
        );
        connection.edges.extend(page.groups.into_iter().map(|group| {
            let position = GroupPosition::of(&group);
            Edge::new(encode_cursor(&(position.name, position.slug)), Group::from(group))
        }));
        Ok(connection)
    }

    /// A group by its slug; null when there is none.
    async fn group(&self, ctx: &Context<'_>, slug: String) -> ApiResult<Option<Group>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(groups::find_by_slug(db, &slug).await?.map(Group::from))
    }
}
