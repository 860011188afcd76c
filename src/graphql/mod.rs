//! The GraphQL schema: its roots, limits and the checked-in SDL. Each
//! domain has its own Query/Mutation part, merged here.

mod accounts;
pub mod context;
pub mod error;
mod events;
mod feeds;
mod groups;
pub mod limits;
pub mod loaders;
mod memberships;
pub mod pagination;
mod prime;
mod privacy;
mod requests;
mod topics;
mod trainers;
pub mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, ID, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{auth::jwt::TokenKeys, clock::Clock, error::Error, rate_limit::RateLimits, urls::PublicUrls};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    accounts::AccountQuery,
    groups::GroupQuery,
    memberships::MembershipQuery,
    events::EventQuery,
    feeds::FeedQuery,
    topics::TopicQuery,
    trainers::TrainerQuery,
    requests::RequestQuery,
    privacy::PrivacyQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    accounts::AccountMutation,
    groups::GroupMutation,
    memberships::MembershipMutation,
    events::EventMutation,
    feeds::FeedMutation,
    topics::TopicMutation,
    trainers::TrainerMutation,
    requests::RequestMutation,
    privacy::PrivacyMutation,
);

pub type MusterSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deep enough for the standard introspection query (GraphiQL's nests about
/// 13 levels), shallow enough to refuse abusive nesting.
pub const MAX_DEPTH: usize = 15;
/// Each field costs 1, and a connection its page size times what each item
/// selects (`pagination::page_cost`): a page of 100 events with their group,
/// topic and places (about 1,500) passes; a connection nested in another
/// (100 × 100 × …) does not.
pub const MAX_COMPLEXITY: usize = 5000;

pub fn build_schema(
    db: DatabaseConnection,
    keys: TokenKeys,
    urls: PublicUrls,
    limits: Arc<RateLimits>,
    clock: Clock,
) -> MusterSchema {
    schema_builder()
        .data(db)
        .data(keys)
        .data(urls)
        .data(limits)
        .data(clock)
        .finish()
}

/// The schema without runtime data, for printing the SDL.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

fn schema_builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// An `ID` argument as the UUID it must be.
pub fn parse_id(field: &str, id: &ID) -> Result<Uuid, Error> {
    Uuid::parse_str(id.as_str()).map_err(|_| Error::validation(field, "is not a valid id"))
}
