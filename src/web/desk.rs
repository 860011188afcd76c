//! `/desk` and the pages under it, for the network's coordinators (and
//! admins): the home page of tiles that say what needs doing and the
//! latest workflow steps, the queue with its filters kept in the address,
//! and a request's own page where it is assigned, declined, cancelled or
//! marked delivered.
//!
//! Every page asks the domain first whether the reader may use the desk
//! (`desk::enter`): anonymous visitors are sent to sign in, anyone else
//! signed in gets a 403 page in words. Each step then calls the same domain
//! function as the API, which asks the policy again and records the
//! history; the contact details are read through `reveal::contacts`, which
//! writes the audit entry. The queue's filters travel in the address of
//! every link, form and redirect, re-written from what was understood so
//! that nothing else rides along. A refusal is a sentence on the page the
//! person was on; a stale form says so and shows what changed.

use std::collections::HashMap;

use askama::Template;
use entity::{RequestKind, RequestState, request};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path, Query},
};
use sea_orm::Iterable;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Nav, Place,
    csrf::CsrfKey,
    internal, message, not_found_page,
    numbers::{self, NumbersView},
    page, refusal,
    requests::state_label,
    signin::{see_other, viewer_of},
    view::{uk_time, when},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        csv,
        desk::{self, DeskFilter, QueueCursor, QueueRow, UrgencyFilter},
        desk_numbers, in_work,
        requests::{self, RequestFilter, transitions},
        reveal, topics,
    },
    error::{Error, Result},
};

const BASE: &str = "/desk";
/// Requests per page of the queue.
const PAGE: usize = 50;
/// Recorded as the reason of the audited read of a request's contact.
const REQUEST_PAGE: &str = "deskRequestPage";

pub(super) fn to_sign_in(back_to: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(back_to.as_bytes()).collect();
    see_other(&format!("/signin?next={next}"), None)
}

pub(super) fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "These pages are for the network's coordinators",
        "Only the network's coordinators and admins can use the desk, where requests for speakers and workshops are triaged and assigned. If you should be one, ask an admin.",
    )
}

/// Lets in staff; anyone else gets their answer (see the module's header).
pub(super) async fn enter(req: &Request, state: &AppState, back_to: &str) -> Result<Viewer, Response> {
    let viewer = viewer_of(req, state).await.map_err(internal)?;
    if viewer.user_id().is_none() {
        return Err(to_sign_in(back_to));
    }
    match desk::enter(&viewer) {
        Ok(()) => Ok(viewer),
        Err(Error::Unauthenticated) => Err(to_sign_in(back_to)),
        Err(Error::Forbidden) => Err(forbidden()),
        Err(err) => Err(internal(err)),
    }
}

pub(super) fn failed(err: Error) -> Response {
    match err {
        Error::NotFound => not_found_page(),
        Error::Forbidden | Error::Unauthenticated => forbidden(),
        err => internal(err),
    }
}

/// A desk page: its anti-forgery cookie scoped to the desk, and kept from
/// every cache but the reader's.
pub(super) fn private_page(state: &AppState, status: StatusCode, view: &impl Template, token: &str) -> Response {
    let mut response = page(status, view);
    let cookie = CsrfKey::cookie_header_at(token, state.urls.is_secure(), BASE);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Ok(value) = "private, no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

pub(super) fn token(state: &AppState) -> Result<String> {
    state.csrf.issue(state.clock.now())
}

/// A form's fields, repeated names kept (the queue's ticked requests),
/// after the anti-forgery check.
pub(super) async fn read_pairs(req: &Request, state: &AppState, body: Body) -> Result<Vec<(String, String)>, Response> {
    let Ok(bytes) = body.into_bytes_limit(64 * 1024).await else {
        return Err(message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much to send",
            "The form was larger than muster takes.",
        ));
    };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    if state.csrf.check(req, &state.urls, csrf, state.clock.now()).is_err() {
        return Err(message(
            StatusCode::FORBIDDEN,
            "The form could not be accepted",
            "It was open for too long, was opened before you signed in or out, or was sent from another site. Nothing was changed: go back, reload the page and try again.",
        ));
    }
    Ok(pairs)
}

pub(super) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------
// The queue's filters, as the address carries them

/// The queue's address: its filters and the page's cursor.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueueQuery {
    state: Option<String>,
    kind: Option<String>,
    topic: Option<String>,
    region: Option<String>,
    group: Option<String>,
    mine: Option<String>,
    urgency: Option<String>,
    q: Option<String>,
    attendance: Option<String>,
    after: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl QueueQuery {
    fn state(&self) -> Option<RequestState> {
        given(&self.state).and_then(|s| RequestState::iter().find(|v| v.as_str() == s))
    }

    fn kind(&self) -> Option<RequestKind> {
        given(&self.kind).and_then(|s| RequestKind::iter().find(|v| v.as_str() == s))
    }

    fn urgency(&self) -> Option<UrgencyFilter> {
        given(&self.urgency).and_then(UrgencyFilter::parse)
    }

    fn mine(&self) -> bool {
        given(&self.mine).is_some()
    }

    fn attendance_missing(&self) -> bool {
        given(&self.attendance) == Some("missing")
    }

    fn filter(&self) -> DeskFilter {
        DeskFilter {
            base: RequestFilter {
                states: self.state().into_iter().collect(),
                kinds: self.kind().into_iter().collect(),
                topic: given(&self.topic).map(str::to_owned),
                region: given(&self.region).map(str::to_owned),
                group: given(&self.group).map(str::to_owned),
            },
            assigned_by_me: self.mine(),
            urgency: self.urgency(),
            text: given(&self.q).map(str::to_owned),
            attendance_missing: self.attendance_missing(),
            only: Vec::new(),
        }
    }

    /// The filters as understood, as a query string (no cursor): empty,
    /// or starting with `?`.
    fn to_query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        if let Some(state) = self.state() {
            out.append_pair("state", state.as_str());
        }
        if let Some(kind) = self.kind() {
            out.append_pair("kind", kind.as_str());
        }
        for (name, value) in [("topic", &self.topic), ("region", &self.region), ("group", &self.group)] {
            if let Some(value) = given(value) {
                out.append_pair(name, value);
            }
        }
        if self.mine() {
            out.append_pair("mine", "1");
        }
        if let Some(urgency) = self.urgency() {
            out.append_pair("urgency", urgency.as_str());
        }
        if let Some(q) = given(&self.q) {
            out.append_pair("q", q);
        }
        if self.attendance_missing() {
            out.append_pair("attendance", "missing");
        }
        let query = out.finish();
        if query.is_empty() { query } else { format!("?{query}") }
    }
}

/// The filters of an address's raw query string.
fn query_of(req: &Request) -> QueueQuery {
    QueueQuery::parse(req.uri().query().unwrap_or_default())
}

impl QueueQuery {
    fn parse(raw: &str) -> Self {
        let mut query = Self::default();
        for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let slot = match name.as_ref() {
                "state" => &mut query.state,
                "kind" => &mut query.kind,
                "topic" => &mut query.topic,
                "region" => &mut query.region,
                "group" => &mut query.group,
                "mine" => &mut query.mine,
                "urgency" => &mut query.urgency,
                "q" => &mut query.q,
                "attendance" => &mut query.attendance,
                "after" => &mut query.after,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        query
    }
}

// ---------------------------------------------------------------------
// Home

pub struct Tile {
    pub label: &'static str,
    pub count: String,
    /// Where it leads; empty for a count whose page the reader cannot open.
    pub href: String,
    /// Shown in red: something is overdue.
    pub alarm: Option<String>,
}

pub struct ActivityRow {
    pub at: String,
    pub reference: String,
    pub path: String,
    pub from: &'static str,
    pub to: &'static str,
    pub actor: String,
    pub note: Option<String>,
}

#[derive(Template)]
#[template(path = "desk.html")]
struct HomePage {
    nav: Nav,
    tiles: Vec<Tile>,
    activity: Vec<ActivityRow>,
    numbers: NumbersView,
}

/// `GET /desk`
#[handler]
pub async fn home(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match enter(req, state, BASE).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    render_home(state, &viewer).await.unwrap_or_else(failed)
}

async fn render_home(state: &AppState, viewer: &Viewer) -> Result<Response> {
    let now = state.clock.now();
    let counts = desk::counts(&state.db, viewer, state.mailroom.chase_after, now).await?;
    let recent = desk::recent_activity(&state.db, viewer).await?;
    let link = |query: &str| format!("{BASE}/requests?{query}");
    let mut tiles = vec![
        Tile {
            label: "New, no trainer asked yet",
            count: counts.new.to_string(),
            href: link("state=SUBMITTED"),
            alarm: None,
        },
        Tile {
            label: "Offers waiting for a trainer's answer",
            count: counts.offers_waiting.to_string(),
            href: link("state=ASSIGNED"),
            alarm: (counts.offers_overdue > 0).then(|| {
                format!(
                    "{} waiting more than {} days",
                    counts.offers_overdue,
                    state.mailroom.chase_after.num_days()
                )
            }),
        },
        Tile {
            label: "Unassigned, windows within 14 days or passed",
            count: counts.unassigned_urgent.to_string(),
            href: link("state=SUBMITTED&urgency=urgent"),
            alarm: None,
        },
        Tile {
            label: "Confirmed for this week",
            count: counts.confirmed_this_week.to_string(),
            href: link("state=CONFIRMED&urgency=week"),
            alarm: None,
        },
        Tile {
            label: "Delivered, attendance not recorded",
            count: counts.delivered_without_attendance.to_string(),
            href: link("state=DELIVERED&attendance=missing"),
            alarm: None,
        },
    ];
    let failed = crate::domain::notifications::outbox::failed_count(&state.db, viewer).await?;
    tiles.push(numbers::failed_tile(failed, viewer.is_admin()));
    let numbers = NumbersView::new(&desk_numbers::numbers(&state.db, viewer, now).await?);
    let activity = recent
        .into_iter()
        .map(|r| ActivityRow {
            at: uk_time(r.step.created_at),
            path: format!("{BASE}/requests/{}", r.step.request_id),
            reference: r.reference,
            from: r.step.from_state.map_or("", state_label),
            to: state_label(r.step.to_state),
            actor: r.actor.unwrap_or_else(|| "the requester".to_owned()),
            note: r.step.note,
        })
        .collect();
    let view = HomePage {
        nav: Nav::at(Place::Desk),
        tiles,
        activity,
        numbers,
    };
    let token = token(state)?;
    Ok(private_page(state, StatusCode::OK, &view, &token))
}

// ---------------------------------------------------------------------
// The queue

pub struct QueueLine {
    pub id: String,
    pub path: String,
    pub reference: String,
    pub kind: &'static str,
    pub topic: String,
    pub asker: String,
    pub region: String,
    pub state: &'static str,
    pub due: String,
    pub urgent: bool,
    pub submitted: String,
}

pub struct Option_ {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "desk_queue.html")]
struct QueuePage {
    nav: Nav,
    csrf_token: String,
    error: Option<String>,
    reason: String,
    lines: Vec<QueueLine>,
    total: usize,
    states: Vec<Option_>,
    kinds: Vec<Option_>,
    urgencies: Vec<Option_>,
    topic: String,
    region: String,
    group: String,
    q: String,
    mine: bool,
    attendance_missing: bool,
    bulk_action: String,
    next_page: Option<String>,
    first_page: Option<String>,
}

fn options<T: Copy + PartialEq>(all: &[(&'static str, &'static str, T)], chosen: Option<T>) -> Vec<Option_> {
    all.iter()
        .map(|(value, label, v)| Option_ {
            value,
            label,
            selected: chosen == Some(*v),
        })
        .collect()
}

fn due_words(row: &QueueRow) -> String {
    match row.due {
        Some(at) if row.urgency != desk::Urgency::Passed => uk_time(at),
        _ => "passed".to_owned(),
    }
}

fn asker(request: &request::Model, group_names: &HashMap<Uuid, String>) -> String {
    match (request.group_id, &request.organisation_name) {
        (Some(group), _) => group_names.get(&group).cloned().unwrap_or_default(),
        (None, Some(name)) => name.clone(),
        (None, None) => String::new(),
    }
}

/// `GET /desk/requests`
#[handler]
pub async fn queue_page(req: &Request, Query(query): Query<QueueQuery>, Data(state): Data<&AppState>) -> Response {
    let back_to = format!("{BASE}/requests{}", query.to_query());
    let viewer = match enter(req, state, &back_to).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    render_queue(state, &viewer, &query, StatusCode::OK, None, String::new())
        .await
        .unwrap_or_else(failed)
}

async fn render_queue(
    state: &AppState,
    viewer: &Viewer,
    query: &QueueQuery,
    status: StatusCode,
    error: Option<String>,
    reason: String,
) -> Result<Response> {
    let now = state.clock.now();
    let after = given(&query.after).and_then(QueueCursor::decode);
    let found = desk::queue(&state.db, viewer, &query.filter(), after.as_ref(), PAGE, now).await?;
    let topic_names = desk::topic_names(&state.db).await?;
    let group_ids: Vec<Uuid> = found.rows.iter().filter_map(|r| r.request.group_id).collect();
    let group_names = desk::group_names(&state.db, &group_ids).await?;
    let filters = query.to_query();
    let lines = found
        .rows
        .iter()
        .map(|row| QueueLine {
            id: row.request.id.to_string(),
            path: format!("{BASE}/requests/{}{filters}", row.request.id),
            reference: row.request.reference.clone(),
            kind: kind_words(row.request.kind),
            topic: topic_names.get(&row.request.topic_id).cloned().unwrap_or_default(),
            asker: asker(&row.request, &group_names),
            region: row.request.region.clone().unwrap_or_default(),
            state: state_label(row.request.state),
            due: due_words(row),
            urgent: row.urgency != desk::Urgency::Later,
            submitted: uk_time(row.request.created_at),
        })
        .collect();
    let joiner = if filters.is_empty() { "?" } else { "&" };
    let states: Vec<(&str, &str, RequestState)> =
        RequestState::iter().map(|s| (s.as_str(), state_label(s), s)).collect();
    let view = QueuePage {
        nav: Nav::at(Place::Desk),
        csrf_token: token(state)?,
        error,
        reason,
        lines,
        total: found.total_count,
        states: options(&states, query.state()),
        kinds: options(
            &[
                ("SPEAKER", "Speaker", RequestKind::Speaker),
                ("WORKSHOP", "Workshop", RequestKind::Workshop),
            ],
            query.kind(),
        ),
        urgencies: options(
            &[
                ("urgent", "Within 14 days or passed", UrgencyFilter::Urgent),
                ("week", "Within 7 days", UrgencyFilter::Week),
                ("passed", "Windows passed", UrgencyFilter::Passed),
            ],
            query.urgency(),
        ),
        topic: given(&query.topic).unwrap_or_default().to_owned(),
        region: given(&query.region).unwrap_or_default().to_owned(),
        group: given(&query.group).unwrap_or_default().to_owned(),
        q: given(&query.q).unwrap_or_default().to_owned(),
        mine: query.mine(),
        attendance_missing: query.attendance_missing(),
        bulk_action: format!("{BASE}/requests/bulk{filters}"),
        next_page: found
            .next
            .map(|next| format!("{BASE}/requests{filters}{joiner}after={}", next.encode())),
        first_page: after.map(|_| format!("{BASE}/requests{filters}")),
    };
    let token = view.csrf_token.clone();
    Ok(private_page(state, status, &view, &token))
}

fn kind_words(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Speaker => "Speaker",
        RequestKind::Workshop => "Workshop",
    }
}

/// `POST /desk/requests/bulk` with the ticked `id`s and `action`
/// (`decline` with `reason`, or `export`); the queue's filters in the
/// address come back in the redirect.
#[handler]
pub async fn bulk(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let pairs = match read_pairs(req, state, body).await {
        Ok(pairs) => pairs,
        Err(refused) => return refused,
    };
    let query = query_of(req);
    let back_to = format!("{BASE}/requests{}", query.to_query());
    let viewer = match enter(req, state, &back_to).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let ids: Vec<Uuid> = pairs
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| Uuid::parse_str(v.trim()).ok())
        .collect();
    let reason = field(&pairs, "reason").to_owned();
    let now = state.clock.now();
    let done = match field(&pairs, "action") {
        "export" => return export(state, &viewer, &ids).await.unwrap_or_else(failed),
        "decline" => {
            in_work(&state.db, async |work| {
                desk::decline_all(work, &viewer, &ids, &reason, now).await
            })
            .await
        }
        _ => Err(Error::validation("action", "choose one of the buttons under the list")),
    };
    let (status, words) = match done {
        Ok(_) => return see_other(&back_to, None),
        Err(Error::NotFound) => (
            StatusCode::NOT_FOUND,
            "That did not work: one of the chosen requests no longer exists. Nothing was declined.".to_owned(),
        ),
        Err(err) => match refusal::in_words(&err) {
            Some(words) => (refusal::status(&err), format!("{words} Nothing was declined.")),
            None => return failed(err),
        },
    };
    render_queue(state, &viewer, &query, status, Some(words), reason)
        .await
        .unwrap_or_else(internal)
}

/// The chosen requests as CSV: what the queue shows, no contact details.
async fn export(state: &AppState, viewer: &Viewer, ids: &[Uuid]) -> Result<Response> {
    let now = state.clock.now();
    let chosen = desk::export(&state.db, viewer, ids, now).await?;
    let topic_names = desk::topic_names(&state.db).await?;
    let group_ids: Vec<Uuid> = chosen.iter().filter_map(|r| r.request.group_id).collect();
    let group_names = desk::group_names(&state.db, &group_ids).await?;
    let mut csv = String::from("reference,state,kind,topic,requested by,region,town,online,audience,due,submitted\r\n");
    for row in &chosen {
        let r = &row.request;
        let cells = [
            r.reference.clone(),
            r.state.as_str().to_owned(),
            r.kind.as_str().to_owned(),
            topic_names.get(&r.topic_id).cloned().unwrap_or_default(),
            asker(r, &group_names),
            r.region.clone().unwrap_or_default(),
            r.town.clone().unwrap_or_default(),
            if r.online { "yes" } else { "no" }.to_owned(),
            r.expected_audience.map(|n| n.to_string()).unwrap_or_default(),
            row.due.map(|d| d.to_rfc3339()).unwrap_or_default(),
            r.created_at.to_rfc3339(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv::cell(c)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    Ok(super::with_security_headers(Response::builder().status(StatusCode::OK))
        .header(header::CACHE_CONTROL, "private, no-store")
        .header(header::CONTENT_DISPOSITION, "attachment; filename=\"requests.csv\"")
        .content_type("text/csv; charset=utf-8")
        .body(csv))
}

// ---------------------------------------------------------------------
// A request

pub struct StepRow {
    pub state: &'static str,
    pub at: String,
    pub actor: String,
    pub note: Option<String>,
}

pub struct AssignmentRow {
    pub trainer: String,
    pub status: &'static str,
    pub when: String,
}

pub struct SuggestionRow {
    pub trainer_id: String,
    pub name: String,
    pub reasons: Vec<String>,
}

pub struct RuledOutRow {
    pub name: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "desk_request.html")]
struct RequestPage {
    nav: Nav,
    csrf_token: String,
    error: Option<String>,
    /// Steps taken since the version the refused form was opened at.
    changed: Vec<StepRow>,
    queue_path: String,
    action: String,
    reference: String,
    kind: &'static str,
    topic: String,
    state: &'static str,
    version: i32,
    asker: String,
    contact_name: Option<String>,
    contact_email: Option<String>,
    place: String,
    audience: String,
    notes: String,
    windows: Vec<String>,
    submitted: String,
    decline_reason: Option<String>,
    attendance: Option<String>,
    feedback: Option<String>,
    history: Vec<StepRow>,
    assignments: Vec<AssignmentRow>,
    suggestions: Vec<SuggestionRow>,
    ruled_out: Vec<RuledOutRow>,
    may_assign: bool,
    may_decline: bool,
    may_cancel: bool,
    may_deliver: bool,
}

fn assignment_words(status: entity::AssignmentStatus) -> &'static str {
    match status {
        entity::AssignmentStatus::Proposed => "asked, no answer yet",
        entity::AssignmentStatus::Accepted => "accepted",
        entity::AssignmentStatus::Declined => "turned it down",
    }
}

/// `GET /desk/requests/{id}`
#[handler]
pub async fn request_page(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>) -> Response {
    let query = query_of(req);
    let back_to = format!("{BASE}/requests/{id}{}", query.to_query());
    let viewer = match enter(req, state, &back_to).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    render_request(state, &viewer, id, &query, StatusCode::OK, None, None)
        .await
        .unwrap_or_else(failed)
}

async fn render_request(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    query: &QueueQuery,
    status: StatusCode,
    error: Option<String>,
    stale_version: Option<i32>,
) -> Result<Response> {
    let db = &state.db;
    let now = state.clock.now();
    let (request, _) = requests::get(db, viewer, id).await?;
    let topic = topics::get(db, request.topic_id).await?;
    let contact = reveal::contacts(db, viewer, &[id], REQUEST_PAGE, now)
        .await?
        .remove(&id)
        .and_then(|c| c.into_result().ok())
        .flatten();
    let history = requests::history(db, &[id]).await?.remove(&id).unwrap_or_default();
    let windows = requests::windows(db, &[id]).await?.remove(&id).unwrap_or_default();
    let assignments = requests::assignments_of(db, id).await?;
    let (suggested, ruled_out) = if request.state == RequestState::Submitted {
        desk::candidates(db, viewer, id, now).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let group_names = desk::group_names(db, &request.group_id.into_iter().collect::<Vec<_>>()).await?;
    let people_ids: Vec<Uuid> = history
        .iter()
        .filter_map(|s| s.actor_id)
        .chain(assignments.iter().map(|a| a.trainer_id))
        .chain(suggested.iter().map(|s| s.trainer.id))
        .chain(ruled_out.iter().map(|r| r.trainer_id))
        .collect();
    let people = reveal::people(db, &people_ids).await?;
    let name_of = |id: Uuid| {
        people
            .get(&id)
            .map_or(crate::domain::privacy::FORMER_MEMBER, |p| p.display_name())
            .to_owned()
    };
    let step_row = |s: &entity::request_transition::Model| StepRow {
        state: state_label(s.to_state),
        at: uk_time(s.created_at),
        actor: s.actor_id.map_or_else(|| "the requester".to_owned(), name_of),
        note: s.note.clone(),
    };
    let changed = stale_version
        .map(|v| {
            history
                .iter()
                .skip(usize::try_from(v).unwrap_or(0))
                .map(step_row)
                .collect()
        })
        .unwrap_or_default();
    let place = match (&request.town, &request.postcode_area, request.online) {
        (_, _, true) => "Online".to_owned(),
        (Some(town), Some(area), _) => format!("{town} ({area})"),
        (Some(town), None, _) => town.clone(),
        _ => String::new(),
    };
    let filters = query.to_query();
    let csrf_token = token(state)?;
    let view = RequestPage {
        nav: Nav::at(Place::Desk),
        csrf_token: csrf_token.clone(),
        error,
        changed,
        queue_path: format!("{BASE}/requests{filters}"),
        action: format!("{BASE}/requests/{id}{filters}"),
        reference: request.reference.clone(),
        kind: kind_words(request.kind),
        topic: topic.name,
        state: state_label(request.state),
        version: request.version,
        asker: asker(&request, &group_names),
        contact_name: contact.as_ref().and_then(|c| c.name.clone()),
        contact_email: contact.and_then(|c| c.email),
        place: match &request.region {
            Some(region) if !place.is_empty() => format!("{place}, {region}"),
            Some(region) => region.clone(),
            None => place,
        },
        audience: request.expected_audience.map(|n| n.to_string()).unwrap_or_default(),
        notes: request.notes.clone(),
        windows: windows.iter().map(|w| when(w.starts_at, w.ends_at)).collect(),
        submitted: uk_time(request.created_at),
        decline_reason: request.decline_reason.clone(),
        attendance: request.attendance.map(|n| n.to_string()),
        feedback: request.feedback.clone(),
        history: history.iter().map(step_row).collect(),
        assignments: assignments
            .iter()
            .map(|a| AssignmentRow {
                trainer: name_of(a.trainer_id),
                status: assignment_words(a.status),
                when: when(a.starts_at, a.ends_at),
            })
            .collect(),
        suggestions: suggested
            .iter()
            .map(|s| {
                let mut reasons = vec!["covers the topic".to_owned()];
                if s.same_region {
                    reasons.push("same region".to_owned());
                }
                let free: Vec<String> = s.free_windows.iter().map(|w| when(w.starts_at, w.ends_at)).collect();
                reasons.push(format!("free {}", free.join("; ")));
                reasons.push(format!(
                    "{} engagement{} in the last {} days",
                    s.recent_load,
                    if s.recent_load == 1 { "" } else { "s" },
                    crate::domain::requests::matching::RECENT_LOAD_DAYS
                ));
                SuggestionRow {
                    trainer_id: s.trainer.id.to_string(),
                    name: name_of(s.trainer.id),
                    reasons,
                }
            })
            .collect(),
        ruled_out: ruled_out
            .iter()
            .map(|r| RuledOutRow {
                name: name_of(r.trainer_id),
                reason: r.reason.clone(),
            })
            .collect(),
        may_assign: request.state == RequestState::Submitted,
        may_decline: request.state == RequestState::Submitted,
        may_cancel: request.state == RequestState::Confirmed,
        // Offered once the engagement has ended, as the workflow allows.
        may_deliver: request.state == RequestState::Confirmed
            && assignments
                .iter()
                .any(|a| a.status == entity::AssignmentStatus::Accepted && a.ends_at <= now),
    };
    Ok(private_page(state, status, &view, &csrf_token))
}

fn stale_words() -> String {
    "Someone changed this request while you were looking, so nothing was done. What changed is listed below; check it, then try again.".to_owned()
}

/// `POST /desk/requests/{id}` with `action` (`assign` with `trainerId`,
/// `decline` with `reason`, `cancel`, `deliver` with `attendance` and
/// `feedback`), the `version` the page showed and a `note`.
#[handler]
pub async fn request_action(
    req: &Request,
    Path(id): Path<String>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    let pairs = match read_pairs(req, state, body).await {
        Ok(pairs) => pairs,
        Err(refused) => return refused,
    };
    let query = query_of(req);
    let here = format!("{BASE}/requests/{id}{}", query.to_query());
    let viewer = match enter(req, state, &here).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    let version = field(&pairs, "version").trim().parse::<i32>().ok();
    let note = Some(field(&pairs, "note")).filter(|n| !n.trim().is_empty());
    let now = state.clock.now();
    let done = in_work(&state.db, async |work| {
        let version = version.ok_or_else(|| Error::validation("version", "reload the page and try again"))?;
        match field(&pairs, "action") {
            "assign" => {
                let trainer = Uuid::parse_str(field(&pairs, "trainerId").trim())
                    .map_err(|_| Error::validation("trainerId", "choose a trainer from the list"))?;
                transitions::assign(work, &viewer, id, trainer, version, note, now).await
            }
            "decline" => transitions::decline(work, &viewer, id, field(&pairs, "reason"), Some(version), now).await,
            "cancel" => transitions::cancel(work, &viewer, id, note, Some(version), now).await,
            "deliver" => {
                let attendance = match field(&pairs, "attendance").trim() {
                    "" => None,
                    raw => Some(
                        raw.parse::<i32>()
                            .map_err(|_| Error::validation("attendance", "must be a whole number"))?,
                    ),
                };
                let feedback = Some(field(&pairs, "feedback")).filter(|f| !f.trim().is_empty());
                transitions::mark_delivered(work, &viewer, id, attendance, feedback, Some(version), now).await
            }
            _ => Err(Error::validation("action", "choose one of the buttons")),
        }
    })
    .await;
    let (status, words, stale) = match done {
        Ok(_) => return see_other(&here, None),
        Err(Error::Conflict(_)) => (StatusCode::CONFLICT, stale_words(), version),
        Err(err) => match refusal::in_words(&err) {
            Some(words) => (refusal::status(&err), words, None),
            None => return failed(err),
        },
    };
    render_request(state, &viewer, id, &query, status, Some(words), stale)
        .await
        .unwrap_or_else(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_keeps_only_understood_filters() {
        let query = QueueQuery::parse("state=SUBMITTED&kind=NOPE&mine=1&urgency=urgent&q=REQ&evil=x&after=z");
        assert_eq!(query.to_query(), "?state=SUBMITTED&mine=1&urgency=urgent&q=REQ");
        assert_eq!(QueueQuery::default().to_query(), "");
    }
}
