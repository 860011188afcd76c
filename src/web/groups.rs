//! `GET /groups`, the directory of local groups by region, and
//! `GET /groups/{slug}`, a group's public page with its calendar.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use chrono::Duration;
use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use super::{
    Nav, Place,
    events::all_groups,
    internal,
    me::{Joining, joining},
    not_found, page,
    signin::viewer_of,
    view::{EventView, Subscribe, paragraphs, summary},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        events::{self, EventFilter},
        groups,
    },
    error::Result,
};

/// How far ahead a group's page looks, and how many events it lists.
const DAYS_AHEAD: i64 = 60;
const MAX_EVENTS: u64 = 100;

pub struct GroupLink {
    pub slug: String,
    pub name: String,
}

pub struct Region {
    pub name: String,
    pub groups: Vec<GroupLink>,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct DirectoryPage {
    nav: Nav,
    regions: Vec<Region>,
    total: usize,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    nav: Nav,
    name: String,
    /// The page's `<meta name="description">`.
    summary: String,
    region: String,
    /// Paragraphs of the public description.
    description: Vec<String>,
    /// The group's public address (never a person's).
    contact_email: Option<String>,
    events: Vec<EventView>,
    subscribe: Subscribe,
    /// Joining the group, as the reader may.
    joining: Joining,
    /// The group's organisers' pages, for those who may use them.
    manage_path: Option<String>,
    /// The letters and pledges it organises: (address, title).
    letters: Vec<(String, String)>,
}

#[handler]
pub async fn directory(Data(state): Data<&AppState>) -> Response {
    match all_groups(state).await {
        Ok(all) => {
            let total = all.len();
            let mut by_region: BTreeMap<String, Vec<GroupLink>> = BTreeMap::new();
            for group in all {
                by_region.entry(group.region).or_default().push(GroupLink {
                    slug: group.slug,
                    name: group.name,
                });
            }
            let regions = by_region
                .into_iter()
                .map(|(name, groups)| Region { name, groups })
                .collect();
            page(
                StatusCode::OK,
                &DirectoryPage {
                    nav: Nav::at(Place::Groups),
                    regions,
                    total,
                },
            )
        }
        Err(err) => internal(err),
    }
}

#[handler]
pub async fn group_page(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>) -> Response {
    let viewer = match viewer_of(req, state).await {
        Ok(viewer) => viewer,
        Err(err) => return internal(err),
    };
    match render(&slug, state, &viewer).await {
        Ok(Some(page)) => page,
        Ok(None) => not_found("There is no local group at this address. The list of groups has every one."),
        Err(err) => internal(err),
    }
}

async fn render(slug: &str, state: &AppState, viewer: &Viewer) -> Result<Option<Response>> {
    let Some(group) = groups::find_by_slug(&state.db, slug).await? else {
        return Ok(None);
    };
    let (joining, csrf_cookie) = joining(state, viewer, &group.slug).await?;
    let now = state.clock.now();
    let filter = EventFilter {
        from: Some(now),
        to: Some(now + Duration::days(DAYS_AHEAD)),
        group_slugs: vec![group.slug.clone()],
        ..EventFilter::default()
    };
    let listed = events::list_events_uncounted(&state.db, &Viewer::Anonymous, &filter, None, MAX_EVENTS, now).await?;
    let groups_by_id = HashMap::from([(group.id, group.clone())]);
    let description = paragraphs(&group.description);
    let summary = summary(&group.description).unwrap_or_else(|| {
        format!(
            "{}, a local group in {}: its upcoming events and calendar.",
            group.name, group.region
        )
    });
    let view = GroupPage {
        nav: Nav::at(Place::Groups),
        subscribe: Subscribe::new(
            state.urls.group_feed(&group.slug),
            format!("the public events of {}", group.name),
        ),
        events: listed
            .rows
            .iter()
            .map(|e| EventView::new(e, &groups_by_id, &state.urls))
            .collect(),
        description,
        summary,
        manage_path: groups::may_manage(viewer, group.id).then(|| format!("/groups/{}/manage", group.slug)),
        letters: super::letters::of_group(state, group.id).await?,
        contact_email: group.contact_email,
        region: group.region,
        name: group.name,
        joining,
    };
    let mut response = page(StatusCode::OK, &view);
    // What a signed-in reader sees of their own membership is theirs alone.
    if viewer.user_id().is_some() {
        if let Some(value) = csrf_cookie.and_then(|c| c.parse().ok()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        if let Ok(value) = "private, no-store".parse() {
            response.headers_mut().insert(header::CACHE_CONTROL, value);
        }
    }
    Ok(Some(response))
}
