//! Local groups: the public directory, and how the network creates, edits
//! and archives groups.

use chrono::{DateTime, Utc};
use entity::group;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Set,
    SqlErr,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        pagination::{Page, keyset_page, two_column_position},
        values::{AllValid, Email, MultiLine, SingleLine, Slug},
    },
    error::{Error, Result},
};

/// Filters of the public group directory.
#[derive(Debug, Default, Clone)]
pub struct GroupFilter {
    pub region: Option<String>,
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
}

two_column_position!(
    /// Position in the directory's order (name, then slug, which is unique).
    GroupPosition in group { name: String = Name Ascending, slug: String = Slug Ascending }
);

/// A page of the directory, named for the pages that list it.
pub struct GroupPage {
    pub groups: Vec<group::Model>,
    pub has_next_page: bool,
    pub total_count: u64,
}

impl From<Page<group::Model>> for GroupPage {
    fn from(page: Page<group::Model>) -> Self {
        Self {
            groups: page.rows,
            has_next_page: page.has_next_page,
            total_count: page.total_count,
        }
    }
}

impl From<GroupPage> for Page<group::Model> {
    fn from(page: GroupPage) -> Self {
        Self {
            rows: page.groups,
            has_next_page: page.has_next_page,
            total_count: page.total_count,
        }
    }
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
pub fn escape_like(text: &str) -> String {
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
    let select = group::Entity::find().filter(filter_condition(filter));
    Ok(keyset_page(db, select, after, limit).await?.into())
}

/// An active (not archived) group by its slug.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<group::Model>> {
    Ok(group::Entity::find()
        .filter(group::Column::Slug.eq(slug.trim().to_lowercase()))
        .filter(group::Column::ArchivedAt.is_null())
        .one(db)
        .await?)
}

/// A group by id, archived or not (for showing what an event belongs to).
pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<group::Model>> {
    Ok(group::Entity::find_by_id(id).one(db).await?)
}

/// Like [`find_by_slug`], but a missing group is `NOT_FOUND`.
pub async fn get_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<group::Model> {
    find_by_slug(db, slug).await?.ok_or(Error::NotFound)
}

/// The group behind its organisers' pages, for someone who may use them:
/// the group's organisers, coordinators and admins. Anyone else signed in
/// is `FORBIDDEN` (the group itself is public, so there is nothing to hide
/// by answering "not found"), anonymous `UNAUTHENTICATED`, and an unknown
/// or archived group `NOT_FOUND`. Each step on those pages then asks the
/// policy again for itself.
pub async fn get_managed(db: &impl ConnectionTrait, viewer: &Viewer, slug: &str) -> Result<group::Model> {
    let group = get_by_slug(db, slug).await?;
    authorize(viewer, Action::ManageMembers { group_id: group.id })?;
    Ok(group)
}

/// Whether `viewer` may use the organisers' pages of the group, for the
/// link to them on the group's page.
pub fn may_manage(viewer: &Viewer, group_id: Uuid) -> bool {
    authorize(viewer, Action::ManageMembers { group_id }).is_ok()
}

/// Whether `viewer` may change the group's region (the network's field).
pub fn may_change_region(viewer: &Viewer, group_id: Uuid) -> bool {
    authorize(
        viewer,
        Action::UpdateGroup {
            group_id,
            network_fields: true,
        },
    )
    .is_ok()
}

/// Serialises changes to one group's memberships across concurrent
/// requests: on PostgreSQL this takes the group row's lock, on SQLite it
/// makes the transaction a writer from its first statement. A rule that
/// counts rows ("at least one organiser") is then checked against a count
/// no other transaction can change underneath it.
pub async fn lock_group(db: &impl ConnectionTrait, group_id: Uuid) -> Result<()> {
    crate::domain::lock_row(db, group::Column::Id, group_id).await
}

const MAX_NAME_CHARS: usize = 100;
const MAX_DESCRIPTION_CHARS: usize = 5000;
const MAX_REGION_CHARS: usize = 60;

pub struct NewGroup<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub region: &'a str,
    pub description: &'a str,
    pub contact_email: Option<&'a str>,
}

/// Coordinators and admins create groups.
pub async fn create_group(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    new: NewGroup<'_>,
    now: DateTime<Utc>,
) -> Result<group::Model> {
    authorize(viewer, Action::CreateGroup)?;
    let (slug, name, region, description, contact_email) = (
        Slug::parse("slug", new.slug),
        SingleLine::required("name", new.name, MAX_NAME_CHARS),
        SingleLine::required("region", new.region, MAX_REGION_CHARS),
        MultiLine::or_empty("description", new.description, MAX_DESCRIPTION_CHARS),
        Email::optional("contactEmail", new.contact_email),
    )
        .all_valid()?;
    let model = group::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set(slug.into()),
        name: Set(name.into()),
        region: Set(region.into()),
        description: Set(description.into()),
        contact_email: Set(contact_email.map(String::from)),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    model.insert(db).await.map_err(slug_taken)
}

/// A unique-slug violation as a validation error on `slug`.
pub fn slug_taken(err: DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::validation("slug", "is already taken"),
        _ => err.into(),
    }
}

/// Changes to a group's profile; `None` leaves a field as it is. The slug
/// never changes: feed and page URLs people have saved contain it.
#[derive(Debug, Default)]
pub struct GroupChanges<'a> {
    pub name: Option<&'a str>,
    pub region: Option<&'a str>,
    pub description: Option<&'a str>,
    /// `Some(None)` clears the contact address.
    pub contact_email: Option<Option<&'a str>>,
}

/// Organisers edit their own group's public profile; the region, which
/// the network classifies groups by, is for coordinators and admins.
pub async fn update_group(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    slug: &str,
    changes: GroupChanges<'_>,
    now: DateTime<Utc>,
) -> Result<group::Model> {
    let group = get_by_slug(db, slug).await?;
    authorize(
        viewer,
        Action::UpdateGroup {
            group_id: group.id,
            network_fields: changes.region.is_some(),
        },
    )?;
    let (name, region, description, contact_email) = (
        changes
            .name
            .map(|n| SingleLine::required("name", n, MAX_NAME_CHARS))
            .transpose(),
        changes
            .region
            .map(|r| SingleLine::required("region", r, MAX_REGION_CHARS))
            .transpose(),
        changes
            .description
            .map(|d| MultiLine::or_empty("description", d, MAX_DESCRIPTION_CHARS))
            .transpose(),
        changes
            .contact_email
            .map(|c| Email::optional("contactEmail", c))
            .transpose(),
    )
        .all_valid()?;
    let mut active = group.into_active_model();
    if let Some(name) = name {
        active.name = Set(name.into());
    }
    if let Some(region) = region {
        active.region = Set(region.into());
    }
    if let Some(description) = description {
        active.description = Set(description.into());
    }
    if let Some(contact) = contact_email {
        active.contact_email = Set(contact.map(String::from));
    }
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// Archiving hides a group from the directory and lookups; its history
/// (events, requests) stays.
pub async fn archive_group(db: &impl ConnectionTrait, viewer: &Viewer, slug: &str, now: DateTime<Utc>) -> Result<()> {
    authorize(viewer, Action::ArchiveGroup)?;
    let group = get_by_slug(db, slug).await?;
    let mut active = group.into_active_model();
    active.archived_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
