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

/// One person's answer to one event. Only reached through paths the policy
/// allowed: the person's own RSVPs, or an event's attendee list.
pub struct Rsvp(pub rsvp::Model);

#[Object]
impl Rsvp {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn status(&self) -> GqlRsvpStatus {
        self.0.status.into()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn event(&self, ctx: &Context<'_>) -> ApiResult<Event> {
        let event = loader(ctx)?
            .load_one(EventById(self.0.event_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(Event(event))
    }

    async fn user(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let user = loader(ctx)?
            .load_one(UserById(self.0.user_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(User::new(user))
    }
}
