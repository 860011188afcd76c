//! The API's own output types, built from entities field by field so that a
//! column change cannot silently change what clients see.

use async_graphql::{ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::group;

/// A local group of the network. Every field here is public.
#[derive(SimpleObject, Clone)]
pub struct Group {
    pub id: ID,
    /// Short unique name used in URLs, e.g. `leeds`.
    pub slug: String,
    pub name: String,
    /// Region of the UK, e.g. `Yorkshire and the Humber`.
    pub region: String,
    pub description: String,
    /// The group's public address (a group mailbox, never a person's).
    pub contact_email: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<group::Model> for Group {
    fn from(model: group::Model) -> Self {
        Self {
            id: ID(model.id.to_string()),
            slug: model.slug,
            name: model.name,
            region: model.region,
            description: model.description,
            contact_email: model.contact_email,
            created_at: model.created_at,
        }
    }
}

/// Extra fields on every connection.
#[derive(SimpleObject)]
pub struct ConnectionTotal {
    /// How many items match the filter, across all pages.
    pub total_count: u64,
}
