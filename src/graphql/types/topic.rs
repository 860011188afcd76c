use async_graphql::{ID, Object};
use entity::topic;

/// What a workshop or talk is about, from the catalogue coordinators keep.
pub struct Topic(pub topic::Model);

#[Object]
impl Topic {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

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
