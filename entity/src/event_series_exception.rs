use sea_orm::entity::prelude::*;

/// A change to one occurrence of a series, keyed by the start the rule
/// gives it: cancelled (kept, shown cancelled), removed (as an imported
/// EXDATE: no occurrence), or some fields overridden.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_series_exceptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub series_id: Uuid,
    pub original_starts_at: DateTimeUtc,
    pub cancelled: bool,
    pub removed: bool,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub online_url: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

no_relations!();
