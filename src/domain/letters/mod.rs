//! Joint letters and pledges: organisations and people sign, the network
//! counts, and a pledge's organisations (the Safe Surgeries GP practices)
//! are found by region.
//!
//! - A **letter** takes organisations, individuals or both; a **pledge**
//!   takes organisations only and has a public directory. Coordinators
//!   write a letter (editable until its first signature), open, close and
//!   deliver it ([`create`], [`update`], [`transition`]).
//! - **Signing** ([`signing`]) needs no account: every signature counts
//!   only once its emailed link is followed, and an organisation's is
//!   listed only once a coordinator approved it. The same person (by the
//!   canonical email, see [`rules`]) signs once: signing again updates the
//!   signature. Limits per client address, counted in the database, hold
//!   for the page and the API alike ([`SigningLimits`]).
//! - **Moderation** ([`moderation`]): the queue of organisations, the
//!   signatures with filters, bulk approval and invalidation (never
//!   without a condition), the addresses and domains signing fastest, the
//!   block list and the export that delivers the letter.
//! - **Privacy**: names of individuals, contact names and emails are
//!   sealed; an individual is listed only if they chose; a letter's
//!   signatories' names and emails are removed
//!   `signature_retention_days` after it is delivered or closed
//!   ([`purge_signatures`]), keeping the rows and so the counts and the
//!   organisations' public entries. Erasure and export of an account
//!   cover the signatures made with its address ([`forget_signatory`],
//!   [`export_for`]).

pub mod moderation;
pub mod rules;
pub mod signing;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{group, letter, letter_group, signature};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::{Value, json};
use uuid::Uuid;

pub use rules::canonical_email;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        pagination::two_column_position,
        sealing::{self, Field},
        values::{MultiLine, SingleLine, Slug},
    },
    error::{Error, Result},
};

/// Signatures per client address: at most `per_minute` in any minute (a
/// burst) and `per_hour` in any hour (sustained).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningLimits {
    pub per_minute: u32,
    pub per_hour: u32,
}

macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant,)+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }
    };
}

word_enum!(
    /// A letter, or a pledge (organisations only, with a directory).
    LetterKind { Letter = "LETTER", Pledge = "PLEDGE" }
);
word_enum!(
    /// Who may sign.
    Takes { Organisations = "ORGANISATIONS", Individuals = "INDIVIDUALS", Both = "BOTH" }
);
word_enum!(
    /// Where a letter is: written, taking signatures, no longer taking
    /// them, handed over.
    LetterStatus { Draft = "DRAFT", Open = "OPEN", Closed = "CLOSED", Delivered = "DELIVERED" }
);
word_enum!(SignatoryKind { Organisation = "ORGANISATION", Individual = "INDIVIDUAL" });
word_enum!(
    /// What kind of organisation signs.
    OrganisationKind {
        UnionBranch = "UNION_BRANCH",
        GpPractice = "GP_PRACTICE",
        Charity = "CHARITY",
        StudentSociety = "STUDENT_SOCIETY",
        Other = "OTHER",
    }
);
word_enum!(
    /// A signature's state: waiting for its emailed link, counted, or
    /// struck out by a coordinator.
    SignatureStatus { Pending = "PENDING", Confirmed = "CONFIRMED", Invalidated = "INVALIDATED" }
);

impl OrganisationKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::UnionBranch => "Union branch",
            Self::GpPractice => "GP practice",
            Self::Charity => "Charity",
            Self::StudentSociety => "Student society",
            Self::Other => "Other organisation",
        }
    }
}

impl Takes {
    pub fn organisations(self) -> bool {
        matches!(self, Self::Organisations | Self::Both)
    }
    pub fn individuals(self) -> bool {
        matches!(self, Self::Individuals | Self::Both)
    }
}

pub fn kind_of(letter: &letter::Model) -> LetterKind {
    LetterKind::parse(&letter.kind).unwrap_or(LetterKind::Letter)
}
pub fn takes_of(letter: &letter::Model) -> Takes {
    Takes::parse(&letter.takes).unwrap_or(Takes::Both)
}
pub fn status_of(letter: &letter::Model) -> LetterStatus {
    LetterStatus::parse(&letter.status).unwrap_or(LetterStatus::Draft)
}

/// Whether `letter` takes signatures at `now`.
pub fn is_signable(letter: &letter::Model, now: DateTime<Utc>) -> bool {
    status_of(letter) == LetterStatus::Open
        && letter.opens_at.is_none_or(|at| at <= now)
        && letter.closes_at.is_none_or(|at| at > now)
}

/// A letter as written by coordinators.
#[derive(Debug, Clone)]
pub struct LetterInput {
    pub slug: String,
    pub kind: LetterKind,
    pub title: String,
    pub body: String,
    pub addressee: String,
    pub takes: Takes,
    pub group_slugs: Vec<String>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
}

struct CheckedLetter {
    slug: String,
    kind: LetterKind,
    title: String,
    body: String,
    addressee: String,
    takes: Takes,
    groups: Vec<Uuid>,
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
}

async fn check_letter(db: &impl ConnectionTrait, input: LetterInput) -> Result<CheckedLetter> {
    let mut problems = Vec::new();
    let mut keep = |r: Result<String>| match r {
        Ok(v) => v,
        Err(Error::Validation(found)) => {
            problems.extend(found);
            String::new()
        }
        Err(_) => String::new(),
    };
    let slug = keep(Slug::parse("slug", &input.slug).map(String::from));
    let title = keep(SingleLine::required("title", &input.title, 200).map(String::from));
    let body = keep(MultiLine::required("body", &input.body, 20_000).map(String::from));
    let addressee = keep(SingleLine::required("addressee", &input.addressee, 200).map(String::from));
    if input.kind == LetterKind::Pledge && input.takes != Takes::Organisations {
        problems.push(crate::error::FieldError {
            field: "takes".into(),
            message: "a pledge is signed by organisations only".into(),
        });
    }
    if let (Some(from), Some(until)) = (input.opens_at, input.closes_at)
        && until <= from
    {
        problems.push(crate::error::FieldError {
            field: "closesAt".into(),
            message: "must be after opensAt".into(),
        });
    }
    let mut groups = Vec::new();
    if !input.group_slugs.is_empty() {
        let found = group::Entity::find()
            .filter(group::Column::Slug.is_in(input.group_slugs.iter().map(|s| s.trim().to_lowercase())))
            .all(db)
            .await?;
        if found.len() != input.group_slugs.len() {
            problems.push(crate::error::FieldError {
                field: "groupSlugs".into(),
                message: "names a group that does not exist".into(),
            });
        }
        groups = found.into_iter().map(|g| g.id).collect();
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    Ok(CheckedLetter {
        slug,
        kind: input.kind,
        title,
        body,
        addressee,
        takes: input.takes,
        groups,
        opens_at: input.opens_at,
        closes_at: input.closes_at,
    })
}

async fn set_groups(db: &impl ConnectionTrait, letter_id: Uuid, groups: &[Uuid]) -> Result<()> {
    letter_group::Entity::delete_many()
        .filter(letter_group::Column::LetterId.eq(letter_id))
        .exec(db)
        .await?;
    if !groups.is_empty() {
        letter_group::Entity::insert_many(groups.iter().map(|g| letter_group::ActiveModel {
            letter_id: Set(letter_id),
            group_id: Set(*g),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Writes a new letter, as a draft.
pub async fn create(work: &Work, viewer: &Viewer, input: LetterInput, now: DateTime<Utc>) -> Result<letter::Model> {
    authorize(viewer, Action::ManageLetters)?;
    let checked = check_letter(work, input).await?;
    if find_by_slug(work, &checked.slug).await?.is_some() {
        return Err(Error::validation("slug", "is taken by another letter"));
    }
    let row = letter::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set(checked.slug),
        kind: Set(checked.kind.as_str().to_owned()),
        title: Set(checked.title),
        body: Set(checked.body),
        addressee: Set(checked.addressee),
        takes: Set(checked.takes.as_str().to_owned()),
        status: Set(LetterStatus::Draft.as_str().to_owned()),
        opens_at: Set(checked.opens_at),
        closes_at: Set(checked.closes_at),
        ended_at: Set(None),
        signatures_purged_at: Set(None),
        created_by: Set(viewer.user_id()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(work)
    .await?;
    set_groups(work, row.id, &checked.groups).await?;
    Ok(row)
}

/// Rewrites a letter; refused (`CONFLICT`) once anyone has signed it, so
/// nobody's signature ends up under words they did not sign.
pub async fn update(
    work: &Work,
    viewer: &Viewer,
    slug: &str,
    input: LetterInput,
    now: DateTime<Utc>,
) -> Result<letter::Model> {
    authorize(viewer, Action::ManageLetters)?;
    let current = find_by_slug(work, slug).await?.ok_or(Error::NotFound)?;
    crate::domain::lock_row(work, letter::Column::Id, current.id).await?;
    let signed = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(current.id))
        .count(work)
        .await?;
    if signed > 0 {
        return Err(Error::Conflict(
            "a letter cannot be changed once it has been signed".into(),
        ));
    }
    let checked = check_letter(work, input).await?;
    if checked.slug != current.slug && find_by_slug(work, &checked.slug).await?.is_some() {
        return Err(Error::validation("slug", "is taken by another letter"));
    }
    let mut row: letter::ActiveModel = current.into();
    row.slug = Set(checked.slug);
    row.kind = Set(checked.kind.as_str().to_owned());
    row.title = Set(checked.title);
    row.body = Set(checked.body);
    row.addressee = Set(checked.addressee);
    row.takes = Set(checked.takes.as_str().to_owned());
    row.opens_at = Set(checked.opens_at);
    row.closes_at = Set(checked.closes_at);
    row.updated_at = Set(now);
    let row = row.update(work).await?;
    set_groups(work, row.id, &checked.groups).await?;
    Ok(row)
}

/// What a coordinator does to a letter's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterAction {
    Open,
    Close,
    Deliver,
}

/// Opens, closes or delivers a letter: `DRAFT → OPEN → CLOSED`, and
/// `OPEN | CLOSED → DELIVERED`; anything else is `INVALID_TRANSITION`.
pub async fn transition(
    work: &Work,
    viewer: &Viewer,
    slug: &str,
    action: LetterAction,
    now: DateTime<Utc>,
) -> Result<letter::Model> {
    authorize(viewer, Action::ManageLetters)?;
    let current = find_by_slug(work, slug).await?.ok_or(Error::NotFound)?;
    crate::domain::lock_row(work, letter::Column::Id, current.id).await?;
    use LetterStatus as S;
    let to = match (status_of(&current), action) {
        (S::Draft, LetterAction::Open) => S::Open,
        (S::Open, LetterAction::Close) => S::Closed,
        (S::Open | S::Closed, LetterAction::Deliver) => S::Delivered,
        (from, _) => {
            return Err(Error::InvalidTransition(format!(
                "a letter that is {} cannot be {}",
                from.as_str().to_lowercase(),
                match action {
                    LetterAction::Open => "opened",
                    LetterAction::Close => "closed",
                    LetterAction::Deliver => "delivered",
                }
            )));
        }
    };
    let ended_at = current.ended_at;
    let mut row: letter::ActiveModel = current.into();
    row.status = Set(to.as_str().to_owned());
    if to != S::Open {
        row.ended_at = Set(Some(ended_at.unwrap_or(now)));
    }
    if to == S::Delivered {
        // Delivery is the end that retention counts from.
        row.ended_at = Set(Some(now));
    }
    row.updated_at = Set(now);
    Ok(row.update(work).await?)
}

pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<letter::Model>> {
    Ok(letter::Entity::find()
        .filter(letter::Column::Slug.eq(slug.trim().to_lowercase()))
        .one(db)
        .await?)
}

/// A letter as anyone may see it: drafts are for staff only (anyone else
/// gets `NOT_FOUND`, as for a letter that does not exist).
pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, slug: &str) -> Result<letter::Model> {
    let found = find_by_slug(db, slug).await?.ok_or(Error::NotFound)?;
    if status_of(&found) == LetterStatus::Draft && !viewer.is_staff() {
        return Err(Error::NotFound);
    }
    Ok(found)
}

two_column_position!(
    /// Position in the list of letters: newest first.
    LetterPosition in letter { created_at: DateTime<Utc> = CreatedAt Descending, id: Uuid = Id Descending }
);

two_column_position!(
    /// Position in a list of signatures: oldest first.
    SignaturePosition in signature { created_at: DateTime<Utc> = CreatedAt Ascending, id: Uuid = Id Ascending }
);

/// The letters a viewer may list: open ones for everyone; every letter,
/// drafts too, for staff asking for `all`.
pub fn listed(viewer: &Viewer, all: bool) -> sea_orm::Select<letter::Entity> {
    let select = letter::Entity::find();
    if all && viewer.is_staff() {
        select
    } else {
        select.filter(letter::Column::Status.eq(LetterStatus::Open.as_str()))
    }
}

/// Open letters, newest first, for the home and group pages.
pub async fn open_letters(db: &impl ConnectionTrait, group_id: Option<Uuid>, limit: u64) -> Result<Vec<letter::Model>> {
    let mut select = letter::Entity::find()
        .filter(letter::Column::Status.eq(LetterStatus::Open.as_str()))
        .order_by_desc(letter::Column::CreatedAt)
        .limit(limit);
    if let Some(group_id) = group_id {
        let ids: Vec<Uuid> = letter_group::Entity::find()
            .select_only()
            .column(letter_group::Column::LetterId)
            .filter(letter_group::Column::GroupId.eq(group_id))
            .into_tuple()
            .all(db)
            .await?;
        select = select.filter(letter::Column::Id.is_in(ids));
    }
    Ok(select.all(db).await?)
}

/// The letters a group organises (any status but drafts), newest first.
pub async fn letters_of_group(db: &impl ConnectionTrait, group_id: Uuid) -> Result<Vec<letter::Model>> {
    let ids: Vec<Uuid> = letter_group::Entity::find()
        .select_only()
        .column(letter_group::Column::LetterId)
        .filter(letter_group::Column::GroupId.eq(group_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(letter::Entity::find()
        .filter(letter::Column::Id.is_in(ids))
        .filter(letter::Column::Status.ne(LetterStatus::Draft.as_str()))
        .order_by_desc(letter::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The groups organising each of `letter_ids`, in name order.
pub async fn groups_of(db: &impl ConnectionTrait, letter_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<group::Model>>> {
    let links = letter_group::Entity::find()
        .filter(letter_group::Column::LetterId.is_in(letter_ids.iter().copied()))
        .all(db)
        .await?;
    let groups: HashMap<Uuid, group::Model> = group::Entity::find()
        .filter(group::Column::Id.is_in(links.iter().map(|l| l.group_id)))
        .order_by_asc(group::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let mut out: HashMap<Uuid, Vec<group::Model>> = HashMap::new();
    for link in links {
        if let Some(g) = groups.get(&link.group_id) {
            out.entry(link.letter_id).or_default().push(g.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(out)
}

/// Signatures that count: confirmed, and for an organisation approved.
pub fn counted() -> Condition {
    Condition::all()
        .add(signature::Column::Status.eq(SignatureStatus::Confirmed.as_str()))
        .add(
            Condition::any()
                .add(signature::Column::Kind.eq(SignatoryKind::Individual.as_str()))
                .add(signature::Column::ApprovedAt.is_not_null()),
        )
}

/// Signatures shown by name to everyone: counted, with no change waiting
/// for its emailed link, and for an individual only if they chose.
pub fn listed_publicly() -> Condition {
    counted().add(signature::Column::ConfirmTokenHash.is_null()).add(
        Condition::any()
            .add(signature::Column::Kind.eq(SignatoryKind::Organisation.as_str()))
            .add(signature::Column::ShowName.eq(true)),
    )
}

/// How many signatures count, per letter, in one statement.
pub async fn counts(db: &impl ConnectionTrait, letter_ids: &[Uuid]) -> Result<HashMap<Uuid, u64>> {
    let rows: Vec<(Uuid, i64)> = signature::Entity::find()
        .select_only()
        .column(signature::Column::LetterId)
        .column_as(signature::Column::Id.count(), "n")
        .filter(signature::Column::LetterId.is_in(letter_ids.iter().copied()))
        .filter(counted())
        .group_by(signature::Column::LetterId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// A signatory as everyone may see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicSignatory {
    pub kind: SignatoryKind,
    /// The organisation's name, or the individual's (who chose to be shown).
    pub name: String,
    pub organisation_kind: Option<OrganisationKind>,
    pub town: Option<String>,
    pub region: Option<String>,
    pub postcode_area: Option<String>,
    /// When it committed: confirmed (organisations: approved).
    pub since: DateTime<Utc>,
}

fn public_of(row: signature::Model) -> Result<Option<PublicSignatory>> {
    let kind = SignatoryKind::parse(&row.kind).unwrap_or(SignatoryKind::Individual);
    let name = match kind {
        SignatoryKind::Organisation => row.organisation.clone(),
        SignatoryKind::Individual => sealing::open_optional(Field::SignatureName, row.id, row.name.as_deref())?,
    };
    let Some(name) = name else { return Ok(None) };
    let since = match kind {
        SignatoryKind::Organisation => row.approved_at.or(row.confirmed_at),
        SignatoryKind::Individual => row.confirmed_at,
    }
    .unwrap_or(row.created_at);
    Ok(Some(PublicSignatory {
        kind,
        name,
        organisation_kind: row.organisation_kind.as_deref().and_then(OrganisationKind::parse),
        town: row.town,
        region: row.region,
        postcode_area: None,
        since,
    }))
}

/// The publicly listed signatories of a letter, of one kind, in the order
/// they signed; at most `limit`. A region narrows organisations (the
/// pledge directory).
pub async fn public_signatories(
    db: &impl ConnectionTrait,
    letter_id: Uuid,
    kind: SignatoryKind,
    region: Option<&str>,
    limit: u64,
) -> Result<Vec<PublicSignatory>> {
    let mut select = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::Kind.eq(kind.as_str()))
        .filter(listed_publicly());
    if let Some(region) = region.map(str::trim).filter(|r| !r.is_empty()) {
        select = select.filter(
            Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(signature::Column::Region))).eq(region.to_lowercase()),
        );
    }
    let rows = select
        .order_by_asc(signature::Column::CreatedAt)
        .order_by_asc(signature::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(p) = public_of(row)? {
            out.push(p);
        }
    }
    Ok(out)
}

/// The publicly listed signatories of one kind of several letters, in one
/// statement, at most `limit` per letter (for a list of letters).
pub async fn public_signatories_of(
    db: &impl ConnectionTrait,
    letter_ids: &[Uuid],
    kind: SignatoryKind,
    limit: usize,
) -> Result<HashMap<Uuid, Vec<PublicSignatory>>> {
    let rows = signature::Entity::find()
        .filter(signature::Column::LetterId.is_in(letter_ids.iter().copied()))
        .filter(signature::Column::Kind.eq(kind.as_str()))
        .filter(listed_publicly())
        .order_by_asc(signature::Column::CreatedAt)
        .order_by_asc(signature::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<Uuid, Vec<PublicSignatory>> = HashMap::new();
    for row in rows {
        let letter_id = row.letter_id;
        let list = out.entry(letter_id).or_default();
        if list.len() < limit
            && let Some(p) = public_of(row)?
        {
            list.push(p);
        }
    }
    Ok(out)
}

/// The regions a pledge's listed organisations are in, for its filter.
pub async fn directory_regions(db: &impl ConnectionTrait, letter_id: Uuid) -> Result<Vec<String>> {
    let mut regions: Vec<Option<String>> = signature::Entity::find()
        .select_only()
        .column(signature::Column::Region)
        .distinct()
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(signature::Column::Kind.eq(SignatoryKind::Organisation.as_str()))
        .filter(listed_publicly())
        .into_tuple()
        .all(db)
        .await?;
    regions.sort();
    Ok(regions.into_iter().flatten().collect())
}

/// Removes the names of individuals and every email, contact name, hash
/// and client address of the signatures of letters delivered or closed
/// `days` ago; the rows stay (the counts, and organisations' public
/// entries). The number of signatures purged.
pub async fn purge_signatures(work: &Work, days: u32, now: DateTime<Utc>) -> Result<u64> {
    let cutoff = now - Duration::days(days.into());
    let due: Vec<Uuid> = letter::Entity::find()
        .select_only()
        .column(letter::Column::Id)
        .filter(letter::Column::Status.is_in([LetterStatus::Closed.as_str(), LetterStatus::Delivered.as_str()]))
        .filter(letter::Column::EndedAt.lte(cutoff))
        .filter(letter::Column::SignaturesPurgedAt.is_null())
        .into_tuple()
        .all(work)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let purged = strip_personal(signature::Entity::update_many())
        .col_expr(signature::Column::PurgedAt, Expr::value(now))
        .filter(signature::Column::LetterId.is_in(due.clone()))
        .exec(work)
        .await?
        .rows_affected;
    letter::Entity::update_many()
        .col_expr(letter::Column::SignaturesPurgedAt, Expr::value(now))
        .filter(letter::Column::Id.is_in(due))
        .exec(work)
        .await?;
    Ok(purged)
}

/// Every personal field of a signature cleared: an individual's name and
/// postcode area, a contact's name, the email, its hash and domain, the
/// client address's hash and a pending link.
fn strip_personal(update: sea_orm::UpdateMany<signature::Entity>) -> sea_orm::UpdateMany<signature::Entity> {
    let none = || Expr::value(Option::<String>::None);
    update
        .col_expr(signature::Column::Name, none())
        .col_expr(signature::Column::PostcodeArea, none())
        .col_expr(signature::Column::ContactName, none())
        .col_expr(signature::Column::Email, none())
        .col_expr(signature::Column::EmailHash, none())
        .col_expr(signature::Column::EmailDomain, none())
        .col_expr(signature::Column::SourceHash, none())
        .col_expr(signature::Column::ConfirmTokenHash, none())
        .col_expr(signature::Column::ShowName, Expr::value(false))
}

/// The keyed hashes a person's signatures are stored under.
fn hashes_of(email: &str) -> Result<Vec<String>> {
    sealing::lookups(&canonical_email(email))
}

/// On erasure: the signatures made with `email` keep their place in the
/// count (and an organisation its public entry), without anything that
/// names the person.
pub async fn forget_signatory(db: &impl ConnectionTrait, email: &str, now: DateTime<Utc>) -> Result<u64> {
    Ok(strip_personal(signature::Entity::update_many())
        .col_expr(signature::Column::PurgedAt, Expr::value(now))
        .filter(signature::Column::EmailHash.is_in(hashes_of(email)?))
        .exec(db)
        .await?
        .rows_affected)
}

/// For an export of a person's data: the signatures made with `email`,
/// each with its letter, opened.
pub async fn export_for(db: &impl ConnectionTrait, email: &str) -> Result<Value> {
    let rows = signature::Entity::find()
        .filter(signature::Column::EmailHash.is_in(hashes_of(email)?))
        .order_by_asc(signature::Column::CreatedAt)
        .all(db)
        .await?;
    let letters: HashMap<Uuid, letter::Model> = letter::Entity::find()
        .filter(letter::Column::Id.is_in(rows.iter().map(|r| r.letter_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let letter = letters.get(&row.letter_id);
        out.push(json!({
            "letter": letter.map(|l| json!({ "slug": l.slug, "title": l.title })),
            "kind": row.kind,
            "organisation": row.organisation,
            "organisationKind": row.organisation_kind,
            "town": row.town,
            "region": row.region,
            "postcodeArea": row.postcode_area,
            "name": sealing::open_optional(Field::SignatureName, row.id, row.name.as_deref())?,
            "contactName": sealing::open_optional(Field::SignatureContactName, row.id, row.contact_name.as_deref())?,
            "email": sealing::open_optional(Field::SignatureEmail, row.id, row.email.as_deref())?,
            "showName": row.show_name,
            "status": row.status,
            "approvedAt": row.approved_at,
            "signedAt": row.signed_at,
            "confirmedAt": row.confirmed_at,
        }));
    }
    Ok(Value::Array(out))
}
