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
    domain::groups::{slug_taken, validate_slug},
    error::{Error, Result},
};

const MAX_NAME_CHARS: usize = 120;
const MAX_DESCRIPTION_CHARS: usize = 5_000;
/// A full day of training is the longest session the network runs.
const MAX_DURATION_MINUTES: i32 = 8 * 60;

fn validate_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::validation(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} characters of text"),
        ));
    }
    Ok(name.to_owned())
}

fn validate_description(raw: &str) -> Result<String> {
    let text = raw.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::validation(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(text.chars().filter(|c| !c.is_control() || *c == '\n').collect())
}

fn validate_duration(minutes: i32) -> Result<i32> {
    if (15..=MAX_DURATION_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(Error::validation(
            "typicalDurationMinutes",
            format!("must be between 15 and {MAX_DURATION_MINUTES}"),
        ))
    }
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
    topic::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set(validate_slug(new.slug)?),
        name: Set(validate_name(new.name)?),
        description: Set(validate_description(new.description)?),
        typical_duration_minutes: Set(validate_duration(new.typical_duration_minutes)?),
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
    let mut active = topic.into_active_model();
    if let Some(name) = changes.name {
        active.name = Set(validate_name(name)?);
    }
    if let Some(description) = changes.description {
        active.description = Set(validate_description(description)?);
    }
    if let Some(minutes) = changes.typical_duration_minutes {
        active.typical_duration_minutes = Set(validate_duration(minutes)?);
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
    fn durations_and_names_are_bounded() {
        assert!(validate_duration(90).is_ok());
        assert!(validate_duration(10).is_err());
        assert!(validate_duration(9 * 60).is_err());
        assert!(validate_name("  Safe Surgeries  ").is_ok_and(|n| n == "Safe Surgeries"));
        assert!(validate_name("").is_err());
    }
}
