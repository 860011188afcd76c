//! The public web pages: upcoming events, the group directory and a
//! group's page, each with a calendar subscription, and the request form
//! for outside organisations with its status page.
//!
//! Pages are rendered on the server from compiled templates (`templates/`,
//! escaped by askama), work without JavaScript, load nothing from another
//! host, and answer with a strict Content-Security-Policy. Handlers read
//! the request, call the domain functions an anonymous viewer may call,
//! and turn the result into a view; the rules live in `domain`.

pub mod csrf;
mod events;
mod groups;
mod requests;
mod view;

use askama::Template;
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
};
use sha2::{Digest, Sha256};

use crate::error::Error;

pub use events::index;
pub use groups::{directory, group_page};
pub use requests::{request_form, request_status, submit_request};

/// Every HTML page's policy: nothing but our own stylesheet and images,
/// forms only to us, no framing, no inline script or style.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const STYLESHEET: &str = include_str!("style.css");

/// Which entry of the main navigation a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Events,
    Groups,
    Request,
    None,
}

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
            nav: Nav::None,
            title,
            message,
        },
    )
}

fn not_found(what: &str) -> Response {
    message(StatusCode::NOT_FOUND, "Not found", what)
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

/// `GET /static/style.css`: the one stylesheet, cached and revalidated by
/// its hash.
#[handler]
pub fn stylesheet(req: &Request) -> Response {
    let etag = stylesheet_etag();
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let builder = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if fresh {
        builder.status(StatusCode::NOT_MODIFIED).finish()
    } else {
        builder.content_type("text/css; charset=utf-8").body(STYLESHEET)
    }
}

fn stylesheet_etag() -> &'static str {
    static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ETAG.get_or_init(|| {
        let digest = Sha256::digest(STYLESHEET.as_bytes());
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    })
}
