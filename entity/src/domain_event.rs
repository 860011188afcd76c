use sea_orm::entity::prelude::*;

/// Something that happened, recorded with the change: a kind and the ids it
/// is about, never a copy of personal data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domain_events")]
pub struct Model {
    /// Order of recording, for consumers that read the rows in turn.
    #[sea_orm(primary_key)]
    pub position: i64,
    pub id: Uuid,
    /// e.g. `REQUEST_ASSIGNED`; stable across releases.
    pub kind: String,
    pub request_id: Option<Uuid>,
    pub assignment_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    /// The person it is about (a member, an attendee, an erased account).
    pub user_id: Option<Uuid>,
    /// Who took the step; none for an anonymous submission or the system.
    pub actor_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

no_relations!();
