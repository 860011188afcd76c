//! The topic catalogue.

use async_graphql::{Context, ID, InputObject, Object};

use crate::{
    domain::topics::{self, NewTopic, TopicChanges},
    graphql::{
        context::{db, now, viewer},
        error::ApiResult,
        parse_id,
        types::Topic,
    },
};

#[derive(InputObject)]
pub struct CreateTopicInput {
    /// 2–40 characters of a-z, 0-9 and hyphens; fixed once created (feed
    /// filters use it).
    pub slug: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    /// How long a session usually takes, 15 to 480 minutes.
    pub typical_duration_minutes: i32,
}

/// Omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateTopicInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub typical_duration_minutes: Option<i32>,
}

#[derive(Default)]
pub struct TopicQuery;

#[Object]
impl TopicQuery {
    /// The catalogue of workshop and talk topics, by name.
    async fn topics(&self, ctx: &Context<'_>, #[graphql(default)] include_archived: bool) -> ApiResult<Vec<Topic>> {
        Ok(topics::list(db(ctx), include_archived)
            .await?
            .into_iter()
            .map(Topic)
            .collect())
    }
}

#[derive(Default)]
pub struct TopicMutation;

#[Object]
impl TopicMutation {
    /// Coordinators and admins: adds a topic to the catalogue.
    async fn create_topic(&self, ctx: &Context<'_>, input: CreateTopicInput) -> ApiResult<Topic> {
        let new = NewTopic {
            slug: &input.slug,
            name: &input.name,
            description: &input.description,
            typical_duration_minutes: input.typical_duration_minutes,
        };
        Ok(Topic(topics::create(db(ctx), viewer(ctx), new, now(ctx)).await?))
    }

    /// Coordinators and admins: changes a topic's name, description or
    /// typical duration.
    async fn update_topic(&self, ctx: &Context<'_>, id: ID, input: UpdateTopicInput) -> ApiResult<Topic> {
        let changes = TopicChanges {
            name: input.name.as_deref(),
            description: input.description.as_deref(),
            typical_duration_minutes: input.typical_duration_minutes,
        };
        Ok(Topic(
            topics::update(db(ctx), viewer(ctx), parse_id("id", &id)?, changes, now(ctx)).await?,
        ))
    }

    /// Coordinators and admins: takes a topic out of the catalogue; what
    /// was about it keeps it.
    async fn archive_topic(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        topics::archive(db(ctx), viewer(ctx), parse_id("id", &id)?, now(ctx)).await?;
        Ok(true)
    }
}
