//! `/offers`, the trainers' area, made for a phone between shifts: the
//! offers waiting for an answer, each with the request's topic, place,
//! audience and preferred windows, and the trainer's own calendar in those
//! weeks beside them; accepting with a slot inside a window (the topic's
//! typical length pre-filled) or declining with a reason; the engagements
//! ahead and behind; and their profile with the away periods they add and
//! remove.
//!
//! Every page and step calls the same domain functions as the API
//! (`requests::offers`, `trainers`), which decide who may do what: anonymous
//! visitors are sent to sign in, anyone signed in without a trainer profile
//! gets the 403 page in words, and another trainer's offer is not found. A
//! refusal (a clash, a slot outside the windows) is a sentence on the page,
//! beside the offer, with what was typed kept and nothing written.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Europe::London;
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};
use uuid::Uuid;

use super::{
    Nav, Place,
    account::read_form,
    csrf::CsrfKey,
    internal, message, not_found_page, page, refusal,
    signin::{see_other, viewer_of},
    view::{uk_time_entered, when},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        in_work,
        requests::{
            Span,
            offers::{self, Booked, TrainerArea},
        },
        trainers::{self, NewAwayPeriod},
    },
    error::{Error, Result},
};

const BASE: &str = "/offers";
/// Recorded as the operation of what these pages change.
const OPERATION: &str = "offersPage";

fn to_sign_in() -> Response {
    see_other(&format!("/signin?next={BASE}"), None)
}

fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "These pages are for the network's trainers",
        "Only people with a trainer profile answer offers here. If you train for the network, ask a coordinator to set up your trainer profile.",
    )
}

/// The signed-in viewer, or the answer for someone not signed in.
async fn signed_in(req: &Request, state: &AppState) -> Result<Viewer, Response> {
    let viewer = viewer_of(req, state).await.map_err(internal)?;
    if viewer.user_id().is_none() {
        return Err(to_sign_in());
    }
    Ok(viewer)
}

fn failed(err: Error) -> Response {
    match err {
        Error::NotFound => not_found_page(),
        Error::Forbidden => forbidden(),
        Error::Unauthenticated => to_sign_in(),
        err => internal(err),
    }
}

/// A `datetime-local` value in UK time.
fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&London).format("%Y-%m-%dT%H:%M").to_string()
}

pub struct WindowView {
    pub when: String,
}

pub struct OfferView {
    pub id: String,
    pub topic: String,
    pub what: &'static str,
    pub reference: String,
    pub asked_by: String,
    pub place: String,
    pub audience: Option<i32>,
    pub notes: String,
    pub windows: Vec<WindowView>,
    pub typical_minutes: i64,
    /// The slot form's values, pre-filled with the first window's start
    /// and the topic's typical length, or as typed.
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
    /// A refusal of the last step on this offer, in words.
    pub error: Option<String>,
    pub slot_error: Option<String>,
    pub reason_error: Option<String>,
}

pub struct BookedView {
    pub when: String,
    pub what: String,
    pub away: bool,
}

pub struct EngagementView {
    pub topic: String,
    pub when: String,
    pub place: String,
    pub asked_by: String,
    pub state: &'static str,
    pub attendance: Option<i32>,
}

pub struct AwayView {
    pub id: String,
    pub when: String,
    pub note: String,
}

#[derive(Default)]
struct AwayForm {
    starts_at: String,
    ends_at: String,
    note: String,
    error: Option<String>,
    starts_error: Option<String>,
    ends_error: Option<String>,
}

#[derive(Template)]
#[template(path = "offers.html")]
struct OffersPage {
    nav: Nav,
    csrf_token: String,
    notice: Option<&'static str>,
    offers: Vec<OfferView>,
    calendar_weeks: Option<String>,
    calendar: Vec<BookedView>,
    upcoming: Vec<EngagementView>,
    past: Vec<EngagementView>,
    topics: Vec<String>,
    regions: Vec<String>,
    monthly_cap: i32,
    away: Vec<AwayView>,
    away_form: AwayForm,
    profile_form: ProfileForm,
}

pub struct TopicChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

/// The profile form: as stored, or as typed when refused.
#[derive(Default)]
struct ProfileForm {
    topics: Vec<TopicChoice>,
    regions: String,
    monthly_cap: String,
    error: Option<String>,
    regions_error: Option<String>,
    cap_error: Option<String>,
    topics_error: Option<String>,
}

/// What a failed step leaves on the page.
#[derive(Default)]
struct Outcome {
    notice: Option<&'static str>,
    /// The offer a refusal belongs to, with what was typed.
    offer: Option<(Uuid, OfferEntered, Error)>,
    away: Option<AwayForm>,
    /// The profile form as typed (topics chosen, regions, cap) and why it
    /// was refused.
    profile: Option<(Vec<Uuid>, String, String, Error)>,
}

#[derive(Default)]
struct OfferEntered {
    starts_at: String,
    ends_at: String,
    reason: String,
}

fn place_of(request: &entity::request::Model) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if request.online {
        parts.push("Online");
    }
    for part in [&request.town, &request.postcode_area, &request.region]
        .into_iter()
        .flatten()
    {
        if !part.trim().is_empty() {
            parts.push(part);
        }
    }
    if parts.is_empty() {
        "Not said yet".to_owned()
    } else {
        parts.join(", ")
    }
}

fn asked_by(request: &entity::request::Model, group_name: Option<&String>) -> String {
    group_name
        .cloned()
        .or_else(|| request.organisation_name.clone())
        .unwrap_or_else(|| "An outside organisation".to_owned())
}

fn what(kind: entity::RequestKind) -> &'static str {
    match kind {
        entity::RequestKind::Workshop => "Workshop",
        entity::RequestKind::Speaker => "Talk",
    }
}

fn state_word(state: entity::RequestState) -> &'static str {
    match state {
        entity::RequestState::Delivered => "Delivered",
        entity::RequestState::Confirmed => "Confirmed",
        _ => "Changed",
    }
}

fn render(state: &AppState, area: TrainerArea, outcome: Outcome, status: StatusCode) -> Result<Response> {
    let Outcome {
        notice,
        offer,
        away,
        profile,
    } = outcome;
    let profile_form = match profile {
        None => ProfileForm {
            topics: area
                .catalogue
                .iter()
                .map(|t| TopicChoice {
                    id: t.id.to_string(),
                    name: t.name.clone(),
                    checked: area.topics.iter().any(|c| c.id == t.id),
                })
                .collect(),
            regions: area.regions.join(", "),
            monthly_cap: area.profile.monthly_cap.to_string(),
            ..ProfileForm::default()
        },
        Some((chosen, regions, monthly_cap, err)) => {
            let fields = refusal::by_field(&err);
            ProfileForm {
                topics: area
                    .catalogue
                    .iter()
                    .map(|t| TopicChoice {
                        id: t.id.to_string(),
                        name: t.name.clone(),
                        checked: chosen.contains(&t.id),
                    })
                    .collect(),
                regions,
                monthly_cap,
                error: refusal::in_words(&err),
                regions_error: fields.get("regions").cloned(),
                cap_error: fields.get("monthlyCap").cloned(),
                topics_error: fields.get("topicIds").cloned(),
            }
        }
    };
    let now = state.clock.now();
    let next_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now) + Duration::hours(1);
    let offers = area
        .offers
        .iter()
        .map(|o| {
            // The first time still ahead in a window: a window may have
            // begun already, and a slot must start in the future.
            let first = o
                .windows
                .iter()
                .find(|w| w.ends_at > next_hour)
                .map(|w| Ord::max(w.starts_at, next_hour));
            let typical = o.typical_length;
            let mut view = OfferView {
                id: o.assignment.id.to_string(),
                topic: o.topic.name.clone(),
                what: what(o.request.kind),
                reference: o.request.reference.clone(),
                asked_by: asked_by(&o.request, o.group_name.as_ref()),
                place: place_of(&o.request),
                audience: o.request.expected_audience,
                notes: o.request.notes.clone(),
                windows: o
                    .windows
                    .iter()
                    .map(|w| WindowView {
                        when: when(w.starts_at, w.ends_at),
                    })
                    .collect(),
                typical_minutes: typical.num_minutes(),
                starts_at: first.map(local).unwrap_or_default(),
                ends_at: first.map(|s| local(s + typical)).unwrap_or_default(),
                reason: String::new(),
                error: None,
                slot_error: None,
                reason_error: None,
            };
            if let Some((id, entered, err)) = &offer
                && *id == o.assignment.id
            {
                view.starts_at.clone_from(&entered.starts_at);
                view.ends_at.clone_from(&entered.ends_at);
                view.reason.clone_from(&entered.reason);
                let fields = refusal::by_field(err);
                view.slot_error = fields.get("slot").cloned();
                view.reason_error = fields.get("reason").or_else(|| fields.get("note")).cloned();
                view.error = match err {
                    // Said to the trainer themself, not about them.
                    Error::TrainerUnavailable { message, .. } => Some(format!(
                        "That time does not work: {}.",
                        message.trim().trim_end_matches('.')
                    )),
                    err => refusal::in_words(err),
                };
            }
            view
        })
        .collect();
    let engagement = |e: &offers::Engagement| EngagementView {
        topic: e.topic.name.clone(),
        when: when(e.assignment.starts_at, e.assignment.ends_at),
        place: place_of(&e.request),
        asked_by: asked_by(&e.request, e.group_name.as_ref()),
        state: state_word(e.request.state),
        attendance: e.request.attendance,
    };
    let csrf_token = state.csrf.issue(state.clock.now())?;
    let view = OffersPage {
        nav: Nav::at(Place::Offers),
        csrf_token: csrf_token.clone(),
        notice,
        offers,
        calendar_weeks: area
            .calendar_weeks
            .map(|w| when(w.starts_at, w.ends_at - Duration::seconds(1))),
        calendar: area
            .calendar
            .iter()
            .map(|(span, booked)| BookedView {
                when: when(span.starts_at, span.ends_at),
                what: match booked {
                    Booked::Engagement(topic) => topic.clone(),
                    Booked::Away(note) => note.clone().map_or_else(|| "Away".to_owned(), |n| format!("Away: {n}")),
                },
                away: matches!(booked, Booked::Away(_)),
            })
            .collect(),
        upcoming: area.upcoming.iter().map(engagement).collect(),
        past: area.past.iter().map(engagement).collect(),
        topics: area.topics.iter().map(|t| t.name.clone()).collect(),
        regions: area.regions.clone(),
        monthly_cap: area.profile.monthly_cap,
        away: area
            .away
            .iter()
            .map(|p| AwayView {
                id: p.id.to_string(),
                when: when(p.starts_at, p.ends_at),
                note: p.note.clone().unwrap_or_default(),
            })
            .collect(),
        away_form: away.unwrap_or_default(),
        profile_form,
    };
    let mut response = page(status, &view);
    let cookie = CsrfKey::cookie_header_at(&csrf_token, state.urls.is_secure(), BASE);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Ok(value) = "private, no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    Ok(response)
}

async fn show(state: &AppState, viewer: &Viewer, outcome: Outcome, status: StatusCode) -> Response {
    match offers::trainer_area(&state.db, viewer, state.clock.now()).await {
        Ok(area) => render(state, area, outcome, status).unwrap_or_else(internal),
        Err(err) => failed(err),
    }
}

/// `GET /offers`.
#[handler]
pub async fn offers_page(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match signed_in(req, state).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let notice = match req.uri().query() {
        Some("done=accepted") => Some("Accepted: the engagement is in your calendar."),
        Some("done=declined") => Some("Declined: the coordinators will ask someone else."),
        Some("done=away") => Some("Saved."),
        Some("done=profile") => Some("Your profile is saved."),
        _ => None,
    };
    show(
        state,
        &viewer,
        Outcome {
            notice,
            ..Outcome::default()
        },
        StatusCode::OK,
    )
    .await
}

/// The form's fields and the signed-in viewer, or the answer already due.
async fn form_and_viewer(
    req: &Request,
    state: &AppState,
    body: Body,
) -> Result<(HashMap<String, String>, Viewer), Response> {
    let fields = read_form(req, state, body).await?;
    let viewer = signed_in(req, state).await?;
    Ok((fields, viewer))
}

fn refusal_status(err: &Error) -> Option<StatusCode> {
    refusal::in_words(err).map(|_| refusal::status(err))
}

/// `POST /offers/{id}/accept` with `startsAt` and `endsAt` in UK time.
#[handler]
pub async fn accept(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match form_and_viewer(req, state, body).await {
        Ok(got) => got,
        Err(answer) => return answer,
    };
    let Ok(id) = Uuid::parse_str(id.trim()) else {
        return not_found_page();
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let entered = OfferEntered {
        starts_at: field("startsAt"),
        ends_at: field("endsAt"),
        reason: String::new(),
    };
    let now = state.clock.now();
    let slot = match (uk_time_entered(&entered.starts_at), uk_time_entered(&entered.ends_at)) {
        (Ok(starts_at), Ok(ends_at)) => Ok(Span::new(starts_at, ends_at)),
        (Err(why), _) => Err(Error::validation("slot", format!("the start {why}"))),
        (_, Err(why)) => Err(Error::validation("slot", format!("the end {why}"))),
    };
    let done = match slot {
        Ok(slot) => {
            in_work(&state.db, async |work| {
                offers::accept_offer(work, &viewer, id, slot, now).await
            })
            .await
        }
        Err(err) => Err(err),
    };
    answer_step(state, &viewer, id, entered, done, "accepted").await
}

/// `POST /offers/{id}/decline` with `reason`.
#[handler]
pub async fn decline(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match form_and_viewer(req, state, body).await {
        Ok(got) => got,
        Err(answer) => return answer,
    };
    let Ok(id) = Uuid::parse_str(id.trim()) else {
        return not_found_page();
    };
    let entered = OfferEntered {
        reason: fields.get("reason").cloned().unwrap_or_default(),
        ..OfferEntered::default()
    };
    let now = state.clock.now();
    let reason = entered.reason.clone();
    let done = in_work(&state.db, async |work| {
        offers::decline_offer(work, &viewer, id, &reason, now).await
    })
    .await;
    answer_step(state, &viewer, id, entered, done, "declined").await
}

async fn answer_step<T>(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    entered: OfferEntered,
    done: Result<T>,
    what: &str,
) -> Response {
    match done {
        Ok(_) => see_other(&format!("{BASE}?done={what}"), None),
        Err(err) => match refusal_status(&err) {
            Some(status) if !matches!(err, Error::Forbidden) => {
                let outcome = Outcome {
                    offer: Some((id, entered, err)),
                    ..Outcome::default()
                };
                show(state, viewer, outcome, status).await
            }
            // Another trainer's offer, or one that is gone: not found.
            _ if matches!(err, Error::Forbidden) => not_found_page(),
            _ => failed(err),
        },
    }
}

/// `POST /offers/away` with `startsAt`, `endsAt` (UK time) and `note`.
#[handler]
pub async fn add_away(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match form_and_viewer(req, state, body).await {
        Ok(got) => got,
        Err(answer) => return answer,
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let mut form = AwayForm {
        starts_at: field("startsAt"),
        ends_at: field("endsAt"),
        note: field("note"),
        ..AwayForm::default()
    };
    let now = state.clock.now();
    let starts_at = uk_time_entered(&form.starts_at);
    let ends_at = uk_time_entered(&form.ends_at);
    let done = match (starts_at, ends_at) {
        (Ok(starts_at), Ok(ends_at)) => {
            let note = Some(form.note.as_str()).filter(|n| !n.trim().is_empty());
            let period = NewAwayPeriod {
                starts_at,
                ends_at,
                note,
            };
            in_work(&state.db, async |work| {
                trainers::add_unavailability(work, &viewer, None, period, OPERATION, now).await
            })
            .await
            .map(drop)
        }
        (starts, ends) => {
            form.starts_error = starts.err().map(str::to_owned);
            form.ends_error = ends.err().map(str::to_owned);
            Err(Error::validation("startsAt", "check the dates"))
        }
    };
    match done {
        Ok(()) => see_other(&format!("{BASE}?done=away#away"), None),
        Err(Error::NotFound) => forbidden(),
        Err(err) => match refusal_status(&err) {
            Some(status) => {
                let fields = refusal::by_field(&err);
                form.starts_error = form.starts_error.or_else(|| fields.get("startsAt").cloned());
                form.ends_error = form.ends_error.or_else(|| fields.get("endsAt").cloned());
                form.error = Some(if form.starts_error.is_some() || form.ends_error.is_some() {
                    "That did not work: some answers need changing. Each is marked below.".to_owned()
                } else {
                    refusal::in_words(&err).unwrap_or_default()
                });
                let outcome = Outcome {
                    away: Some(form),
                    ..Outcome::default()
                };
                show(state, &viewer, outcome, status).await
            }
            None => failed(err),
        },
    }
}

/// `POST /offers/away/remove` with `id`.
#[handler]
pub async fn remove_away(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match form_and_viewer(req, state, body).await {
        Ok(got) => got,
        Err(answer) => return answer,
    };
    let Some(id) = fields.get("id").and_then(|id| Uuid::parse_str(id.trim()).ok()) else {
        return not_found_page();
    };
    let now = state.clock.now();
    let done = in_work(&state.db, async |work| {
        trainers::remove_unavailability(work, &viewer, id, OPERATION, now).await
    })
    .await;
    match done {
        Ok(()) => see_other(&format!("{BASE}?done=away#away"), None),
        // Someone else's period is not theirs to know of.
        Err(Error::Forbidden) => not_found_page(),
        Err(err) => failed(err),
    }
}

/// `POST /offers/profile` with `topic-{id}` for each topic covered,
/// `regions` (separated by commas) and `monthlyCap`.
#[handler]
pub async fn save_profile(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let (fields, viewer) = match form_and_viewer(req, state, body).await {
        Ok(got) => got,
        Err(answer) => return answer,
    };
    let chosen: Vec<Uuid> = fields
        .keys()
        .filter_map(|name| name.strip_prefix("topic-"))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    let regions_typed = fields.get("regions").cloned().unwrap_or_default();
    let cap_typed = fields.get("monthlyCap").cloned().unwrap_or_default();
    let regions: Vec<String> = regions_typed
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let now = state.clock.now();
    let done = match cap_typed.trim().parse::<i32>() {
        Ok(monthly_cap) => {
            let input = trainers::ProfileInput {
                topic_ids: chosen.clone(),
                regions,
                monthly_cap,
            };
            in_work(&state.db, async |work| {
                trainers::set_profile(work, &viewer, None, input, OPERATION, now).await
            })
            .await
            .map(drop)
        }
        Err(_) => Err(Error::validation("monthlyCap", "must be a whole number, such as 4")),
    };
    match done {
        Ok(()) => see_other(&format!("{BASE}?done=profile#profile-heading"), None),
        Err(err) => match refusal_status(&err) {
            Some(status) => {
                let outcome = Outcome {
                    profile: Some((chosen, regions_typed, cap_typed, err)),
                    ..Outcome::default()
                };
                show(state, &viewer, outcome, status).await
            }
            None => failed(err),
        },
    }
}
