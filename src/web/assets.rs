//! What browsers and search engines fetch beside the pages: the
//! stylesheet and the icon (cached a day, revalidated by their hash), and
//! `robots.txt`, which says which pages are for finding and which are not.

use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::Data,
};
use sha2::{Digest, Sha256};

use super::icon;
use crate::AppState;

const STYLESHEET: &str = include_str!("style.css");

/// `GET /static/style.css`: the one stylesheet.
#[handler]
pub fn stylesheet(req: &Request) -> Response {
    static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    cached(req, STYLESHEET.as_bytes(), "text/css; charset=utf-8", &ETAG)
}

/// `GET /static/icon.svg`: the icon for browsers that take SVG.
#[handler]
pub fn icon_svg(req: &Request) -> Response {
    static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    cached(req, icon::svg().as_bytes(), "image/svg+xml", &ETAG)
}

/// `GET /favicon.ico`: the same icon where browsers look for it unasked.
#[handler]
pub fn favicon(req: &Request) -> Response {
    static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    cached(req, &icon::FAVICON_ICO, "image/x-icon", &ETAG)
}

/// One file of the GraphiQL playground, vendored in `vendor/graphiql/`
/// (see its README) or ours.
struct PlaygroundFile {
    name: &'static str,
    content_type: &'static str,
    gzipped: &'static [u8],
}

macro_rules! vendored {
    ($name:literal, $content_type:literal) => {
        PlaygroundFile {
            name: $name,
            content_type: $content_type,
            gzipped: include_bytes!(concat!("../../vendor/graphiql/", $name, ".gz")),
        }
    };
}

const PLAYGROUND_FILES: [PlaygroundFile; 4] = [
    vendored!("graphiql.min.js", "text/javascript; charset=utf-8"),
    vendored!("graphiql.min.css", "text/css; charset=utf-8"),
    vendored!("react.production.min.js", "text/javascript; charset=utf-8"),
    vendored!("react-dom.production.min.js", "text/javascript; charset=utf-8"),
];

const PLAYGROUND_START: &str = include_str!("graphiql.js");

/// `GET /static/graphiql/:file`: the playground's scripts and styles, from
/// muster and nowhere else. Sent gzipped to every client that takes gzip;
/// unpacked once, on first need, for one that does not.
#[handler]
pub fn graphiql_file(req: &Request, poem::web::Path(file): poem::web::Path<String>) -> Response {
    if file == "start.js" {
        static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        return cached(
            req,
            PLAYGROUND_START.as_bytes(),
            "text/javascript; charset=utf-8",
            &ETAG,
        );
    }
    type Unpacked = std::sync::OnceLock<Vec<u8>>;
    type Tag = std::sync::OnceLock<String>;
    static UNPACKED: [Unpacked; 4] = [const { Unpacked::new() }; 4];
    static GZIP_TAGS: [Tag; 4] = [const { Tag::new() }; 4];
    static PLAIN_TAGS: [Tag; 4] = [const { Tag::new() }; 4];
    let Some(index) = PLAYGROUND_FILES.iter().position(|f| f.name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let found = &PLAYGROUND_FILES[index];
    let mut response = if crate::http::compress::accepts_gzip(req) {
        let mut response = cached(req, found.gzipped, found.content_type, &GZIP_TAGS[index]);
        if response.status() == StatusCode::OK {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, header::HeaderValue::from_static("gzip"));
        }
        response
    } else {
        let plain = UNPACKED[index].get_or_init(|| {
            use std::io::Read;
            let mut out = Vec::new();
            // Built into the binary from checked files: unpacking cannot
            // fail short of a broken build, which the tests would show.
            let _ = flate2::read::GzDecoder::new(found.gzipped).read_to_end(&mut out);
            out
        });
        cached(req, plain, found.content_type, &PLAIN_TAGS[index])
    };
    response
        .headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("accept-encoding"));
    response
}

/// A file that changes only with a new build: kept a day by browsers and
/// revalidated by its hash, so a new build is seen by the next day.
fn cached(
    req: &Request,
    body: &'static [u8],
    content_type: &str,
    etag: &'static std::sync::OnceLock<String>,
) -> Response {
    let etag = etag.get_or_init(|| {
        let digest = Sha256::digest(body);
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    });
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let builder = Response::builder()
        .header(header::ETAG, etag.as_str())
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if fresh {
        builder.status(StatusCode::NOT_MODIFIED).finish()
    } else {
        builder.content_type(content_type).body(body)
    }
}

/// Paths no search engine should show: request status pages (a reference
/// is as good as a password for what it shows), private feeds, the API
/// and its playground, and the signed-in pages. Calendar files are for
/// calendar apps. Everything else (events, groups, letters, the request
/// form, the privacy notice) is for everyone to find.
const DISALLOWED: [&str; 21] = [
    "/request/",
    "/signin",
    "/signout",
    "/register",
    "/reset-password",
    "/verify-email",
    "/unsubscribe",
    "/feeds/",
    "/graphql",
    "/healthz",
    "/*.ics",
    "/signin",
    "/signout",
    "/register",
    "/me$",
    "/me/",
    "/desk",
    "/offers",
    "/admin",
    "/groups/*/manage",
    "/letters/*/confirm",
];

/// `GET /robots.txt`.
#[handler]
pub fn robots(Data(state): Data<&AppState>) -> Response {
    let mut body = String::from("User-agent: *\n");
    for path in DISALLOWED {
        body.push_str("Disallow: ");
        body.push_str(path);
        body.push('\n');
    }
    body.push_str("Allow: /\n\nSitemap: ");
    body.push_str(&state.urls.page("/sitemap.xml"));
    body.push('\n');
    Response::builder()
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .content_type("text/plain; charset=utf-8")
        .body(body)
}
