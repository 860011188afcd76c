//! `GET /events/{id}`: one event's page, with its calendar file, and for a
//! signed-in person their place (going, or on the waiting list) with the
//! button to take or give it up (`POST /events/{id}/rsvp`). The event is
//! loaded as the API loads it for whoever asks, so a members-only event
//! answers those who may not see it exactly what an address that names no
//! event answers: the site's "not found" page, which says nothing of
//! either.

use std::collections::HashMap;

use askama::Template;
use entity::RsvpStatus;
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
    internal, not_found_page, page, refusal,
    signin::{see_other, viewer_of},
    view::{EventView, local_when, paragraphs, summary},
};
use crate::{AppState, auth::Viewer, domain, error::Error, error::Result};

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    nav: Nav,
    description: String,
    event: EventView,
    paragraphs: Vec<String>,
    cancelled: bool,
    /// What a signed-in person sees of their own place; `None` when
    /// anonymous.
    mine: Option<MyPlace>,
    /// Places still free, when the event has a capacity.
    places_left: Option<u64>,
    /// The times on the event's own clocks and the zone's name, when they
    /// differ from UK time.
    local_when: Option<(String, String)>,
    /// A refusal of the last step, in plain words.
    error: Option<String>,
    /// Where signing in returns to.
    signin_url: String,
}

struct MyPlace {
    /// "going", "waiting" or "none".
    status: &'static str,
    /// Where they stand on the waiting list (1 is next).
    position: Option<u64>,
    csrf_token: String,
    action: String,
}

#[handler]
pub async fn event_page(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    let viewer = match viewer_of(req, state).await {
        Ok(viewer) => viewer,
        Err(err) => return internal(err),
    };
    answer(render(id, state, &viewer, StatusCode::OK, None).await)
}

fn answer(rendered: Result<Response>) -> Response {
    match rendered {
        Ok(page) => page,
        Err(Error::NotFound) => not_found_page(),
        Err(err) => internal(err),
    }
}

/// `POST /events/{id}/rsvp` with `action=going` or `action=cancel`: then
/// back to the event's page, or the page again with the refusal.
#[handler]
pub async fn rsvp(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>, body: Body) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let viewer = match viewer_of(req, state).await {
        Ok(viewer) => viewer,
        Err(err) => return internal(err),
    };
    let page_path = format!("/events/{id}");
    if viewer.user_id().is_none() {
        return see_other(&format!("/signin?next={page_path}"), None);
    }
    let now = state.clock.now();
    let going = fields.get("action").map(String::as_str) != Some("cancel");
    let done = domain::in_work(&state.db, async |work| {
        if going {
            domain::rsvps::rsvp(work, &viewer, id, now).await.map(|_| ())
        } else {
            domain::rsvps::cancel_rsvp(work, &viewer, id, now).await
        }
    })
    .await;
    // A refusal is a sentence on the page the person was on.
    let words = match done {
        Ok(()) => return see_other(&page_path, None),
        Err(err) => match refusal::in_words(&err) {
            Some(words) => words,
            None => return answer(Err(err)),
        },
    };
    answer(render(id, state, &viewer, StatusCode::CONFLICT, Some(words)).await)
}

async fn render(
    id: Uuid,
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response> {
    let event = domain::events::get_visible(&state.db, viewer, id).await?;
    let mine = match viewer.user_id() {
        None => None,
        Some(user_id) => {
            let held = domain::rsvps::rsvps_of(&state.db, user_id, &[id]).await?;
            let (status, position) = match held.get(&id).map(|r| r.status) {
                Some(RsvpStatus::Going) => ("going", None),
                Some(RsvpStatus::Waitlisted) => {
                    let positions = domain::rsvps::waiting_positions(&state.db, user_id, &[id]).await?;
                    ("waiting", positions.get(&id).copied())
                }
                _ => ("none", None),
            };
            Some(MyPlace {
                status,
                position,
                csrf_token: state.csrf.issue(state.clock.now())?,
                action: format!("/events/{id}/rsvp"),
            })
        }
    };
    let group = match event.group_id {
        Some(group_id) => domain::groups::find_by_id(&state.db, group_id).await?,
        None => None,
    };
    let places_left = match event.capacity {
        Some(capacity) => {
            let live = domain::rsvps::going_counts(&state.db, &[id]).await?;
            let going = domain::rsvps::going(&event, live.get(&id).copied().unwrap_or(0));
            Some((capacity.max(0) as u64).saturating_sub(going))
        }
        None => None,
    };
    let groups: HashMap<_, _> = group.into_iter().map(|g| (g.id, g)).collect();
    // The page is the reader's own when signed in (never stored by a
    // cache, below), so it may show them the venue kept for those going.
    let access = domain::venues::VenueAccess::for_events(&state.db, viewer, [(&event).into()]).await?;
    let view = EventView::showing(&event, access.shown(&event), &groups, &state.urls);
    let description = summary(&event.description).unwrap_or_else(|| {
        let by = view
            .group_name
            .as_deref()
            .map(|g| format!(" by {g}"))
            .unwrap_or_default();
        format!("{}{by}, {} (UK time).", view.kind, view.when)
    });
    let token = mine.as_ref().map(|m| m.csrf_token.clone());
    let mut response = page(
        status,
        &EventPage {
            nav: Nav::at(Place::Events),
            description,
            paragraphs: paragraphs(&event.description),
            cancelled: event.status == entity::EventStatus::Cancelled,
            event: view,
            mine,
            places_left,
            local_when: local_when(event.starts_at, event.ends_at, &event.timezone),
            error,
            signin_url: format!("/signin?next=/events/{id}"),
        },
    );
    // A page that shows someone their own place is theirs alone.
    if let Some(token) = token {
        let path = format!("/events/{id}");
        if let Ok(value) = CsrfKey::cookie_header_at(&token, state.urls.is_secure(), &path).parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        if let Ok(value) = "private, no-store".parse() {
            response.headers_mut().insert(header::CACHE_CONTROL, value);
        }
    }
    Ok(response)
}
