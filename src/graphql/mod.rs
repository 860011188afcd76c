//! The GraphQL schema: its roots, limits and the checked-in SDL. Each
//! domain has its own Query/Mutation part, merged here.

mod accounts;
mod calendar_import;
pub mod context;
pub mod error;
mod events;
mod feeds;
mod groups;
mod letters;
pub mod limits;
pub mod loaders;
mod memberships;
mod notifications;
pub mod pagination;
mod prime;
mod privacy;
mod requests;
mod series;
mod topics;
mod trainers;
pub mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, ID, Json, MergedObject, Schema, SchemaBuilder};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{auth::jwt::TokenKeys, clock::Clock, error::Error, rate_limit::RateLimits, urls::PublicUrls};
use pagination::PagedConnection;

/// What can be read. Anonymous callers see the public part of the network
/// (groups, public events, topics, a request's status by its reference);
/// sign in with `login` and send `Authorization: Bearer <token>` for the
/// rest, as each field says.
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
    notifications::NotificationQuery,
    letters::LetterQuery,
);

/// What can be changed. All but `register`, `login`, `submitRequest`,
/// `requestPasswordReset`, `resetPassword` and `verifyEmail` need a
/// signed-in account (`Authorization: Bearer <token>`); refusals
/// carry `extensions.code`, e.g. `FORBIDDEN` or `BAD_USER_INPUT` with the
/// fields at fault.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    accounts::AccountMutation,
    groups::GroupMutation,
    memberships::MembershipMutation,
    events::EventMutation,
    series::SeriesMutation,
    calendar_import::ImportMutation,
    feeds::FeedMutation,
    topics::TopicMutation,
    trainers::TrainerMutation,
    requests::RequestMutation,
    privacy::PrivacyMutation,
    notifications::NotificationMutation,
    letters::LetterMutation,
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
    mailroom: crate::domain::notifications::Mailroom,
    retention: crate::domain::retention::RetentionPolicy,
) -> MusterSchema {
    schema_builder()
        .data(retention)
        .data(db)
        .data(keys)
        .data(urls)
        .data(limits)
        .data(clock)
        .data(mailroom)
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
        .override_output_type_description::<DateTime<Utc>>(
            "An instant: an RFC 3339 date and time with its offset, e.g. `2027-03-01T18:30:00Z` or \
             `2027-03-01T19:30:00+01:00`. Answers are always given in UTC (`+00:00`).",
        )
        .override_output_type_description::<Json<serde_json::Value>>("A JSON document, as `exportMyData` gives it.")
        .override_output_type_description::<PagedConnection<types::Event>>(
            "A page of events, by start time, with how many match in all.",
        )
        .override_output_type_description::<PagedConnection<types::Group>>(
            "A page of the group directory, in name order, with how many match in all.",
        )
        .override_output_type_description::<PagedConnection<types::Membership>>(
            "A page of a group's members and requests to join, oldest first, with how many there are in all.",
        )
        .override_output_type_description::<PagedConnection<types::Request>>(
            "A page of the coordinators' queue of requests, oldest first, with how many match in all.",
        )
        .override_output_type_description::<PagedConnection<letters::Letter>>(
            "A page of letters and pledges, newest first, with how many match in all.",
        )
        .override_output_type_description::<PagedConnection<letters::LetterSignature>>(
            "A page of a letter's signatures, oldest first, with how many match in all.",
        )
        .override_output_type_description::<PagedConnection<types::AuditEntry>>(
            "A page of audit entries, newest first, with how many match in all.",
        )
}

/// An `ID` argument as the UUID it must be.
pub fn parse_id(field: &str, id: &ID) -> Result<Uuid, Error> {
    Uuid::parse_str(id.as_str()).map_err(|_| Error::validation(field, "is not a valid id"))
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::{
        parse_schema,
        types::{TypeKind, TypeSystemDefinition},
    };

    /// Scalars and directives the GraphQL specification defines: their
    /// descriptions are the specification's, not ours.
    const BUILT_IN: [&str; 10] = [
        "String",
        "Int",
        "Float",
        "Boolean",
        "ID",
        "include",
        "skip",
        "deprecated",
        "specifiedBy",
        "oneOf",
    ];

    fn described(description: &Option<async_graphql::Positioned<String>>) -> bool {
        description.as_ref().is_some_and(|d| !d.node.trim().is_empty())
    }

    /// Every element of the served schema without a description, as
    /// `Type`, `Type.field`, `Type.field(argument)`, `Input.field` or
    /// `Enum.VALUE`.
    fn undocumented(sdl: &str) -> Vec<String> {
        let document = parse_schema(sdl).expect("the served SDL parses");
        let mut missing = Vec::new();
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let name = ty.name.node.as_str();
                    if name.starts_with("__") || BUILT_IN.contains(&name) {
                        continue;
                    }
                    if !described(&ty.description) {
                        missing.push(name.to_owned());
                    }
                    let fields = match &ty.kind {
                        TypeKind::Object(object) => &object.fields,
                        TypeKind::Interface(interface) => &interface.fields,
                        _ => &Vec::new(),
                    };
                    for field in fields {
                        let field_name = &field.node.name.node;
                        if !described(&field.node.description) {
                            missing.push(format!("{name}.{field_name}"));
                        }
                        for argument in &field.node.arguments {
                            if !described(&argument.node.description) {
                                missing.push(format!("{name}.{field_name}({})", argument.node.name.node));
                            }
                        }
                    }
                    if let TypeKind::InputObject(input) = &ty.kind {
                        for field in &input.fields {
                            if !described(&field.node.description) {
                                missing.push(format!("{name}.{}", field.node.name.node));
                            }
                        }
                    }
                    if let TypeKind::Enum(values) = &ty.kind {
                        for value in &values.values {
                            if !described(&value.node.description) {
                                missing.push(format!("{name}.{}", value.node.value.node));
                            }
                        }
                    }
                }
                TypeSystemDefinition::Directive(directive) => {
                    let directive = directive.node;
                    let name = directive.name.node.as_str();
                    if BUILT_IN.contains(&name) {
                        continue;
                    }
                    if !described(&directive.description) {
                        missing.push(format!("@{name}"));
                    }
                    for argument in &directive.arguments {
                        if !described(&argument.node.description) {
                            missing.push(format!("@{name}({})", argument.node.name.node));
                        }
                    }
                }
                TypeSystemDefinition::Schema(_) => {}
            }
        }
        missing
    }

    /// The descriptions are the API's documentation (GraphiQL's docs pane):
    /// a new type, field, argument or enum value must come with one.
    #[test]
    fn every_element_of_the_served_schema_is_described() {
        let missing = undocumented(&super::sdl());
        assert!(
            missing.is_empty(),
            "{} elements of the served schema have no description; add a `///` comment (or \
             `#[graphql(desc = \"…\")]` on an argument):\n{}",
            missing.len(),
            missing.join("\n")
        );
    }

    #[test]
    fn an_undocumented_field_argument_and_value_are_each_found() {
        let sdl = r#"
            "A thing." type Thing { "Its name." name(short: Boolean): String! size: Int! }
            enum Colour { "Like grass." GREEN RED }
            input ThingInput { name: String! }
        "#;
        assert_eq!(
            undocumented(sdl),
            [
                "Thing.name(short)",
                "Thing.size",
                "Colour",
                "Colour.RED",
                "ThingInput",
                "ThingInput.name"
            ]
        );
    }
}
