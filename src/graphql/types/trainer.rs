use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::{trainer_profile, trainer_unavailability};

use crate::{
    error::Error,
    graphql::{
        context::loader,
        error::ApiResult,
        loaders::{TopicById, TrainerAway, TrainerCoverage, UserById},
        types::{Topic, User},
    },
};

pub struct TrainerProfile(pub trainer_profile::Model);

/// A trainer's profile. Only reached by the trainer themself and by
/// coordinators and admins.
#[Object]
impl TrainerProfile {
    /// The trainer.
    async fn user(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let user = loader(ctx)?
            .load_one(UserById(self.0.id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(User::new(user))
    }

    /// Engagements a month the trainer takes at most.
    async fn monthly_cap(&self) -> i32 {
        self.0.monthly_cap
    }

    /// The topics the trainer covers, by name.
    async fn topics(&self, ctx: &Context<'_>) -> ApiResult<Vec<Topic>> {
        let loader = loader(ctx)?;
        let (topic_ids, _) = loader.load_one(TrainerCoverage(self.0.id)).await?.unwrap_or_default();
        let mut topics: Vec<Topic> = loader
            .load_many(topic_ids.into_iter().map(TopicById))
            .await?
            .into_values()
            .map(Topic)
            .collect();
        topics.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(topics)
    }

    /// The regions the trainer covers.
    async fn regions(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(loader(ctx)?
            .load_one(TrainerCoverage(self.0.id))
            .await?
            .unwrap_or_default()
            .1)
    }

    /// When the trainer is away, by start.
    async fn unavailable_periods(&self, ctx: &Context<'_>) -> ApiResult<Vec<UnavailablePeriod>> {
        let periods = loader(ctx)?.load_one(TrainerAway(self.0.id)).await?.unwrap_or_default();
        Ok(periods.into_iter().map(UnavailablePeriod).collect())
    }
}

pub struct UnavailablePeriod(pub trainer_unavailability::Model);

/// A period a trainer cannot take engagements.
#[Object]
impl UnavailablePeriod {
    /// The period's id (a UUID), for `removeUnavailability`.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// When the trainer is away from.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }

    /// When the trainer is back.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }

    /// Why, e.g. "annual leave"; for the trainer and coordinators only. At most 200
    /// characters.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}
