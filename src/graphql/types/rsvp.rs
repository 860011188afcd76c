use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::rsvp;

use crate::{
    error::Error,
    graphql::{
        context::loader,
        error::ApiResult,
        loaders::{EventById, UserById},
        types::{Event, GqlRsvpStatus, User},
    },
};

pub struct Rsvp(pub rsvp::Model);

/// One person's answer to one event. Only reached through paths the policy
/// allowed: the person's own RSVPs, or an event's attendee list.
#[Object]
impl Rsvp {
    /// The RSVP's id (a UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// A place, or a place on the waiting list.
    async fn status(&self) -> GqlRsvpStatus {
        self.0.status.into()
    }

    /// When the person answered: the waiting list moves up in this order.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The event answered.
    async fn event(&self, ctx: &Context<'_>) -> ApiResult<Event> {
        let event = loader(ctx)?
            .load_one(EventById(self.0.event_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(Event(event))
    }

    /// The person who answered.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let user = loader(ctx)?
            .load_one(UserById(self.0.user_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(User::new(user))
    }
}
