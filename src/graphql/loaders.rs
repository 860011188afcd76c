//! DataLoaders: every place where a list meets a relation loads the
//! relation for the whole list in one query, so the number of statements
//! for a page does not grow with its size.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use chrono::Utc;
use entity::{event, group, rsvp, topic, trainer_unavailability, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    domain::{
        audit::{self, AuditAction, NewAuditEntry},
        memberships, rsvps, trainers,
    },
    graphql::error::ApiError,
};

/// The request's loader, with a cache that lives as long as the request.
pub type RequestLoader = async_graphql::dataloader::DataLoader<AppLoader, async_graphql::dataloader::HashMapCache>;

/// One loader per request; it knows the viewer so that reads it records
/// in the audit trail name who read.
pub struct AppLoader {
    pub db: DatabaseConnection,
    pub viewer_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserById(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupById(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActiveMemberCount(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupsOfUser(pub Uuid);

/// Recording that the viewer read a person's email, in a given operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailRead {
    pub subject_id: Uuid,
    pub operation: Arc<str>,
}

impl Loader<UserById> for AppLoader {
    type Value = user::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, user::Model>, ApiError> {
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(users.into_iter().map(|u| (UserById(u.id), u)).collect())
    }
}

impl Loader<GroupById> for AppLoader {
    type Value = group::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[GroupById]) -> Result<HashMap<GroupById, group::Model>, ApiError> {
        let groups = group::Entity::find()
            .filter(group::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(groups.into_iter().map(|g| (GroupById(g.id), g)).collect())
    }
}

impl Loader<ActiveMemberCount> for AppLoader {
    type Value = u64;
    type Error = ApiError;

    async fn load(&self, keys: &[ActiveMemberCount]) -> Result<HashMap<ActiveMemberCount, u64>, ApiError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let counts = memberships::active_member_counts(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}

impl Loader<GroupsOfUser> for AppLoader {
    type Value = Vec<Uuid>;
    type Error = ApiError;

    async fn load(&self, keys: &[GroupsOfUser]) -> Result<HashMap<GroupsOfUser, Vec<Uuid>>, ApiError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut groups = memberships::group_ids_of_users(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, groups.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<EmailRead> for AppLoader {
    type Value = ();
    type Error = ApiError;

    /// Writes the audit entries of every email read in this batch in one
    /// statement; the emails are only returned once this has succeeded.
    async fn load(&self, keys: &[EmailRead]) -> Result<HashMap<EmailRead, ()>, ApiError> {
        let entries = keys
            .iter()
            .map(|k| NewAuditEntry {
                actor_id: self.viewer_id,
                subject_id: Some(k.subject_id),
                request_id: None,
                action: AuditAction::ReadEmail,
                operation: k.operation.to_string(),
            })
            .collect();
        audit::record_all(&self.db, entries, Utc::now()).await?;
        Ok(keys.iter().map(|k| (k.clone(), ())).collect())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventById(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TopicById(pub Uuid);

/// Places taken (GOING) at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoingCount(pub Uuid);

/// The viewer's own RSVP to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ViewerRsvp(pub Uuid);

impl Loader<EventById> for AppLoader {
    type Value = event::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[EventById]) -> Result<HashMap<EventById, event::Model>, ApiError> {
        let events = event::Entity::find()
            .filter(event::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(events.into_iter().map(|e| (EventById(e.id), e)).collect())
    }
}

impl Loader<TopicById> for AppLoader {
    type Value = topic::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[TopicById]) -> Result<HashMap<TopicById, topic::Model>, ApiError> {
        let topics = topic::Entity::find()
            .filter(topic::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(topics.into_iter().map(|t| (TopicById(t.id), t)).collect())
    }
}

impl Loader<GoingCount> for AppLoader {
    type Value = u64;
    type Error = ApiError;

    async fn load(&self, keys: &[GoingCount]) -> Result<HashMap<GoingCount, u64>, ApiError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let counts = rsvps::going_counts(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}

impl Loader<ViewerRsvp> for AppLoader {
    /// `None` is cached too: most events have no RSVP from the viewer, and
    /// a miss must not send each item back to the database.
    type Value = Option<rsvp::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[ViewerRsvp]) -> Result<HashMap<ViewerRsvp, Option<rsvp::Model>>, ApiError> {
        let Some(viewer_id) = self.viewer_id else {
            return Ok(keys.iter().map(|k| (*k, None)).collect());
        };
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut rsvps = rsvps::rsvps_of(&self.db, viewer_id, &ids).await?;
        Ok(keys.iter().map(|k| (*k, rsvps.remove(&k.0))).collect())
    }
}

/// A trainer's topics and regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrainerCoverage(pub Uuid);

/// A trainer's away periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrainerAway(pub Uuid);

impl Loader<TrainerCoverage> for AppLoader {
    type Value = (Vec<Uuid>, Vec<String>);
    type Error = ApiError;

    async fn load(&self, keys: &[TrainerCoverage]) -> Result<HashMap<TrainerCoverage, Self::Value>, ApiError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut coverage = trainers::coverage(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, coverage.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<TrainerAway> for AppLoader {
    type Value = Vec<trainer_unavailability::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[TrainerAway]) -> Result<HashMap<TrainerAway, Self::Value>, ApiError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut periods = trainers::unavailability(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, periods.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}
