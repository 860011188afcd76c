use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trainer_topics")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub trainer_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub topic_id: Uuid,
}

no_relations!();
