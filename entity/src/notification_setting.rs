use sea_orm::entity::prelude::*;

/// A person's choice for one kind of message; a kind without a row has its
/// default.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// `IMMEDIATELY`, `DAILY` or `NEVER`.
    pub delivery: String,
    pub updated_at: DateTimeUtc,
}

no_relations!();
