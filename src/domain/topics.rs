//! The topic catalogue: what workshops and talks are about. Coordinators
//! and admins keep it; everyone may read it (the request form lists it).

use chrono::{DateTime, Utc};
use entity::topic;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        groups::slug_taken,
        values::{AllValid, MultiLine, SingleLine, Slug, in_range},
    },
    error::{Error, Result},
};

const MAX_NAME_CHARS: usize = 120;
const MAX_DESCRIPTION_CHARS: usize = 5_000;
/// A full day of training is the longest session the network runs.
const MAX_DURATION_MINUTES: i32 = 8 * 60;

fn validate_duration(minutes: i32) -> Result<i32> {
    in_range("typicalDurationMinutes", minutes, 15..=MAX_DURATION_MINUTES)
}

/// The catalogue in name order; archived topics only when asked for.
pub async fn list(db: &impl ConnectionTrait, include_archived: bool) -> Result<Vec<topic::Model>> {
    let mut query = topic::Entity::find().order_by_asc(topic::Column::Name);
    if !include_archived {
        query = query.filter(topic::Column::ArchivedAt.is_null());
    }
    Ok(query.all(db).await?)
}

/// A topic by id, archived or not: a request keeps the topic it was for.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<topic::Model> {
    topic::Entity::find_by_id(id).one(db).await?.ok_or(Error::NotFound)
}

pub struct NewTopic<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub typical_duration_minutes: i32,
}

pub async fn create(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    new: NewTopic<'_>,
    now: DateTime<Utc>,
) -> Result<topic::Model> {
    authorize(viewer, Action::ManageTopics)?;
    let (slug, name, description, minutes) = (
        Slug::parse("slug", new.slug),
        SingleLine::required("name", new.name, MAX_NAME_CHARS),
        MultiLine::or_empty("description", new.description, MAX_DESCRIPTION_CHARS),
        validate_duration(new.typical_duration_minutes),
    )
        .all_valid()?;
    topic::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set(slug.into()),
        name: Set(name.into()),
        description: Set(description.into()),
        typical_duration_minutes: Set(minutes),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(slug_taken)
}

/// Changes to a topic; `None` leaves a field. The slug is fixed: feed
/// filters people subscribed to contain it.
#[derive(Debug, Default)]
pub struct TopicChanges<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub typical_duration_minutes: Option<i32>,
}

pub async fn update(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
    changes: TopicChanges<'_>,
    now: DateTime<Utc>,
) -> Result<topic::Model> {
    authorize(viewer, Action::ManageTopics)?;
    let topic = topic::Entity::find_by_id(id).one(db).await?.ok_or(Error::NotFound)?;
    let (name, description, minutes) = (
        changes
            .name
            .map(|n| SingleLine::required("name", n, MAX_NAME_CHARS))
            .transpose(),
        changes
            .description
            .map(|d| MultiLine::or_empty("description", d, MAX_DESCRIPTION_CHARS))
            .transpose(),
        changes.typical_duration_minutes.map(validate_duration).transpose(),
    )
        .all_valid()?;
    let mut active = topic.into_active_model();
    if let Some(name) = name {
        active.name = Set(name.into());
    }
    if let Some(description) = description {
        active.description = Set(description.into());
    }
    if let Some(minutes) = minutes {
        active.typical_duration_minutes = Set(minutes);
    }
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// Archiving takes a topic out of the catalogue; events and requests about
/// it keep it.
pub async fn archive(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    authorize(viewer, Action::ManageTopics)?;
    let topic = topic::Entity::find_by_id(id)
        .filter(topic::Column::ArchivedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let mut active = topic.into_active_model();
    active.archived_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded() {
        assert!(validate_duration(90).is_ok());
        assert!(validate_duration(10).is_err());
        assert!(validate_duration(9 * 60).is_err());
    }
}
