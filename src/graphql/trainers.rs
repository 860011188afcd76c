//! Trainer profiles, away periods, and finding trainers.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::{
        in_work,
        trainers::{self, NewAwayPeriod, ProfileInput, TrainerSearch},
    },
    graphql::{
        context::{db, now, operation_name, viewer},
        error::ApiResult,
        parse_id, prime,
        types::{TrainerProfile, UnavailablePeriod},
    },
};

/// What a trainer covers and how much they take on; it replaces what was there.
#[derive(InputObject)]
pub struct TrainerProfileInput {
    /// Topics of the catalogue the trainer covers.
    pub topic_ids: Vec<ID>,
    /// Regions the trainer travels to, e.g. `Wales`: at most 20, each at
    /// most 60 characters.
    pub regions: Vec<String>,
    /// Engagements a month at most, 0 to 31 (0 pauses new ones).
    pub monthly_cap: i32,
}

/// A span of time, from `startsAt` to `endsAt`.
#[derive(InputObject)]
pub struct TimeRangeInput {
    /// When it begins.
    pub starts_at: DateTime<Utc>,
    /// When it ends, after `startsAt`.
    pub ends_at: DateTime<Utc>,
}

/// A period a trainer is away and takes no engagements.
#[derive(InputObject)]
pub struct UnavailabilityInput {
    /// When the trainer is away from.
    pub starts_at: DateTime<Utc>,
    /// When the trainer is back, after `startsAt`.
    pub ends_at: DateTime<Utc>,
    /// For the trainer and coordinators only, e.g. "annual leave".
    pub note: Option<String>,
}

fn optional_id(field: &str, id: Option<ID>) -> Result<Option<uuid::Uuid>, crate::error::Error> {
    id.map(|id| parse_id(field, &id)).transpose()
}

#[derive(Default)]
pub struct TrainerQuery;

#[Object]
impl TrainerQuery {
    /// A trainer's profile: your own by default; coordinators and admins
    /// may name anyone's. Null when there is none.
    async fn trainer_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose profile (coordinators and admins); omitted: your own.")] trainer_id: Option<ID>,
    ) -> ApiResult<Option<TrainerProfile>> {
        let trainer_id = optional_id("trainerId", trainer_id)?;
        Ok(trainers::get_profile(db(ctx), viewer(ctx), trainer_id)
            .await?
            .map(TrainerProfile))
    }

    /// Coordinators and admins: trainers who cover a topic (slug) and a
    /// region, and are free for a whole period, by name.
    async fn trainers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only trainers who cover this topic (its slug).")] topic: Option<String>,
        #[graphql(desc = "Only trainers who cover this region (case-insensitive).")] region: Option<String>,
        #[graphql(desc = "Only trainers free for the whole of this period.")] available_between: Option<TimeRangeInput>,
    ) -> ApiResult<Vec<TrainerProfile>> {
        let search = TrainerSearch {
            topic_slug: topic,
            region,
            available_between: available_between.map(|r| (r.starts_at, r.ends_at)),
        };
        let found = trainers::find_trainers(db(ctx), viewer(ctx), &search).await?;
        let ids: Vec<Uuid> = found.iter().map(|t| t.id).collect();
        prime::trainers(ctx, None, &ids).await?;
        Ok(found.into_iter().map(TrainerProfile).collect())
    }
}

#[derive(Default)]
pub struct TrainerMutation;

#[Object]
impl TrainerMutation {
    /// Sets a trainer's topics, regions and monthly cap: your own, or, for
    /// coordinators and admins, anyone's (which makes them a trainer).
    async fn set_trainer_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose profile (coordinators and admins); omitted: your own.")] trainer_id: Option<ID>,
        #[graphql(desc = "The topics, regions and monthly cap.")] input: TrainerProfileInput,
    ) -> ApiResult<TrainerProfile> {
        let topic_ids = input
            .topic_ids
            .iter()
            .map(|id| parse_id("topicIds", id))
            .collect::<Result<Vec<_>, _>>()?;
        let profile_input = ProfileInput {
            topic_ids,
            regions: input.regions,
            monthly_cap: input.monthly_cap,
        };
        let trainer_id = optional_id("trainerId", trainer_id)?;
        let operation = operation_name(ctx);
        let profile = in_work(db(ctx), async |work| {
            trainers::set_profile(work, viewer(ctx), trainer_id, profile_input, &operation, now(ctx)).await
        })
        .await?;
        Ok(TrainerProfile(profile))
    }

    /// Records a period a trainer is away (your own, or as a coordinator).
    async fn add_unavailability(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose period (coordinators and admins); omitted: your own.")] trainer_id: Option<ID>,
        #[graphql(desc = "When, and why.")] input: UnavailabilityInput,
    ) -> ApiResult<UnavailablePeriod> {
        let trainer_id = optional_id("trainerId", trainer_id)?;
        let operation = operation_name(ctx);
        let period = in_work(db(ctx), async |work| {
            let away = NewAwayPeriod {
                starts_at: input.starts_at,
                ends_at: input.ends_at,
                note: input.note.as_deref(),
            };
            trainers::add_unavailability(work, viewer(ctx), trainer_id, away, &operation, now(ctx)).await
        })
        .await?;
        Ok(UnavailablePeriod(period))
    }

    /// Deletes a period a trainer is away: your own, or, for coordinators and
    /// admins, anyone's.
    async fn remove_unavailability(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period's id.")] id: ID,
    ) -> ApiResult<bool> {
        let (id, operation) = (parse_id("id", &id)?, operation_name(ctx));
        in_work(db(ctx), async |work| {
            trainers::remove_unavailability(work, viewer(ctx), id, &operation, now(ctx)).await
        })
        .await?;
        Ok(true)
    }
}
