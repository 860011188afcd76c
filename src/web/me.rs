//! "My muster": a signed-in person's own pages, in four parts so that
//! none is long on a phone, each with the same small sub-navigation.
//!
//! - `/me`: upcoming events (going, or waiting with the place in line),
//!   groups with the person's role, requests to join (withdraw), leave.
//! - `/me/feeds`: private calendar feeds: create (the secret shown once,
//!   with the `webcal://` link, the address to copy and a QR code), list,
//!   revoke.
//! - `/me/profile`: display name, password, email address.
//! - `/me/data`: the access log, the export as a JSON file, and the way to
//!   `/me/delete` (erasure).
//!
//! Each handler reads the session's viewer, calls the same domain function
//! as the API, and renders; anonymous readers are sent to sign in and come
//! back. Every form carries the anti-forgery token (its cookie scoped to
//! `/me`), every refusal is a sentence on the page the person was on with
//! what they typed kept, and every answer is `private, no-store`: these
//! pages are one person's data. The only email address shown is the
//! reader's own.
//!
//! The QR code is drawn by the `qrcode` crate as an inline SVG of plain
//! shapes (the page's policy allows no inline style and no image from
//! elsewhere), encoding exactly the `webcal://` address.

use std::collections::HashMap;

use askama::Template;
use entity::{MembershipRole, MembershipStatus, RsvpStatus};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::Data,
};
use uuid::Uuid;

use super::{
    Nav, Place,
    account::read_form,
    csrf::CsrfKey,
    internal, message, page, refusal,
    signin::{see_other, session_cookie, session_secret, viewer_of},
    view::{uk_time, when},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        account_links, accounts, audit, feeds, in_work, memberships, privacy,
        reveal::{self, Reveal},
        rsvps, sessions,
    },
    error::{Error, Result},
    urls::PublicUrls,
};

/// The anti-forgery cookie of every form of these pages.
const COOKIE_PATH: &str = "/me";
/// How many entries of the access log one page shows.
const LOG_ENTRIES: u64 = 100;

/// Which part of My muster a page is, for the sub-navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Overview,
    Feeds,
    Profile,
    Data,
}

/// The sub-navigation: where the page is among the four parts.
pub struct SubNav(Part);

impl SubNav {
    /// `aria-current` for the entry of `part`.
    pub fn current(&self, part: Part) -> &'static str {
        if self.0 == part { " aria-current=\"page\"" } else { "" }
    }
}

/// Who is reading: the viewer, or the answer that sends an anonymous
/// reader to sign in and come back to `path`.
async fn reader(req: &Request, state: &AppState, path: &str) -> std::result::Result<Viewer, Response> {
    match viewer_of(req, state).await {
        Ok(viewer) if viewer.user_id().is_some() => Ok(viewer),
        Ok(_) => Err(see_other(&format!("/signin?next={path}"), None)),
        Err(err) => Err(internal(err)),
    }
}

/// A form's fields, then the reader; either may answer instead.
async fn posted(
    req: &Request,
    state: &AppState,
    body: Body,
    back_to: &str,
) -> std::result::Result<(HashMap<String, String>, Viewer), Response> {
    let fields = read_form(req, state, body).await?;
    let viewer = reader(req, state, back_to).await?;
    Ok((fields, viewer))
}

fn field(fields: &HashMap<String, String>, name: &str) -> String {
    fields.get(name).cloned().unwrap_or_default()
}

/// A page of one person's own data: a fresh anti-forgery token in the
/// view (through `with_token`) and in its cookie, and no caching anywhere.
fn personal<T: Template>(state: &AppState, status: StatusCode, with_token: impl FnOnce(String) -> T) -> Response {
    let token = match state.csrf.issue(state.clock.now()) {
        Ok(token) => token,
        Err(err) => return internal(err),
    };
    let cookie = CsrfKey::cookie_header_at(&token, state.urls.is_secure(), COOKIE_PATH);
    private(page(status, &with_token(token)), Some(cookie))
}

/// `Cache-Control: private, no-store`, and a cookie to set if any.
fn private(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(value) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Ok(value) = "private, no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// A refusal in words, or the page's answer to what is not a refusal.
fn words_or_answer(err: Error) -> std::result::Result<String, Box<Response>> {
    match refusal::in_words(&err) {
        Some(words) => Ok(words),
        None => Err(Box::new(match err {
            Error::NotFound => super::not_found_page(),
            err => internal(err),
        })),
    }
}

// ---------------------------------------------------------------- overview

pub struct MyEvent {
    pub path: String,
    pub title: String,
    pub when: String,
    pub starts_at: String,
    pub going: bool,
    /// Place on the waiting list (1 is next).
    pub position: Option<u64>,
    pub cancelled: bool,
}

pub struct MyGroup {
    pub slug: String,
    pub name: String,
    pub organiser: bool,
}

#[derive(Template)]
#[template(path = "me.html")]
struct OverviewPage {
    nav: Nav,
    sub: SubNav,
    name: String,
    events: Vec<MyEvent>,
    groups: Vec<MyGroup>,
    pending: Vec<MyGroup>,
    csrf_token: String,
    error: Option<String>,
}

/// `GET /me`
#[handler]
pub async fn overview(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match reader(req, state, "/me").await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    render_overview(state, &viewer, StatusCode::OK, None).await
}

async fn render_overview(state: &AppState, viewer: &Viewer, status: StatusCode, error: Option<String>) -> Response {
    let loaded = async {
        let now = state.clock.now();
        let me = accounts::me(&state.db, viewer).await?.ok_or(Error::Unauthenticated)?;
        let held = rsvps::my_events(&state.db, viewer, false, now).await?;
        let waiting: Vec<Uuid> = held
            .iter()
            .filter(|(rsvp, _)| rsvp.status == RsvpStatus::Waitlisted)
            .map(|(rsvp, _)| rsvp.event_id)
            .collect();
        let positions = rsvps::waiting_positions(&state.db, me.id, &waiting).await?;
        let groups = memberships::my_memberships(&state.db, viewer).await?;
        Ok::<_, Error>((me, held, positions, groups))
    };
    let (me, held, positions, groups) = match loaded.await {
        Ok(loaded) => loaded,
        Err(err) => return internal(err),
    };
    let events = held
        .into_iter()
        .map(|(rsvp, event)| MyEvent {
            path: format!("/events/{}", event.id.hyphenated()),
            when: when(event.starts_at, event.ends_at),
            starts_at: event.starts_at.to_rfc3339(),
            going: rsvp.status == RsvpStatus::Going,
            position: positions.get(&event.id).copied(),
            cancelled: event.status == entity::EventStatus::Cancelled,
            title: event.title,
        })
        .collect();
    let (active, pending): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .partition(|(membership, _)| membership.status == MembershipStatus::Active);
    let as_link = |(membership, group): (entity::membership::Model, entity::group::Model)| MyGroup {
        organiser: membership.role == MembershipRole::Organiser,
        slug: group.slug,
        name: group.name,
    };
    let name = me.display_name.unwrap_or_default();
    personal(state, status, |csrf_token| OverviewPage {
        nav: Nav::at(Place::Me),
        sub: SubNav(Part::Overview),
        name,
        events,
        groups: active.into_iter().map(as_link).collect(),
        pending: pending.into_iter().map(as_link).collect(),
        csrf_token,
        error,
    })
}

/// `POST /me/groups/leave` with `group`: leaves the group, or withdraws a
/// request to join it. The last organiser of a group is told why not.
#[handler]
pub async fn leave_group(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match posted(req, state, body, "/me").await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let slug = field(&fields, "group");
    let now = state.clock.now();
    let left = in_work(&state.db, async |work| {
        memberships::leave_group(work, &viewer, &slug, now).await
    })
    .await;
    match left {
        Ok(()) => see_other("/me", None),
        Err(Error::Conflict(why)) if why == memberships::LAST_ORGANISER => {
            let words = "You are this group's only organiser, so you cannot leave it yet: first make another member an organiser on the group's organiser pages, then leave.";
            render_overview(state, &viewer, StatusCode::CONFLICT, Some(words.to_owned())).await
        }
        Err(err) => match words_or_answer(err) {
            Ok(words) => render_overview(state, &viewer, StatusCode::CONFLICT, Some(words)).await,
            Err(answer) => *answer,
        },
    }
}

// ------------------------------------------------------------------- feeds

pub struct FeedRow {
    pub id: String,
    pub label: String,
    pub created: String,
    pub last_used: Option<String>,
}

#[derive(Template)]
#[template(path = "me_feeds.html")]
struct FeedsPage {
    nav: Nav,
    sub: SubNav,
    feeds: Vec<FeedRow>,
    label: String,
    csrf_token: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "me_feed_created.html")]
struct FeedCreatedPage {
    nav: Nav,
    sub: SubNav,
    label: String,
    https_url: String,
    webcal_url: String,
    qr_svg: String,
}

/// `GET /me/feeds`
#[handler]
pub async fn feeds_page(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match reader(req, state, "/me/feeds").await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    render_feeds(state, &viewer, StatusCode::OK, String::new(), None).await
}

async fn render_feeds(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    label: String,
    error: Option<String>,
) -> Response {
    let tokens = match feeds::list_tokens(&state.db, viewer).await {
        Ok(tokens) => tokens,
        Err(err) => return internal(err),
    };
    let feeds = tokens
        .into_iter()
        .map(|token| FeedRow {
            id: token.id.to_string(),
            label: token.label,
            created: uk_time(token.created_at),
            last_used: token.last_used_at.map(uk_time),
        })
        .collect();
    personal(state, status, |csrf_token| FeedsPage {
        nav: Nav::at(Place::Me),
        sub: SubNav(Part::Feeds),
        feeds,
        label,
        csrf_token,
        error,
    })
}

/// `POST /me/feeds` with `label`: a new feed, its secret shown on the
/// answer and never again.
#[handler]
pub async fn create_feed(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match posted(req, state, body, "/me/feeds").await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let label = field(&fields, "label");
    let created = feeds::create_token(&state.db, &viewer, &label, state.clock.now()).await;
    let created = match created {
        Ok(created) => created,
        Err(err) => {
            return match words_or_answer(err) {
                Ok(words) => render_feeds(state, &viewer, StatusCode::BAD_REQUEST, label, Some(words)).await,
                Err(answer) => *answer,
            };
        }
    };
    let https_url = state.urls.private_feed(&created.secret);
    let webcal_url = PublicUrls::webcal(&https_url);
    let qr_svg = match qr_svg(&webcal_url) {
        Ok(svg) => svg,
        Err(err) => return internal(err),
    };
    let view = FeedCreatedPage {
        nav: Nav::at(Place::Me),
        sub: SubNav(Part::Feeds),
        label: created.token.label,
        https_url,
        webcal_url,
        qr_svg,
    };
    private(page(StatusCode::CREATED, &view), None)
}

/// `text` as a QR code: an inline SVG of plain shapes (no style, no
/// script), scaled by the page, with a quiet zone a camera needs.
pub fn qr_svg(text: &str) -> Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|err| Error::Internal(anyhow::anyhow!("a QR code could not be made: {err}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(6, 6)
        .quiet_zone(true)
        .build();
    // The XML declaration has no place inside an HTML page; the label
    // tells a screen reader what the picture is.
    let svg = svg.split_once("?>").map_or(svg.as_str(), |(_, rest)| rest);
    Ok(svg.replacen(
        "<svg ",
        "<svg class=\"qr\" role=\"img\" aria-label=\"QR code of the calendar address\" ",
        1,
    ))
}

/// `POST /me/feeds/revoke` with `id`: the feed stops working.
#[handler]
pub async fn revoke_feed(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match posted(req, state, body, "/me/feeds").await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    // Another person's feed, or one already revoked, is not found, as an
    // id that names nothing is.
    let Ok(id) = Uuid::parse_str(&field(&fields, "id")) else {
        return super::not_found_page();
    };
    match feeds::revoke_token(&state.db, &viewer, id, state.clock.now()).await {
        Ok(()) => see_other("/me/feeds", None),
        Err(err) => match words_or_answer(err) {
            Ok(words) => render_feeds(state, &viewer, StatusCode::CONFLICT, String::new(), Some(words)).await,
            Err(answer) => *answer,
        },
    }
}

// ----------------------------------------------------------------- profile

/// Which of the profile's three forms a refusal or a notice belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileForm {
    Name,
    Password,
    Email,
}

#[derive(Template)]
#[template(path = "me_profile.html")]
struct ProfilePage {
    nav: Nav,
    sub: SubNav,
    /// The reader's own address: the only one these pages show.
    email: String,
    display_name: String,
    new_email: String,
    csrf_token: String,
    /// A refusal, and the form it belongs to.
    error: Option<(ProfileForm, String)>,
    notice: Option<String>,
}

impl ProfilePage {
    /// The field an error summary's link leads to.
    fn error_field(&self) -> &'static str {
        match &self.error {
            Some((ProfileForm::Password, _)) => "currentPassword",
            Some((ProfileForm::Email, _)) => "newEmail",
            _ => "displayName",
        }
    }

    fn error_for(&self, form: ProfileForm) -> Option<&str> {
        match &self.error {
            Some((at, words)) if *at == form => Some(words),
            _ => None,
        }
    }
}

/// What a profile page shows besides the account's own values.
#[derive(Default)]
struct ProfileState {
    /// A name that was typed and refused, kept.
    display_name: Option<String>,
    new_email: String,
    error: Option<(ProfileForm, String)>,
    notice: Option<String>,
}

/// `GET /me/profile`
#[handler]
pub async fn profile_page(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match reader(req, state, "/me/profile").await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let notice = req.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "done")
            .and_then(|(_, done)| match done.as_ref() {
                "name" => Some("Your name is changed."),
                "password" => Some("Your password is changed. Every other browser and app signed in to your account has been signed out; this one stays signed in."),
                "email" => Some("Check the new address's inbox: your account moves to it once you follow the link there. Until then, sign in with your current address."),
                _ => None,
            })
            .map(str::to_owned)
    });
    let shown = ProfileState {
        notice,
        ..ProfileState::default()
    };
    render_profile(state, &viewer, StatusCode::OK, shown).await
}

async fn render_profile(state: &AppState, viewer: &Viewer, status: StatusCode, shown: ProfileState) -> Response {
    let me = match accounts::me(&state.db, viewer).await {
        Ok(Some(me)) => me,
        Ok(None) => return see_other("/signin?next=/me/profile", None),
        Err(err) => return internal(err),
    };
    // The address is stored sealed: it is opened, as everywhere, by the
    // domain's reveal (the person's own, so not an audited read).
    let email = match reveal::emails(&state.db, viewer, &[me.id], "profilePage", state.clock.now()).await {
        Ok(mut shown) => match shown.remove(&me.id) {
            Some(Reveal::Shown(email)) => email.unwrap_or_default(),
            _ => String::new(),
        },
        Err(err) => return internal(err),
    };
    personal(state, status, |csrf_token| ProfilePage {
        nav: Nav::at(Place::Me),
        sub: SubNav(Part::Profile),
        email,
        display_name: shown.display_name.or(me.display_name).unwrap_or_default(),
        new_email: shown.new_email,
        csrf_token,
        error: shown.error,
        notice: shown.notice,
    })
}

/// A profile form's refusal: the field's own words when the domain names
/// one, else the general sentence.
fn profile_refusal(err: Error, form: ProfileForm) -> std::result::Result<(ProfileForm, String), Box<Response>> {
    let words = match &err {
        Error::Validation(fields) => fields.first().map(|f| {
            let what = match f.field.as_str() {
                // The domain's words ("is not your current password")
                // would repeat the field's name.
                "currentPassword" | "password" => return "That is not your current password.".to_owned(),
                "newPassword" => "The new password",
                "newEmail" => "The new address",
                "name" | "displayName" => "Your name",
                _ => "An answer",
            };
            format!("{what} {}.", f.message.trim_end_matches('.'))
        }),
        _ => None,
    };
    match words {
        Some(words) => Ok((form, words)),
        None => words_or_answer(err).map(|words| (form, words)),
    }
}

/// `POST /me/profile/name` with `displayName`.
#[handler]
pub async fn change_name(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match posted(req, state, body, "/me/profile").await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let name = field(&fields, "displayName");
    match accounts::update_profile(&state.db, &viewer, &name, state.clock.now()).await {
        Ok(_) => see_other("/me/profile?done=name", None),
        Err(err) => match profile_refusal(err, ProfileForm::Name) {
            Ok(error) => {
                let shown = ProfileState {
                    display_name: Some(name),
                    error: Some(error),
                    ..ProfileState::default()
                };
                render_profile(state, &viewer, StatusCode::BAD_REQUEST, shown).await
            }
            Err(answer) => *answer,
        },
    }
}

/// `POST /me/profile/password` with `currentPassword` and `newPassword`:
/// every other session and token ends (the domain moves the account's
/// token version on), and this browser gets a fresh session so that the
/// person is not signed out by their own change.
#[handler]
pub async fn change_password(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match posted(req, state, body, "/me/profile").await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let (current, new) = (field(&fields, "currentPassword"), field(&fields, "newPassword"));
    let now = state.clock.now();
    let account = match accounts::change_password(&state.db, &viewer, &current, &new, now).await {
        Ok(account) => account,
        Err(err) => {
            return match profile_refusal(err, ProfileForm::Password) {
                Ok(error) => {
                    let shown = ProfileState {
                        error: Some(error),
                        ..ProfileState::default()
                    };
                    render_profile(state, &viewer, StatusCode::BAD_REQUEST, shown).await
                }
                Err(answer) => *answer,
            };
        }
    };
    let replacing = session_secret(req);
    let policy = state.sessions;
    let started = in_work(&state.db, async |work| {
        sessions::start(work, &account, replacing.as_deref(), policy, now).await
    })
    .await;
    match started {
        Ok(secret) => see_other(
            "/me/profile?done=password",
            Some(session_cookie(
                &secret,
                state.urls.is_secure(),
                policy.absolute.num_seconds(),
            )),
        ),
        Err(err) => internal(err),
    }
}

/// `POST /me/profile/email` with `newEmail` and `currentPassword`: a link
/// to the new address (the existing `changeEmail` step); the account moves
/// once it is followed.
#[handler]
pub async fn change_email(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match posted(req, state, body, "/me/profile").await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let (new_email, current) = (field(&fields, "newEmail"), field(&fields, "currentPassword"));
    let now = state.clock.now();
    match account_links::change_email(&state.db, &state.mailroom, &viewer, &new_email, &current, now).await {
        Ok(()) => see_other("/me/profile?done=email", None),
        Err(err) => match profile_refusal(err, ProfileForm::Email) {
            Ok(error) => {
                let shown = ProfileState {
                    new_email,
                    error: Some(error),
                    ..ProfileState::default()
                };
                render_profile(state, &viewer, StatusCode::BAD_REQUEST, shown).await
            }
            Err(answer) => *answer,
        },
    }
}

// -------------------------------------------------------------------- data

pub struct LogRow {
    pub at: String,
    pub at_rfc3339: String,
    pub who: String,
    pub what: &'static str,
}

#[derive(Template)]
#[template(path = "me_data.html")]
struct DataPage {
    nav: Nav,
    sub: SubNav,
    log: Vec<LogRow>,
    more: bool,
}

/// `GET /me/data`
#[handler]
pub async fn data_page(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match reader(req, state, "/me/data").await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let loaded = async {
        let entries = audit::my_access_log(&state.db, &viewer, None, LOG_ENTRIES).await?;
        let actors: Vec<Uuid> = entries.rows.iter().filter_map(|e| e.actor_id).collect();
        let names = privacy::names_of(&state.db, &actors).await?;
        Ok::<_, Error>((entries, names))
    };
    let (entries, names) = match loaded.await {
        Ok(loaded) => loaded,
        Err(err) => return internal(err),
    };
    let log = entries
        .rows
        .iter()
        .map(|entry| LogRow {
            at: uk_time(entry.created_at),
            at_rfc3339: entry.created_at.to_rfc3339(),
            who: privacy::actor_name(&names, entry.actor_id),
            what: audit::in_words(&entry.action, audit::TrailReader::Subject),
        })
        .collect();
    let view = DataPage {
        nav: Nav::at(Place::Me),
        sub: SubNav(Part::Data),
        log,
        more: entries.has_next_page,
    };
    private(page(StatusCode::OK, &view), None)
}

/// `GET /me/data/download`: the same document as `exportMyData`, as a
/// file to keep.
#[handler]
pub async fn download_data(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match reader(req, state, "/me/data").await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let now = state.clock.now();
    let exported = privacy::export_my_data(&state.db, &viewer, state.retention, now).await;
    let body = match exported.and_then(|doc| {
        serde_json::to_vec_pretty(&doc).map_err(|e| Error::Internal(anyhow::anyhow!("export not written: {e}")))
    }) {
        Ok(body) => body,
        Err(err) => return internal(err),
    };
    let name = format!("muster-my-data-{}.json", now.format("%Y-%m-%d"));
    Response::builder()
        .content_type("application/json")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(body)
}

#[derive(Template)]
#[template(path = "me_delete.html")]
struct DeletePage {
    nav: Nav,
    sub: SubNav,
    csrf_token: String,
    error: Option<String>,
}

/// `GET /me/delete`: what erasure does, and the password asked again.
#[handler]
pub async fn delete_page(req: &Request, Data(state): Data<&AppState>) -> Response {
    if let Err(answer) = reader(req, state, "/me/delete").await {
        return answer;
    }
    delete_form(state, StatusCode::OK, None)
}

fn delete_form(state: &AppState, status: StatusCode, error: Option<String>) -> Response {
    personal(state, status, |csrf_token| DeletePage {
        nav: Nav::at(Place::Me),
        sub: SubNav(Part::Data),
        csrf_token,
        error,
    })
}

/// `POST /me/delete` with `password`: erases the account through the same
/// step as `deleteMyAccount`; the browser is left signed out.
#[handler]
pub async fn delete_account(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match posted(req, state, body, "/me/delete").await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let password = field(&fields, "password");
    let now = state.clock.now();
    match privacy::delete_my_account(&state.db, &viewer, &password, "deleteMyAccount", now).await {
        Ok(()) => {
            // The navigation of a signed-out reader: the session this
            // request came with has just ended.
            let done = page(
                StatusCode::OK,
                &super::MessagePage {
                    nav: Nav {
                        at: Place::None,
                        signed_in: false,
                        roles: super::NavRoles::default(),
                    },
                    title: "Your account is deleted",
                    message: "Your name, email address and password are gone, with your memberships, RSVPs and calendar feeds. Requests you made stay, showing \"former member\". This browser is signed out.",
                },
            );
            private(done, Some(session_cookie("", state.urls.is_secure(), 0)))
        }
        Err(Error::Validation(_)) => delete_form(
            state,
            StatusCode::BAD_REQUEST,
            Some("That is not your password, so nothing was deleted. Type the password you sign in with.".to_owned()),
        ),
        Err(err) => match words_or_answer(err) {
            Ok(words) => delete_form(state, StatusCode::CONFLICT, Some(words)),
            Err(answer) => *answer,
        },
    }
}

// ------------------------------------------------------------ group's page

/// What a group's page offers the reader about joining.
pub enum Joining {
    /// Anonymous: a link to sign in and come back.
    SignIn(String),
    /// Signed in and not a member: the button.
    Ask {
        action: String,
        csrf_token: String,
    },
    Requested,
    Member,
}

/// The joining panel of the group `slug` for `viewer`, and the cookie its
/// form needs.
pub async fn joining(state: &AppState, viewer: &Viewer, slug: &str) -> Result<(Joining, Option<String>)> {
    if viewer.user_id().is_none() {
        return Ok((Joining::SignIn(format!("/signin?next=/groups/{slug}")), None));
    }
    let mine = memberships::my_memberships(&state.db, viewer).await?;
    let status = mine
        .iter()
        .find(|(_, group)| group.slug == slug)
        .map(|(membership, _)| membership.status);
    Ok(match status {
        Some(MembershipStatus::Active) => (Joining::Member, None),
        Some(MembershipStatus::Pending) => (Joining::Requested, None),
        None => {
            let action = join_path(slug);
            let csrf_token = state.csrf.issue(state.clock.now())?;
            let cookie = CsrfKey::cookie_header_at(&csrf_token, state.urls.is_secure(), &action);
            (Joining::Ask { action, csrf_token }, Some(cookie))
        }
    })
}

fn join_path(slug: &str) -> String {
    format!("/groups/{slug}/join")
}

/// `POST /groups/{slug}/join`: asks to join; the group's organisers
/// approve. Back to the group's page, which then says "requested".
#[handler]
pub async fn join_group(
    req: &Request,
    poem::web::Path(slug): poem::web::Path<String>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    let back = format!("/groups/{slug}");
    let (_, viewer) = match posted(req, state, body, &back).await {
        Ok(posted) => posted,
        Err(answer) => return answer,
    };
    let now = state.clock.now();
    let asked = in_work(&state.db, async |work| {
        memberships::request_to_join(work, &viewer, &slug, now).await
    })
    .await;
    match asked {
        // Asking twice changes nothing; the page says where they stand.
        Ok(_) | Err(Error::Conflict(_)) => see_other(&back, None),
        Err(err) => match words_or_answer(err) {
            Ok(words) => message(StatusCode::CONFLICT, "You could not join this group", &words),
            Err(answer) => *answer,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_plain_svg_a_page_may_inline() {
        let svg = qr_svg("webcal://muster.example.org/feeds/abc/calendar.ics").unwrap();
        assert!(svg.starts_with("<svg class=\"qr\" role=\"img\""), "{svg}");
        assert!(!svg.contains("<?xml") && !svg.contains("style") && !svg.contains("<script"));
        assert!(svg.ends_with("</svg>"));
    }
}
