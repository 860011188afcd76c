//! `GET /events/{id}`: one event's public page, with its calendar file.
//! The event is loaded as the API loads it for an anonymous viewer, so a
//! members-only event answers exactly what an address that names no event
//! answers: the site's "not found" page, which says nothing of either.

use std::collections::HashMap;

use askama::Template;
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Data, Path},
};
use uuid::Uuid;

use super::{
    Nav, internal, not_found_page, page,
    view::{EventView, paragraphs, summary},
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
}

#[handler]
pub async fn event_page(Path(id): Path<String>, Data(state): Data<&AppState>) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    match render(id, state).await {
        Ok(page) => page,
        Err(Error::NotFound) => not_found_page(),
        Err(err) => internal(err),
    }
}

async fn render(id: Uuid, state: &AppState) -> Result<Response> {
    let event = domain::events::get_visible(&state.db, &Viewer::Anonymous, id).await?;
    let group = match event.group_id {
        Some(group_id) => domain::groups::find_by_id(&state.db, group_id).await?,
        None => None,
    };
    let groups: HashMap<_, _> = group.into_iter().map(|g| (g.id, g)).collect();
    let view = EventView::new(&event, &groups, &state.urls);
    let description = summary(&event.description).unwrap_or_else(|| {
        let by = view
            .group_name
            .as_deref()
            .map(|g| format!(" by {g}"))
            .unwrap_or_default();
        format!("{}{by}, {} (UK time).", view.kind, view.when)
    });
    Ok(page(
        StatusCode::OK,
        &EventPage {
            nav: Nav::Events,
            description,
            paragraphs: paragraphs(&event.description),
            cancelled: event.status == entity::EventStatus::Cancelled,
            event: view,
        },
    ))
}
