//! DataLoaders: every place where a list meets a relation loads the
//! relation for the whole list in one query, so the number of statements
//! for a page does not grow with its size.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use chrono::{DateTime, Utc};
use entity::{
    assignment, event, event_series, group, request, request_transition, rsvp, topic, trainer_unavailability, user,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::{Viewer, viewer::SignedIn},
    domain::{
        memberships,
        requests::{self, Span},
        reveal::{self, Contact, Person, Reveal},
        rsvps, trainers,
        venues::{EventRef, VenueAccess},
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

/// A loader of rows by their primary key, handed out as `$value`.
macro_rules! by_id {
    ($(#[$doc:meta])* $key:ident => $table:ident as $value:ty, $convert:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for AppLoader {
            type Value = $value;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, ApiError> {
                let rows = $table::Entity::find()
                    .filter($table::Column::Id.is_in(keys.iter().map(|k| k.0)))
                    .all(&self.db)
                    .await
                    .map_err(ApiError::from)?;
                Ok(rows.into_iter().map(|row| ($key(row.id), $convert(row))).collect())
            }
        }
    };
}

/// A loader of what one domain read returns for a batch of ids; an id the
/// read has nothing for gets the empty value (no rows, a count of 0), which
/// is cached like any other.
macro_rules! per_id {
    ($(#[$doc:meta])* $key:ident => $value:ty, $read:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for AppLoader {
            type Value = $value;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, ApiError> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let mut found = $read(&self.db, &ids).await?;
                Ok(keys
                    .iter()
                    .map(|k| (*k, found.remove(&k.0).unwrap_or_default()))
                    .collect())
            }
        }
    };
}

by_id!(UserById => user as Person, Person::from);
by_id!(GroupById => group as group::Model, std::convert::identity);
by_id!(EventById => event as event::Model, std::convert::identity);
by_id!(SeriesById => event_series as event_series::Model, std::convert::identity);
by_id!(TopicById => topic as topic::Model, std::convert::identity);
by_id!(RequestById => request as request::Model, std::convert::identity);

per_id!(
    /// A group's active members, as a count (public).
    ActiveMemberCount => u64, memberships::active_member_counts
);
per_id!(
    /// The groups a person belongs to or asked to join.
    GroupsOfUser => Vec<Uuid>, memberships::group_ids_of_users
);
per_id!(
    /// Places taken (GOING) at an event.
    GoingCount => u64, rsvps::going_counts
);
per_id!(
    /// A trainer's topics and regions.
    TrainerCoverage => (Vec<Uuid>, Vec<String>), trainers::coverage
);
per_id!(
    /// A trainer's away periods.
    TrainerAway => Vec<trainer_unavailability::Model>, trainers::unavailability
);
per_id!(
    /// A request's preferred windows, by start.
    WindowsOfRequest => Vec<Span>, requests::windows
);
per_id!(
    /// A request's assignments, oldest first.
    AssignmentsOfRequest => Vec<assignment::Model>, requests::assignments
);
per_id!(
    /// A request's history, oldest first.
    HistoryOfRequest => Vec<request_transition::Model>, requests::history
);

/// A person's email as the viewer may read it, in a given operation.
/// `as_subject`: asked as the person themself, for the account a request
/// has just signed in to (register, login).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailOf {
    pub subject_id: Uuid,
    pub operation: Arc<str>,
    pub as_subject: bool,
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

/// The viewer's own RSVP to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ViewerRsvp(pub Uuid);

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

/// Whether the viewer may see an event's exact venue: the domain decides
/// for the whole page at once, in at most two queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExactVenue(pub EventRef);

impl Loader<ExactVenue> for AppLoader {
    type Value = bool;
    type Error = ApiError;

    async fn load(&self, keys: &[ExactVenue]) -> Result<HashMap<ExactVenue, bool>, ApiError> {
        let access = VenueAccess::for_events(&self.db, &self.viewer, keys.iter().map(|k| k.0)).await?;
        Ok(keys.iter().map(|k| (*k, access.may_see(k.0))).collect())
    }
}

/// The viewer's own assignments to a request (as its trainer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ViewerAssignmentsTo(pub Uuid);

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
