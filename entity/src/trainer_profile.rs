use sea_orm::entity::prelude::*;

/// A trainer's profile; its id is the trainer's user id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trainer_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub monthly_cap: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

belongs_to!(User => user by Id);
