//! The iCalendar feeds: the public calendar (filterable), a group's
//! calendar, a person's private calendar, and single-event files.
//!
//! Every response carries a strong ETag and answers `304 Not Modified` to a
//! matching `If-None-Match`, so polling calendar apps download a feed only
//! when it changed. DTSTAMP is each event's last change, not the time of the
//! request, so an unchanged feed is byte-for-byte the same.
//!
//! Every feed's ETag comes from its version before anything is loaded: a
//! public feed's [`FeedVersion`](feeds::FeedVersion) (one aggregate query), a private feed's
//! [`PrivateFeedVersion`] (its token, its owner's facts and one aggregate
//! over their events). The version found at a change stamp is remembered
//! ([`FeedVersions`](super::feed_versions::FeedVersions)), so while nothing
//! was written an unchanged feed costs one read of the stamp and nothing
//! else. A changed one is rendered once per version and kept in a
//! [`FeedCache`](feed_cache::FeedCache), with its gzip, for every request
//! after: the shared cache for public feeds, a small one of its own for
//! private feeds, which are rendered for their owner alone. Rendering
//! streams the rows, so a feed of any size needs about its own size in
//! memory.
//!
//! Clients that send `Accept-Encoding: gzip` get the feed gzipped (about an
//! eighth of the size); that representation has its own ETag, as HTTP
//! asks, and either tag answers `304`.

use std::{
    collections::{BTreeMap, HashMap},
    time::Duration as StdDuration,
};

use chrono::{DateTime, Duration, Utc};
use entity::{EventKind, EventStatus, EventVisibility, event, group};
use futures_util::TryStreamExt;
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    AppState,
    domain::{
        feeds::{self, FeedEvents, FeedFilter, FeedSelection, PrivateFeedVersion, SeriesInFeed},
        groups, series,
        venues::{ShownPlace, VenueAccess},
    },
    error::{Error, Result},
    http::{
        compress::accepts_gzip,
        feed_cache::{self, RenderedFeed, Tag},
        feed_versions::Known,
    },
    ical::{CalendarMeta, CalendarWriter, EventEntry, EventStatus as IcsStatus, SeriesTimes},
    metrics::VersionCheck,
    urls::PublicUrls,
};

const PRODID: &str = concat!("-//muster//muster ", env!("CARGO_PKG_VERSION"), "//EN");
/// How often calendar apps are asked to refresh.
const REFRESH: StdDuration = StdDuration::from_secs(60 * 60);

/// How one VEVENT is timed.
enum How<'a> {
    Single,
    Series(&'a SeriesTimes<'a>),
    Occurrence(&'a str, chrono::NaiveDateTime),
}

/// Writes events into one calendar as they arrive, reusing its buffers:
/// nothing is allocated per event beyond the output's growth.
pub struct FeedRenderer<'a> {
    calendar: CalendarWriter,
    urls: &'a PublicUrls,
    /// Whose calendar it is, for the venues kept for those going.
    access: VenueAccess<'a>,
    summary: String,
    description: String,
    location: String,
    uid: String,
    link: String,
    /// The kind of the event being written.
    category: &'static str,
}

impl<'a> FeedRenderer<'a> {
    /// A calendar for everyone, called `name`, with room for about `events`
    /// events: a venue kept for those going is never in it, so it may be
    /// shared and cached.
    pub fn new(name: &str, urls: &'a PublicUrls, events: usize) -> Self {
        Self::for_viewer(name, urls, events, VenueAccess::nobody())
    }

    /// A calendar for one person, showing the venues `access` entitles
    /// them to: never cached or shared.
    pub fn for_viewer(name: &str, urls: &'a PublicUrls, events: usize, access: VenueAccess<'a>) -> Self {
        let meta = CalendarMeta {
            name,
            prodid: PRODID,
            refresh: REFRESH,
        };
        Self {
            calendar: CalendarWriter::with_capacity(&meta, events),
            urls,
            access,
            summary: String::new(),
            description: String::new(),
            location: String::new(),
            uid: String::new(),
            link: String::new(),
            category: "",
        }
    }

    pub fn push(&mut self, event: &event::Model, group: Option<&group::Model>) {
        self.fill(event, group);
        self.urls.write_event_uid(&mut self.uid, event.id);
        self.emit(event, How::Single);
    }

    /// The VTIMEZONEs the series' times name, each covering its series.
    pub fn timezones(&mut self, series: &[SeriesInFeed]) {
        let mut spans: BTreeMap<&str, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
        for one in series {
            let (Some(first), Some(last)) = (one.occurrences.first(), one.occurrences.last()) else {
                continue;
            };
            let from = first.original_starts_at.unwrap_or(first.starts_at).min(first.starts_at);
            let to = last.ends_at.max(last.original_starts_at.unwrap_or(last.ends_at));
            let span = spans.entry(one.series.timezone.as_str()).or_insert((from, to));
            span.0 = span.0.min(from);
            span.1 = span.1.max(to);
        }
        for (name, (from, to)) in spans {
            if let Ok(zone) = name.parse::<chrono_tz::Tz>() {
                self.calendar
                    .timezone(zone, from - Duration::days(7), to + Duration::days(7));
            }
        }
    }

    /// A series as one VEVENT with its rule, the occurrences it no longer
    /// has as EXDATEs, and an overriding VEVENT (RECURRENCE-ID) for each
    /// occurrence that differs from the rule: cancelled ones stay, marked
    /// cancelled, as single events do. A row the rule no longer makes is
    /// written as a single event of its own.
    pub fn push_series(&mut self, one: &SeriesInFeed, group: Option<&group::Model>) {
        let series = &one.series;
        let (Ok(timing), Some(first)) = (series::timing_of(series), one.occurrences.first()) else {
            for row in &one.occurrences {
                self.push(row, group);
            }
            return;
        };
        let instances = timing.expand().unwrap_or_default();
        let by_original: HashMap<DateTime<Utc>, &event::Model> = one
            .occurrences
            .iter()
            .filter_map(|row| row.original_starts_at.map(|at| (at, row)))
            .collect();
        let exdates: Vec<chrono::NaiveDateTime> = instances
            .iter()
            .filter(|o| !by_original.contains_key(&o.starts_at))
            .map(|o| timing.nominal_local(o.starts_at))
            .collect();
        let template = series::template(series, first);
        self.fill(&template, group);
        // The series' link is its first occurrence's page.
        self.urls.write_event_page(&mut self.link, first.id);
        self.urls.write_event_uid(&mut self.uid, series.id);
        let times = SeriesTimes {
            tzid: &series.timezone,
            local_start: timing.local_start,
            local_end: timing.local_end,
            rrule: &series.rrule,
            exdates: &exdates,
        };
        self.emit(&template, How::Series(&times));
        let duration = timing.duration();
        let instants: std::collections::HashSet<DateTime<Utc>> = instances.iter().map(|o| o.starts_at).collect();
        for row in &one.occurrences {
            let Some(original) = row.original_starts_at.filter(|at| instants.contains(at)) else {
                self.push(row, group);
                continue;
            };
            let differs = row.status == EventStatus::Cancelled
                || row.starts_at != original
                || row.ends_at != original + duration
                || row.title != series.title
                || row.description != series.description
                || row.venue != series.venue
                || row.address != series.address
                || row.online_url != series.online_url;
            if differs {
                self.fill(row, group);
                self.urls.write_event_uid(&mut self.uid, series.id);
                self.emit(row, How::Occurrence(&series.timezone, timing.nominal_local(original)));
            }
        }
    }

    /// Fills the reused buffers with what `event` shows.
    fn fill(&mut self, event: &event::Model, group: Option<&group::Model>) {
        let cancelled = event.status == EventStatus::Cancelled;
        self.summary.clear();
        // Some calendar apps drop cancelled entries silently; the title
        // still tells a person who looks.
        if cancelled {
            self.summary.push_str("Cancelled: ");
        }
        self.summary.push_str(&event.title);
        let shown = self.access.shown(event);
        describe(event, &shown, group, &mut self.description);
        place(event, &shown, &mut self.location);
        // The event's page: everything about it, and a signed-in person's
        // place. A members-only event's page answers only those who may
        // see it, as the feed does; the online link is in the description.
        self.urls.write_event_page(&mut self.link, event.id);
        self.category = kind_label(event.kind);
    }

    /// Writes `event` as the buffers describe it.
    fn emit(&mut self, event: &event::Model, how: How<'_>) {
        let cancelled = event.status == EventStatus::Cancelled;
        let url = Some(self.link.as_str());
        let entry = EventEntry {
            uid: &self.uid,
            dtstamp: event.updated_at,
            starts_at: event.starts_at,
            ends_at: event.ends_at,
            summary: &self.summary,
            description: &self.description,
            location: (!self.location.is_empty()).then_some(self.location.as_str()),
            url,
            status: if cancelled {
                IcsStatus::Cancelled
            } else {
                IcsStatus::Confirmed
            },
            sequence: event.sequence.max(0) as u32,
            created: event.created_at,
            last_modified: event.updated_at,
            categories: std::slice::from_ref(&self.category),
            timezone: Some(&event.timezone),
        };
        match how {
            How::Single => self.calendar.event(&entry),
            How::Series(times) => self.calendar.series_event(&entry, times),
            How::Occurrence(tzid, recurrence_id) => self.calendar.occurrence_event(&entry, tzid, recurrence_id),
        }
    }

    pub fn finish(self) -> String {
        self.calendar.finish()
    }
}

/// Renders events already in memory as one calendar for everyone.
pub fn render(name: &str, events: &FeedEvents, urls: &PublicUrls) -> String {
    let mut renderer = FeedRenderer::new(name, urls, events.len());
    for (event, group) in events {
        renderer.push(event, group.as_ref());
    }
    renderer.finish()
}

/// Renders series and single events already in memory as one calendar
/// for everyone, as a streamed feed would write them.
pub fn render_with_series(name: &str, series: &[SeriesInFeed], events: &FeedEvents, urls: &PublicUrls) -> String {
    let mut renderer = FeedRenderer::new(name, urls, events.len() + series.len());
    renderer.timezones(series);
    for one in series {
        renderer.push_series(one, None);
    }
    for (event, group) in events {
        renderer.push(event, group.as_ref());
    }
    renderer.finish()
}

/// Renders the events of `selection` for everyone (no venue kept for
/// those going), streamed from the database: what the feed cache keeps.
pub async fn render_selection(
    db: &DatabaseConnection,
    selection: &FeedSelection,
    name: &str,
    urls: &PublicUrls,
    expected_events: usize,
) -> Result<String> {
    render_selection_for(db, selection, name, urls, expected_events, VenueAccess::nobody()).await
}

/// Renders the events of `selection` for the one person `access` is of.
async fn render_selection_for(
    db: &DatabaseConnection,
    selection: &FeedSelection,
    name: &str,
    urls: &PublicUrls,
    expected_events: usize,
    access: VenueAccess<'_>,
) -> Result<String> {
    let groups = feeds::groups_by_id(db).await?;
    let mut renderer = FeedRenderer::for_viewer(name, urls, expected_events, access);
    let series = selection.series(db).await?;
    renderer.timezones(&series);
    for one in &series {
        let group = one.series.group_id.and_then(|id| groups.get(&id));
        renderer.push_series(one, group);
    }
    let mut rows = selection.stream_single(db).await?;
    while let Some(event) = rows.try_next().await? {
        let group = event.group_id.and_then(|id| groups.get(&id));
        renderer.push(&event, group);
    }
    Ok(renderer.finish())
}

use crate::domain::events::kind_label;

fn describe(event: &event::Model, shown: &ShownPlace<'_>, group: Option<&group::Model>, out: &mut String) {
    out.clear();
    out.push_str(&event.description);
    if shown.withheld {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str("The exact address is given to those going: take a place on the event's page to see it.");
    }
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

fn place(event: &event::Model, shown: &ShownPlace<'_>, out: &mut String) {
    shown.write_line(out);
    if out.is_empty() && event.online_url.is_some() {
        out.push_str("Online");
    }
}

/// A strong ETag for the identity body and one for its gzip, from a digest.
struct Etags {
    tag: Tag,
    identity: String,
    gzip: String,
}

impl Etags {
    fn from_digest(digest: &[u8]) -> Self {
        let mut tag = Tag::default();
        for (to, from) in tag.iter_mut().zip(digest) {
            *to = *from;
        }
        Self::of_tag(tag)
    }

    fn of_tag(tag: Tag) -> Self {
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            tag,
            identity: format!("\"{hex}\""),
            gzip: format!("\"{hex}-gzip\""),
        }
    }

    /// From the feed's key and version: computed before anything is rendered.
    fn of_version(feed: &str, version: &impl std::fmt::Debug) -> Self {
        let mut digest = Sha256::new();
        // The software's version too: a new release may render differently.
        digest.update(PRODID.as_bytes());
        digest.update([0]);
        digest.update(feed.as_bytes());
        digest.update([0]);
        digest.update(format!("{version:?}").as_bytes());
        Self::from_digest(&digest.finalize())
    }

    fn of_body(body: &[u8]) -> Self {
        Self::from_digest(&Sha256::digest(body))
    }

    /// Whether `If-None-Match` names this version, in either encoding.
    fn matched_by(&self, req: &Request) -> bool {
        req.headers()
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|tags| tags.split(','))
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == self.identity || tag == self.gzip || tag == "*")
    }
}

/// The headers every feed answer carries, with the ETag of what is sent.
fn feed_response(etag: &str, private: bool) -> poem::ResponseBuilder {
    Response::builder()
        .header(header::ETAG, etag)
        .header(
            header::CACHE_CONTROL,
            if private {
                "private, no-cache"
            } else {
                "public, no-cache"
            },
        )
        .header(header::VARY, "Accept-Encoding")
}

fn not_modified(req: &Request, etags: &Etags, private: bool) -> Response {
    let etag = if accepts_gzip(req) {
        &etags.gzip
    } else {
        &etags.identity
    };
    feed_response(etag, private).status(StatusCode::NOT_MODIFIED).finish()
}

/// Slices of a kept body that go out one at a time.
const BODY_CHUNK: usize = 64 * 1024;

/// A shared body as a stream of slices of it (no copy): handed over whole,
/// the HTTP layer copies it into each connection's write buffer, so eight
/// clients fetching a 50 MB feed at once would hold eight copies.
fn shared_body(body: bytes::Bytes) -> poem::Body {
    if body.len() <= BODY_CHUNK {
        return body.into();
    }
    let slices: Vec<std::io::Result<bytes::Bytes>> = (0..body.len())
        .step_by(BODY_CHUNK)
        .map(|start| Ok(body.slice(start..(start + BODY_CHUNK).min(body.len()))))
        .collect();
    poem::Body::from_bytes_stream(futures_util::stream::iter(slices))
}

/// Answers with a body in the encoding the client takes.
fn calendar_response(etags: &Etags, body: bytes::Bytes, gzipped: bool, private: bool) -> Response {
    let etag = if gzipped { &etags.gzip } else { &etags.identity };
    let mut builder = feed_response(etag, private)
        .content_type("text/calendar; charset=utf-8")
        .header(header::CONTENT_LENGTH, body.len());
    if gzipped {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
    }
    builder.body(shared_body(body))
}

/// The last instant a version holds with no write: until its first event
/// leaves the window.
fn holds_until(state: &AppState, first_end: Option<chrono::DateTime<Utc>>) -> Option<chrono::DateTime<Utc>> {
    first_end.map(|end| end + Duration::days(state.feed_past_days.into()))
}

/// A public feed: its version first (304 when the client has it), then the
/// kept render or a new one.
async fn public_response(req: &Request, state: &AppState, key: &str, name: &str, selection: FeedSelection) -> Response {
    let result: Result<Response> = async {
        // Unreadable, the stamp only costs the version query.
        let stamp = state.feed_versions.stamp(&state.db).await;
        let remembered = stamp.and_then(|stamp| state.feed_versions.get(key, stamp, state.clock.now()));
        let known = match remembered {
            Some(known) => known,
            None => {
                let version = selection.version(&state.db).await?;
                let known = Known {
                    stamp: stamp.unwrap_or_default(),
                    tag: Etags::of_version(key, &version).tag,
                    until: holds_until(state, version.first_end),
                    render_key: key.to_owned(),
                    events: usize::try_from(version.events).unwrap_or_default(),
                };
                if stamp.is_some() {
                    state.feed_versions.remember(key, known.clone());
                }
                known
            }
        };
        let etags = Etags::of_tag(known.tag);
        if etags.matched_by(req) {
            state.metrics.feed_version_checked(VersionCheck::Unchanged);
            return Ok(not_modified(req, &etags, false));
        }
        state.metrics.feed_version_checked(VersionCheck::Changed);
        let rendered = state
            .feed_cache
            .get_or_render(
                key,
                known.tag,
                render_selection(&state.db, &selection, name, &state.urls, known.events),
            )
            .await?;
        kept_response(req, &etags, &rendered, false).await
    }
    .await;
    result.unwrap_or_else(internal)
}

/// A kept render, in the encoding the client takes.
async fn kept_response(req: &Request, etags: &Etags, rendered: &RenderedFeed, private: bool) -> Result<Response> {
    Ok(if accepts_gzip(req) {
        calendar_response(etags, rendered.gzip().await?, true, private)
    } else {
        calendar_response(etags, rendered.body.clone(), false, private)
    })
}

/// A feed rendered for this request only; its ETag hashes the body.
async fn rendered_response(req: &Request, body: String, private: bool) -> Result<Response> {
    let etags = Etags::of_body(body.as_bytes());
    if etags.matched_by(req) {
        return Ok(not_modified(req, &etags, private));
    }
    if accepts_gzip(req) {
        // Not kept, so compressed quickly rather than small.
        let gzipped =
            tokio::task::spawn_blocking(move || feed_cache::gzip(body.as_bytes(), flate2::Compression::fast()))
                .await
                .map_err(|e| Error::Internal(anyhow::anyhow!("gzip task failed: {e}")))??;
        Ok(calendar_response(&etags, gzipped, true, private))
    } else {
        Ok(calendar_response(&etags, body.into(), false, private))
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
    state.clock.now() - Duration::days(state.feed_past_days.into())
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
    let key = format!("calendar {}", filter.cache_key());
    let selection = feeds::public_feed(&filter, since(state));
    public_response(req, state, &key, "muster events", selection).await
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
    let key = format!("group {}", group.id);
    let selection = feeds::public_feed(&filter, since(state));
    public_response(req, state, &key, &group.name, selection).await
}

fn busy() -> Response {
    Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header(
            poem::http::header::RETRY_AFTER,
            super::render_slots::RETRY_AFTER_SECS.to_string(),
        )
        .content_type("text/plain; charset=utf-8")
        .body("busy rendering other calendars; try again in a few seconds")
}

/// `GET /feeds/{token}/calendar.ics`: a person's private calendar.
///
/// While the change stamp has not moved, the version known for this token
/// answers at once: a `304`, or the owner's kept render. Otherwise the
/// token is resolved, the owner's version worked out (a few small
/// statements) and only a version not yet rendered is rendered, once.
#[handler]
pub async fn private_calendar(req: &Request, Path(token): Path<String>, Data(state): Data<&AppState>) -> Response {
    // Keyed by the token's hash: the secret itself is kept nowhere.
    let token_hash = feeds::hash_secret(&token);
    if let Err(Error::RateLimited { retry_after_secs }) = state.rate_limits.feed_fetches.check(&token_hash) {
        return Response::builder()
            .status(StatusCode::TOO_MANY_REQUESTS)
            .header(poem::http::header::RETRY_AFTER, retry_after_secs.to_string())
            .content_type("text/plain; charset=utf-8")
            .body("too many fetches of this feed; try again later");
    }
    let key = format!("private {token_hash}");
    let result: Result<Response> = async {
        let now = state.clock.now();
        let stamp = state.feed_versions.stamp(&state.db).await;
        if let Some(known) = stamp.and_then(|stamp| state.feed_versions.get(&key, stamp, now)) {
            let etags = Etags::of_tag(known.tag);
            if etags.matched_by(req) {
                return Ok(not_modified(req, &etags, true));
            }
            if let Some(rendered) = state.private_feeds.peek(&known.render_key, known.tag) {
                return kept_response(req, &etags, &rendered, true).await;
            }
        }
        let owner = feeds::resolve_owner(&state.db, &token, now).await?;
        let since = since(state);
        let version = feeds::private_version(&state.db, &owner.viewer, since).await?;
        let known = private_known(state, &owner, &version, stamp);
        if stamp.is_some() {
            state.feed_versions.remember(&key, known.clone());
        }
        let etags = Etags::of_tag(known.tag);
        if etags.matched_by(req) {
            return Ok(not_modified(req, &etags, true));
        }
        let rendered = match state.private_feeds.peek(&known.render_key, known.tag) {
            Some(rendered) => rendered,
            None => {
                let Some(_slot) = super::render_slots::take(super::render_slots::WAIT).await else {
                    return Ok(busy());
                };
                let selection = feeds::private_feed(&owner.viewer, since)?;
                let access = VenueAccess::for_feed(&state.db, &owner.viewer, since).await?;
                let render = render_selection_for(
                    &state.db,
                    &selection,
                    "My muster calendar",
                    &state.urls,
                    known.events,
                    access,
                );
                state
                    .private_feeds
                    .get_or_render(&known.render_key, known.tag, render)
                    .await?
            }
        };
        kept_response(req, &etags, &rendered, true).await
    }
    .await;
    match result {
        Ok(response) => response,
        Err(Error::NotFound) => {
            state.feed_versions.forget(&key);
            not_found()
        }
        Err(err) => internal(err),
    }
}

/// What is remembered of a private feed's version: it holds until its
/// first event leaves the window or its token's use is next written down.
fn private_known(
    state: &AppState,
    owner: &feeds::FeedOwner,
    version: &PrivateFeedVersion,
    stamp: Option<i64>,
) -> Known {
    let use_due = owner.last_used_at + feeds::USE_RECORDED_EVERY;
    let until = holds_until(state, version.first_end).map_or(use_due, |until| until.min(use_due));
    Known {
        stamp: stamp.unwrap_or_default(),
        // The owner's id is in the version: equal tags are one person's.
        tag: Etags::of_version("private", version).tag,
        until: Some(until),
        render_key: format!("private {}", version.owner),
        events: usize::try_from(version.events).unwrap_or_default(),
    }
}

/// `GET /events/{id}.ics`: one public event, to add to a calendar; shared
/// by anyone with the link, so a venue kept for those going is not in it.
#[handler]
pub async fn event_file(req: &Request, Path(file): Path<String>, Data(state): Data<&AppState>) -> Response {
    let Some(id) = file.strip_suffix(".ics").and_then(|id| Uuid::parse_str(id).ok()) else {
        return not_found();
    };
    let result: Result<Response> = async {
        let event = crate::domain::events::get_visible(&state.db, &crate::auth::Viewer::Anonymous, id).await?;
        let group = match event.group_id {
            Some(group_id) => groups::find_by_id(&state.db, group_id).await?,
            None => None,
        };
        let name = event.title.clone();
        rendered_response(req, render(&name, &vec![(event, group)], &state.urls), false).await
    }
    .await;
    match result {
        Ok(response) => response,
        Err(Error::NotFound) => not_found(),
        Err(err) => internal(err),
    }
}
