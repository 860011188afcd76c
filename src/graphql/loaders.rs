//! DataLoaders: every place where a list meets a relation loads the
//! relation for the whole list in one query, so the number of statements
//! for a page does not grow with its size.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use chrono::{DateTime, Utc};
use entity::{assignment, event, group, request, request_transition, rsvp, topic, trainer_unavailability, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::{Viewer, viewer::SignedIn},
    domain::{
        memberships,
        requests::{self, Span},
        reveal::{self, Contact, Person, Reveal},
        rsvps, trainers,
    },
    graphql::error::ApiError,
};

/// The request's loader, with a cache that lives as long as the request.
pub type RequestLoader = async_graphql::dataloader::DataLoader<AppLoader, async_graphql::dataloader::HashMapCache>;

/// One loader per request; it knows the viewer, whose rights the domain
/// applies to the private values it batches.
pub struct AppLoader {
    pub db: DatabaseConnection,
    pub viewer: Viewer,
    /// When the request arrived: the time of the reads it records.
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserById(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupById(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActiveMemberCount(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupsOfUser(pub Uuid);

/// A person's email as the viewer may read it, in a given operation.
/// `as_subject`: asked as the person themself, for the account a request
/// has just signed in to (register, login).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailOf {
    pub subject_id: Uuid,
    pub operation: Arc<str>,
    pub as_subject: bool,
}

impl Loader<UserById> for AppLoader {
    type Value = Person;
    type Error = ApiError;

    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, Person>, ApiError> {
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(users.into_iter().map(|u| (UserById(u.id), Person::from(u))).collect())
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

impl Loader<EmailOf> for AppLoader {
    type Value = Reveal<Option<String>>;
    type Error = ApiError;

    /// The domain decides and records each batch of reads (one statement
    /// per operation) before any email is returned.
    async fn load(&self, keys: &[EmailOf]) -> Result<HashMap<EmailOf, Self::Value>, ApiError> {
        let mut found = HashMap::with_capacity(keys.len());
        let mut by_operation: HashMap<&str, Vec<Uuid>> = HashMap::new();
        for key in keys {
            if key.as_subject {
                let subject = Viewer::User(SignedIn {
                    id: key.subject_id,
                    role: entity::UserRole::Supporter,
                    is_trainer: false,
                    memberships: Vec::new(),
                });
                let mut own = reveal::emails(&self.db, &subject, &[key.subject_id], &key.operation, self.now).await?;
                if let Some(value) = own.remove(&key.subject_id) {
                    found.insert(key.clone(), value);
                }
            } else {
                by_operation.entry(&key.operation).or_default().push(key.subject_id);
            }
        }
        for (operation, ids) in by_operation {
            let shown = reveal::emails(&self.db, &self.viewer, &ids, operation, self.now).await?;
            for (subject_id, value) in shown {
                let key = EmailOf {
                    subject_id,
                    operation: operation.into(),
                    as_subject: false,
                };
                found.insert(key, value);
            }
        }
        Ok(found)
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
        let Some(viewer_id) = self.viewer.user_id() else {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestById(pub Uuid);

/// The viewer's own assignments to a request (as its trainer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ViewerAssignmentsTo(pub Uuid);

/// A request's preferred windows, by start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WindowsOfRequest(pub Uuid);

/// A request's assignments, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssignmentsOfRequest(pub Uuid);

/// A request's history, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HistoryOfRequest(pub Uuid);

/// The calendar event a request led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventOfRequest(pub Uuid);

/// A request's contact details as the viewer may read them, in a given
/// operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContactOf {
    pub request_id: Uuid,
    pub operation: Arc<str>,
}

impl Loader<RequestById> for AppLoader {
    type Value = request::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[RequestById]) -> Result<HashMap<RequestById, request::Model>, ApiError> {
        let found = request::Entity::find()
            .filter(request::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        Ok(found.into_iter().map(|r| (RequestById(r.id), r)).collect())
    }
}

impl Loader<ViewerAssignmentsTo> for AppLoader {
    type Value = Vec<assignment::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[ViewerAssignmentsTo]) -> Result<HashMap<ViewerAssignmentsTo, Self::Value>, ApiError> {
        let mut mine: HashMap<ViewerAssignmentsTo, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        let Some(viewer_id) = self.viewer.user_id() else {
            return Ok(mine);
        };
        for row in assignment::Entity::find()
            .filter(assignment::Column::RequestId.is_in(keys.iter().map(|k| k.0)))
            .filter(assignment::Column::TrainerId.eq(viewer_id))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?
        {
            mine.entry(ViewerAssignmentsTo(row.request_id)).or_default().push(row);
        }
        Ok(mine)
    }
}

impl Loader<WindowsOfRequest> for AppLoader {
    type Value = Vec<Span>;
    type Error = ApiError;

    async fn load(&self, keys: &[WindowsOfRequest]) -> Result<HashMap<WindowsOfRequest, Vec<Span>>, ApiError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut windows = requests::windows(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, windows.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<AssignmentsOfRequest> for AppLoader {
    type Value = Vec<assignment::Model>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[AssignmentsOfRequest],
    ) -> Result<HashMap<AssignmentsOfRequest, Self::Value>, ApiError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut found = requests::assignments(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, found.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<HistoryOfRequest> for AppLoader {
    type Value = Vec<request_transition::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[HistoryOfRequest]) -> Result<HashMap<HistoryOfRequest, Self::Value>, ApiError> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let mut found = requests::history(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, found.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<EventOfRequest> for AppLoader {
    /// `None` is cached too: most requests in a queue have no event yet.
    type Value = Option<event::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[EventOfRequest]) -> Result<HashMap<EventOfRequest, Self::Value>, ApiError> {
        let events = event::Entity::find()
            .filter(event::Column::RequestId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(ApiError::from)?;
        let mut by_request: HashMap<EventOfRequest, Self::Value> = keys.iter().map(|k| (*k, None)).collect();
        for event in events {
            let Some(request_id) = event.request_id else { continue };
            let slot = by_request.entry(EventOfRequest(request_id)).or_default();
            // The newest, should a request ever have led to two.
            if slot.as_ref().is_none_or(|e| e.created_at < event.created_at) {
                *slot = Some(event);
            }
        }
        Ok(by_request)
    }
}

impl Loader<ContactOf> for AppLoader {
    type Value = Reveal<Option<Contact>>;
    type Error = ApiError;

    /// Like [`EmailOf`]: decided and recorded by the domain, per batch.
    async fn load(&self, keys: &[ContactOf]) -> Result<HashMap<ContactOf, Self::Value>, ApiError> {
        let mut by_operation: HashMap<&str, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_operation.entry(&key.operation).or_default().push(key.request_id);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for (operation, ids) in by_operation {
            let shown = reveal::contacts(&self.db, &self.viewer, &ids, operation, self.now).await?;
            for (request_id, value) in shown {
                let key = ContactOf {
                    request_id,
                    operation: operation.into(),
                };
                found.insert(key, value);
            }
        }
        Ok(found)
    }
}
