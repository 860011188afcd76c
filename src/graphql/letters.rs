//! Joint letters and pledges: reading and signing them (anyone, no
//! account), and the coordinators' side (writing, moderating, exporting).
//! Each resolver reads its arguments and hands over to `domain::letters`.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{group, letter};
use uuid::Uuid;

use crate::{
    domain::{
        in_work,
        letters::{
            self, LetterAction, LetterInput, LetterKind, LetterStatus, OrganisationKind, PublicSignatory,
            SignatoryKind, SignaturePosition, SignatureStatus, Takes,
            moderation::{self, Invalidation, ModeratedSignature, SignatureFilter},
            signing::{self, SignatureInput},
        },
    },
    graphql::{
        context::{client_address, db, mailroom, now, operation_name, rate_limits, viewer},
        error::ApiResult,
        pagination::{PageArgs, PagedConnection, connection},
        parse_id,
        types::Group,
    },
    urls::PublicUrls,
};

/// The most signatories of one kind a letter lists in one answer.
const MAX_LISTED: usize = 1000;

macro_rules! api_enum {
    ($(#[$meta:meta])* $gql:ident as $name:literal <=> $domain:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        #[graphql(name = $name)]
        pub enum $gql { $($(#[$vmeta])* $variant),+ }

        impl From<$domain> for $gql {
            fn from(value: $domain) -> Self {
                match value { $($domain::$variant => Self::$variant),+ }
            }
        }

        impl From<$gql> for $domain {
            fn from(value: $gql) -> Self {
                match value { $($gql::$variant => Self::$variant),+ }
            }
        }
    };
}

api_enum!(
    /// A joint letter, or a pledge (organisations only, with a public
    /// directory such as the Safe Surgeries network).
    GqlLetterKind as "LetterKind" <=> LetterKind {
        /// A joint letter to someone, signed by organisations, people or both.
        Letter,
        /// A commitment that organisations make, listed in a directory.
        Pledge,
    }
);
api_enum!(
    /// Who may sign.
    GqlTakes as "LetterSignatories" <=> Takes {
        /// Organisations only.
        Organisations,
        /// People only.
        Individuals,
        /// Organisations and people.
        Both,
    }
);
api_enum!(
    /// Where a letter is.
    GqlLetterStatus as "LetterStatus" <=> LetterStatus {
        /// Being written; seen by coordinators only.
        Draft,
        /// Taking signatures.
        Open,
        /// No longer taking signatures.
        Closed,
        /// Handed over to its addressee.
        Delivered,
    }
);
api_enum!(
    /// Who signs: an organisation or a person.
    GqlSignatoryKind as "SignatoryKind" <=> SignatoryKind {
        /// An organisation: listed by name once a coordinator approved it.
        Organisation,
        /// A person: counted, and named only if they chose.
        Individual,
    }
);
api_enum!(
    /// What kind of organisation signs.
    GqlOrganisationKind as "OrganisationKind" <=> OrganisationKind {
        /// A trade union branch.
        UnionBranch,
        /// A GP practice (the Safe Surgeries pledge).
        GpPractice,
        /// A charity.
        Charity,
        /// A student society.
        StudentSociety,
        /// Any other organisation.
        Other,
    }
);
api_enum!(
    /// A signature's state.
    GqlSignatureStatus as "SignatureStatus" <=> SignatureStatus {
        /// Waiting for its emailed link: not counted.
        Pending,
        /// Counted (an organisation once approved too).
        Confirmed,
        /// Struck out by a coordinator.
        Invalidated,
    }
);

/// A joint letter or a pledge.
pub struct Letter {
    model: letter::Model,
    count: u64,
    groups: Vec<group::Model>,
    /// Listed organisations and individuals loaded with the whole list, so
    /// that a page of letters costs the same statements however long.
    preloaded: Option<(Vec<PublicSignatory>, Vec<PublicSignatory>)>,
}

impl Letter {
    /// The letters with their counts and groups, in two statements.
    async fn all(ctx: &Context<'_>, models: Vec<letter::Model>) -> ApiResult<Vec<Self>> {
        let ids: Vec<Uuid> = models.iter().map(|l| l.id).collect();
        let counts = letters::counts(db(ctx), &ids).await?;
        let mut groups = letters::groups_of(db(ctx), &ids).await?;
        Ok(models
            .into_iter()
            .map(|model| Self {
                count: counts.get(&model.id).copied().unwrap_or(0),
                groups: groups.remove(&model.id).unwrap_or_default(),
                preloaded: None,
                model,
            })
            .collect())
    }

    /// [`Letter::all`] with every letter's listed signatories loaded in
    /// two statements, for a list whose items ask for them.
    async fn all_with_signatories(ctx: &Context<'_>, models: Vec<letter::Model>) -> ApiResult<Vec<Self>> {
        let ids: Vec<Uuid> = models.iter().map(|l| l.id).collect();
        let mut organisations =
            letters::public_signatories_of(db(ctx), &ids, SignatoryKind::Organisation, MAX_LISTED).await?;
        let mut individuals =
            letters::public_signatories_of(db(ctx), &ids, SignatoryKind::Individual, MAX_LISTED).await?;
        let mut all = Self::all(ctx, models).await?;
        for letter in &mut all {
            letter.preloaded = Some((
                organisations.remove(&letter.model.id).unwrap_or_default(),
                individuals.remove(&letter.model.id).unwrap_or_default(),
            ));
        }
        Ok(all)
    }

    async fn one(ctx: &Context<'_>, model: letter::Model) -> ApiResult<Self> {
        let mut all = Self::all(ctx, vec![model]).await?;
        all.pop()
            .ok_or_else(|| crate::error::Error::Internal(anyhow::anyhow!("a letter went missing")).into())
    }
}

/// A joint letter or a pledge, as everyone sees it.
#[Object]
impl Letter {
    /// The letter's id (a UUID).
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// Short unique name in its address, `/letters/{slug}`.
    async fn slug(&self) -> &str {
        &self.model.slug
    }
    /// A letter or a pledge.
    async fn kind(&self) -> GqlLetterKind {
        letters::kind_of(&self.model).into()
    }
    /// The title.
    async fn title(&self) -> &str {
        &self.model.title
    }
    /// The text, as plain paragraphs.
    async fn paragraphs(&self) -> Vec<&str> {
        self.model
            .body
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }
    /// To whom it is addressed.
    async fn addressee(&self) -> &str {
        &self.model.addressee
    }
    /// Who may sign it.
    async fn signatories(&self) -> GqlTakes {
        letters::takes_of(&self.model).into()
    }
    /// Where it is: open, closed, delivered (drafts for coordinators).
    async fn status(&self) -> GqlLetterStatus {
        letters::status_of(&self.model).into()
    }
    /// Whether it takes signatures now.
    async fn open_for_signatures(&self, ctx: &Context<'_>) -> bool {
        letters::is_signable(&self.model, now(ctx))
    }
    /// When it starts taking signatures, if set.
    async fn opens_at(&self) -> Option<DateTime<Utc>> {
        self.model.opens_at
    }
    /// When it stops taking signatures, if set.
    async fn closes_at(&self) -> Option<DateTime<Utc>> {
        self.model.closes_at
    }
    /// The groups that organise it.
    async fn organising_groups(&self) -> Vec<Group> {
        self.groups.iter().cloned().map(Group).collect()
    }
    /// Signatures that count: confirmed by their emailed link, and an
    /// organisation's approved by a coordinator.
    async fn signature_count(&self) -> u64 {
        self.count
    }
    /// The address to share.
    async fn share_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let urls = ctx
            .data::<PublicUrls>()
            .map_err(|_| crate::error::Error::Internal(anyhow::anyhow!("no public urls in the schema data")))?;
        Ok(urls.page(&format!("/letters/{}", self.model.slug)))
    }
    /// The organisations that signed, in the order they signed; for a
    /// pledge, filter by region (the directory).
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only those in this region (case-insensitive).")] region: Option<String>,
        #[graphql(desc = "At most this many: 1 to 1,000, 500 if omitted.")] first: Option<i32>,
    ) -> ApiResult<Vec<Signatory>> {
        let first = u64::try_from(first.unwrap_or(500).clamp(1, 1000)).unwrap_or(500);
        if let (Some((organisations, _)), None) = (&self.preloaded, &region) {
            return Ok(organisations
                .iter()
                .take(first as usize)
                .cloned()
                .map(Signatory)
                .collect());
        }
        let rows = letters::public_signatories(
            db(ctx),
            self.model.id,
            SignatoryKind::Organisation,
            region.as_deref(),
            first,
        )
        .await?;
        Ok(rows.into_iter().map(Signatory).collect())
    }
    /// The individuals who signed and chose to be listed by name.
    async fn listed_individuals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many: 1 to 1,000, 100 if omitted.")] first: Option<i32>,
    ) -> ApiResult<Vec<Signatory>> {
        let first = u64::try_from(first.unwrap_or(100).clamp(1, 1000)).unwrap_or(100);
        if let Some((_, individuals)) = &self.preloaded {
            return Ok(individuals
                .iter()
                .take(first as usize)
                .cloned()
                .map(Signatory)
                .collect());
        }
        let rows = letters::public_signatories(db(ctx), self.model.id, SignatoryKind::Individual, None, first).await?;
        Ok(rows.into_iter().map(Signatory).collect())
    }
    /// The regions of the organisations listed (a pledge's directory filter).
    async fn regions(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(letters::directory_regions(db(ctx), self.model.id).await?)
    }
}

/// A signatory as everyone sees them.
pub struct Signatory(PublicSignatory);

/// A signatory everyone may see: an approved organisation, or a person
/// who chose to be listed.
#[Object]
impl Signatory {
    /// The organisation's name, or the person's (who chose to be listed).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// An organisation or a person.
    async fn kind(&self) -> GqlSignatoryKind {
        self.0.kind.into()
    }
    /// What kind of organisation (organisations only).
    async fn organisation_kind(&self) -> Option<GqlOrganisationKind> {
        self.0.organisation_kind.map(Into::into)
    }
    /// The organisation's town.
    async fn town(&self) -> Option<&str> {
        self.0.town.as_deref()
    }
    /// The organisation's region.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    /// When it committed: confirmed, and for an organisation approved.
    async fn since(&self) -> DateTime<Utc> {
        self.0.since
    }
}

/// A signature, for a letter's page or `signLetter`. No account needed.
#[derive(InputObject)]
pub struct SignLetterInput {
    /// The letter's slug.
    pub letter_slug: String,
    /// As an organisation or as yourself; may be left out when the letter
    /// takes only one kind.
    pub kind: Option<GqlSignatoryKind>,
    /// The organisation's name, or yours. Not a web address, and not
    /// starting with `= + - @`.
    pub name: String,
    /// Organisations: what kind.
    pub organisation_kind: Option<GqlOrganisationKind>,
    /// Organisations: the town.
    pub town: Option<String>,
    /// Organisations signing a pledge: the region.
    pub region: Option<String>,
    /// Individuals: the first part of your postcode (`LS6`), optional.
    pub postcode_area: Option<String>,
    /// Organisations: who we write to. Private.
    pub contact_name: Option<String>,
    /// Where the confirmation link goes. Private: seen by coordinators and
    /// admins only.
    pub email: String,
    /// Individuals: whether your name may be listed publicly (default no).
    #[graphql(default)]
    pub show_name: bool,
}

/// What signing did.
#[derive(SimpleObject)]
pub struct SignLetterResult {
    /// This address had signed already: that signature was updated.
    pub updated: bool,
    /// What happens next, in words.
    pub message: String,
}

/// A letter as coordinators write it.
#[derive(InputObject)]
pub struct LetterWriteInput {
    /// Its address, `/letters/{slug}`: 2 to 40 of a-z, 0-9 and inner hyphens.
    pub slug: String,
    /// A letter or a pledge (a pledge takes organisations only).
    pub kind: GqlLetterKind,
    /// The title; one line.
    pub title: String,
    /// Plain paragraphs separated by blank lines.
    pub text: String,
    /// To whom it is addressed.
    pub addressee: String,
    /// Who may sign.
    pub signatories: GqlTakes,
    /// The organising groups' slugs.
    #[graphql(default)]
    pub group_slugs: Vec<String>,
    /// When it starts taking signatures once opened (default: at once).
    pub opens_at: Option<DateTime<Utc>>,
    /// When it stops taking signatures (default: when closed).
    pub closes_at: Option<DateTime<Utc>>,
}

impl From<LetterWriteInput> for LetterInput {
    fn from(input: LetterWriteInput) -> Self {
        Self {
            slug: input.slug,
            kind: input.kind.into(),
            title: input.title,
            body: input.text,
            addressee: input.addressee,
            takes: input.signatories.into(),
            group_slugs: input.group_slugs,
            opens_at: input.opens_at,
            closes_at: input.closes_at,
        }
    }
}

/// Narrows a letter's signatures; every given field narrows.
#[derive(InputObject, Default)]
pub struct SignatureFilterInput {
    /// Only signatures in this state.
    pub status: Option<GqlSignatureStatus>,
    /// Only organisations, or only people.
    pub kind: Option<GqlSignatoryKind>,
    /// Organisations confirmed and waiting for approval.
    #[graphql(default)]
    pub awaiting_approval: bool,
    /// The email's domain, e.g. `example.org`.
    pub domain: Option<String>,
    /// Signed at or after this instant.
    pub signed_after: Option<DateTime<Utc>>,
    /// Signed before this instant.
    pub signed_before: Option<DateTime<Utc>>,
}

/// Which signatures to strike out: at least one field must be given.
#[derive(InputObject, Default)]
pub struct InvalidationInput {
    /// These signatures.
    #[graphql(default)]
    pub ids: Vec<ID>,
    /// An email address (compared in its canonical form).
    pub email: Option<String>,
    /// Every signature from this email domain, e.g. `example.org`.
    pub domain: Option<String>,
    /// A client address's fingerprint, as `letterModeration` lists it.
    pub source: Option<String>,
    /// Signed at or after this instant.
    pub signed_after: Option<DateTime<Utc>>,
    /// Signed before this instant.
    pub signed_before: Option<DateTime<Utc>>,
}

/// A signature as coordinators see it: the email masked, the individual's
/// name only if they chose to be listed (`signatoryContact` reads the
/// rest, recorded).
pub struct LetterSignature(ModeratedSignature);

/// A signature as coordinators see it.
#[Object]
impl LetterSignature {
    /// The signature's id (a UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// An organisation or a person.
    async fn kind(&self) -> GqlSignatoryKind {
        self.0.kind.into()
    }
    /// The organisation's name, or the person's if they chose to be listed.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// What kind of organisation.
    async fn organisation_kind(&self) -> Option<GqlOrganisationKind> {
        self.0.organisation_kind.map(Into::into)
    }
    /// The organisation's town.
    async fn town(&self) -> Option<&str> {
        self.0.town.as_deref()
    }
    /// The organisation's region.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    /// A person's postcode area (`LS6`).
    async fn postcode_area(&self) -> Option<&str> {
        self.0.postcode_area.as_deref()
    }
    /// Whether the person chose to be listed by name.
    async fn show_name(&self) -> bool {
        self.0.show_name
    }
    /// Waiting for its link, confirmed, or invalidated.
    async fn status(&self) -> GqlSignatureStatus {
        self.0.status.into()
    }
    /// An organisation's approval by a coordinator.
    async fn approved(&self) -> bool {
        self.0.approved
    }
    /// The address masked, e.g. `s…@example.org`.
    async fn email_masked(&self) -> Option<&str> {
        self.0.email_masked.as_deref()
    }
    /// The email's domain.
    async fn email_domain(&self) -> Option<&str> {
        self.0.email_domain.as_deref()
    }
    /// A fingerprint of the client address it was signed from.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// When it was (last) signed.
    async fn signed_at(&self) -> DateTime<Utc> {
        self.0.signed_at
    }
    /// When its link was first followed.
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }
}

/// A client address (fingerprint) or email domain and its signatures in
/// the last hour.
#[derive(SimpleObject)]
pub struct SigningTrend {
    /// The fingerprint or the domain.
    pub key: String,
    /// Signatures in the last hour.
    pub count: u64,
}

/// The coordinators' overview of one letter.
#[derive(SimpleObject)]
pub struct LetterModeration {
    /// Signatures that count.
    pub counted: u64,
    /// Waiting for their emailed link.
    pub pending: u64,
    /// Organisations confirmed and waiting for approval.
    pub awaiting_approval: u64,
    /// Struck out by a coordinator.
    pub invalidated: u64,
    /// Client addresses signing fastest in the last hour.
    pub trending_sources: Vec<SigningTrend>,
    /// Email domains signing fastest in the last hour.
    pub trending_domains: Vec<SigningTrend>,
}

/// One signatory's private details.
#[derive(SimpleObject)]
pub struct SignatoryContact {
    /// A person's name.
    pub name: Option<String>,
    /// An organisation's contact.
    pub contact_name: Option<String>,
    /// The address signed with.
    pub email: Option<String>,
}

/// An address or domain that may not sign.
#[derive(SimpleObject)]
pub struct LetterBlock {
    /// The block's id, to lift it.
    pub id: ID,
    /// `ADDRESS` or `DOMAIN`.
    pub kind: String,
    /// The domain, or the address masked.
    pub label: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

impl From<moderation::Block> for LetterBlock {
    fn from(b: moderation::Block) -> Self {
        Self {
            id: ID(b.id.to_string()),
            kind: b.kind.to_owned(),
            label: b.label,
            created_at: b.created_at,
        }
    }
}

#[derive(Default)]
pub struct LetterQuery;

#[Object]
impl LetterQuery {
    /// Open letters and pledges, newest first; coordinators may ask for
    /// every letter, drafts included.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn letters(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Coordinators: every letter, not only open ones.")] all: bool,
        #[graphql(desc = "How many to return: 1 to 100, 20 if omitted.")] first: Option<i32>,
        #[graphql(desc = "Continue after this cursor.")] after: Option<String>,
    ) -> ApiResult<PagedConnection<Letter>> {
        let args = PageArgs::<letters::LetterPosition>::parse(first, after)?;
        let select = letters::listed(viewer(ctx), all);
        let page = crate::domain::pagination::keyset_page(db(ctx), select, args.after.as_ref(), args.first).await?;
        let node = ctx.look_ahead().field("edges").field("node");
        let signatories = node.field("organisations").exists() || node.field("listedIndividuals").exists();
        connection(&args, page, async |rows| {
            if signatories {
                Letter::all_with_signatories(ctx, rows).await
            } else {
                Letter::all(ctx, rows).await
            }
        })
        .await
    }

    /// A letter or pledge by its slug: its text, count and listed
    /// signatories.
    async fn letter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug, as in `/letters/{slug}`.")] slug: String,
    ) -> ApiResult<Letter> {
        let model = letters::get(db(ctx), viewer(ctx), &slug).await?;
        Letter::one(ctx, model).await
    }

    /// Coordinators: a letter's signatures, oldest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn letter_signatures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug.")] slug: String,
        #[graphql(desc = "Which signatures; without it, all.")] filter: Option<SignatureFilterInput>,
        #[graphql(desc = "How many to return: 1 to 100, 20 if omitted.")] first: Option<i32>,
        #[graphql(desc = "Continue after this cursor.")] after: Option<String>,
    ) -> ApiResult<PagedConnection<LetterSignature>> {
        let args = PageArgs::<SignaturePosition>::parse(first, after)?;
        let input = filter.unwrap_or_default();
        let filter = SignatureFilter {
            status: input.status.map(Into::into),
            kind: input.kind.map(Into::into),
            awaiting_approval: input.awaiting_approval,
            domain: input.domain,
            signed_after: input.signed_after,
            signed_before: input.signed_before,
        };
        let page =
            moderation::signatures(db(ctx), viewer(ctx), &slug, &filter, args.after.as_ref(), args.first).await?;
        connection(&args, page, async |rows| {
            Ok(rows
                .into_iter()
                .map(|row| moderation::moderated(row).map(LetterSignature))
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    /// Coordinators: the counts of a letter and who signs fastest.
    async fn letter_moderation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug.")] slug: String,
    ) -> ApiResult<LetterModeration> {
        let tally = moderation::tally(db(ctx), viewer(ctx), &slug).await?;
        let (sources, domains) = moderation::trending(db(ctx), viewer(ctx), &slug, now(ctx)).await?;
        let trend = |t: moderation::Trend| SigningTrend {
            key: t.key,
            count: t.count,
        };
        Ok(LetterModeration {
            counted: tally.counted,
            pending: tally.pending,
            awaiting_approval: tally.awaiting_approval,
            invalidated: tally.invalidated,
            trending_sources: sources.into_iter().map(trend).collect(),
            trending_domains: domains.into_iter().map(trend).collect(),
        })
    }

    /// Coordinators and admins: one signatory's name, contact name and
    /// email. Every read is recorded in the audit trail.
    async fn signatory_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The signature's id.")] signature_id: ID,
    ) -> ApiResult<SignatoryContact> {
        let id = parse_id("signatureId", &signature_id)?;
        let operation = operation_name(ctx);
        let found = in_work(db(ctx), async |work| {
            moderation::contact(work, viewer(ctx), id, &operation, now(ctx)).await
        })
        .await?;
        Ok(SignatoryContact {
            name: found.name,
            contact_name: found.contact_name,
            email: found.email,
        })
    }

    /// Coordinators: the block list.
    async fn letter_blocks(&self, ctx: &Context<'_>) -> ApiResult<Vec<LetterBlock>> {
        Ok(moderation::blocks(db(ctx), viewer(ctx))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Coordinators: the signatures that count, as CSV for delivering the
    /// letter (names, organisations, towns; cells formula-safe). With
    /// `withEmails` (admins only) each row carries the email and contact
    /// name, and the export is recorded in the audit trail.
    async fn letter_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug.")] slug: String,
        #[graphql(default, desc = "Admins: add each signatory's email and contact name (recorded).")] with_emails: bool,
    ) -> ApiResult<String> {
        let operation = operation_name(ctx);
        Ok(in_work(db(ctx), async |work| {
            moderation::export_csv(work, viewer(ctx), &slug, with_emails, &operation, now(ctx)).await
        })
        .await?)
    }
}

#[derive(Default)]
pub struct LetterMutation;

fn signed_message(updated: bool) -> String {
    if updated {
        "This address had signed already: that signature was updated, not counted twice. We have sent a link to \
         the address; the change shows once it is followed."
            .to_owned()
    } else {
        "Thank you. We have sent a link to the address: the signature counts once it is followed.".to_owned()
    }
}

#[Object]
impl LetterMutation {
    /// Signs an open letter or pledge; no account needed. The signature
    /// counts once the link emailed to the address is followed (and an
    /// organisation's once a coordinator approves it). Signing again from
    /// the same address (in its canonical form: `First.Last+x@gmail.com`
    /// is `firstlast@gmail.com`) updates the signature. Limited per client
    /// address in bursts and per hour (`RATE_LIMITED`).
    async fn sign_letter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The signature.")] input: SignLetterInput,
    ) -> ApiResult<SignLetterResult> {
        let limits = rate_limits(ctx)?.signing;
        let mailroom = mailroom(ctx)?;
        let client = client_address(ctx).key();
        let slug = input.letter_slug.clone();
        let signature = SignatureInput {
            kind: input.kind.map(Into::into),
            name: input.name,
            organisation_kind: input.organisation_kind.map(Into::into),
            town: input.town,
            region: input.region,
            postcode_area: input.postcode_area,
            contact_name: input.contact_name,
            email: input.email,
            show_name: input.show_name,
        };
        let signed = in_work(db(ctx), async |work| {
            signing::sign(work, mailroom, &slug, signature, &client, limits, now(ctx)).await
        })
        .await?;
        Ok(SignLetterResult {
            updated: signed.updated,
            message: signed_message(signed.updated),
        })
    }

    /// Confirms a signature with the secret from its emailed link; the
    /// letter it signed.
    async fn confirm_signature(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `token` of the emailed link.")] token: String,
    ) -> ApiResult<Letter> {
        let done = in_work(db(ctx), async |work| signing::confirm(work, &token, now(ctx)).await).await?;
        Letter::one(ctx, done.letter).await
    }

    /// Coordinators: writes a new letter or pledge, as a draft.
    async fn create_letter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter.")] input: LetterWriteInput,
    ) -> ApiResult<Letter> {
        let model = in_work(db(ctx), async |work| {
            letters::create(work, viewer(ctx), input.into(), now(ctx)).await
        })
        .await?;
        Letter::one(ctx, model).await
    }

    /// Coordinators: rewrites a letter; `CONFLICT` once anyone has signed.
    async fn update_letter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug now.")] slug: String,
        #[graphql(desc = "The letter as it is to be.")] input: LetterWriteInput,
    ) -> ApiResult<Letter> {
        let model = in_work(db(ctx), async |work| {
            letters::update(work, viewer(ctx), &slug, input.into(), now(ctx)).await
        })
        .await?;
        Letter::one(ctx, model).await
    }

    /// Coordinators: opens a draft for signatures.
    async fn open_letter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug.")] slug: String,
    ) -> ApiResult<Letter> {
        step(ctx, &slug, LetterAction::Open).await
    }

    /// Coordinators: stops taking signatures.
    async fn close_letter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug.")] slug: String,
    ) -> ApiResult<Letter> {
        step(ctx, &slug, LetterAction::Close).await
    }

    /// Coordinators: records that the letter was handed over (retention of
    /// its signatories' names and emails counts from here).
    async fn deliver_letter(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug.")] slug: String,
    ) -> ApiResult<Letter> {
        step(ctx, &slug, LetterAction::Deliver).await
    }

    /// Coordinators: approves organisations' confirmed signatures, which
    /// then count and are listed; how many were approved.
    async fn approve_signatures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug.")] slug: String,
        #[graphql(desc = "The organisations' signatures to approve.")] ids: Vec<ID>,
    ) -> ApiResult<u64> {
        let ids = ids
            .iter()
            .map(|id| parse_id("ids", id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(in_work(db(ctx), async |work| {
            moderation::approve(work, viewer(ctx), &slug, &ids, now(ctx)).await
        })
        .await?)
    }

    /// Coordinators: strikes out the signatures matching every condition
    /// given; refused (`BAD_USER_INPUT` on `condition`) without one. How
    /// many were struck out.
    async fn invalidate_signatures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The letter's slug.")] slug: String,
        #[graphql(desc = "Which signatures: at least one field.")] condition: InvalidationInput,
    ) -> ApiResult<u64> {
        let which = Invalidation {
            ids: condition
                .ids
                .iter()
                .map(|id| parse_id("ids", id))
                .collect::<Result<Vec<_>, _>>()?,
            email: condition.email,
            domain: condition.domain,
            source: condition.source,
            signed_after: condition.signed_after,
            signed_before: condition.signed_before,
        };
        Ok(in_work(db(ctx), async |work| {
            moderation::invalidate(work, viewer(ctx), &slug, &which, now(ctx)).await
        })
        .await?)
    }

    /// Coordinators: blocks an email address (kept only as a keyed hash)
    /// or a domain from signing any letter.
    async fn add_letter_block(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An email address or a domain (`example.org`).")] value: String,
    ) -> ApiResult<LetterBlock> {
        Ok(in_work(db(ctx), async |work| {
            moderation::add_block(work, viewer(ctx), &value, now(ctx)).await
        })
        .await?
        .into())
    }

    /// Coordinators: lifts a block; whether there was one.
    async fn remove_letter_block(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The block's id.")] id: ID,
    ) -> ApiResult<bool> {
        let id = parse_id("id", &id)?;
        Ok(in_work(db(ctx), async |work| {
            moderation::remove_block(work, viewer(ctx), id).await
        })
        .await?)
    }
}

async fn step(ctx: &Context<'_>, slug: &str, action: LetterAction) -> ApiResult<Letter> {
    let model = in_work(db(ctx), async |work| {
        letters::transition(work, viewer(ctx), slug, action, now(ctx)).await
    })
    .await?;
    Letter::one(ctx, model).await
}
