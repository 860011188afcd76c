use sea_orm::entity::prelude::*;

/// How far one consumer of the journal (`domain_events`) has read.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journal_cursors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub consumer: String,
    pub position: i64,
    pub updated_at: DateTimeUtc,
}

no_relations!();
