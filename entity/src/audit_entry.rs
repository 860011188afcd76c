use sea_orm::entity::prelude::*;

/// Who read or changed whose personal data, when, and by which operation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    /// The letter whose signatories' details were read or exported.
    pub letter_id: Option<Uuid>,
    /// What was read or changed, e.g. `READ_EMAIL`.
    pub action: String,
    /// Why: the API operation that did it.
    pub operation: String,
    pub created_at: DateTimeUtc,
}

no_relations!();
