use crate::enums::{EventKind, EventVisibility, VenueVisibility};
use sea_orm::entity::prelude::*;

/// A recurring event: its rule and the fields its occurrences share. The
/// occurrences are rows of `events` with `series_id` set.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// IANA name; the local times below are wall-clock times there.
    pub timezone: String,
    /// The first occurrence's start and end, as the clock on the wall reads.
    pub local_starts_at: DateTime,
    pub local_ends_at: DateTime,
    /// The rule, checked and in canonical form (`domain::recurrence`).
    pub rrule: String,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub online_url: Option<String>,
    pub venue_visibility: VenueVisibility,
    pub town: Option<String>,
    pub postcode_area: Option<String>,
    pub kind: EventKind,
    pub group_id: Option<Uuid>,
    pub topic_id: Option<Uuid>,
    pub visibility: EventVisibility,
    pub capacity: Option<i32>,
    /// iCalendar SEQUENCE of the series' own VEVENT.
    pub sequence: i32,
    /// The UID the series had in the calendar file it was imported from.
    pub import_uid: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

no_relations!();
