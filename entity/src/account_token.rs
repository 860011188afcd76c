use sea_orm::entity::prelude::*;

/// A single-use link sent to an account: reset the password, verify the
/// address, or move the account to a new address.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// `RESET_PASSWORD`, `VERIFY_EMAIL` or `CHANGE_EMAIL`.
    pub purpose: String,
    /// SHA-256 of the link's secret, hex.
    pub token_hash: String,
    /// For `CHANGE_EMAIL`: the address to move to, once verified (sealed).
    pub new_email: Option<String>,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

no_relations!();
