//! Local groups: the public directory.

use entity::group;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};

use crate::error::Result;

/// Filters of the public group directory.
#[derive(Debug, Default, Clone)]
pub struct GroupFilter {
    pub region: Option<String>,
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
}

/// Position in the directory's order (name, then slug, which is unique).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPosition {
    pub name: String,
    pub slug: String,
}

impl GroupPosition {
    pub fn of(group: &group::Model) -> Self {
        Self {
            name: group.name.clone(),
            slug: group.slug.clone(),
        }
    }
}

pub struct GroupPage {
    pub groups: Vec<group::Model>,
    pub has_next_page: bool,
    pub total_count: u64,
}

fn filter_condition(filter: &GroupFilter) -> Condition {
    let mut condition = Condition::all().add(group::Column::ArchivedAt.is_null());
    if let Some(region) = filter.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        condition = condition.add(ExprTrait::eq(
            Func::lower(Expr::col(group::Column::Region)),
            region.to_lowercase(),
        ));
    }
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        condition =
            condition.add(Func::lower(Expr::col(group::Column::Name)).like(LikeExpr::new(pattern).escape('\\')));
    }
    condition
}

/// Escapes LIKE wildcards so a search for "50%" means the characters.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// One page of active groups in name order, after `after` if given.
pub async fn list_groups(
    db: &impl ConnectionTrait,
    filter: &GroupFilter,
    after: Option<&GroupPosition>,
    limit: u64,
) -> Result<GroupPage> {
    let condition = filter_condition(filter);
    let total_count = group::Entity::find().filter(condition.clone()).count(db).await?;

    let mut page_condition = condition;
    if let Some(after) = after {
        page_condition = page_condition.add(
            Condition::any().add(group::Column::Name.gt(after.name.clone())).add(
                group::Column::Name
                    .eq(after.name.clone())
                    .and(group::Column::Slug.gt(after.slug.clone())),
            ),
        );
    }
    let mut groups = group::Entity::find()
        .filter(page_condition)
        .order_by_asc(group::Column::Name)
        .order_by_asc(group::Column::Slug)
        .limit(limit + 1)
        .all(db)
        .await?;
    let has_next_page = groups.len() as u64 > limit;
    groups.truncate(limit as usize);
    Ok(GroupPage {
        groups,
        has_next_page,
        total_count,
    })
}

/// An active group by its slug.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<group::Model>> {
    Ok(group::Entity::find()
        .filter(group::Column::Slug.eq(slug.trim().to_lowercase()))
        .filter(group::Column::ArchivedAt.is_null())
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
