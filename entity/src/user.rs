use crate::enums::UserRole;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Private: the lower-cased address, sealed (`domain::sealing`);
    /// `None` once the account is erased.
    pub email: Option<String>,
    /// The keyed hash of the address that finds the account (unique).
    pub email_hash: Option<String>,
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub role: UserRole,
    /// Bumped to revoke every token issued before.
    pub token_version: i32,
    pub erased_at: Option<DateTimeUtc>,
    /// When the owner followed the verification link; until then the
    /// address is used for nothing but account messages.
    pub email_verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

no_relations!();
