//! The coordinators' side of a letter: its signatures with filters, the
//! organisations waiting for approval, bulk approval and invalidation, the
//! addresses and domains signing fastest, the block list, reading one
//! signatory's contact details (audited) and the export that delivers the
//! letter (emails only for an admin, audited).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{audit_entry, letter, letter_block, signature, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    OrganisationKind, SignatoryKind, SignaturePosition, SignatureStatus, counted,
    rules::{self, canonical_email},
};
use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        audit::AuditAction,
        pagination::{Page, keyset_page},
        sealing::{self, Field},
        values::Email,
    },
    error::{Error, Result},
};

/// Which signatures a coordinator looks at; every given field narrows.
#[derive(Debug, Clone, Default)]
pub struct SignatureFilter {
    pub status: Option<SignatureStatus>,
    pub kind: Option<SignatoryKind>,
    /// Organisations confirmed and not yet approved (the moderation queue).
    pub awaiting_approval: bool,
    /// The email's domain, e.g. `example.org`.
    pub domain: Option<String>,
    pub signed_after: Option<DateTime<Utc>>,
    pub signed_before: Option<DateTime<Utc>>,
}

impl SignatureFilter {
    fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(status) = self.status {
            c = c.add(signature::Column::Status.eq(status.as_str()));
        }
        if let Some(kind) = self.kind {
            c = c.add(signature::Column::Kind.eq(kind.as_str()));
        }
        if self.awaiting_approval {
            c = c
                .add(signature::Column::Kind.eq(SignatoryKind::Organisation.as_str()))
                .add(signature::Column::Status.eq(SignatureStatus::Confirmed.as_str()))
                .add(signature::Column::ApprovedAt.is_null());
        }
        if let Some(domain) = self.domain.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            c = c.add(signature::Column::EmailDomain.eq(domain.to_lowercase()));
        }
        if let Some(after) = self.signed_after {
            c = c.add(signature::Column::SignedAt.gte(after));
        }
        if let Some(before) = self.signed_before {
            c = c.add(signature::Column::SignedAt.lt(before));
        }
        c
    }
}

/// A signature as coordinators see it: no email, no contact name (those
/// are read one at a time, audited, with [`contact`]); an individual's
/// name only when they chose to be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratedSignature {
    pub id: Uuid,
    pub kind: SignatoryKind,
    pub name: Option<String>,
    pub organisation_kind: Option<OrganisationKind>,
    pub town: Option<String>,
    pub region: Option<String>,
    pub postcode_area: Option<String>,
    pub show_name: bool,
    pub status: SignatureStatus,
    pub approved: bool,
    /// The email masked (`s…@example.org`).
    pub email_masked: Option<String>,
    pub email_domain: Option<String>,
    /// A short fingerprint of the client address it came from.
    pub source: Option<String>,
    pub signed_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

fn fingerprint(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// A stored signature as coordinators see it.
pub fn moderated(row: signature::Model) -> Result<ModeratedSignature> {
    let kind = SignatoryKind::parse(&row.kind).unwrap_or(SignatoryKind::Individual);
    let name = match kind {
        SignatoryKind::Organisation => row.organisation.clone(),
        SignatoryKind::Individual if row.show_name => {
            sealing::open_optional(Field::SignatureName, row.id, row.name.as_deref())?
        }
        SignatoryKind::Individual => None,
    };
    let email_masked =
        sealing::open_optional(Field::SignatureEmail, row.id, row.email.as_deref())?.map(|e| rules::mask_email(&e));
    Ok(ModeratedSignature {
        id: row.id,
        kind,
        name,
        organisation_kind: row.organisation_kind.as_deref().and_then(OrganisationKind::parse),
        town: row.town,
        region: row.region,
        postcode_area: row.postcode_area,
        show_name: row.show_name,
        status: SignatureStatus::parse(&row.status).unwrap_or(SignatureStatus::Pending),
        approved: row.approved_at.is_some(),
        email_masked,
        email_domain: row.email_domain,
        source: row.source_hash.as_deref().map(fingerprint),
        signed_at: row.signed_at,
        confirmed_at: row.confirmed_at,
    })
}

async fn letter_for(db: &impl ConnectionTrait, viewer: &Viewer, slug: &str) -> Result<letter::Model> {
    authorize(viewer, Action::ManageLetters)?;
    super::find_by_slug(db, slug).await?.ok_or(Error::NotFound)
}

/// A page of a letter's signatures, oldest first (see [`moderated`]).
pub async fn signatures(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    slug: &str,
    filter: &SignatureFilter,
    after: Option<&SignaturePosition>,
    first: u64,
) -> Result<Page<signature::Model>> {
    let letter = letter_for(db, viewer, slug).await?;
    let select = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(filter.condition());
    keyset_page::<SignaturePosition>(db, select, after, first).await
}

/// Counts for the coordinators' overview of one letter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub counted: u64,
    pub pending: u64,
    pub awaiting_approval: u64,
    pub invalidated: u64,
}

pub async fn tally(db: &impl ConnectionTrait, viewer: &Viewer, slug: &str) -> Result<Tally> {
    let letter = letter_for(db, viewer, slug).await?;
    let count = async |c: Condition| -> Result<u64> {
        Ok(signature::Entity::find()
            .filter(signature::Column::LetterId.eq(letter.id))
            .filter(c)
            .count(db)
            .await?)
    };
    let status = |s: SignatureStatus| Condition::all().add(signature::Column::Status.eq(s.as_str()));
    Ok(Tally {
        counted: count(counted()).await?,
        pending: count(status(SignatureStatus::Pending)).await?,
        awaiting_approval: count(
            SignatureFilter {
                awaiting_approval: true,
                ..Default::default()
            }
            .condition(),
        )
        .await?,
        invalidated: count(status(SignatureStatus::Invalidated)).await?,
    })
}

/// Approves organisations' confirmed signatures of a letter: they are
/// listed and counted. The number approved (others named are left as
/// they are).
pub async fn approve(work: &Work, viewer: &Viewer, slug: &str, ids: &[Uuid], now: DateTime<Utc>) -> Result<u64> {
    let letter = letter_for(work, viewer, slug).await?;
    if ids.is_empty() {
        return Err(Error::validation("ids", "name at least one signature"));
    }
    Ok(signature::Entity::update_many()
        .col_expr(signature::Column::ApprovedAt, Expr::value(now))
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(signature::Column::Id.is_in(ids.iter().copied()))
        .filter(signature::Column::Kind.eq(SignatoryKind::Organisation.as_str()))
        .filter(signature::Column::Status.eq(SignatureStatus::Confirmed.as_str()))
        .filter(signature::Column::ApprovedAt.is_null())
        .exec(work)
        .await?
        .rows_affected)
}

/// Which signatures to strike out. At least one field must be given: a
/// bulk invalidation without a condition would strike out the letter.
#[derive(Debug, Clone, Default)]
pub struct Invalidation {
    pub ids: Vec<Uuid>,
    /// An email address (compared in its canonical form).
    pub email: Option<String>,
    pub domain: Option<String>,
    /// A client address's fingerprint, as listed by [`trending`].
    pub source: Option<String>,
    pub signed_after: Option<DateTime<Utc>>,
    pub signed_before: Option<DateTime<Utc>>,
}

/// Strikes out the signatures of a letter matching every given condition;
/// how many. Refused (`BAD_USER_INPUT` on `condition`) without any.
pub async fn invalidate(
    work: &Work,
    viewer: &Viewer,
    slug: &str,
    which: &Invalidation,
    now: DateTime<Utc>,
) -> Result<u64> {
    let letter = letter_for(work, viewer, slug).await?;
    let mut c = Condition::all();
    let mut any = false;
    if !which.ids.is_empty() {
        c = c.add(signature::Column::Id.is_in(which.ids.iter().copied()));
        any = true;
    }
    if let Some(email) = which.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        let email = Email::parse("email", email)?;
        c = c.add(signature::Column::EmailHash.is_in(sealing::lookups(&canonical_email(email.as_str()))?));
        any = true;
    }
    if let Some(domain) = which.domain.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        c = c.add(signature::Column::EmailDomain.eq(domain.trim_start_matches('@').to_lowercase()));
        any = true;
    }
    if let Some(source) = which.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if source.len() < 8 {
            return Err(Error::validation("source", "give the whole fingerprint"));
        }
        c = c.add(Expr::col(signature::Column::SourceHash).like(format!("{}%", source.to_lowercase())));
        any = true;
    }
    if let Some(after) = which.signed_after {
        c = c.add(signature::Column::SignedAt.gte(after));
        any = true;
    }
    if let Some(before) = which.signed_before {
        c = c.add(signature::Column::SignedAt.lt(before));
        any = true;
    }
    if !any {
        return Err(Error::validation(
            "condition",
            "name at least one condition (signatures, an address, a domain, a source or a time)",
        ));
    }
    Ok(signature::Entity::update_many()
        .col_expr(
            signature::Column::Status,
            Expr::value(SignatureStatus::Invalidated.as_str()),
        )
        .col_expr(signature::Column::InvalidatedAt, Expr::value(now))
        .col_expr(signature::Column::ConfirmTokenHash, Expr::value(Option::<String>::None))
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(signature::Column::Status.ne(SignatureStatus::Invalidated.as_str()))
        .filter(c)
        .exec(work)
        .await?
        .rows_affected)
}

/// A source or domain and how many signatures it made in the last hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trend {
    pub key: String,
    pub count: u64,
}

/// The client addresses (by fingerprint) and email domains that signed a
/// letter most in the hour before `now`, at most ten of each, busiest
/// first.
pub async fn trending(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<Trend>, Vec<Trend>)> {
    let letter = letter_for(db, viewer, slug).await?;
    let top = async |column: signature::Column| -> Result<Vec<Trend>> {
        let rows: Vec<(Option<String>, i64)> = signature::Entity::find()
            .select_only()
            .column(column)
            .column_as(signature::Column::Id.count(), "n")
            .filter(signature::Column::LetterId.eq(letter.id))
            .filter(signature::Column::SignedAt.gt(now - Duration::hours(1)))
            .filter(signature::Column::Status.ne(SignatureStatus::Invalidated.as_str()))
            .filter(column.is_not_null())
            .group_by(column)
            .order_by_desc(Expr::col(sea_orm::sea_query::Alias::new("n")))
            .order_by_asc(column)
            .limit(10)
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, n)| {
                k.map(|k| Trend {
                    key: k,
                    count: u64::try_from(n).unwrap_or(0),
                })
            })
            .collect())
    };
    let sources = top(signature::Column::SourceHash)
        .await?
        .into_iter()
        .map(|t| Trend {
            key: fingerprint(&t.key),
            count: t.count,
        })
        .collect();
    let domains = top(signature::Column::EmailDomain).await?;
    Ok((sources, domains))
}

/// An entry of the block list as coordinators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: Uuid,
    /// `ADDRESS` or `DOMAIN`.
    pub kind: &'static str,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

fn block_of(row: letter_block::Model) -> Block {
    Block {
        id: row.id,
        kind: if row.kind == "ADDRESS" { "ADDRESS" } else { "DOMAIN" },
        label: row.label,
        created_at: row.created_at,
    }
}

pub async fn blocks(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Vec<Block>> {
    authorize(viewer, Action::ManageLetters)?;
    Ok(letter_block::Entity::find()
        .order_by_asc(letter_block::Column::Label)
        .all(db)
        .await?
        .into_iter()
        .map(block_of)
        .collect())
}

/// Blocks an address (given with `@`, kept only as its keyed hash) or a
/// domain from signing any letter. Blocking what is blocked already is
/// not an error.
pub async fn add_block(work: &Work, viewer: &Viewer, value: &str, now: DateTime<Utc>) -> Result<Block> {
    authorize(viewer, Action::ManageLetters)?;
    let value = value.trim();
    let (kind, stored, label) = if value.contains('@') && !value.starts_with('@') {
        let email = Email::parse("value", value)?;
        let canonical = canonical_email(email.as_str());
        ("ADDRESS", sealing::lookup(&canonical)?, rules::mask_email(&canonical))
    } else {
        let domain = value.trim_start_matches('@').to_lowercase();
        let ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !ok {
            return Err(Error::validation("value", "is neither an email address nor a domain"));
        }
        ("DOMAIN", domain.clone(), domain)
    };
    if let Some(found) = letter_block::Entity::find()
        .filter(letter_block::Column::Value.eq(stored.clone()))
        .one(work)
        .await?
    {
        return Ok(block_of(found));
    }
    let row = letter_block::ActiveModel {
        id: Set(Uuid::new_v4()),
        kind: Set(kind.to_owned()),
        value: Set(stored),
        label: Set(label),
        created_by: Set(viewer.user_id()),
        created_at: Set(now),
    }
    .insert(work)
    .await?;
    Ok(block_of(row))
}

pub async fn remove_block(work: &Work, viewer: &Viewer, id: Uuid) -> Result<bool> {
    authorize(viewer, Action::ManageLetters)?;
    Ok(letter_block::Entity::delete_by_id(id).exec(work).await?.rows_affected > 0)
}

/// One signatory's contact details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatoryContact {
    pub name: Option<String>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
}

/// Records that `viewer` read the details of `rows` (of `letter_id`): in
/// the trail of each account whose address signed, and once in the admins'
/// trail for the letter.
async fn record_reads(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    letter_id: Uuid,
    emails: &[String],
    operation: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut hashes = Vec::new();
    for email in emails {
        hashes.extend(sealing::lookups(email)?);
    }
    let owners: Vec<Uuid> = if hashes.is_empty() {
        Vec::new()
    } else {
        user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::EmailHash.is_in(hashes))
            .filter(user::Column::ErasedAt.is_null())
            .into_tuple()
            .all(db)
            .await?
    };
    let mut subjects: Vec<Option<Uuid>> = owners
        .into_iter()
        .filter(|o| Some(*o) != viewer.user_id())
        .map(Some)
        .collect();
    if subjects.is_empty() {
        subjects.push(None);
    }
    let rows = subjects.into_iter().map(|subject| audit_entry::ActiveModel {
        id: Set(Uuid::new_v4()),
        actor_id: Set(viewer.user_id()),
        subject_id: Set(subject),
        request_id: Set(None),
        letter_id: Set(Some(letter_id)),
        action: Set(AuditAction::ReadSignatories.as_str().to_owned()),
        operation: Set(operation.to_owned()),
        created_at: Set(now),
    });
    audit_entry::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// One signatory's name, contact name and email, for a coordinator or an
/// admin; the read is recorded.
pub async fn contact(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    signature_id: Uuid,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<SignatoryContact> {
    authorize(viewer, Action::ReadSignatories)?;
    let row = signature::Entity::find_by_id(signature_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let found = SignatoryContact {
        name: sealing::open_optional(Field::SignatureName, row.id, row.name.as_deref())?,
        contact_name: sealing::open_optional(Field::SignatureContactName, row.id, row.contact_name.as_deref())?,
        email: sealing::open_optional(Field::SignatureEmail, row.id, row.email.as_deref())?,
    };
    let emails: Vec<String> = found.email.iter().cloned().collect();
    record_reads(db, viewer, row.letter_id, &emails, operation, now).await?;
    Ok(found)
}

/// The signatures that count, as the CSV handed over with the letter:
/// organisations (name, kind, town, region) and individuals who chose to
/// be listed (name, postcode area); the rest of the individuals appear
/// only in the count line at the end. With `with_emails` (admins only,
/// recorded) each row also carries the email and contact name. Every cell
/// is formula-safe.
pub async fn export_csv(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    slug: &str,
    with_emails: bool,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let letter = letter_for(db, viewer, slug).await?;
    if with_emails {
        authorize(viewer, Action::ExportSignatoryEmails)?;
    }
    let rows = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(counted())
        .order_by_asc(signature::Column::Kind)
        .order_by_asc(signature::Column::CreatedAt)
        .order_by_asc(signature::Column::Id)
        .all(db)
        .await?;
    let mut header = vec![
        "kind",
        "name",
        "organisation kind",
        "town",
        "region",
        "postcode area",
        "signed",
    ];
    if with_emails {
        header.extend(["contact name", "email"]);
    }
    let mut out = header
        .iter()
        .map(|h| crate::domain::csv::cell(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    let mut unlisted = 0u64;
    let mut emails = Vec::new();
    for row in rows {
        let kind = SignatoryKind::parse(&row.kind).unwrap_or(SignatoryKind::Individual);
        let name = match kind {
            SignatoryKind::Organisation => row.organisation.clone(),
            SignatoryKind::Individual if row.show_name => {
                sealing::open_optional(Field::SignatureName, row.id, row.name.as_deref())?
            }
            SignatoryKind::Individual => None,
        };
        let Some(name) = name else {
            unlisted += 1;
            continue;
        };
        let mut cells = vec![
            kind.as_str().to_lowercase(),
            name,
            row.organisation_kind
                .as_deref()
                .and_then(OrganisationKind::parse)
                .map(|k| k.label().to_owned())
                .unwrap_or_default(),
            row.town.clone().unwrap_or_default(),
            row.region.clone().unwrap_or_default(),
            row.postcode_area.clone().unwrap_or_default(),
            row.confirmed_at.unwrap_or(row.signed_at).format("%Y-%m-%d").to_string(),
        ];
        if with_emails {
            let email =
                sealing::open_optional(Field::SignatureEmail, row.id, row.email.as_deref())?.unwrap_or_default();
            cells.push(
                sealing::open_optional(Field::SignatureContactName, row.id, row.contact_name.as_deref())?
                    .unwrap_or_default(),
            );
            if !email.is_empty() {
                emails.push(email.clone());
            }
            cells.push(email);
        }
        out.push_str(
            &cells
                .iter()
                .map(|c| crate::domain::csv::cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    if unlisted > 0 {
        out.push_str(&crate::domain::csv::cell(&format!(
            "and {unlisted} more individuals who signed"
        )));
        out.push_str("\r\n");
    }
    if with_emails {
        record_reads(db, viewer, letter.id, &emails, operation, now).await?;
    }
    Ok(out)
}

/// Signatures counted by each kind of organisation, for the overview.
pub async fn by_organisation_kind(db: &impl ConnectionTrait, letter_id: Uuid) -> Result<HashMap<String, u64>> {
    let rows: Vec<(Option<String>, i64)> = signature::Entity::find()
        .select_only()
        .column(signature::Column::OrganisationKind)
        .column_as(signature::Column::Id.count(), "n")
        .filter(signature::Column::LetterId.eq(letter_id))
        .filter(counted())
        .group_by(signature::Column::OrganisationKind)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, n)| k.map(|k| (k, u64::try_from(n).unwrap_or(0))))
        .collect())
}
