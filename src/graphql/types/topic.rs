use async_graphql::{ID, Object};
use entity::topic;

pub struct Topic(pub topic::Model);

/// What a workshop or talk is about, from the catalogue coordinators keep.
#[Object]
impl Topic {
    /// The topic's id (a UUID), to give as `topicId`.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Short unique name, e.g. `nhs-charging`, used by the calendar feeds' `topic`
    /// filter; it never changes.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The topic's name as the catalogue shows it; at most 120 characters.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What a session on it covers, in plain text; may be empty. At most 5,000
    /// characters.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// How long a session on this topic usually takes.
    async fn typical_duration_minutes(&self) -> i32 {
        self.0.typical_duration_minutes
    }

    /// Set when the topic was taken out of the catalogue.
    async fn archived_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.archived_at
    }
}
