//! The GraphQL schema: its roots, limits and the checked-in SDL.

pub mod error;
pub mod pagination;
pub mod query;
pub mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

pub type MusterSchema = Schema<query::QueryRoot, EmptyMutation, EmptySubscription>;

/// Deep enough for the standard introspection query (GraphiQL's nests about
/// 13 levels), shallow enough to refuse abusive nesting.
pub const MAX_DEPTH: usize = 15;
pub const MAX_COMPLEXITY: usize = 1000;

pub fn build_schema(db: DatabaseConnection) -> MusterSchema {
    schema_builder().data(db).finish()
}

/// The schema without runtime data, for printing the SDL.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

fn schema_builder() -> async_graphql::SchemaBuilder<query::QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(query::QueryRoot, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}
