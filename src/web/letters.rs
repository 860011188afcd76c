//! Letters and pledges on the web: the public pages (the open letters, a
//! letter's page with its text, count, signatories and the form to sign
//! it, the page the emailed link lands on, a pledge's directory filterable
//! by region) and the coordinators' pages under `/desk/letters` (the
//! letters with their counts; a letter's moderation: counts, who signs
//! fastest, the signatures with filters, bulk approval and invalidation,
//! the block list, the CSV export).
//!
//! The handlers call the same `domain::letters` functions as the API: the
//! form spends the same per-address budget as `signLetter`, and every
//! coordinator's step asks the policy again in the domain.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, Utc};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Nav, Place,
    csrf::CsrfKey,
    internal, message, not_found_page, page, refusal,
    signin::{see_other, viewer_of},
    view::{paragraphs, summary, uk_time},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        in_work,
        letters::{
            self, LetterAction, LetterKind, OrganisationKind, SignatoryKind, SignatureStatus,
            moderation::{self, Invalidation, SignatureFilter},
            signing::{self, SignatureInput},
        },
    },
    error::{Error, Result},
    rate_limit::ClientAddress,
};

/// Organisations and named individuals shown on a letter's page.
const LISTED: u64 = 500;
/// Signatures per page of the moderation list.
const PAGE: u64 = 100;
/// Recorded as the reason of an audited export.
const EXPORT: &str = "deskLetterExport";

fn letter_path(slug: &str) -> String {
    format!("/letters/{slug}")
}

/// A signatory as a page lists them.
struct Listed {
    name: String,
    detail: String,
    since: String,
}

fn listed(s: letters::PublicSignatory) -> Listed {
    let mut detail = Vec::new();
    if let Some(kind) = s.organisation_kind {
        detail.push(kind.label().to_owned());
    }
    detail.extend(s.town.clone());
    detail.extend(s.region.clone());
    Listed {
        name: s.name,
        detail: detail.join(", "),
        since: s.since.format("%-d %B %Y").to_string(),
    }
}

/// What was typed into the form, kept when it is shown again.
#[derive(Debug, Default, Clone)]
struct Entered {
    kind: String,
    name: String,
    organisation_kind: String,
    town: String,
    region: String,
    postcode_area: String,
    contact_name: String,
    email: String,
    show_name: bool,
    csrf: Option<String>,
}

impl Entered {
    fn parse(body: &[u8]) -> Self {
        let mut entered = Self::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "kind" => entered.kind = value,
                "name" => entered.name = value,
                "organisationKind" => entered.organisation_kind = value,
                "town" => entered.town = value,
                "region" => entered.region = value,
                "postcodeArea" => entered.postcode_area = value,
                "contactName" => entered.contact_name = value,
                "email" => entered.email = value,
                "showName" => entered.show_name = value == "on",
                super::csrf::FIELD => entered.csrf = Some(value),
                _ => {}
            }
        }
        entered
    }

    fn to_input(&self) -> SignatureInput {
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        SignatureInput {
            kind: SignatoryKind::parse(&self.kind),
            name: self.name.clone(),
            organisation_kind: OrganisationKind::parse(&self.organisation_kind),
            town: some(&self.town),
            region: some(&self.region),
            postcode_area: some(&self.postcode_area),
            contact_name: some(&self.contact_name),
            email: self.email.clone(),
            show_name: self.show_name,
        }
    }
}

struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "letter.html")]
struct LetterPage {
    nav: Nav,
    title: String,
    summary: String,
    pledge: bool,
    status: &'static str,
    addressee: String,
    paragraphs: Vec<String>,
    groups: Vec<(String, String)>,
    count: u64,
    share_url: String,
    organisations: Vec<Listed>,
    individuals: Vec<Listed>,
    regions: Vec<(String, bool)>,
    region: String,
    takes_organisations: bool,
    takes_individuals: bool,
    signable: bool,
    action: String,
    csrf_token: String,
    entered: Entered,
    organisation_kinds: Vec<Choice>,
    errors: HashMap<String, String>,
    notice: Option<String>,
}

impl LetterPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(Deserialize, Default)]
pub struct RegionQuery {
    region: Option<String>,
}

async fn letter_page(
    state: &AppState,
    slug: &str,
    region: Option<&str>,
    status: StatusCode,
    entered: &Entered,
    errors: HashMap<String, String>,
    notice: Option<String>,
) -> Result<Option<Response>> {
    let Some(letter) = letters::find_by_slug(&state.db, slug)
        .await?
        .filter(|l| letters::status_of(l) != letters::LetterStatus::Draft)
    else {
        return Ok(None);
    };
    let now = state.clock.now();
    let counts = letters::counts(&state.db, &[letter.id]).await?;
    let groups = letters::groups_of(&state.db, &[letter.id]).await?;
    let pledge = letters::kind_of(&letter) == LetterKind::Pledge;
    let region = region.map(str::trim).filter(|r| !r.is_empty());
    let organisations =
        letters::public_signatories(&state.db, letter.id, SignatoryKind::Organisation, region, LISTED).await?;
    let individuals = if pledge {
        Vec::new()
    } else {
        letters::public_signatories(&state.db, letter.id, SignatoryKind::Individual, None, LISTED).await?
    };
    let regions = if pledge {
        letters::directory_regions(&state.db, letter.id).await?
    } else {
        Vec::new()
    };
    let takes = letters::takes_of(&letter);
    let token = state.csrf.issue(now)?;
    let view = LetterPage {
        nav: Nav::at(Place::None),
        summary: summary(&letter.body).unwrap_or_else(|| letter.title.clone()),
        title: letter.title.clone(),
        pledge,
        status: match letters::status_of(&letter) {
            letters::LetterStatus::Open => "Open for signatures",
            letters::LetterStatus::Closed => "Closed",
            letters::LetterStatus::Delivered => "Delivered",
            letters::LetterStatus::Draft => "Draft",
        },
        addressee: letter.addressee.clone(),
        paragraphs: paragraphs(&letter.body),
        groups: groups
            .get(&letter.id)
            .map(|g| {
                g.iter()
                    .map(|g| (format!("/groups/{}", g.slug), g.name.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        count: counts.get(&letter.id).copied().unwrap_or(0),
        share_url: state.urls.page(&letter_path(&letter.slug)),
        organisations: organisations.into_iter().map(listed).collect(),
        individuals: individuals.into_iter().map(listed).collect(),
        regions: regions
            .into_iter()
            .map(|r| {
                let chosen = region.is_some_and(|c| c.eq_ignore_ascii_case(&r));
                (r, chosen)
            })
            .collect(),
        region: region.unwrap_or_default().to_owned(),
        takes_organisations: takes.organisations(),
        takes_individuals: takes.individuals(),
        signable: letters::is_signable(&letter, now),
        action: letter_path(&letter.slug),
        csrf_token: token.clone(),
        organisation_kinds: OrganisationKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str(),
                label: k.label(),
                selected: entered.organisation_kind == k.as_str(),
            })
            .collect(),
        entered: entered.clone(),
        errors,
        notice,
    };
    let mut response = page(status, &view);
    let cookie = CsrfKey::cookie_header_at(&token, state.urls.is_secure(), "/letters");
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Ok(value) = "no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    Ok(Some(response))
}

/// `GET /letters/{slug}`: the letter, its count and signatories, and the
/// form to sign it; `?region=` narrows a pledge's directory.
#[handler]
pub async fn show(
    Path(slug): Path<String>,
    Query(query): Query<RegionQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    match letter_page(
        state,
        &slug,
        query.region.as_deref(),
        StatusCode::OK,
        &Entered::default(),
        HashMap::new(),
        None,
    )
    .await
    {
        Ok(Some(page)) => page,
        Ok(None) => not_found_page(),
        Err(err) => internal(err),
    }
}

/// `POST /letters/{slug}`: signs, through the same `signing::sign` and
/// per-address budget as `signLetter`.
#[handler]
pub async fn sign(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>, body: Body) -> Response {
    let Ok(bytes) = body.into_bytes_limit(state.max_body_bytes).await else {
        return message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much to send",
            "The form was larger than muster takes.",
        );
    };
    let entered = Entered::parse(&bytes);
    if state
        .csrf
        .check(req, &state.urls, entered.csrf.as_deref(), state.clock.now())
        .is_err()
    {
        return message(
            StatusCode::FORBIDDEN,
            "The form could not be accepted",
            "It was open for too long, or was sent from another site. Please open the letter again and sign from there; nothing was saved.",
        );
    }
    let client = ClientAddress::of_request(req, &state.trusted_proxies).key();
    let limits = state.rate_limits.signing;
    let now = state.clock.now();
    let done = in_work(&state.db, async |work| {
        signing::sign(work, &state.mailroom, &slug, entered.to_input(), &client, limits, now).await
    })
    .await;
    let again = async |status: StatusCode, errors: HashMap<String, String>, notice: Option<String>| match letter_page(
        state, &slug, None, status, &entered, errors, notice,
    )
    .await
    {
        Ok(Some(page)) => page,
        Ok(None) => not_found_page(),
        Err(err) => internal(err),
    };
    match done {
        Ok(signed) => message(
            StatusCode::OK,
            "Check your email",
            if signed.updated {
                "This address had signed already: your signature was updated rather than counted twice. We have sent a link to the address; the change shows once you follow it."
            } else {
                "Thank you. We have sent a link to the address you gave: your signature counts once you follow it."
            },
        ),
        Err(Error::NotFound) => not_found_page(),
        Err(err @ Error::Validation(_)) => {
            let words = refusal::in_words(&err);
            again(refusal::status(&err), refusal::by_field(&err), words).await
        }
        Err(err @ Error::RateLimited { retry_after_secs }) => {
            let mut page = again(
                StatusCode::TOO_MANY_REQUESTS,
                HashMap::new(),
                Some(
                    "Too many signatures have been sent from your connection in a short time. Nothing was saved; please try again later."
                        .to_owned(),
                ),
            )
            .await;
            if let Ok(value) = retry_after_secs.to_string().parse() {
                page.headers_mut().insert(header::RETRY_AFTER, value);
            }
            drop(err);
            page
        }
        Err(err) => match refusal::in_words(&err) {
            Some(words) => again(refusal::status(&err), HashMap::new(), Some(words)).await,
            None => internal(err),
        },
    }
}

#[derive(Template)]
#[template(path = "letter_confirm.html")]
struct ConfirmPage {
    nav: Nav,
    title: String,
    action: String,
    token: String,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /letters/{slug}/confirm?token=…`: where the emailed link lands. A
/// button confirms (a mail scanner that opens links does not).
#[handler]
pub async fn confirm_page(
    Path(slug): Path<String>,
    Query(query): Query<TokenQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let letter = match letters::find_by_slug(&state.db, &slug).await {
        Ok(Some(letter)) => letter,
        Ok(None) => return not_found_page(),
        Err(err) => return internal(err),
    };
    let mut response = page(
        StatusCode::OK,
        &ConfirmPage {
            nav: Nav::at(Place::None),
            title: letter.title,
            action: format!("/letters/{}/confirm", letter.slug),
            token: query.token.unwrap_or_default(),
        },
    );
    if let Ok(value) = "no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// `POST /letters/{slug}/confirm`: the secret itself is the proof, so no
/// other token is asked for.
#[handler]
pub async fn confirm(Path(slug): Path<String>, Data(state): Data<&AppState>, body: Body) -> Response {
    let Ok(bytes) = body.into_bytes_limit(4096).await else {
        return not_found_page();
    };
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let now = state.clock.now();
    match in_work(&state.db, async |work| signing::confirm(work, &token, now).await).await {
        Ok(done) if done.letter.slug == slug => {
            let organisation = done.signature.kind == SignatoryKind::Organisation.as_str();
            message(
                StatusCode::OK,
                "Your signature is confirmed",
                if organisation {
                    "Thank you: your organisation's signature is confirmed. It is counted and listed once a coordinator has checked it."
                } else {
                    "Thank you: your signature is confirmed and counted."
                },
            )
        }
        Ok(_) | Err(Error::NotFound) => message(
            StatusCode::NOT_FOUND,
            "This link does not work",
            "It has been used already, or the signature was withdrawn. If you signed more than once, only the newest link works.",
        ),
        Err(err) => internal(err),
    }
}

#[derive(Template)]
#[template(path = "letters.html")]
struct LettersPage {
    nav: Nav,
    letters: Vec<(String, String, String, u64)>,
}

/// `GET /letters`: the open letters and pledges.
#[handler]
pub async fn index(Data(state): Data<&AppState>) -> Response {
    let found = async {
        let open = letters::open_letters(&state.db, None, 100).await?;
        let ids: Vec<Uuid> = open.iter().map(|l| l.id).collect();
        let counts = letters::counts(&state.db, &ids).await?;
        Ok::<_, Error>(
            open.into_iter()
                .map(|l| {
                    let count = counts.get(&l.id).copied().unwrap_or(0);
                    (letter_path(&l.slug), l.title, l.addressee, count)
                })
                .collect(),
        )
    }
    .await;
    match found {
        Ok(letters) => page(
            StatusCode::OK,
            &LettersPage {
                nav: Nav::at(Place::None),
                letters,
            },
        ),
        Err(err) => internal(err),
    }
}

/// The letters a group organises, for its page: (address, title).
pub(super) async fn of_group(state: &AppState, group_id: Uuid) -> Result<Vec<(String, String)>> {
    Ok(letters::letters_of_group(&state.db, group_id)
        .await?
        .into_iter()
        .map(|l| (letter_path(&l.slug), l.title))
        .collect())
}

// ---------------------------------------------------------------------
// The coordinators' pages

const DESK: &str = "/desk/letters";

fn to_sign_in(back_to: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(back_to.as_bytes()).collect();
    see_other(&format!("/signin?next={next}"), None)
}

fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "These pages are for the network's coordinators",
        "Only the network's coordinators and admins moderate letters and pledges. If you should be one, ask an admin.",
    )
}

async fn enter(req: &Request, state: &AppState, back_to: &str) -> std::result::Result<Viewer, Response> {
    let viewer = viewer_of(req, state).await.map_err(internal)?;
    if viewer.user_id().is_none() {
        return Err(to_sign_in(back_to));
    }
    if viewer.is_staff() {
        Ok(viewer)
    } else {
        Err(forbidden())
    }
}

fn private(state: &AppState, status: StatusCode, view: &impl Template, token: &str) -> Response {
    let mut response = page(status, view);
    let cookie = CsrfKey::cookie_header_at(token, state.urls.is_secure(), DESK);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Ok(value) = "private, no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

struct DeskLetter {
    title: String,
    path: String,
    status: String,
    count: u64,
}

#[derive(Template)]
#[template(path = "letter_desk.html")]
struct DeskLettersPage {
    nav: Nav,
    letters: Vec<DeskLetter>,
}

/// `GET /desk/letters`: every letter, drafts too, with its count.
#[handler]
pub async fn desk_letters(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match enter(req, state, DESK).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let found = async {
        let all = crate::domain::pagination::keyset_page::<letters::LetterPosition>(
            &state.db,
            letters::listed(&viewer, true),
            None,
            100,
        )
        .await?;
        let ids: Vec<Uuid> = all.rows.iter().map(|l| l.id).collect();
        let counts = letters::counts(&state.db, &ids).await?;
        Ok::<_, Error>(
            all.rows
                .into_iter()
                .map(|l| DeskLetter {
                    count: counts.get(&l.id).copied().unwrap_or(0),
                    path: format!("{DESK}/{}", l.slug),
                    status: l.status.to_lowercase(),
                    title: l.title,
                })
                .collect(),
        )
    }
    .await;
    match found {
        Ok(letters) => {
            let mut response = page(
                StatusCode::OK,
                &DeskLettersPage {
                    nav: Nav::at(Place::Desk),
                    letters,
                },
            );
            if let Ok(value) = "private, no-store".parse() {
                response.headers_mut().insert(header::CACHE_CONTROL, value);
            }
            response
        }
        Err(err) => internal(err),
    }
}

/// The moderation list's filters, as the address carries them.
#[derive(Deserialize, Default, Clone)]
pub struct ModerationQuery {
    status: Option<String>,
    kind: Option<String>,
    domain: Option<String>,
    awaiting: Option<String>,
    after: Option<String>,
}

impl ModerationQuery {
    fn filter(&self) -> SignatureFilter {
        SignatureFilter {
            status: self.status.as_deref().and_then(SignatureStatus::parse),
            kind: self.kind.as_deref().and_then(SignatoryKind::parse),
            awaiting_approval: self.awaiting.as_deref() == Some("on"),
            domain: self.domain.clone().filter(|d| !d.trim().is_empty()),
            signed_after: None,
            signed_before: None,
        }
    }

    fn to_query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        let filter = self.filter();
        if let Some(s) = filter.status {
            out.append_pair("status", s.as_str());
        }
        if let Some(k) = filter.kind {
            out.append_pair("kind", k.as_str());
        }
        if let Some(d) = filter.domain {
            out.append_pair("domain", d.trim());
        }
        if filter.awaiting_approval {
            out.append_pair("awaiting", "on");
        }
        let query = out.finish();
        if query.is_empty() { query } else { format!("?{query}") }
    }
}

struct Row {
    id: Uuid,
    name: String,
    detail: String,
    email: String,
    source: String,
    status: &'static str,
    approved: bool,
    organisation: bool,
    signed: String,
}

#[derive(Template)]
#[template(path = "letter_moderation.html")]
struct ModerationPage {
    nav: Nav,
    title: String,
    slug: String,
    status: String,
    action: String,
    csrf_token: String,
    tally: moderation::Tally,
    sources: Vec<moderation::Trend>,
    domains: Vec<moderation::Trend>,
    rows: Vec<Row>,
    total: u64,
    next: Option<String>,
    query: String,
    filter_status: String,
    filter_kind: String,
    filter_domain: String,
    filter_awaiting: bool,
    blocks: Vec<moderation::Block>,
    admin: bool,
    notice: Option<String>,
}

async fn moderation_page(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    query: &ModerationQuery,
    status: StatusCode,
    notice: Option<String>,
) -> Result<Response> {
    let letter = letters::find_by_slug(&state.db, slug).await?.ok_or(Error::NotFound)?;
    let now = state.clock.now();
    let after = query
        .after
        .as_deref()
        .and_then(|a| a.split_once('_'))
        .and_then(|(t, id)| {
            Some(letters::SignaturePosition {
                created_at: DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc),
                id: Uuid::parse_str(id).ok()?,
            })
        });
    let found = moderation::signatures(&state.db, viewer, slug, &query.filter(), after.as_ref(), PAGE).await?;
    let next = match (found.has_next_page, found.rows.last()) {
        (true, Some(last)) => {
            let mut q = query.clone();
            q.after = Some(format!("{}_{}", last.created_at.to_rfc3339(), last.id));
            let base = q.to_query();
            let joiner = if base.is_empty() { "?" } else { "&" };
            Some(format!(
                "{DESK}/{slug}{base}{joiner}after={}",
                url::form_urlencoded::byte_serialize(q.after.as_deref().unwrap_or_default().as_bytes())
                    .collect::<String>()
            ))
        }
        _ => None,
    };
    let mut rows = Vec::with_capacity(found.rows.len());
    for row in found.rows {
        let seen = moderation::moderated(row)?;
        let mut detail = Vec::new();
        if let Some(kind) = seen.organisation_kind {
            detail.push(kind.label().to_owned());
        }
        detail.extend(seen.town.clone());
        detail.extend(seen.region.clone());
        detail.extend(seen.postcode_area.clone());
        rows.push(Row {
            id: seen.id,
            name: seen.name.clone().unwrap_or_else(|| "(name not listed)".to_owned()),
            detail: detail.join(", "),
            email: seen.email_masked.clone().unwrap_or_else(|| "(none kept)".to_owned()),
            source: seen.source.clone().unwrap_or_default(),
            status: match seen.status {
                SignatureStatus::Pending => "waiting for the link",
                SignatureStatus::Confirmed if seen.kind == SignatoryKind::Organisation && !seen.approved => {
                    "to approve"
                }
                SignatureStatus::Confirmed => "counted",
                SignatureStatus::Invalidated => "invalidated",
            },
            approved: seen.approved,
            organisation: seen.kind == SignatoryKind::Organisation,
            signed: uk_time(seen.signed_at),
        });
    }
    let tally = moderation::tally(&state.db, viewer, slug).await?;
    let (sources, domains) = moderation::trending(&state.db, viewer, slug, now).await?;
    let blocks = moderation::blocks(&state.db, viewer).await?;
    let token = state.csrf.issue(now)?;
    let filter = query.filter();
    let view = ModerationPage {
        nav: Nav::at(Place::Desk),
        title: letter.title.clone(),
        slug: letter.slug.clone(),
        status: letter.status.to_lowercase(),
        action: format!("{DESK}/{}", letter.slug),
        csrf_token: token.clone(),
        tally,
        sources,
        domains,
        rows,
        total: found.total_count,
        next,
        query: query.to_query(),
        filter_status: filter.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        filter_kind: filter.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        filter_domain: filter.domain.unwrap_or_default(),
        filter_awaiting: filter.awaiting_approval,
        blocks,
        admin: viewer.is_admin(),
        notice,
    };
    Ok(private(state, status, &view, &token))
}

/// `GET /desk/letters/{slug}`: a letter's moderation.
#[handler]
pub async fn desk_letter(
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<ModerationQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let back_to = format!("{DESK}/{slug}");
    let viewer = match enter(req, state, &back_to).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    match moderation_page(state, &viewer, &slug, &query, StatusCode::OK, None).await {
        Ok(page) => page,
        Err(Error::NotFound) => not_found_page(),
        Err(Error::Forbidden) => forbidden(),
        Err(err) => internal(err),
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// `POST /desk/letters/{slug}`: one of the page's forms (`action`):
/// approve or invalidate the ticked signatures, invalidate by a domain or
/// a source, block or unblock, open, close or deliver the letter.
#[handler]
pub async fn desk_action(
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<ModerationQuery>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    let back_to = format!("{DESK}/{slug}{}", query.to_query());
    let viewer = match enter(req, state, &back_to).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Ok(bytes) = body.into_bytes_limit(256 * 1024).await else {
        return message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much to send",
            "The form was larger than muster takes.",
        );
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    if state.csrf.check(req, &state.urls, csrf, state.clock.now()).is_err() {
        return message(
            StatusCode::FORBIDDEN,
            "The form could not be accepted",
            "It was open for too long, or was sent from another site. Nothing was changed: go back, reload the page and try again.",
        );
    }
    let ids: Vec<Uuid> = pairs
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| Uuid::parse_str(v.trim()).ok())
        .collect();
    let now = state.clock.now();
    let some = |name: &str| Some(field(&pairs, name).trim().to_owned()).filter(|v| !v.is_empty());
    let done: Result<String> = match field(&pairs, "action") {
        "approve" => in_work(&state.db, async |work| {
            moderation::approve(work, &viewer, &slug, &ids, now).await
        })
        .await
        .map(|n| format!("{n} approved.")),
        "invalidate" => {
            let which = Invalidation {
                ids: ids.clone(),
                domain: some("domain"),
                source: some("source"),
                email: some("email"),
                ..Default::default()
            };
            in_work(&state.db, async |work| {
                moderation::invalidate(work, &viewer, &slug, &which, now).await
            })
            .await
            .map(|n| format!("{n} invalidated."))
        }
        "block" => in_work(&state.db, async |work| {
            moderation::add_block(work, &viewer, field(&pairs, "value"), now).await
        })
        .await
        .map(|b| format!("{} is blocked.", b.label)),
        "unblock" => match Uuid::parse_str(field(&pairs, "block")) {
            Ok(id) => in_work(&state.db, async |work| {
                moderation::remove_block(work, &viewer, id).await
            })
            .await
            .map(|_| "The block is lifted.".to_owned()),
            Err(_) => Err(Error::validation("block", "choose a block")),
        },
        step @ ("open" | "close" | "deliver") => {
            let action = match step {
                "open" => LetterAction::Open,
                "close" => LetterAction::Close,
                _ => LetterAction::Deliver,
            };
            in_work(&state.db, async |work| {
                letters::transition(work, &viewer, &slug, action, now).await
            })
            .await
            .map(|l| format!("The letter is {}.", l.status.to_lowercase()))
        }
        _ => Err(Error::validation("action", "choose one of the buttons")),
    };
    let (status, words) = match done {
        Ok(words) => (StatusCode::OK, words),
        Err(Error::NotFound) => return not_found_page(),
        Err(err) => match refusal::in_words(&err) {
            Some(words) => (refusal::status(&err), words),
            None => return internal(err),
        },
    };
    match moderation_page(state, &viewer, &slug, &query, status, Some(words)).await {
        Ok(page) => page,
        Err(Error::NotFound) => not_found_page(),
        Err(err) => internal(err),
    }
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    emails: Option<String>,
}

/// `GET /desk/letters/{slug}/export.csv`: the signatures that count, for
/// delivering the letter; `?emails=on` (admins only, recorded) adds the
/// emails and contact names.
#[handler]
pub async fn desk_export(
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<ExportQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let back_to = format!("{DESK}/{slug}");
    let viewer = match enter(req, state, &back_to).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let with_emails = query.emails.as_deref() == Some("on");
    let now = state.clock.now();
    match in_work(&state.db, async |work| {
        moderation::export_csv(work, &viewer, &slug, with_emails, EXPORT, now).await
    })
    .await
    {
        Ok(csv) => Response::builder()
            .status(StatusCode::OK)
            .content_type("text/csv; charset=utf-8")
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-signatories.csv\""),
            )
            .header(header::CACHE_CONTROL, "private, no-store")
            .body(csv),
        Err(Error::NotFound) => not_found_page(),
        Err(Error::Forbidden) => message(
            StatusCode::FORBIDDEN,
            "Emails are exported for admins only",
            "The export with signatories' emails is for the network's admins, and each one is recorded. The export without emails is on the letter's page.",
        ),
        Err(err) => internal(err),
    }
}
