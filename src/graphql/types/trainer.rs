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

/// A trainer's profile. Only reached by the trainer themself and by
/// coordinators and admins.
pub struct TrainerProfile(pub trainer_profile::Model);

#[Object]
impl TrainerProfile {
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

/// A period a trainer cannot take engagements.
pub struct UnavailablePeriod(pub trainer_unavailability::Model);

#[Object]
impl UnavailablePeriod {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }

    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}
