use sea_orm::entity::prelude::*;

/// An address or a domain that may not sign. An address is kept only as
/// the keyed hash of its canonical form.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_blocks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `ADDRESS` or `DOMAIN`.
    pub kind: String,
    /// The domain, or the address's keyed hash.
    #[sea_orm(unique)]
    pub value: String,
    /// What coordinators see: the domain, or the address masked.
    pub label: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

no_relations!();
