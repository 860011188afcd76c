//! Signing a letter and confirming the signature from the emailed link.
//!
//! The order of the checks is the order of cost: the letter and the
//! fields (nothing is spent on a refused form), the block list, the
//! client address's limits (counted from the signatures it made in the
//! last minute and hour, in the database, so the page and the API spend
//! one budget, on every instance), then the write and the message in one
//! unit of work.

use chrono::{DateTime, Duration, Utc};
use entity::{letter, letter_block, signature};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{
    LetterKind, OrganisationKind, SignatoryKind, SignatureStatus, SigningLimits, is_signable, kind_of,
    rules::{self, canonical_email},
    takes_of,
};
use crate::{
    domain::{
        Work,
        notifications::{
            Mailroom, MessageKind,
            letters::{Letter, Link},
            links,
            outbox::{self, Outgoing, Recipient},
        },
        sealing::{self, Field},
        values::{Email, PostcodeArea, SingleLine},
    },
    error::{Error, FieldError, Result},
};

/// How long a confirmation link is the only one an address is sent: a
/// signature repeated within it sends no second message.
pub const RESEND_AFTER: Duration = Duration::minutes(10);

/// A signature as given on the page or through `signLetter`.
#[derive(Debug, Clone, Default)]
pub struct SignatureInput {
    pub kind: Option<SignatoryKind>,
    /// The organisation's name, or the individual's.
    pub name: String,
    pub organisation_kind: Option<OrganisationKind>,
    pub town: Option<String>,
    pub region: Option<String>,
    pub postcode_area: Option<String>,
    pub contact_name: Option<String>,
    pub email: String,
    /// An individual's choice to be listed by name.
    pub show_name: bool,
}

/// What signing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub signature_id: Uuid,
    /// The address had signed this letter already: that signature was
    /// updated rather than a second one made.
    pub updated: bool,
}

struct Checked {
    kind: SignatoryKind,
    name: String,
    organisation_kind: Option<OrganisationKind>,
    town: Option<String>,
    region: Option<String>,
    postcode_area: Option<String>,
    contact_name: Option<String>,
    email: String,
    show_name: bool,
}

fn check(letter: &letter::Model, input: SignatureInput) -> Result<Checked> {
    let mut problems: Vec<FieldError> = Vec::new();
    let mut problem = |field: &str, message: &str| {
        problems.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    let takes = takes_of(letter);
    let kind = match input.kind {
        Some(kind) => kind,
        None if takes.organisations() && !takes.individuals() => SignatoryKind::Organisation,
        None if takes.individuals() && !takes.organisations() => SignatoryKind::Individual,
        None => {
            problem("kind", "choose whether you sign as an organisation or as yourself");
            SignatoryKind::Individual
        }
    };
    match kind {
        SignatoryKind::Organisation if !takes.organisations() => {
            problem("kind", "this letter is signed by individuals only")
        }
        SignatoryKind::Individual if !takes.individuals() => problem("kind", "this is signed by organisations only"),
        _ => {}
    }
    let mut text = |field: &str, raw: Option<&str>, required: bool, max: usize| -> Option<String> {
        match SingleLine::optional(field, raw, max) {
            Ok(Some(v)) => {
                if let Some(why) = rules::name_problem(v.as_str()) {
                    problems.push(FieldError {
                        field: field.into(),
                        message: why.into(),
                    });
                }
                Some(String::from(v))
            }
            Ok(None) => {
                if required {
                    problems.push(FieldError {
                        field: field.into(),
                        message: "is required".into(),
                    });
                }
                None
            }
            Err(Error::Validation(found)) => {
                problems.extend(found);
                None
            }
            Err(_) => None,
        }
    };
    let organisation = kind == SignatoryKind::Organisation;
    let pledge = kind_of(letter) == LetterKind::Pledge;
    let name = text("name", Some(&input.name), true, 200).unwrap_or_default();
    let town = text("town", input.town.as_deref(), organisation, 100);
    let region = text("region", input.region.as_deref(), organisation && pledge, 100);
    let contact_name = text("contactName", input.contact_name.as_deref(), organisation, 200);
    let postcode_area = if organisation {
        None
    } else {
        match PostcodeArea::optional("postcodeArea", input.postcode_area.as_deref()) {
            Ok(v) => v.map(String::from),
            Err(Error::Validation(found)) => {
                problems.extend(found);
                None
            }
            Err(_) => None,
        }
    };
    let organisation_kind = if organisation {
        if input.organisation_kind.is_none() {
            problems.push(FieldError {
                field: "organisationKind".into(),
                message: "is required".into(),
            });
        }
        input.organisation_kind
    } else {
        None
    };
    let email = match Email::parse("email", &input.email) {
        Ok(email) => String::from(email),
        Err(Error::Validation(found)) => {
            problems.extend(found);
            String::new()
        }
        Err(other) => return Err(other),
    };
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    Ok(Checked {
        kind,
        name,
        organisation_kind,
        town,
        region,
        postcode_area,
        contact_name,
        email,
        show_name: !organisation && input.show_name,
    })
}

/// The keyed hash a client address is kept as.
pub fn source_hash(client_key: &str) -> Result<String> {
    sealing::lookup(&format!("source:{client_key}"))
}

/// Refuses (`RATE_LIMITED`) a signature from an address that made
/// `per_minute` in the last minute or `per_hour` in the last hour.
async fn within_limits(
    db: &impl ConnectionTrait,
    source: &str,
    limits: SigningLimits,
    now: DateTime<Utc>,
) -> Result<()> {
    for (budget, window) in [
        (limits.per_minute, Duration::minutes(1)),
        (limits.per_hour, Duration::hours(1)),
    ] {
        let made = signature::Entity::find()
            .filter(signature::Column::SourceHash.eq(source))
            .filter(signature::Column::SignedAt.gt(now - window))
            .count(db)
            .await?;
        if made >= u64::from(budget) {
            return Err(Error::RateLimited {
                retry_after_secs: u64::try_from(window.num_seconds()).unwrap_or(60),
            });
        }
    }
    Ok(())
}

/// Whether the address or its domain is on the block list.
async fn blocked(db: &impl ConnectionTrait, email_hashes: &[String], domain: Option<&str>) -> Result<bool> {
    let mut values: Vec<String> = email_hashes.to_vec();
    if let Some(domain) = domain {
        values.push(domain.to_owned());
    }
    Ok(letter_block::Entity::find()
        .filter(letter_block::Column::Value.is_in(values))
        .count(db)
        .await?
        > 0)
}

/// Signs `slug` for `input`, from the client address `client_key`: a new
/// signature, or the one this address (canonically) made already,
/// updated; either way a confirmation link is sent to the address, and the
/// signature counts (again) once it is followed.
pub async fn sign(
    work: &Work,
    mailroom: &Mailroom,
    slug: &str,
    input: SignatureInput,
    client_key: &str,
    limits: SigningLimits,
    now: DateTime<Utc>,
) -> Result<Signed> {
    let letter = super::find_by_slug(work, slug)
        .await?
        .filter(|l| super::status_of(l) != super::LetterStatus::Draft)
        .ok_or(Error::NotFound)?;
    if !is_signable(&letter, now) {
        return Err(Error::InvalidTransition("this letter is not taking signatures".into()));
    }
    let checked = check(&letter, input)?;
    let canonical = canonical_email(&checked.email);
    let hashes = sealing::lookups(&canonical)?;
    let domain = rules::email_domain(&checked.email);
    if blocked(work, &hashes, domain.as_deref()).await? {
        return Err(Error::validation(
            "email",
            "signatures from this address are not accepted",
        ));
    }
    let source = source_hash(client_key)?;
    within_limits(work, &source, limits, now).await?;

    let existing = signature::Entity::find()
        .filter(signature::Column::LetterId.eq(letter.id))
        .filter(signature::Column::EmailHash.is_in(hashes))
        .one(work)
        .await?;
    let updated = existing.is_some();
    // A link sent in the last few minutes and not yet followed stays the
    // one that works (it confirms the details as they are now), and no
    // second message goes: signing again and again, from however many
    // connections, sends an address at most one message per interval.
    let recent_link = existing
        .as_ref()
        .filter(|s| s.confirm_token_hash.is_some() && s.signed_at > now - RESEND_AFTER)
        .and_then(|s| s.confirm_token_hash.clone());
    let secret = links::new_secret()?;
    let token_hash = recent_link.clone().unwrap_or_else(|| links::digest(&secret));
    let id = existing.as_ref().map_or_else(Uuid::new_v4, |s| s.id);
    let organisation = checked.kind == SignatoryKind::Organisation;
    let sealed_name = (!organisation)
        .then(|| sealing::seal(Field::SignatureName, id, &checked.name))
        .transpose()?;
    let sealed_contact = sealing::seal_optional(Field::SignatureContactName, id, checked.contact_name.as_deref())?;
    let sealed_email = sealing::seal(Field::SignatureEmail, id, &checked.email)?;
    let lookup = sealing::lookup(&canonical)?;
    match existing {
        Some(current) => {
            // The same person again: the details are theirs to change, but
            // a change is not shown until the new link is followed, so
            // nobody can alter someone else's entry by knowing the
            // address. A confirmed signature keeps counting meanwhile; an
            // organisation whose public entry changes is approved afresh.
            let entry_changed = current.organisation.as_deref() != organisation.then_some(checked.name.as_str())
                || current.town != checked.town
                || current.region != checked.region;
            let status = match SignatureStatus::parse(&current.status) {
                Some(SignatureStatus::Confirmed) => SignatureStatus::Confirmed,
                _ => SignatureStatus::Pending,
            };
            let approved_at = if organisation && !entry_changed {
                current.approved_at
            } else {
                None
            };
            let mut row: signature::ActiveModel = current.into();
            row.kind = Set(checked.kind.as_str().to_owned());
            row.organisation = Set(organisation.then(|| checked.name.clone()));
            row.organisation_kind = Set(checked.organisation_kind.map(|k| k.as_str().to_owned()));
            row.town = Set(checked.town);
            row.region = Set(checked.region);
            row.postcode_area = Set(checked.postcode_area);
            row.name = Set(sealed_name);
            row.contact_name = Set(sealed_contact);
            row.show_name = Set(checked.show_name);
            row.email = Set(Some(sealed_email));
            row.email_hash = Set(Some(lookup));
            row.email_domain = Set(domain);
            row.source_hash = Set(Some(source));
            row.confirm_token_hash = Set(Some(token_hash));
            row.status = Set(status.as_str().to_owned());
            row.approved_at = Set(approved_at);
            row.signed_at = Set(now);
            row.update(work).await?;
        }
        None => {
            signature::ActiveModel {
                id: Set(id),
                letter_id: Set(letter.id),
                kind: Set(checked.kind.as_str().to_owned()),
                organisation: Set(organisation.then(|| checked.name.clone())),
                organisation_kind: Set(checked.organisation_kind.map(|k| k.as_str().to_owned())),
                town: Set(checked.town),
                region: Set(checked.region),
                postcode_area: Set(checked.postcode_area),
                name: Set(sealed_name),
                contact_name: Set(sealed_contact),
                show_name: Set(checked.show_name),
                email: Set(Some(sealed_email)),
                email_hash: Set(Some(lookup)),
                email_domain: Set(domain),
                source_hash: Set(Some(source)),
                confirm_token_hash: Set(Some(token_hash.clone())),
                status: Set(SignatureStatus::Pending.as_str().to_owned()),
                approved_at: Set(None),
                signed_at: Set(now),
                confirmed_at: Set(None),
                invalidated_at: Set(None),
                created_at: Set(now),
                purged_at: Set(None),
            }
            .insert(work)
            .await?;
        }
    }
    if recent_link.is_some() {
        return Ok(Signed {
            signature_id: id,
            updated,
        });
    }
    let url = mailroom
        .urls
        .page(&format!("/letters/{}/confirm?token={secret}", letter.slug));
    let message = Outgoing {
        // One message per link: a second signing sends a new one.
        trigger: format!("signature:{}", &links::digest(&secret)[..16]),
        kind: MessageKind::ConfirmSignature,
        to: Recipient::Signatory(id),
        digest: false,
        letter: confirmation(&letter, updated, url),
    };
    outbox::enqueue(work, mailroom, message, now).await?;
    Ok(Signed {
        signature_id: id,
        updated,
    })
}

fn confirmation(letter: &letter::Model, updated: bool, url: String) -> Letter {
    let what = match kind_of(letter) {
        LetterKind::Letter => "letter",
        LetterKind::Pledge => "pledge",
    };
    let mut paragraphs = vec![format!(
        "Thank you for signing \u{201c}{}\u{201d}. Your signature counts once you confirm that this address is yours.",
        letter.title
    )];
    if updated {
        paragraphs.push(format!(
            "This address had signed this {what} already: your signature was updated rather than counted twice."
        ));
    }
    paragraphs.push("If you did not sign, ignore this message: nothing is counted or shown.".to_owned());
    Letter {
        subject: format!("Confirm your signature: {}", letter.title),
        paragraphs,
        action: Some(Link {
            label: "Confirm my signature".to_owned(),
            url,
        }),
        more: vec![],
        why: format!("You get this because this address was given to sign a {what} on muster."),
    }
}

/// What confirming found.
#[derive(Debug, Clone)]
pub struct Confirmed {
    pub letter: letter::Model,
    pub signature: signature::Model,
}

/// Confirms the signature whose link carries `secret`: it counts from now
/// (an organisation is listed once approved). A link used once, or of an
/// invalidated or purged signature, is `NOT_FOUND`.
pub async fn confirm(work: &Work, secret: &str, now: DateTime<Utc>) -> Result<Confirmed> {
    let found = signature::Entity::find()
        .filter(signature::Column::ConfirmTokenHash.eq(links::digest(secret.trim())))
        .one(work)
        .await?
        .filter(|s| s.status != SignatureStatus::Invalidated.as_str())
        .ok_or(Error::NotFound)?;
    let letter = letter::Entity::find_by_id(found.letter_id)
        .one(work)
        .await?
        .ok_or(Error::NotFound)?;
    let confirmed_at = found.confirmed_at.unwrap_or(now);
    let mut row: signature::ActiveModel = found.into();
    row.status = Set(SignatureStatus::Confirmed.as_str().to_owned());
    row.confirmed_at = Set(Some(confirmed_at));
    row.confirm_token_hash = Set(None);
    let signature = row.update(work).await?;
    Ok(Confirmed { letter, signature })
}
