use crate::enums::AssignmentStatus;
use sea_orm::entity::prelude::*;

/// A trainer proposed for a request, for one slot (`starts_at`..`ends_at`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub trainer_id: Uuid,
    pub status: AssignmentStatus,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub assigned_by: Option<Uuid>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub responded_at: Option<DateTimeUtc>,
}

belongs_to!(Request => request by RequestId);
