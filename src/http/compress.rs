//! Text answers (pages, GraphQL JSON, the stylesheet, the sitemap) are
//! gzipped for clients that take gzip: a page of events shrinks to about a
//! fifth, which is most of its time on a slow phone connection. Feeds and
//! the vendored playground files compress themselves (a feed's gzip is
//! made once per version and shared), so an answer that already has a
//! `Content-Encoding` passes through untouched.
//!
//! Only the answer's representation changes: the status, the headers and
//! the bytes once unpacked are the handler's. A strong `ETag` becomes weak
//! (`W/"…"`), which says "the same content, not the same bytes", so a
//! revalidation of the gzipped copy still matches the handler's tag.

use flate2::Compression;
use poem::{
    Body, Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, Method, StatusCode, header},
};

use super::feed_cache::gzip;

/// Below this many bytes gzip saves less than its own header costs.
const SMALLEST: usize = 512;
/// Larger answers are compressed off the async workers.
const INLINE_LIMIT: usize = 64 * 1024;
/// Level 5: within a few per cent of the default's size for HTML and
/// JSON, at a good deal less CPU for answers made afresh each request.
const LEVEL: u32 = 5;

/// Whether the client takes gzip (`Accept-Encoding`, honouring `q=0`).
pub fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|codings| codings.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !refused
        })
}

/// The middleware: gzips a text answer when the client takes gzip.
pub async fn gzip_text<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let wanted = accepts_gzip(&req) && req.method() != Method::HEAD;
    let response = next.call(req).await?.into_response();
    if !wanted || !compressible(&response) {
        return Ok(response);
    }
    let (mut parts, body) = response.into_parts();
    // Every answer that reaches here is already whole in memory (pages,
    // GraphQL, static text); reading it cannot fail short of a broken
    // connection, which then answers as it would have anyway.
    let bytes = body.into_bytes().await?;
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    if bytes.len() < SMALLEST {
        return Ok(Response::from_parts(parts, Body::from(bytes)));
    }
    let compressed = if bytes.len() <= INLINE_LIMIT {
        gzip(&bytes, Compression::new(LEVEL))
    } else {
        let body = bytes.clone();
        tokio::task::spawn_blocking(move || gzip(&body, Compression::new(LEVEL)))
            .await
            .unwrap_or_else(|e| Err(crate::error::Error::Internal(anyhow::anyhow!("gzip task failed: {e}"))))
    };
    let Ok(compressed) = compressed else {
        // The identity body is always a correct answer.
        return Ok(Response::from_parts(parts, Body::from(bytes)));
    };
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(weak) = parts.headers.get(header::ETAG).and_then(weakened) {
        parts.headers.insert(header::ETAG, weak);
    }
    Ok(Response::from_parts(parts, Body::from(compressed)))
}

/// A text answer with a body, not yet encoded.
fn compressible(response: &Response) -> bool {
    let status = response.status();
    if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return false;
    }
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    let Some(content_type) = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.starts_with("text/")
        || matches!(
            essence,
            "application/json"
                | "application/graphql-response+json"
                | "application/xml"
                | "application/javascript"
                | "image/svg+xml"
        )
}

fn weakened(tag: &HeaderValue) -> Option<HeaderValue> {
    let text = tag.to_str().ok()?;
    if text.starts_with("W/") {
        return None;
    }
    HeaderValue::from_str(&format!("W/{text}")).ok()
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, handler, test::TestClient};

    use super::*;

    #[handler]
    fn page() -> Response {
        Response::builder()
            .content_type("text/html; charset=utf-8")
            .header(header::ETAG, "\"abc\"")
            .body("<p>muster</p>".repeat(100))
    }

    #[handler]
    fn tiny() -> Response {
        Response::builder().content_type("text/plain").body("ok")
    }

    #[handler]
    fn picture() -> Response {
        Response::builder().content_type("image/png").body(vec![0u8; 4096])
    }

    #[tokio::test]
    async fn text_is_gzipped_for_clients_that_take_it_and_only_then() {
        let client = TestClient::new(page.around(gzip_text));
        let gzipped = client.get("/").header("accept-encoding", "br, gzip").send().await;
        gzipped.assert_header("content-encoding", "gzip");
        gzipped.assert_header("etag", "W/\"abc\"");
        gzipped.assert_header("vary", "accept-encoding");
        let bytes = gzipped.0.into_body().into_vec().await.unwrap();
        let mut unpacked = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut unpacked).unwrap();
        assert_eq!(unpacked, "<p>muster</p>".repeat(100));
        assert!(bytes.len() < unpacked.len() / 5, "{} bytes", bytes.len());

        for refused in [None, Some("gzip;q=0"), Some("identity")] {
            let mut request = client.get("/");
            if let Some(value) = refused {
                request = request.header("accept-encoding", value);
            }
            let plain = request.send().await;
            plain.assert_header_is_not_exist("content-encoding");
            plain.assert_header("etag", "\"abc\"");
        }
    }

    #[tokio::test]
    async fn small_and_binary_answers_are_left_alone() {
        for response in [
            TestClient::new(tiny.around(gzip_text))
                .get("/")
                .header("accept-encoding", "gzip")
                .send()
                .await,
            TestClient::new(picture.around(gzip_text))
                .get("/")
                .header("accept-encoding", "gzip")
                .send()
                .await,
        ] {
            response.assert_header_is_not_exist("content-encoding");
        }
    }
}
