use sea_orm::entity::prelude::*;

/// One signature of a letter, by an organisation or an individual. The
/// personal fields (`name`, `contact_name`, `email`) are sealed
/// (`domain::sealing`); they, the hashes and the domain are cleared under
/// retention, while the row (and so the count) stays.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signatures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub letter_id: Uuid,
    /// `ORGANISATION` or `INDIVIDUAL`.
    pub kind: String,
    /// An organisation's name: public once approved.
    pub organisation: Option<String>,
    /// `UNION_BRANCH`, `GP_PRACTICE`, `CHARITY`, `STUDENT_SOCIETY`, `OTHER`.
    pub organisation_kind: Option<String>,
    pub town: Option<String>,
    /// An organisation's region (the pledge directory's filter).
    pub region: Option<String>,
    /// An individual's postcode area (`LS6`).
    pub postcode_area: Option<String>,
    /// An individual's name, sealed; shown only when `show_name`.
    pub name: Option<String>,
    /// An organisation's contact, sealed.
    pub contact_name: Option<String>,
    pub show_name: bool,
    /// Sealed.
    pub email: Option<String>,
    /// Keyed hash of the canonical email: one signature per person.
    pub email_hash: Option<String>,
    /// The email's domain, lower-cased, for coordinators' views.
    pub email_domain: Option<String>,
    /// Keyed hash of the client address it was signed from.
    pub source_hash: Option<String>,
    /// SHA-256 of the confirmation link's secret, until confirmed.
    pub confirm_token_hash: Option<String>,
    /// `PENDING`, `CONFIRMED` or `INVALIDATED`.
    pub status: String,
    /// An organisation's approval by a coordinator.
    pub approved_at: Option<DateTimeUtc>,
    /// When it was last signed (a repeat signature moves it).
    pub signed_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub invalidated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// When its personal fields were removed (retention or erasure).
    pub purged_at: Option<DateTimeUtc>,
}

no_relations!();
