use crate::enums::RsvpStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rsvps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub user_id: Uuid,
    pub status: RsvpStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

belongs_to!(Event => event by EventId);
