//! `/request`: the form with which an outside organisation asks for a
//! speaker or a workshop, and `/request/{reference}`, where it follows the
//! request afterwards.
//!
//! The form has no login, so at `/request` it is for outside organisations
//! only. A group's organisers ask for their group with the same form on
//! the group's organisers' pages ([`group_form`], [`submit_for_group`]),
//! signed in, without the organisation and contact fields: the group's
//! request is followed by its organisers' accounts. Both go through the same `domain::requests::submit` as `submitRequest`,
//! under the same per-address limit (the very same limiter), and the
//! status page shows what `requestStatus` shows: no one's personal data.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use entity::{RequestKind, RequestState, group};
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use super::{
    Nav, Place,
    csrf::{self, CsrfKey},
    events::all_groups,
    internal, message, not_found, page, refusal,
    view::{uk_time, when},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        in_work,
        requests::{self, NewRequest, Span},
        topics,
    },
    error::{Error, Result},
    rate_limit::ClientAddress,
};

/// Who the form asks for.
#[derive(Clone, Copy)]
pub(super) enum Asker<'a> {
    /// An outside organisation, at `/request`, without signing in.
    Outside,
    /// A local group, by one of its organisers (or staff), signed in.
    Group(&'a group::Model),
}

impl Asker<'_> {
    fn action(self) -> String {
        match self {
            Self::Outside => "/request".to_owned(),
            Self::Group(group) => format!("/groups/{}/manage/requests/new", group.slug),
        }
    }

    /// The path the anti-forgery cookie is scoped to.
    fn cookie_path(self) -> String {
        match self {
            Self::Outside => "/request".to_owned(),
            Self::Group(group) => format!("/groups/{}/manage", group.slug),
        }
    }
}

/// The group a group's form is for, as the form shows it.
pub struct GroupAsking {
    pub name: String,
    pub region: String,
    pub requests_path: String,
}

/// Preferred windows the form offers; the first is required.
const WINDOWS: usize = 3;

/// A form field: what was entered, and what is wrong with it.
#[derive(Default, Clone)]
pub struct Field {
    pub value: String,
    pub error: Option<String>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct WindowFields {
    pub number: usize,
    pub from: Field,
    pub to: Field,
}

/// The form as entered, field by field.
#[derive(Clone)]
struct Entered {
    kind: String,
    topic: String,
    organisation_name: String,
    contact_name: String,
    contact_email: String,
    windows: [(String, String); WINDOWS],
    online: bool,
    town: String,
    postcode_area: String,
    region: String,
    expected_audience: String,
    notes: String,
    public_event: bool,
    csrf: Option<String>,
}

impl Default for Entered {
    fn default() -> Self {
        Self {
            kind: "WORKSHOP".into(),
            topic: String::new(),
            organisation_name: String::new(),
            contact_name: String::new(),
            contact_email: String::new(),
            windows: Default::default(),
            online: false,
            town: String::new(),
            postcode_area: String::new(),
            region: String::new(),
            expected_audience: String::new(),
            notes: String::new(),
            public_event: true,
            csrf: None,
        }
    }
}

impl Entered {
    fn parse(body: &[u8]) -> Self {
        let mut entered = Self {
            public_event: false,
            ..Self::default()
        };
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "kind" => entered.kind = value,
                "topicId" => entered.topic = value,
                "organisationName" => entered.organisation_name = value,
                "contactName" => entered.contact_name = value,
                "contactEmail" => entered.contact_email = value,
                "online" => entered.online = true,
                "town" => entered.town = value,
                "postcodeArea" => entered.postcode_area = value,
                "region" => entered.region = value,
                "expectedAudience" => entered.expected_audience = value,
                "notes" => entered.notes = value,
                "publicEvent" => entered.public_event = true,
                csrf::FIELD => entered.csrf = Some(value),
                other => {
                    // window1From … window3To
                    if let Some(rest) = other.strip_prefix("window")
                        && let Some((n, end)) = rest.split_at_checked(1)
                        && let Ok(n) = n.parse::<usize>()
                        && (1..=WINDOWS).contains(&n)
                    {
                        match end {
                            "From" => entered.windows[n - 1].0 = value,
                            "To" => entered.windows[n - 1].1 = value,
                            _ => {}
                        }
                    }
                }
            }
        }
        entered
    }

    /// The request the form describes, or what is wrong with it, by field:
    /// what the form itself cannot read (a kind, a date), then whatever the
    /// domain finds in the rest, so a person sees every problem at once.
    fn to_request(&self, asker: Asker<'_>, now: DateTime<Utc>) -> Result<NewRequest, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let kind = match self.kind.as_str() {
            "SPEAKER" => Some(RequestKind::Speaker),
            "WORKSHOP" => Some(RequestKind::Workshop),
            _ => {
                errors.push(("kind".into(), "choose a speaker or a workshop".into()));
                None
            }
        };
        let topic_id = match uuid::Uuid::parse_str(self.topic.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.push(("topicId".into(), "choose a topic".into()));
                None
            }
        };
        let mut windows = Vec::new();
        for (from, to) in &self.windows {
            match (from.trim(), to.trim()) {
                ("", "") => {}
                (_, "") | ("", _) => errors.push((
                    "preferredWindows".into(),
                    "give both the earliest start and the latest finish of each window".into(),
                )),
                (from, to) => match (uk_instant(from), uk_instant(to)) {
                    (Some(from), Some(to)) => windows.push(Span::new(from, to)),
                    _ => errors.push((
                        "preferredWindows".into(),
                        "give each date and time as on a calendar, e.g. 2026-09-15 18:30".into(),
                    )),
                },
            }
        }
        if windows.is_empty() && !errors.iter().any(|(f, _)| f == "preferredWindows") {
            errors.push(("preferredWindows".into(), "give at least one preferred window".into()));
        }
        let expected_audience = match self.expected_audience.trim() {
            "" => None,
            raw => match raw.parse::<i32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(("expectedAudience".into(), "must be a whole number".into()));
                    None
                }
            },
        };
        let optional = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        let group = match asker {
            Asker::Outside => None,
            Asker::Group(group) => Some(group),
        };
        // A group's request has no organisation or contact of its own.
        let outside = |value: &str| group.is_none().then(|| value.to_owned());
        let new = NewRequest {
            kind: kind.unwrap_or(RequestKind::Workshop),
            topic_id: topic_id.unwrap_or_default(),
            group_slug: group.map(|g| g.slug.clone()),
            organisation_name: outside(&self.organisation_name),
            contact_name: outside(&self.contact_name),
            contact_email: outside(&self.contact_email),
            windows,
            online: self.online,
            town: optional(&self.town),
            postcode_area: optional(&self.postcode_area),
            region: outside(&self.region).and_then(|r| optional(&r)),
            expected_audience,
            notes: self.notes.clone(),
            public_event: self.public_event,
        };
        if errors.is_empty() {
            return Ok(new);
        }
        if let Err(Error::Validation(found)) = requests::check_details(&new, group, now) {
            for found in found {
                if !errors.iter().any(|(field, _)| *field == found.field) {
                    errors.push((found.field, found.message));
                }
            }
        }
        Err(errors)
    }
}

/// A date and time as a `datetime-local` input sends it (or typed by hand
/// where the browser shows a text box), in UK time.
fn uk_instant(raw: &str) -> Option<DateTime<Utc>> {
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())?;
    // In the hour the clocks skip there is no such time; in the hour they
    // repeat, the earlier is meant.
    London
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Template)]
#[template(path = "request_form.html")]
struct FormPage {
    nav: Nav,
    /// Where the form is sent.
    action: String,
    /// The group asking, on its organisers' pages; `None` at `/request`.
    group: Option<GroupAsking>,
    csrf_token: String,
    /// Errors in the order of the form, each with the id of its input.
    summary: Vec<(String, String)>,
    /// A problem that belongs to no one field (too many requests).
    notice: Option<String>,
    kinds: Vec<Choice>,
    topics: Vec<Choice>,
    regions: Vec<Choice>,
    organisation_name: Field,
    contact_name: Field,
    contact_email: Field,
    kind_error: Option<String>,
    topic_error: Option<String>,
    region_error: Option<String>,
    windows: Vec<WindowFields>,
    windows_error: Option<String>,
    online: bool,
    town: Field,
    postcode_area: Field,
    expected_audience: Field,
    notes: Field,
    public_event: bool,
}

/// The fields in the order the form shows them, with their input ids.
const FIELD_ORDER: [(&str, &str); 11] = [
    ("kind", "kind-workshop"),
    ("topicId", "topicId"),
    ("organisationName", "organisationName"),
    ("contactName", "contactName"),
    ("contactEmail", "contactEmail"),
    ("preferredWindows", "window1From"),
    ("town", "town"),
    ("postcodeArea", "postcodeArea"),
    ("region", "region"),
    ("expectedAudience", "expectedAudience"),
    ("notes", "notes"),
];

async fn form_page(
    state: &AppState,
    asker: Asker<'_>,
    entered: &Entered,
    errors: &[(String, String)],
    notice: Option<String>,
    csrf_token: String,
) -> Result<FormPage> {
    let mut by_field: HashMap<&str, String> = HashMap::new();
    for (field, message) in errors {
        by_field
            .entry(field.as_str())
            .and_modify(|m| {
                if !m.contains(message.as_str()) {
                    m.push_str("; ");
                    m.push_str(message);
                }
            })
            .or_insert_with(|| message.clone());
    }
    let mut summary: Vec<(String, String)> = FIELD_ORDER
        .iter()
        .filter_map(|(field, id)| by_field.get(field).map(|m| ((*id).to_owned(), m.clone())))
        .collect();
    // A field the form does not show still gets said.
    for (field, message) in errors {
        if !FIELD_ORDER.iter().any(|(f, _)| f == field) {
            summary.push(("topicId".to_owned(), format!("{field}: {message}")));
        }
    }
    let field = |name: &str, value: &str| Field {
        value: value.to_owned(),
        error: by_field.get(name).cloned(),
    };
    let topics = topics::list(&state.db, false)
        .await?
        .into_iter()
        .map(|t| Choice {
            selected: t.id.to_string() == entered.topic.trim(),
            value: t.id.to_string(),
            label: t.name,
        })
        .collect();
    let mut region_names: Vec<String> = all_groups(state).await?.into_iter().map(|g| g.region).collect();
    region_names.sort();
    region_names.dedup();
    let regions = region_names
        .into_iter()
        .map(|r| Choice {
            selected: r == entered.region,
            label: r.clone(),
            value: r,
        })
        .collect();
    let kinds = [
        ("WORKSHOP", "A workshop or training"),
        ("SPEAKER", "A speaker for our event"),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: entered.kind == value,
    })
    .collect();
    Ok(FormPage {
        nav: Nav::at(match asker {
            Asker::Outside => Place::Request,
            Asker::Group(_) => Place::Groups,
        }),
        action: asker.action(),
        group: match asker {
            Asker::Outside => None,
            Asker::Group(group) => Some(GroupAsking {
                name: group.name.clone(),
                region: group.region.clone(),
                requests_path: format!("/groups/{}/manage/requests", group.slug),
            }),
        },
        csrf_token,
        summary,
        notice,
        kinds,
        topics,
        regions,
        organisation_name: field("organisationName", &entered.organisation_name),
        contact_name: field("contactName", &entered.contact_name),
        contact_email: field("contactEmail", &entered.contact_email),
        kind_error: by_field.get("kind").cloned(),
        topic_error: by_field.get("topicId").cloned(),
        region_error: by_field.get("region").cloned(),
        windows: entered
            .windows
            .iter()
            .enumerate()
            .map(|(i, (from, to))| WindowFields {
                number: i + 1,
                from: Field {
                    value: from.clone(),
                    error: None,
                },
                to: Field {
                    value: to.clone(),
                    error: None,
                },
            })
            .collect(),
        windows_error: by_field.get("preferredWindows").cloned(),
        online: entered.online,
        town: field("town", &entered.town),
        postcode_area: field("postcodeArea", &entered.postcode_area),
        expected_audience: field("expectedAudience", &entered.expected_audience),
        notes: field("notes", &entered.notes),
        public_event: entered.public_event,
    })
}

/// Renders the form with a fresh anti-forgery token in a cookie and field.
async fn respond_with_form(
    state: &AppState,
    status: StatusCode,
    entered: &Entered,
    errors: &[(String, String)],
    notice: Option<String>,
) -> Result<Response> {
    respond_for(state, Asker::Outside, status, entered, errors, notice).await
}

async fn respond_for(
    state: &AppState,
    asker: Asker<'_>,
    status: StatusCode,
    entered: &Entered,
    errors: &[(String, String)],
    notice: Option<String>,
) -> Result<Response> {
    let token = state.csrf.issue(state.clock.now())?;
    let view = form_page(state, asker, entered, errors, notice, token.clone()).await?;
    let mut response = page(status, &view);
    let cookie = CsrfKey::cookie_header_at(&token, state.urls.is_secure(), &asker.cookie_path());
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    // A form with a token in it is never stored by a shared cache; a
    // group's form is for its organisers alone.
    let cache = match asker {
        Asker::Outside => "no-store",
        Asker::Group(_) => "private, no-store",
    };
    if let Ok(value) = cache.parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    Ok(response)
}

/// The request form for `group`, for one of its organisers: the page's
/// caller has already let the viewer in (see `manage`).
pub(super) async fn group_form(state: &AppState, group: &group::Model) -> Response {
    respond_for(
        state,
        Asker::Group(group),
        StatusCode::OK,
        &Entered::default(),
        &[],
        None,
    )
    .await
    .unwrap_or_else(internal)
}

/// Submits the group's form as `viewer`, through the same
/// `requests::submit` as the API, then on to the group's requests; or the
/// form again with every problem beside its field, or the refusal in words.
pub(super) async fn submit_for_group(state: &AppState, viewer: &Viewer, group: &group::Model, body: &[u8]) -> Response {
    let asker = Asker::Group(group);
    let entered = Entered::parse(body);
    let again = async |status: StatusCode, errors: &[(String, String)], notice: Option<String>| {
        respond_for(state, asker, status, &entered, errors, notice)
            .await
            .unwrap_or_else(internal)
    };
    let now = state.clock.now();
    let new = match entered.to_request(asker, now) {
        Ok(new) => new,
        Err(errors) => return again(StatusCode::UNPROCESSABLE_ENTITY, &errors, None).await,
    };
    match in_work(&state.db, async |work| requests::submit(work, viewer, new, now).await).await {
        Ok(_) => super::signin::see_other(&format!("/groups/{}/manage/requests", group.slug), None),
        Err(Error::Validation(found)) => {
            let errors: Vec<(String, String)> = found.into_iter().map(|f| (f.field, f.message)).collect();
            again(StatusCode::UNPROCESSABLE_ENTITY, &errors, None).await
        }
        Err(err) => match refusal::in_words(&err) {
            Some(words) => again(refusal::status(&err), &[], Some(words)).await,
            None => internal(err),
        },
    }
}

/// `GET /request`
#[handler]
pub async fn request_form(Data(state): Data<&AppState>) -> Response {
    respond_with_form(state, StatusCode::OK, &Entered::default(), &[], None)
        .await
        .unwrap_or_else(internal)
}

/// `POST /request`: checks where the form came from, spends one of the
/// address's anonymous requests (as `submitRequest` does), then submits.
#[handler]
pub async fn submit_request(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let Ok(bytes) = body.into_bytes_limit(state.max_body_bytes).await else {
        return message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much to send",
            "The form was larger than muster takes. Please shorten the notes and send it again.",
        );
    };
    let entered = Entered::parse(&bytes);
    if state
        .csrf
        .check(req, &state.urls, entered.csrf.as_deref(), state.clock.now())
        .is_err()
    {
        return message(
            StatusCode::FORBIDDEN,
            "The form could not be accepted",
            "It was open for too long, or was sent from another site. Please open the request form again and send it from there; nothing was saved.",
        );
    }
    let client = ClientAddress::of_request(req, &state.trusted_proxies);
    if let Err(Error::RateLimited { retry_after_secs }) = state.rate_limits.anonymous_requests.check(&client.key()) {
        let minutes = retry_after_secs.div_ceil(60);
        let notice = format!(
            "Too many requests have been sent from your connection in the last hour. Nothing was saved; please try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        );
        return match respond_with_form(state, StatusCode::TOO_MANY_REQUESTS, &entered, &[], Some(notice)).await {
            Ok(mut response) => {
                if let Ok(value) = retry_after_secs.to_string().parse() {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            Err(err) => internal(err),
        };
    }
    let new = match entered.to_request(Asker::Outside, state.clock.now()) {
        Ok(new) => new,
        Err(errors) => return invalid(state, &entered, &errors).await,
    };
    match in_work(&state.db, async |work| {
        requests::submit(work, &Viewer::Anonymous, new, state.clock.now()).await
    })
    .await
    {
        Ok(model) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, format!("/request/{}", model.reference))
            .finish(),
        Err(Error::Validation(found)) => {
            let errors: Vec<(String, String)> = found.into_iter().map(|f| (f.field, f.message)).collect();
            invalid(state, &entered, &errors).await
        }
        Err(err) => internal(err),
    }
}

async fn invalid(state: &AppState, entered: &Entered, errors: &[(String, String)]) -> Response {
    respond_with_form(state, StatusCode::UNPROCESSABLE_ENTITY, entered, errors, None)
        .await
        .unwrap_or_else(internal)
}

pub struct HistoryRow {
    pub state: &'static str,
    pub at: String,
}

#[derive(Template)]
#[template(path = "request_status.html")]
struct StatusPage {
    nav: Nav,
    reference: String,
    kind: &'static str,
    topic: String,
    state: &'static str,
    explanation: &'static str,
    submitted_at: String,
    history: Vec<HistoryRow>,
    scheduled: Option<String>,
    /// The public event's calendar file, while it is listed.
    ics_url: Option<String>,
}

pub(super) fn state_label(state: RequestState) -> &'static str {
    match state {
        RequestState::Submitted => "Submitted",
        RequestState::Assigned => "Trainer asked",
        RequestState::Confirmed => "Confirmed",
        RequestState::Delivered => "Delivered",
        RequestState::Declined => "Declined",
        RequestState::Withdrawn => "Withdrawn",
        RequestState::Cancelled => "Cancelled",
    }
}

fn explanation(state: RequestState) -> &'static str {
    match state {
        RequestState::Submitted => {
            "The network's coordinators have your request and will look for a trainer who covers the topic and is free in one of your windows."
        }
        RequestState::Assigned => "A trainer has been asked and is looking at their diary.",
        RequestState::Confirmed => "A trainer will deliver it at the time shown.",
        RequestState::Delivered => "This has taken place. Thank you for inviting the network.",
        RequestState::Declined => "The network cannot take this request on.",
        RequestState::Withdrawn => "This request was withdrawn.",
        RequestState::Cancelled => "This engagement was cancelled.",
    }
}

/// `GET /request/{reference}`: where a request is, limited per address as
/// `requestStatus` is.
#[handler]
pub async fn request_status(req: &Request, Path(reference): Path<String>, Data(state): Data<&AppState>) -> Response {
    let client = ClientAddress::of_request(req, &state.trusted_proxies);
    if let Err(Error::RateLimited { retry_after_secs }) = state.rate_limits.status_lookups.check(&client.key()) {
        let mut response = message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many look-ups",
            "Too many requests have been looked up from your connection in the last hour. Please try again later.",
        );
        if let Ok(value) = retry_after_secs.to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    match render_status(state, &reference).await {
        Ok(response) => response,
        Err(Error::NotFound) => not_found("No request has this reference. Check it against the one you were given."),
        Err(err) => internal(err),
    }
}

async fn render_status(state: &AppState, reference: &str) -> Result<Response> {
    let status = requests::public_status(&state.db, reference).await?;
    let view = StatusPage {
        nav: Nav::at(Place::Request),
        kind: match status.kind {
            RequestKind::Speaker => "A speaker",
            RequestKind::Workshop => "A workshop",
        },
        topic: status.topic.name,
        state: state_label(status.state),
        explanation: explanation(status.state),
        submitted_at: uk_time(status.submitted_at),
        history: status
            .history
            .into_iter()
            .map(|(to_state, at)| HistoryRow {
                state: state_label(to_state),
                at: uk_time(at),
            })
            .collect(),
        scheduled: status.scheduled.map(|s| when(s.starts_at, s.ends_at)),
        ics_url: status.public_event.map(|e| state.urls.event_ics(e.id)),
        reference: status.reference,
    };
    Ok(page(StatusCode::OK, &view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_times_are_uk_times() {
        // September: BST, one hour ahead of UTC.
        assert_eq!(
            uk_instant("2026-09-15T18:30").unwrap().to_rfc3339(),
            "2026-09-15T17:30:00+00:00"
        );
        assert_eq!(
            uk_instant("2026-12-01 09:00").unwrap().to_rfc3339(),
            "2026-12-01T09:00:00+00:00"
        );
        // 01:30 on the last Sunday of March 2027 does not exist in London.
        assert!(uk_instant("2027-03-28T01:30").is_none());
        assert!(uk_instant("15/09/2026").is_none());
    }

    #[test]
    fn the_form_is_read_field_by_field() {
        let entered = Entered::parse(
            b"kind=SPEAKER&topicId=x&organisationName=Riverside+UNISON&window2From=2026-09-15T18%3A30&window4From=z&online=on&csrf=t",
        );
        assert_eq!(entered.kind, "SPEAKER");
        assert_eq!(entered.organisation_name, "Riverside UNISON");
        assert_eq!(entered.windows[1].0, "2026-09-15T18:30");
        assert!(entered.online);
        assert!(!entered.public_event, "an unticked box is not sent");
        assert_eq!(entered.csrf.as_deref(), Some("t"));
        let errors = entered
            .to_request(Asker::Outside, Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap())
            .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["topicId", "preferredWindows", "contactName", "contactEmail"],
            "online, so no town is needed"
        );
    }
}
