//! `/groups/{slug}/manage` and the pages under it: a group's organisers
//! (and the network's coordinators and admins) answer requests to join,
//! manage members and their roles, publish and change the group's events,
//! keep its public profile, and ask for speakers and workshops.
//!
//! Every page first asks the domain whether the viewer may use the group's
//! organisers' pages at all (`groups::get_managed`): anonymous visitors are
//! sent to sign in; anyone else signed in gets a 403 page that says whose
//! pages these are (the group is public, and the API answers its member
//! list with `FORBIDDEN`, so a "not found" would hide nothing); an unknown
//! group is the site's 404. Each step then calls the same domain function
//! as the API, which asks the policy again and writes the audit trail.
//! A refusal is a sentence on the page the person was on, with what they
//! typed kept; every form carries the anti-forgery token, scoped to these
//! pages; and no page here is stored by any cache but the reader's own.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use entity::{EventKind, EventStatus, EventVisibility, MembershipRole, MembershipStatus, VenueVisibility, group};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Nav, Place,
    account::read_form,
    csrf::CsrfKey,
    internal, message, not_found_page, page, refusal,
    requests::{Choice, Field, HistoryRow, group_form, state_label, submit_for_group},
    signin::{see_other, viewer_of},
    view::{KINDS, kind_label, uk_time, uk_time_entered, when},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        events::{self, EventChanges, EventFilter, NewEvent},
        groups::{self, GroupChanges},
        in_work,
        memberships::{self, MemberChange, MemberPosition},
        pagination::Position as _,
        requests, reveal, topics,
    },
    error::{Error, FieldError, Result},
};

/// How many members, and how many requests to join, a page lists.
const PAGE: u64 = 100;
/// How far back the events page lists past events.
const RECENT_DAYS: i64 = 60;
/// The most events the events page lists.
const MAX_EVENTS: u64 = 100;
/// Recorded as the reason of the audited reads of members' emails.
const MEMBERS_PAGE: &str = "groupMembersPage";

pub(super) fn base(slug: &str) -> String {
    format!("/groups/{slug}/manage")
}

/// Which of the organisers' pages a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Members,
    Events,
    Profile,
    Requests,
}

/// The heading and the sub-navigation every organisers' page shows.
pub struct Shell {
    pub group_name: String,
    pub slug: String,
    pub tab: Tab,
}

impl Shell {
    pub(super) fn of(group: &group::Model, tab: Tab) -> Self {
        Self {
            group_name: group.name.clone(),
            slug: group.slug.clone(),
            tab,
        }
    }

    /// `aria-current` for the entry of `tab`.
    pub fn current(&self, tab: Tab) -> &'static str {
        if self.tab == tab { " aria-current=\"page\"" } else { "" }
    }
}

/// Who is asking, and the group they may manage.
pub(super) struct Managed {
    pub(super) viewer: Viewer,
    pub(super) group: group::Model,
}

fn to_sign_in(back_to: &str) -> Response {
    see_other(&format!("/signin?next={back_to}"), None)
}

fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "These pages are for the group's organisers",
        "Only the organisers of this group and the network's coordinators can use its organisers' pages. If you organise this group, ask one of its organisers to make you an organiser too.",
    )
}

/// Lets in the group's organisers and staff; anyone else gets their answer
/// (see the module's header). `back_to` is where signing in returns.
pub(super) async fn enter(req: &Request, state: &AppState, slug: &str, back_to: &str) -> Result<Managed, Response> {
    let viewer = viewer_of(req, state).await.map_err(internal)?;
    if viewer.user_id().is_none() {
        return Err(to_sign_in(back_to));
    }
    match groups::get_managed(&state.db, &viewer, slug).await {
        Ok(group) => Ok(Managed { viewer, group }),
        Err(Error::NotFound) => Err(not_found_page()),
        Err(Error::Forbidden) => Err(forbidden()),
        Err(Error::Unauthenticated) => Err(to_sign_in(back_to)),
        Err(err) => Err(internal(err)),
    }
}

/// A fresh anti-forgery token for the forms of a page.
pub(super) fn token(state: &AppState) -> Result<String> {
    state.csrf.issue(state.clock.now())
}

/// Renders an organisers' page: its token's cookie scoped to the group's
/// organisers' pages, and kept from every cache but the reader's.
pub(super) fn private_page(
    state: &AppState,
    slug: &str,
    status: StatusCode,
    view: &impl Template,
    token: &str,
) -> Response {
    let mut response = page(status, view);
    let cookie = CsrfKey::cookie_header_at(token, state.urls.is_secure(), &base(slug));
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Ok(value) = "private, no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// A refusal the page says in words, with its status; `None` for what
/// [`failed`] answers.
pub(super) fn in_words(err: &Error) -> Option<(StatusCode, String)> {
    refusal::in_words(err).map(|words| (refusal::status(err), words))
}

/// A page that could not be shown: not found, refused, or our failure.
pub(super) fn failed(err: Error) -> Response {
    match err {
        Error::NotFound => not_found_page(),
        Error::Forbidden | Error::Unauthenticated => forbidden(),
        err => internal(err),
    }
}

// ---------------------------------------------------------------------
// Members and requests to join

pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    /// Shown only when the domain reveals it to this reader (and records
    /// the read).
    pub email: Option<String>,
    pub organiser: bool,
    pub since: String,
}

#[derive(Template)]
#[template(path = "manage_members.html")]
struct MembersPage {
    nav: Nav,
    shell: Shell,
    csrf_token: String,
    action: String,
    error: Option<String>,
    pending: Vec<MemberRow>,
    /// Requests to join beyond the ones listed.
    pending_more: u64,
    members: Vec<MemberRow>,
    member_total: u64,
    /// The next page of members, when there is one.
    next_page: Option<String>,
}

#[derive(Deserialize)]
pub struct AfterQuery {
    after: Option<String>,
}

/// A member list's cursor: the join time in microseconds and the id.
fn cursor(position: &MemberPosition) -> String {
    format!("{}.{}", position.created_at.timestamp_micros(), position.id)
}

fn parse_cursor(raw: &str) -> Option<MemberPosition> {
    let (micros, id) = raw.split_once('.')?;
    Some(MemberPosition {
        created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id: Uuid::parse_str(id).ok()?,
    })
}

/// `GET /groups/{slug}/manage`: requests to join, then the members.
#[handler]
pub async fn members_page(
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<AfterQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let managed = match enter(req, state, &slug, &base(&slug)).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let after = query.after.as_deref().and_then(parse_cursor);
    render_members(state, &managed, after.as_ref(), StatusCode::OK, None)
        .await
        .unwrap_or_else(failed)
}

async fn render_members(
    state: &AppState,
    managed: &Managed,
    after: Option<&MemberPosition>,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response> {
    let Managed { viewer, group } = managed;
    let db = &state.db;
    let pending = memberships::list_members(db, viewer, group.id, Some(MembershipStatus::Pending), None, PAGE).await?;
    let active = memberships::list_members(db, viewer, group.id, Some(MembershipStatus::Active), after, PAGE).await?;
    let ids: Vec<Uuid> = pending.rows.iter().chain(&active.rows).map(|m| m.user_id).collect();
    let people = reveal::people(db, &ids).await?;
    let emails = reveal::emails(db, viewer, &ids, MEMBERS_PAGE, state.clock.now()).await?;
    let row = |membership: &entity::membership::Model| MemberRow {
        user_id: membership.user_id.to_string(),
        name: people
            .get(&membership.user_id)
            .map_or(crate::domain::privacy::FORMER_MEMBER, |p| p.display_name())
            .to_owned(),
        email: match emails.get(&membership.user_id) {
            Some(reveal::Reveal::Shown(email)) => email.clone(),
            _ => None,
        },
        organiser: membership.role == MembershipRole::Organiser,
        since: uk_time(membership.approved_at.unwrap_or(membership.created_at)),
    };
    let next_page = active
        .has_next_page
        .then(|| active.rows.last())
        .flatten()
        .map(|last| format!("{}?after={}", base(&group.slug), cursor(&MemberPosition::of(last))));
    let csrf_token = token(state)?;
    let view = MembersPage {
        nav: Nav::at(Place::Groups),
        shell: Shell::of(group, Tab::Members),
        csrf_token: csrf_token.clone(),
        action: format!("{}/members", base(&group.slug)),
        error,
        pending: pending.rows.iter().map(row).collect(),
        pending_more: pending.total_count.saturating_sub(pending.rows.len() as u64),
        members: active.rows.iter().map(row).collect(),
        member_total: active.total_count,
        next_page,
    };
    Ok(private_page(state, &group.slug, status, &view, &csrf_token))
}

/// `POST /groups/{slug}/manage/members` with `userId` and `action`
/// (`approve`, `decline`, `promote`, `step-down`, `remove`).
#[handler]
pub async fn member_action(
    req: &Request,
    Path(slug): Path<String>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let managed = match enter(req, state, &slug, &base(&slug)).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let user_id = fields
        .get("userId")
        .and_then(|id| Uuid::parse_str(id.trim()).ok())
        .unwrap_or_default();
    let action = fields.get("action").map(String::as_str).unwrap_or_default();
    let now = state.clock.now();
    let viewer = &managed.viewer;
    let done = in_work(&state.db, async |work| {
        let change = |operation| MemberChange {
            group_slug: &slug,
            user_id,
            operation,
        };
        match action {
            "approve" => memberships::approve_member(work, viewer, change("approveMember"), now)
                .await
                .map(drop),
            "decline" | "remove" => memberships::remove_member(work, viewer, change("removeMember"), now).await,
            "promote" => {
                memberships::set_member_role(work, viewer, change("setMemberRole"), MembershipRole::Organiser, now)
                    .await
                    .map(drop)
            }
            "step-down" => {
                memberships::set_member_role(work, viewer, change("setMemberRole"), MembershipRole::Member, now)
                    .await
                    .map(drop)
            }
            _ => Err(Error::validation("action", "choose one of the buttons beside a person")),
        }
    })
    .await;
    let (status, words) = match done {
        // Stepping down or leaving ends one's own use of these pages.
        Ok(()) if viewer.user_id() == Some(user_id) && matches!(action, "step-down" | "remove") => {
            return see_other(&format!("/groups/{slug}"), None);
        }
        Ok(()) => return see_other(&base(&slug), None),
        Err(Error::NotFound) => (
            StatusCode::NOT_FOUND,
            "That did not work: this person is no longer on the list. They may have left, or another organiser answered first.".to_owned(),
        ),
        Err(err) => match in_words(&err) {
            Some(refused) => refused,
            None => return failed(err),
        },
    };
    render_members(state, &managed, None, status, Some(words))
        .await
        .unwrap_or_else(internal)
}

// ---------------------------------------------------------------------
// The group's events

pub struct EventRow {
    pub title: String,
    pub kind: &'static str,
    pub when: String,
    pub cancelled: bool,
    pub members_only: bool,
    pub page_path: String,
    pub edit_path: String,
}

#[derive(Template)]
#[template(path = "manage_events.html")]
struct EventsPage {
    nav: Nav,
    shell: Shell,
    upcoming: Vec<EventRow>,
    recent: Vec<EventRow>,
    new_path: String,
    import_path: String,
}

/// `GET /groups/{slug}/manage/events`: upcoming, then recent; cancelled
/// ones marked.
#[handler]
pub async fn events_page(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>) -> Response {
    let path = format!("{}/events", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    render_events(state, &managed).await.unwrap_or_else(internal)
}

async fn render_events(state: &AppState, managed: &Managed) -> Result<Response> {
    let Managed { viewer, group } = managed;
    let now = state.clock.now();
    let filter = EventFilter {
        from: Some(now - Duration::days(RECENT_DAYS)),
        group_slugs: vec![group.slug.clone()],
        include_cancelled: Some(true),
        ..EventFilter::default()
    };
    let listed = events::list_events_uncounted(&state.db, viewer, &filter, None, MAX_EVENTS, now).await?;
    let (mut recent, mut upcoming) = (Vec::new(), Vec::new());
    for event in &listed.rows {
        let row = EventRow {
            title: event.title.clone(),
            kind: kind_label(event.kind),
            when: when(event.starts_at, event.ends_at),
            cancelled: event.status == EventStatus::Cancelled,
            members_only: event.visibility == EventVisibility::Members,
            page_path: format!("/events/{}", event.id),
            edit_path: format!("{}/events/{}", base(&group.slug), event.id),
        };
        if event.ends_at < now {
            recent.push(row);
        } else {
            upcoming.push(row);
        }
    }
    recent.reverse();
    let view = EventsPage {
        nav: Nav::at(Place::Groups),
        shell: Shell::of(group, Tab::Events),
        upcoming,
        recent,
        new_path: format!("{}/events/new", base(&group.slug)),
        import_path: format!("{}/import", base(&group.slug)),
    };
    let token = token(state)?;
    Ok(private_page(state, &group.slug, StatusCode::OK, &view, &token))
}

/// What was typed into the event form, as typed.
#[derive(Default, Clone)]
struct EventEntered {
    title: String,
    description: String,
    kind: String,
    starts_at: String,
    ends_at: String,
    venue: String,
    address: String,
    online_url: String,
    town: String,
    postcode_area: String,
    /// The exact venue and address only for those going.
    venue_for_going: bool,
    members_only: bool,
    capacity: String,
}

impl EventEntered {
    fn from_fields(fields: &HashMap<String, String>) -> Self {
        let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
        Self {
            title: field("title"),
            description: field("description"),
            kind: field("kind"),
            starts_at: field("startsAt"),
            ends_at: field("endsAt"),
            venue: field("venue"),
            address: field("address"),
            online_url: field("onlineUrl"),
            town: field("town"),
            postcode_area: field("postcodeArea"),
            venue_for_going: field("venueVisibility") == "GOING",
            members_only: field("visibility") == "MEMBERS",
            capacity: field("capacity"),
        }
    }

    fn of_event(event: &entity::event::Model) -> Self {
        let local = |at: DateTime<Utc>| at.with_timezone(&London).format("%Y-%m-%dT%H:%M").to_string();
        Self {
            title: event.title.clone(),
            description: event.description.clone(),
            kind: KINDS
                .iter()
                .find(|(_, kind)| *kind == event.kind)
                .map(|(value, _)| (*value).to_owned())
                .unwrap_or_default(),
            starts_at: local(event.starts_at),
            ends_at: local(event.ends_at),
            venue: event.venue.clone().unwrap_or_default(),
            address: event.address.clone().unwrap_or_default(),
            online_url: event.online_url.clone().unwrap_or_default(),
            town: event.town.clone().unwrap_or_default(),
            postcode_area: event.postcode_area.clone().unwrap_or_default(),
            venue_for_going: event.venue_visibility == VenueVisibility::Going,
            members_only: event.visibility == EventVisibility::Members,
            capacity: event.capacity.map(|c| c.to_string()).unwrap_or_default(),
        }
    }

    /// The event the form describes, and what the form itself cannot read
    /// (a date, a number). Where a time cannot be read, a stand-in lets the
    /// domain check every other field, so all problems show at once.
    fn read(&self, group: &group::Model, now: DateTime<Utc>) -> (NewEvent, Vec<FieldError>) {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: &str| {
            problems.push(FieldError {
                field: field.to_owned(),
                message: message.to_owned(),
            });
        };
        let kind = KINDS
            .iter()
            .find(|(value, _)| *value == self.kind)
            .map(|(_, kind)| *kind);
        if kind.is_none() {
            problem("kind", "must be one of the kinds listed");
        }
        let starts_at = uk_time_entered(&self.starts_at)
            .map_err(|why| problem("startsAt", why))
            .ok();
        let ends_at = uk_time_entered(&self.ends_at)
            .map_err(|why| problem("endsAt", why))
            .ok();
        let capacity = match self.capacity.trim() {
            "" => None,
            raw => match raw.parse::<i32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problem("capacity", "must be a whole number, or left empty for no limit");
                    None
                }
            },
        };
        let (starts_at, ends_at) = match (starts_at, ends_at) {
            (Some(start), Some(end)) => (start, end),
            (Some(start), None) => (start, start + Duration::hours(1)),
            (None, Some(end)) => (end - Duration::hours(1), end),
            (None, None) => (now + Duration::days(1), now + Duration::days(1) + Duration::hours(1)),
        };
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let new = NewEvent {
            title: self.title.clone(),
            description: self.description.clone(),
            starts_at,
            ends_at,
            timezone: None,
            venue: optional(&self.venue),
            address: optional(&self.address),
            online_url: optional(&self.online_url),
            venue_visibility: if self.venue_for_going {
                VenueVisibility::Going
            } else {
                VenueVisibility::Public
            },
            town: optional(&self.town),
            postcode_area: optional(&self.postcode_area),
            kind: kind.unwrap_or(EventKind::Other),
            group_slug: Some(group.slug.clone()),
            topic_id: None,
            visibility: if self.members_only {
                EventVisibility::Members
            } else {
                EventVisibility::Public
            },
            capacity,
        };
        (new, problems)
    }
}

/// The fields of the form in the order it shows them: (name, label).
const EVENT_FIELDS: [(&str, &str); 13] = [
    ("title", "Title"),
    ("kind", "Kind of event"),
    ("startsAt", "Start"),
    ("endsAt", "End"),
    ("venue", "Venue"),
    ("address", "Address"),
    ("town", "Town"),
    ("postcodeArea", "Postcode area"),
    ("venueVisibility", "Who sees the exact place"),
    ("onlineUrl", "Online link"),
    ("visibility", "Who may see it"),
    ("capacity", "Places"),
    ("description", "Description"),
];

/// Every problem of a refused form, keyed by field, and the summary at the
/// top in the form's order; a problem of no field shown is summarised too.
fn field_problems(err: &Error, fields: &[(&str, &str)]) -> (HashMap<String, String>, Vec<(String, String)>) {
    let keyed: HashMap<String, String> = refusal::by_field(err)
        .into_iter()
        .map(|(field, message)| {
            let message = message.replace("startsAt", "the start");
            // A field the form does not show (a cancelled event's `id`) is
            // said in its own words, at the top.
            let words = match fields.iter().find(|(name, _)| *name == field) {
                Some((_, label)) => format!("{label} {message}"),
                None => upper_first(&message),
            };
            (field, words)
        })
        .collect();
    let mut summary: Vec<(String, String)> = fields
        .iter()
        .filter_map(|(name, _)| keyed.get(*name).map(|m| ((*name).to_owned(), m.clone())))
        .collect();
    for (field, words) in &keyed {
        if !fields.iter().any(|(name, _)| name == field) {
            summary.push((fields[0].0.to_owned(), words.clone()));
        }
    }
    (keyed, summary)
}

fn upper_first(words: &str) -> String {
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "manage_event.html")]
struct EventFormPage {
    nav: Nav,
    shell: Shell,
    heading: String,
    action: String,
    /// The event's own page and its cancel button's address, when editing.
    public_path: Option<String>,
    cancel_action: Option<String>,
    cancelled: bool,
    csrf_token: String,
    summary: Vec<(String, String)>,
    notice: Option<String>,
    kinds: Vec<Choice>,
    kind_error: Option<String>,
    title: Field,
    description: Field,
    starts_at: Field,
    ends_at: Field,
    venue: Field,
    address: Field,
    online_url: Field,
    town: Field,
    postcode_area: Field,
    venue_for_going: bool,
    venue_visibility_error: Option<String>,
    members_only: bool,
    visibility_error: Option<String>,
    capacity: Field,
}

/// Which event a form is for: a new one, or one that exists.
#[derive(Clone, Copy)]
enum Editing<'a> {
    New,
    Existing(&'a entity::event::Model),
}

fn event_form(
    state: &AppState,
    group: &group::Model,
    editing: Editing<'_>,
    entered: &EventEntered,
    refused: Option<&Error>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let (keyed, summary) = refused
        .map(|err| field_problems(err, &EVENT_FIELDS))
        .unwrap_or_default();
    let field = |name: &str, value: &str| Field {
        value: value.to_owned(),
        error: keyed.get(name).cloned(),
    };
    let csrf_token = match token(state) {
        Ok(token) => token,
        Err(err) => return internal(err),
    };
    let events_path = format!("{}/events", base(&group.slug));
    let (heading, action, public_path, cancel_action, cancelled) = match editing {
        Editing::New => ("New event".to_owned(), format!("{events_path}/new"), None, None, false),
        Editing::Existing(event) => (
            format!("Change “{}”", event.title),
            format!("{events_path}/{}", event.id),
            Some(format!("/events/{}", event.id)),
            Some(format!("{events_path}/{}/cancel", event.id)),
            event.status == EventStatus::Cancelled,
        ),
    };
    let view = EventFormPage {
        nav: Nav::at(Place::Groups),
        shell: Shell::of(group, Tab::Events),
        heading,
        action,
        public_path,
        cancel_action,
        cancelled,
        csrf_token: csrf_token.clone(),
        summary,
        notice,
        kinds: KINDS
            .iter()
            .map(|(value, kind)| Choice {
                value: (*value).to_owned(),
                label: kind_label(*kind).to_owned(),
                selected: entered.kind == *value,
            })
            .collect(),
        kind_error: keyed.get("kind").cloned(),
        title: field("title", &entered.title),
        description: field("description", &entered.description),
        starts_at: field("startsAt", &entered.starts_at),
        ends_at: field("endsAt", &entered.ends_at),
        venue: field("venue", &entered.venue),
        address: field("address", &entered.address),
        online_url: field("onlineUrl", &entered.online_url),
        town: field("town", &entered.town),
        postcode_area: field("postcodeArea", &entered.postcode_area),
        venue_for_going: entered.venue_for_going,
        venue_visibility_error: keyed.get("venueVisibility").cloned(),
        members_only: entered.members_only,
        visibility_error: keyed.get("visibility").cloned(),
        capacity: field("capacity", &entered.capacity),
    };
    private_page(state, &group.slug, status, &view, &csrf_token)
}

/// The form's own problems together with the domain's checks of the rest,
/// or `None` when the form could read everything (the domain then checks
/// it all as it writes).
fn problems_at_once(new: &NewEvent, group: &group::Model, mut problems: Vec<FieldError>) -> Option<Error> {
    if problems.is_empty() {
        return None;
    }
    if let Err(Error::Validation(found)) = events::check_new(new, Some(group.id)) {
        for found in found {
            if !problems.iter().any(|p| p.field == found.field) {
                problems.push(found);
            }
        }
    }
    Some(Error::Validation(problems))
}

/// `GET /groups/{slug}/manage/events/new`
#[handler]
pub async fn new_event_page(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>) -> Response {
    let path = format!("{}/events/new", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let entered = EventEntered {
        kind: "MEETING".to_owned(),
        ..EventEntered::default()
    };
    event_form(
        state,
        &managed.group,
        Editing::New,
        &entered,
        None,
        None,
        StatusCode::OK,
    )
}

/// `POST /groups/{slug}/manage/events/new`: creates the event through
/// `events::create_event`, then back to the group's events.
#[handler]
pub async fn create_event(
    req: &Request,
    Path(slug): Path<String>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let path = format!("{}/events/new", base(&slug));
    let Managed { viewer, group } = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let entered = EventEntered::from_fields(&fields);
    let now = state.clock.now();
    let (new, problems) = entered.read(&group, now);
    let again = |refused: Option<&Error>, notice: Option<String>, status: StatusCode| {
        event_form(state, &group, Editing::New, &entered, refused, notice, status)
    };
    if let Some(invalid) = problems_at_once(&new, &group, problems) {
        return again(Some(&invalid), None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match in_work(&state.db, async |work| {
        events::create_event(work, &viewer, new, now).await
    })
    .await
    {
        Ok(_) => see_other(&format!("{}/events", base(&group.slug)), None),
        Err(err @ Error::Validation(_)) => again(Some(&err), None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(err) => match in_words(&err) {
            Some((status, words)) => again(None, Some(words), status),
            None => failed(err),
        },
    }
}

/// The group's event `id`, as its organisers may change it; another
/// group's event is not found here.
async fn event_of_group(state: &AppState, managed: &Managed, id: &str) -> Result<entity::event::Model> {
    let id = Uuid::parse_str(id).map_err(|_| Error::NotFound)?;
    let event = events::get_visible(&state.db, &managed.viewer, id).await?;
    if event.group_id != Some(managed.group.id) {
        return Err(Error::NotFound);
    }
    Ok(event)
}

/// `GET /groups/{slug}/manage/events/{id}`: the form to change it, and
/// the button to cancel it.
#[handler]
pub async fn edit_event_page(
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Data(state): Data<&AppState>,
) -> Response {
    let path = format!("{}/events/{id}", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let event = match event_of_group(state, &managed, &id).await {
        Ok(event) => event,
        Err(Error::NotFound) => return not_found_page(),
        Err(err) => return internal(err),
    };
    let notice = (event.status == EventStatus::Cancelled).then(|| {
        "This event is cancelled; it stays listed, marked cancelled, and can no longer be changed.".to_owned()
    });
    event_form(
        state,
        &managed.group,
        Editing::Existing(&event),
        &EventEntered::of_event(&event),
        None,
        notice,
        StatusCode::OK,
    )
}

/// `POST /groups/{slug}/manage/events/{id}`: changes it through
/// `events::update_event`.
#[handler]
pub async fn edit_event(
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let path = format!("{}/events/{id}", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let event = match event_of_group(state, &managed, &id).await {
        Ok(event) => event,
        Err(Error::NotFound) => return not_found_page(),
        Err(err) => return internal(err),
    };
    let group = &managed.group;
    let entered = EventEntered::from_fields(&fields);
    let now = state.clock.now();
    let (new, problems) = entered.read(group, now);
    let again = |refused: Option<&Error>, notice: Option<String>, status: StatusCode| {
        event_form(
            state,
            group,
            Editing::Existing(&event),
            &entered,
            refused,
            notice,
            status,
        )
    };
    if let Some(invalid) = problems_at_once(&new, group, problems) {
        return again(Some(&invalid), None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let changes = EventChanges {
        title: Some(new.title),
        description: Some(new.description),
        starts_at: Some(new.starts_at),
        ends_at: Some(new.ends_at),
        timezone: None,
        venue: Some(new.venue),
        address: Some(new.address),
        online_url: Some(new.online_url),
        venue_visibility: Some(new.venue_visibility),
        town: Some(new.town),
        postcode_area: Some(new.postcode_area),
        kind: Some(new.kind),
        topic_id: None,
        visibility: Some(new.visibility),
        capacity: Some(new.capacity),
    };
    let viewer = &managed.viewer;
    match in_work(&state.db, async |work| {
        events::update_event(work, viewer, event.id, changes, now).await
    })
    .await
    {
        Ok(_) => see_other(&format!("{}/events", base(&group.slug)), None),
        // A field the form does not show (a cancelled event's `id`) is said
        // at the top.
        Err(err @ Error::Validation(_)) => again(Some(&err), None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(err) => match in_words(&err) {
            Some((status, words)) => again(None, Some(words), status),
            None => failed(err),
        },
    }
}

/// `POST /groups/{slug}/manage/events/{id}/cancel`: cancels it through
/// `events::cancel_event`; it stays listed, marked cancelled, and
/// subscribed calendars strike it.
#[handler]
pub async fn cancel_event(
    req: &Request,
    Path((slug, id)): Path<(String, String)>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    if let Err(refused) = read_form(req, state, body).await {
        return refused;
    }
    let path = format!("{}/events/{id}", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let event = match event_of_group(state, &managed, &id).await {
        Ok(event) => event,
        Err(Error::NotFound) => return not_found_page(),
        Err(err) => return internal(err),
    };
    let now = state.clock.now();
    let viewer = &managed.viewer;
    match in_work(&state.db, async |work| {
        events::cancel_event(work, viewer, event.id, now).await
    })
    .await
    {
        Ok(_) => see_other(&format!("{}/events", base(&managed.group.slug)), None),
        Err(err) => match in_words(&err) {
            Some((status, words)) => event_form(
                state,
                &managed.group,
                Editing::Existing(&event),
                &EventEntered::of_event(&event),
                None,
                Some(words),
                status,
            ),
            None => failed(err),
        },
    }
}

// ---------------------------------------------------------------------
// The group's public profile

#[derive(Template)]
#[template(path = "manage_profile.html")]
struct ProfilePage {
    nav: Nav,
    shell: Shell,
    action: String,
    csrf_token: String,
    summary: Vec<(String, String)>,
    notice: Option<String>,
    saved: bool,
    name: Field,
    description: Field,
    contact_email: Field,
    region: Field,
    /// Coordinators and admins change the region; organisers see it.
    region_editable: bool,
}

const PROFILE_FIELDS: [(&str, &str); 4] = [
    ("name", "The group's name"),
    ("region", "Region"),
    ("contactEmail", "The contact address"),
    ("description", "The description"),
];

#[derive(Default)]
struct ProfileEntered {
    name: String,
    description: String,
    contact_email: String,
    region: String,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

fn profile_form(
    state: &AppState,
    managed: &Managed,
    entered: &ProfileEntered,
    refused: Option<&Error>,
    notice: Option<String>,
    saved: bool,
    status: StatusCode,
) -> Response {
    let group = &managed.group;
    let (keyed, summary) = refused
        .map(|err| field_problems(err, &PROFILE_FIELDS))
        .unwrap_or_default();
    let field = |name: &str, value: &str| Field {
        value: value.to_owned(),
        error: keyed.get(name).cloned(),
    };
    let csrf_token = match token(state) {
        Ok(token) => token,
        Err(err) => return internal(err),
    };
    let view = ProfilePage {
        nav: Nav::at(Place::Groups),
        shell: Shell::of(group, Tab::Profile),
        action: format!("{}/profile", base(&group.slug)),
        csrf_token: csrf_token.clone(),
        summary,
        notice,
        saved,
        name: field("name", &entered.name),
        description: field("description", &entered.description),
        contact_email: field("contactEmail", &entered.contact_email),
        region: field("region", &entered.region),
        region_editable: groups::may_change_region(&managed.viewer, group.id),
    };
    private_page(state, &group.slug, status, &view, &csrf_token)
}

/// `GET /groups/{slug}/manage/profile`
#[handler]
pub async fn profile_page(
    req: &Request,
    Path(slug): Path<String>,
    Query(query): Query<SavedQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let path = format!("{}/profile", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let group = &managed.group;
    let entered = ProfileEntered {
        name: group.name.clone(),
        description: group.description.clone(),
        contact_email: group.contact_email.clone().unwrap_or_default(),
        region: group.region.clone(),
    };
    profile_form(
        state,
        &managed,
        &entered,
        None,
        None,
        query.saved.is_some(),
        StatusCode::OK,
    )
}

/// `POST /groups/{slug}/manage/profile`: through `groups::update_group`.
#[handler]
pub async fn save_profile(
    req: &Request,
    Path(slug): Path<String>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let path = format!("{}/profile", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let region_editable = groups::may_change_region(&managed.viewer, managed.group.id);
    let entered = ProfileEntered {
        name: field("name"),
        description: field("description"),
        contact_email: field("contactEmail"),
        // The region is not the organisers' to change: what the page shows.
        region: if region_editable {
            field("region")
        } else {
            managed.group.region.clone()
        },
    };
    let contact = entered.contact_email.trim();
    let changes = GroupChanges {
        name: Some(&entered.name),
        region: region_editable.then_some(entered.region.as_str()),
        description: Some(&entered.description),
        contact_email: Some((!contact.is_empty()).then_some(contact)),
    };
    let now = state.clock.now();
    match in_work(&state.db, async |work| {
        groups::update_group(work, &managed.viewer, &slug, changes, now).await
    })
    .await
    {
        Ok(_) => see_other(&format!("{path}?saved=1"), None),
        Err(err @ Error::Validation(_)) => profile_form(
            state,
            &managed,
            &entered,
            Some(&err),
            None,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(err) => match in_words(&err) {
            Some((status, words)) => profile_form(state, &managed, &entered, None, Some(words), false, status),
            None => failed(err),
        },
    }
}

// ---------------------------------------------------------------------
// The group's speaker and workshop requests

pub struct RequestRow {
    pub reference: String,
    pub kind: &'static str,
    pub topic: String,
    pub state: &'static str,
    pub submitted: String,
    pub history: Vec<HistoryRow>,
}

#[derive(Template)]
#[template(path = "manage_requests.html")]
struct RequestsPage {
    nav: Nav,
    shell: Shell,
    rows: Vec<RequestRow>,
    new_path: String,
}

/// `GET /groups/{slug}/manage/requests`: each request with where it is
/// and how it got there.
#[handler]
pub async fn requests_page(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>) -> Response {
    let path = format!("{}/requests", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    render_requests(state, &managed).await.unwrap_or_else(failed)
}

async fn render_requests(state: &AppState, managed: &Managed) -> Result<Response> {
    let Managed { viewer, group } = managed;
    let rows = requests::of_group(&state.db, viewer, group.id).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut histories = requests::history(&state.db, &ids).await?;
    let topic_names: HashMap<Uuid, String> = topics::list(&state.db, true)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let view = RequestsPage {
        nav: Nav::at(Place::Groups),
        shell: Shell::of(group, Tab::Requests),
        rows: rows
            .into_iter()
            .map(|r| RequestRow {
                kind: match r.kind {
                    entity::RequestKind::Speaker => "A speaker",
                    entity::RequestKind::Workshop => "A workshop",
                },
                topic: topic_names.get(&r.topic_id).cloned().unwrap_or_default(),
                state: state_label(r.state),
                submitted: uk_time(r.created_at),
                history: histories
                    .remove(&r.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| HistoryRow {
                        state: state_label(t.to_state),
                        at: uk_time(t.created_at),
                    })
                    .collect(),
                reference: r.reference,
            })
            .collect(),
        new_path: format!("{}/requests/new", base(&group.slug)),
    };
    let token = token(state)?;
    Ok(private_page(state, &group.slug, StatusCode::OK, &view, &token))
}

/// `GET /groups/{slug}/manage/requests/new`: the `/request` form, for the
/// group.
#[handler]
pub async fn new_request_page(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>) -> Response {
    let path = format!("{}/requests/new", base(&slug));
    match enter(req, state, &slug, &path).await {
        Ok(managed) => group_form(state, &managed.group).await,
        Err(answer) => answer,
    }
}

/// `POST /groups/{slug}/manage/requests/new`
#[handler]
pub async fn submit_request(
    req: &Request,
    Path(slug): Path<String>,
    Data(state): Data<&AppState>,
    body: Body,
) -> Response {
    let Ok(bytes) = body.into_bytes_limit(state.max_body_bytes).await else {
        return message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much to send",
            "The form was larger than muster takes. Please shorten the notes and send it again.",
        );
    };
    let csrf = url::form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == super::csrf::FIELD)
        .map(|(_, value)| value.into_owned());
    if state
        .csrf
        .check(req, &state.urls, csrf.as_deref(), state.clock.now())
        .is_err()
    {
        return message(
            StatusCode::FORBIDDEN,
            "The form could not be accepted",
            "It was open for too long, or was sent from another site. Please open the form again and send it from there; nothing was saved.",
        );
    }
    let path = format!("{}/requests/new", base(&slug));
    match enter(req, state, &slug, &path).await {
        Ok(managed) => submit_for_group(state, &managed.viewer, &managed.group, &bytes).await,
        Err(answer) => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_worded_beside_its_field_and_summarised_in_form_order() {
        let err = Error::Validation(vec![
            FieldError {
                field: "capacity".into(),
                message: "must be between 1 and 100000".into(),
            },
            FieldError {
                field: "endsAt".into(),
                message: "must be after startsAt".into(),
            },
            FieldError {
                field: "id".into(),
                message: "a cancelled event cannot be changed".into(),
            },
        ]);
        let (keyed, summary) = field_problems(&err, &EVENT_FIELDS);
        assert_eq!(keyed["endsAt"], "End must be after the start");
        assert_eq!(keyed["capacity"], "Places must be between 1 and 100000");
        let order: Vec<&str> = summary.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(order, ["endsAt", "capacity", "title"]);
        assert_eq!(summary[2].1, "A cancelled event cannot be changed");
    }

    #[test]
    fn member_cursors_round_trip() {
        let position = MemberPosition {
            created_at: DateTime::from_timestamp_micros(1_800_000_000_123_456).unwrap(),
            id: Uuid::from_u128(7),
        };
        assert_eq!(parse_cursor(&cursor(&position)), Some(position));
        assert_eq!(parse_cursor("x.y"), None);
    }
}
