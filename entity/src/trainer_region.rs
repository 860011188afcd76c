use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trainer_regions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub trainer_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
}

no_relations!();
