use crate::enums::{RequestKind, RequestState};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Public reference the requester follows the request with.
    #[sea_orm(unique)]
    pub reference: String,
    pub kind: RequestKind,
    pub topic_id: Uuid,
    pub group_id: Option<Uuid>,
    pub organisation_name: Option<String>,
    /// Private contact details, sealed (`domain::sealing`); purged after
    /// retention.
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    /// The keyed hash of the contact's address (their own requests).
    pub contact_email_hash: Option<String>,
    pub online: bool,
    pub town: Option<String>,
    pub postcode_area: Option<String>,
    /// The region it is for, as groups and trainers name regions.
    pub region: Option<String>,
    pub expected_audience: Option<i32>,
    pub notes: String,
    pub state: RequestState,
    /// Optimistic concurrency: every transition is conditional on it.
    pub version: i32,
    pub submitted_by: Option<Uuid>,
    pub decline_reason: Option<String>,
    pub ended_at: Option<DateTimeUtc>,
    pub contact_purged_at: Option<DateTimeUtc>,
    /// Whether the event it leads to may be listed publicly.
    pub public_event: bool,
    /// What delivery reported: people who came, and the requester's or
    /// trainer's feedback.
    pub attendance: Option<i32>,
    pub feedback: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

no_relations!();
