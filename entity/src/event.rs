use crate::enums::{EventKind, EventStatus, EventVisibility, VenueVisibility};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// IANA name; the instants are UTC, this is how to show them.
    pub timezone: String,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub online_url: Option<String>,
    pub kind: EventKind,
    pub group_id: Option<Uuid>,
    pub topic_id: Option<Uuid>,
    pub visibility: EventVisibility,
    pub status: EventStatus,
    /// iCalendar SEQUENCE: bumped on every change a calendar shows.
    pub sequence: i32,
    pub capacity: Option<i32>,
    pub request_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Once attendance is forgotten: how many had a place, and how many
    /// were waiting, when the RSVPs were deleted.
    pub going_count_kept: Option<i32>,
    pub waitlisted_count_kept: Option<i32>,
    pub attendance_forgotten_at: Option<DateTimeUtc>,
    /// `GOING`: `venue` and `address` are shown only to those entitled
    /// (see `domain::venues`); everyone else sees `town` and
    /// `postcode_area`.
    pub venue_visibility: VenueVisibility,
    /// The town or city, public even when the venue is kept.
    pub town: Option<String>,
    /// The outward part of the postcode (`LS6`), public even when the
    /// venue is kept.
    pub postcode_area: Option<String>,
    /// The series this event is an occurrence of, if any.
    pub series_id: Option<Uuid>,
    /// An occurrence's start by its series' rule, before any change to it:
    /// what names it (iCalendar's RECURRENCE-ID).
    pub original_starts_at: Option<DateTimeUtc>,
    /// The UID a calendar file gave this event, when it was imported: how
    /// importing the file again finds it.
    pub import_uid: Option<String>,
}

belongs_to!(Group => group by GroupId);
