use crate::enums::{MembershipRole, MembershipStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub group_id: Uuid,
    pub role: MembershipRole,
    pub status: MembershipStatus,
    pub created_at: DateTimeUtc,
    pub approved_at: Option<DateTimeUtc>,
}

belongs_to!(Group => group by GroupId);
