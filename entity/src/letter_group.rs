use sea_orm::entity::prelude::*;

/// A group that organises a letter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letter_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub letter_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: Uuid,
}

no_relations!();
