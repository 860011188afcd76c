use sea_orm::entity::prelude::*;

/// A joint letter, or a pledge (organisations only, with a public
/// directory), that people and organisations sign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    /// `LETTER` or `PLEDGE`.
    pub kind: String,
    pub title: String,
    /// Plain paragraphs, separated by blank lines.
    pub body: String,
    /// To whom it is addressed.
    pub addressee: String,
    /// `ORGANISATIONS`, `INDIVIDUALS` or `BOTH`.
    pub takes: String,
    /// `DRAFT`, `OPEN`, `CLOSED` or `DELIVERED`.
    pub status: String,
    pub opens_at: Option<DateTimeUtc>,
    pub closes_at: Option<DateTimeUtc>,
    /// When it was closed or delivered: retention counts from here.
    pub ended_at: Option<DateTimeUtc>,
    /// When its signatures' personal fields were removed under retention.
    pub signatures_purged_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

no_relations!();
