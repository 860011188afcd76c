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

/// A new topic for the catalogue.
#[derive(InputObject)]
pub struct CreateTopicInput {
    /// 2–40 characters of a-z, 0-9 and hyphens; fixed once created (feed
    /// filters use it).
    pub slug: String,
    /// The topic's name; one line, at most 120 characters.
    pub name: String,
    /// What a session on it covers, in plain text; at most 5,000 characters.
    #[graphql(default)]
    pub description: String,
    /// How long a session usually takes, 15 to 480 minutes.
    pub typical_duration_minutes: i32,
}

/// Omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateTopicInput {
    /// A new name, at most 120 characters.
    pub name: Option<String>,
    /// A new description, at most 5,000 characters.
    pub description: Option<String>,
    /// A new usual length, 15 to 480 minutes.
    pub typical_duration_minutes: Option<i32>,
}

#[derive(Default)]
pub struct TopicQuery;

#[Object]
impl TopicQuery {
    /// The catalogue of workshop and talk topics, by name.
    async fn topics(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Also the topics taken out of the catalogue.")] include_archived: bool,
    ) -> ApiResult<Vec<Topic>> {
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
    async fn create_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug, name, description and usual length.")] input: CreateTopicInput,
    ) -> ApiResult<Topic> {
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
    async fn update_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic to change.")] id: ID,
        #[graphql(desc = "Only the fields to change; the others stay as they are.")] input: UpdateTopicInput,
    ) -> ApiResult<Topic> {
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
    async fn archive_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `id` of the topic to take out of the catalogue.")] id: ID,
    ) -> ApiResult<bool> {
        topics::archive(db(ctx), viewer(ctx), parse_id("id", &id)?, now(ctx)).await?;
        Ok(true)
    }
}
