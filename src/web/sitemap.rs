//! `GET /sitemap.xml`: the public pages search engines may list, the
//! groups and the public upcoming events, from the same domain queries
//! the pages make for an anonymous visitor, so it cannot name a page
//! that would answer 404 (a members-only event, a cancelled one).

use poem::{
    Response, handler,
    http::{StatusCode, header},
    web::Data,
};

use super::{events::all_groups, plain_error};
use crate::{
    AppState,
    auth::Viewer,
    domain::events::{self, EventFilter, EventPosition},
    error::Result,
};

/// A sitemap holds at most 50,000 addresses; the events get what the
/// groups and the fixed pages leave, soonest first.
const MAX_URLS: usize = 50_000;
/// Events read per query.
const BATCH: u64 = 1000;
/// The pages that are always there.
const FIXED: [&str; 4] = ["/", "/groups", "/request", "/privacy"];

#[handler]
pub async fn sitemap_xml(Data(state): Data<&AppState>) -> Response {
    match render(state).await {
        Ok(body) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CACHE_CONTROL, "public, max-age=3600")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .content_type("application/xml; charset=utf-8")
            .body(body),
        Err(err) => {
            tracing::error!(error = format!("{:#}", anyhow::Error::from(err)), "the sitemap failed");
            plain_error()
        }
    }
}

async fn render(state: &AppState) -> Result<String> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut count = 0;
    for path in FIXED {
        push_url(&mut out, &state.urls.page(path), None);
        count += 1;
    }
    for group in all_groups(state).await? {
        let lastmod = group.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        push_url(
            &mut out,
            &state.urls.page(&format!("/groups/{}", group.slug)),
            Some(&lastmod),
        );
        count += 1;
    }
    let now = state.clock.now();
    let filter = EventFilter {
        from: Some(now),
        ..EventFilter::default()
    };
    let mut after: Option<EventPosition> = None;
    while count < MAX_URLS {
        let limit = BATCH.min((MAX_URLS - count) as u64);
        let page =
            events::list_events_uncounted(&state.db, &Viewer::Anonymous, &filter, after.as_ref(), limit, now).await?;
        for event in &page.rows {
            let lastmod = event.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            push_url(&mut out, &state.urls.event_page(event.id), Some(&lastmod));
        }
        count += page.rows.len();
        match page.rows.last() {
            Some(last) if page.has_next_page => {
                after = Some(EventPosition {
                    starts_at: last.starts_at,
                    id: last.id,
                });
            }
            _ => break,
        }
    }
    out.push_str("</urlset>\n");
    Ok(out)
}

fn push_url(out: &mut String, loc: &str, lastmod: Option<&str>) {
    out.push_str("<url><loc>");
    push_escaped(out, loc);
    out.push_str("</loc>");
    if let Some(lastmod) = lastmod {
        out.push_str("<lastmod>");
        out.push_str(lastmod);
        out.push_str("</lastmod>");
    }
    out.push_str("</url>\n");
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}
