//! The public web pages: upcoming events, the group directory and a
//! group's page, each with a calendar subscription, and the request form
//! for outside organisations with its status page.
//!
//! Pages are rendered on the server from compiled templates (`templates/`,
//! escaped by askama), work without JavaScript, load nothing from another
//! host, and answer with a strict Content-Security-Policy. Handlers read
//! the request, call the domain functions an anonymous viewer may call,
//! and turn the result into a view; the rules live in `domain`.

mod account;
mod admin;
mod assets;
mod catalogue;
mod charts;
pub mod csrf;
mod desk;
mod event;
mod events;
mod groups;
mod icon;
mod letters;
mod manage;
mod manage_import;
mod me;
mod numbers;
mod offers;
mod refusal;
mod requests;
mod signin;
mod sitemap;
mod view;

use askama::Template;
use poem::{
    Endpoint, IntoResponse, Request, Response,
    error::{MethodNotAllowedError, NotFoundError},
    http::{Method, StatusCode, header},
};

use crate::error::Error;

pub use account::{
    reset_password, reset_password_page, unsubscribe, unsubscribe_page, verify_email, verify_email_page,
};
pub use admin::{account_page, admin_page, erase_account, erase_page, find_account, retry_messages, set_role};
pub use assets::{favicon, graphiql_file, icon_svg, robots, stylesheet};
pub use catalogue::{
    create_topic, find_trainer, save_trainer, topic_action, topic_page, topics_page, trainer_page, trainers_page,
};
pub use desk::{
    bulk as desk_bulk, home as desk_home, queue_page as desk_queue, request_action as desk_request_action,
    request_page as desk_request,
};
pub use event::{event_page, rsvp};
pub use events::index;
pub use groups::{directory, group_page};
pub use letters::{
    confirm as confirm_signature, confirm_page as confirm_signature_page, desk_action as desk_letter_action,
    desk_export as desk_letter_export, desk_letter, desk_letters, index as letters_index, show as letter,
    sign as sign_letter,
};
pub use manage::{
    cancel_event as cancel_group_event, create_event as create_group_event, edit_event as edit_group_event,
    edit_event_page as edit_group_event_page, events_page as group_events_page, member_action, members_page,
    new_event_page as new_group_event_page, new_request_page as new_group_request_page,
    profile_page as group_profile_page, requests_page as group_requests_page, save_profile,
    submit_request as submit_group_request,
};
pub use manage_import::{import as import_group_calendar, import_page as group_import_page};
pub use me::{
    change_email, change_name, change_password, create_feed, data_page, delete_account, delete_page, download_data,
    feeds_page, join_group, leave_group, overview, profile_page, revoke_feed,
};
pub use offers::{
    accept as accept_offer, add_away, decline as decline_offer, offers_page, remove_away,
    save_profile as save_trainer_profile,
};
pub use requests::{request_form, request_status, submit_request};
pub use signin::{register, register_page, sign_in, sign_in_page, sign_out, sign_out_page};
pub use sitemap::sitemap_xml;

/// Every HTML page's policy: nothing but our own stylesheet and images,
/// forms only to us, no framing, no inline script or style.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Which entry of the main navigation a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Events,
    Groups,
    Request,
    Me,
    Desk,
    Offers,
    Admin,
    SignIn,
    None,
}

/// What the navigation shows: where the page is, and what the person
/// reading it may use. Built from the viewer, never from what a page
/// guesses, so a link appears only for someone the page behind it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nav {
    pub at: Place,
    pub signed_in: bool,
    /// What the reader's roles open: the coordinators' desk, a trainer's
    /// offers, the admins' tools.
    pub roles: NavRoles,
}

/// The signed-in reader's roles, as the navigation shows them. Every page
/// behind these links still asks the domain; the links only spare people
/// a door they may not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NavRoles {
    pub staff: bool,
    pub trainer: bool,
    pub admin: bool,
}

impl NavRoles {
    fn of(viewer: &crate::auth::Viewer) -> Self {
        Self {
            staff: viewer.is_staff(),
            trainer: viewer.is_trainer(),
            admin: viewer.is_admin(),
        }
    }
}

impl Nav {
    /// The navigation of a page at `at`, for whoever the request's session
    /// belongs to (see [`pages`]).
    pub fn at(at: Place) -> Self {
        let reader = READER.try_with(|reader| *reader).unwrap_or_default();
        Self {
            at,
            signed_in: reader.signed_in,
            roles: reader.roles,
        }
    }

    /// `aria-current` for the entry of `place`.
    pub fn current(&self, place: Place) -> &'static str {
        if self.at == place { " aria-current=\"page\"" } else { "" }
    }
}

/// Who the page being answered is for, as the navigation needs it.
#[derive(Debug, Clone, Copy, Default)]
struct Reader {
    signed_in: bool,
    roles: NavRoles,
}

tokio::task_local! {
    /// The reader of the page being answered: set once per request by
    /// [`pages`], read by [`Nav::at`], so that every page, the error pages
    /// too, shows the same navigation without each handler passing it
    /// along.
    static READER: Reader;
}

/// Who a page request is from, resolved once from its session cookie by
/// [`pages`] and read by [`signin::viewer_of`].
#[derive(Clone)]
struct PageViewer(crate::auth::Viewer);

/// Answers with a rendered page and the headers every page carries.
fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => html(status, body),
        Err(err) => {
            tracing::error!(error = %err, "a page failed to render");
            plain_error()
        }
    }
}

fn html(status: StatusCode, body: String) -> Response {
    with_security_headers(Response::builder().status(status))
        .header(header::CACHE_CONTROL, "no-cache")
        // The navigation differs for a signed-in browser.
        .header(header::VARY, "Cookie")
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn with_security_headers(builder: poem::ResponseBuilder) -> poem::ResponseBuilder {
    crate::http::html::secure_headers(builder, CONTENT_SECURITY_POLICY)
}

/// The last resort when even the error page cannot be rendered.
fn plain_error() -> Response {
    with_security_headers(Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type("text/plain; charset=utf-8")
        .body("internal error")
}

/// A page that only says something: not found, refused, failed.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    nav: Nav,
    title: &'a str,
    message: &'a str,
}

fn message(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        &MessagePage {
            nav: Nav::at(Place::None),
            title,
            message,
        },
    )
}

fn not_found(what: &str) -> Response {
    message(StatusCode::NOT_FOUND, "Not found", what)
}

/// The answer to an address that names no page, or no page the visitor
/// may see: the same words either way.
fn not_found_page() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address. If you typed it, check it; if a link brought you here, the page may have moved or the event may no longer be listed.",
    )
}

fn method_not_allowed_page() -> Response {
    message(
        StatusCode::METHOD_NOT_ALLOWED,
        "This page cannot do that",
        "This address is a page to read, and does not take what your browser sent. Go back and follow a link instead.",
    )
}

/// Answers an address no route takes (404) or a method a route does not
/// take (405) with the site's own page when a browser asked for HTML.
/// The API, the feeds, the static files and anything named like a file
/// (`….ics`, `….png`) keep their short plain answers: a calendar app or a
/// script has no use for a page.
///
/// Before that, a page request that carries a session cookie is resolved
/// to its viewer once, for the handler and for the navigation. Requests
/// without the cookie, and the API and feeds, cost nothing here.
pub async fn pages<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let page_path = is_page_path(req.uri().path());
    let mut reader = Reader::default();
    if page_path
        && signin::session_secret(&req).is_some()
        && let Some(state) = req.data::<crate::AppState>()
    {
        let viewer = signin::resolve_session(&req, state).await.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "a session could not be read for a page");
            crate::auth::Viewer::Anonymous
        });
        reader = Reader {
            signed_in: viewer.user_id().is_some(),
            roles: NavRoles::of(&viewer),
        };
        req.extensions_mut().insert(PageViewer(viewer));
    }
    let binding = csrf::SessionBinding::of(&req);
    READER.scope(reader, binding.scope(html_errors(next, req))).await
}

async fn html_errors<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let wants_page = wants_html(&req) && is_page_path(req.uri().path());
    let head = req.method() == Method::HEAD;
    let result = next.call(req).await.map(IntoResponse::into_response);
    let Err(err) = result else {
        return result;
    };
    if !wants_page {
        return Err(err);
    }
    let page = if err.is::<NotFoundError>() {
        not_found_page()
    } else if err.is::<MethodNotAllowedError>() {
        method_not_allowed_page()
    } else {
        return Err(err);
    };
    if head {
        let (parts, _) = page.into_parts();
        return Ok(Response::from_parts(parts, poem::Body::empty()));
    }
    Ok(page)
}

fn wants_html(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|range| range.split(';').next().unwrap_or_default().trim())
        .any(|range| range.eq_ignore_ascii_case("text/html") || range.eq_ignore_ascii_case("application/xhtml+xml"))
}

/// Whether a path could be a page: not under the API, the feeds or the
/// static files, and with no file extension in its last segment.
fn is_page_path(path: &str) -> bool {
    const NOT_PAGES: [&str; 4] = ["/graphql", "/feeds/", "/static/", "/healthz"];
    if NOT_PAGES.iter().any(|prefix| path.starts_with(prefix)) {
        return false;
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    !last
        .rsplit_once('.')
        .is_some_and(|(_, ext)| !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A failure of ours: logged in full, answered without detail.
fn internal(err: Error) -> Response {
    tracing::error!(error = format!("{:#}", anyhow::Error::from(err)), "a page failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "This page could not be shown. Please try again in a little while.",
    )
}
