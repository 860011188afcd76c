//! The iCalendar feeds: the public calendar (filterable), a group's
//! calendar, a person's private calendar, and single-event files.
//!
//! Every response carries a strong ETag (a hash of the body) and answers
//! `304 Not Modified` to a matching `If-None-Match`, so polling calendar
//! apps download a feed only when it changed. DTSTAMP is each event's last
//! change, not the time of the request, so an unchanged feed is
//! byte-for-byte the same.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use entity::{EventKind, EventStatus, EventVisibility, event, group};
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    AppState,
    domain::{
        feeds::{self, FeedEvents, FeedFilter},
        groups,
    },
    error::Error,
    ical::{CalendarMeta, CalendarWriter, EventEntry, EventStatus as IcsStatus},
    urls::PublicUrls,
};

const PRODID: &str = concat!("-//muster//muster ", env!("CARGO_PKG_VERSION"), "//EN");
/// How often calendar apps are asked to refresh.
const REFRESH: StdDuration = StdDuration::from_secs(60 * 60);

/// Renders events as one calendar.
pub fn render(name: &str, events: &FeedEvents, urls: &PublicUrls) -> String {
    let meta = CalendarMeta {
        name,
        prodid: PRODID,
        refresh: REFRESH,
    };
    let mut calendar = CalendarWriter::with_capacity(&meta, events.len());
    let mut summary = String::new();
    let mut description = String::new();
    let mut location = String::new();
    for (event, group) in events {
        let cancelled = event.status == EventStatus::Cancelled;
        summary.clear();
        // Some calendar apps drop cancelled entries silently; the title
        // still tells a person who looks.
        if cancelled {
            summary.push_str("Cancelled: ");
        }
        summary.push_str(&event.title);
        describe(event, group.as_ref(), &mut description);
        place(event, &mut location);
        let uid = urls.event_uid(event.id);
        let public_link = (event.visibility == EventVisibility::Public).then(|| urls.event_ics(event.id));
        let url = public_link.as_deref().or(event.online_url.as_deref());
        calendar.event(&EventEntry {
            uid: &uid,
            dtstamp: event.updated_at,
            starts_at: event.starts_at,
            ends_at: event.ends_at,
            summary: &summary,
            description: &description,
            location: (!location.is_empty()).then_some(location.as_str()),
            url,
            status: if cancelled {
                IcsStatus::Cancelled
            } else {
                IcsStatus::Confirmed
            },
            sequence: event.sequence.max(0) as u32,
            created: event.created_at,
            last_modified: event.updated_at,
            categories: &[kind_label(event.kind)],
            timezone: Some(&event.timezone),
        });
    }
    calendar.finish()
}

fn kind_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Workshop => "Workshop",
        EventKind::Talk => "Talk",
        EventKind::Training => "Training",
        EventKind::Action => "Action",
        EventKind::Meeting => "Meeting",
        EventKind::Other => "Event",
    }
}

fn describe(event: &event::Model, group: Option<&group::Model>, out: &mut String) {
    out.clear();
    out.push_str(&event.description);
    if let Some(link) = &event.online_url {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str("Join online: ");
        out.push_str(link);
    }
    if let Some(group) = group {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str("Held by ");
        out.push_str(&group.name);
        if event.visibility == EventVisibility::Members {
            out.push_str(" (members only)");
        }
    }
}

fn place(event: &event::Model, out: &mut String) {
    out.clear();
    for part in [&event.venue, &event.address].into_iter().flatten() {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(part);
    }
    if out.is_empty() && event.online_url.is_some() {
        out.push_str("Online");
    }
}

/// Answers with the calendar, or 304 when the client has this version.
fn respond(req: &Request, body: String, private: bool) -> Response {
    let digest = Sha256::digest(body.as_bytes());
    let etag: String = format!(
        "\"{}\"",
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>()
    );
    let cache = if private {
        "private, no-cache"
    } else {
        "public, no-cache"
    };
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    let builder = Response::builder()
        .header(header::ETAG, etag.as_str())
        .header(header::CACHE_CONTROL, cache);
    if not_modified {
        builder.status(StatusCode::NOT_MODIFIED).finish()
    } else {
        builder.content_type("text/calendar; charset=utf-8").body(body)
    }
}

fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}

fn internal(err: Error) -> Response {
    tracing::error!(error = format!("{:#}", anyhow::Error::from(err)), "feed failed");
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .content_type("text/plain; charset=utf-8")
        .body("internal error")
}

fn since(state: &AppState) -> chrono::DateTime<Utc> {
    Utc::now() - Duration::days(state.feed_past_days.into())
}

fn parse_kind(raw: &str) -> Option<EventKind> {
    use sea_orm::ActiveEnum;
    EventKind::try_from_value(&raw.trim().to_uppercase()).ok()
}

/// `GET /calendar.ics?group=…&kind=…&region=…&topic=…`, each repeatable.
#[handler]
pub async fn public_calendar(req: &Request, Data(state): Data<&AppState>) -> Response {
    let mut filter = FeedFilter::default();
    for (key, value) in url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "group" => filter.group_slugs.push(value.into_owned()),
            "region" => filter.regions.push(value.into_owned()),
            "topic" => filter.topics.push(value.into_owned()),
            "kind" => match parse_kind(&value) {
                Some(kind) => filter.kinds.push(kind),
                None => {
                    return Response::builder()
                        .status(StatusCode::BAD_REQUEST)
                        .content_type("text/plain; charset=utf-8")
                        .body("kind must be one of WORKSHOP, TALK, TRAINING, ACTION, MEETING, OTHER");
                }
            },
            _ => {}
        }
    }
    match feeds::public_feed(&state.db, &filter, since(state)).await {
        Ok(events) => respond(req, render("muster events", &events, &state.urls), false),
        Err(err) => internal(err),
    }
}

/// `GET /groups/{slug}/calendar.ics`: a group's public events.
#[handler]
pub async fn group_calendar(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>) -> Response {
    let group = match groups::find_by_slug(&state.db, &slug).await {
        Ok(Some(group)) => group,
        Ok(None) => return not_found(),
        Err(err) => return internal(err),
    };
    let filter = FeedFilter {
        group_slugs: vec![group.slug.clone()],
        ..FeedFilter::default()
    };
    match feeds::public_feed(&state.db, &filter, since(state)).await {
        Ok(events) => respond(req, render(&group.name, &events, &state.urls), false),
        Err(err) => internal(err),
    }
}

/// `GET /feeds/{token}/calendar.ics`: a person's private calendar.
#[handler]
pub async fn private_calendar(req: &Request, Path(token): Path<String>, Data(state): Data<&AppState>) -> Response {
    // Keyed by the token's hash: the secret itself is kept nowhere.
    if let Err(Error::RateLimited { retry_after_secs }) =
        state.rate_limits.feed_fetches.check(&feeds::hash_secret(&token))
    {
        return Response::builder()
            .status(StatusCode::TOO_MANY_REQUESTS)
            .header(poem::http::header::RETRY_AFTER, retry_after_secs.to_string())
            .content_type("text/plain; charset=utf-8")
            .body("too many fetches of this feed; try again later");
    }
    let owner = match feeds::resolve_token(&state.db, &token, Utc::now()).await {
        Ok(owner) => owner,
        Err(Error::NotFound) => return not_found(),
        Err(err) => return internal(err),
    };
    match feeds::private_feed(&state.db, &owner, since(state)).await {
        Ok(events) => respond(req, render("My muster calendar", &events, &state.urls), true),
        Err(err) => internal(err),
    }
}

/// `GET /events/{id}.ics`: one public event, to add to a calendar.
#[handler]
pub async fn event_file(req: &Request, Path(file): Path<String>, Data(state): Data<&AppState>) -> Response {
    let Some(id) = file.strip_suffix(".ics").and_then(|id| Uuid::parse_str(id).ok()) else {
        return not_found();
    };
    match crate::domain::events::get_visible(&state.db, &crate::auth::Viewer::Anonymous, id).await {
        Ok(event) => {
            let group = match event.group_id {
                Some(group_id) => groups::find_by_id(&state.db, group_id).await.ok().flatten(),
                None => None,
            };
            let name = event.title.clone();
            respond(req, render(&name, &vec![(event, group)], &state.urls), false)
        }
        Err(Error::NotFound) => not_found(),
        Err(err) => internal(err),
    }
}
