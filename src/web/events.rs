//! `GET /`: the public events of the next 60 days, filtered by region,
//! group and kind with a plain GET form, and the feed of the same filter.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use chrono::Duration;
use entity::group;
use poem::{Request, Response, handler, http::StatusCode, web::Data};

use super::{
    Nav, Place, internal, page,
    view::{EventView, KINDS, Subscribe},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        events::{self, EventFilter},
        groups::{self, GroupFilter},
    },
    error::Result,
};

/// How far ahead the page looks.
const DAYS_AHEAD: i64 = 60;
/// Events on one page; the filters narrow a longer list.
const MAX_EVENTS: u64 = 200;
/// More groups than a network has; the directory and the filter list all.
pub(super) const MAX_GROUPS: u64 = 1000;

/// One choice of a filter's drop-down.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    nav: Nav,
    regions: Vec<Choice>,
    groups: Vec<Choice>,
    kinds: Vec<Choice>,
    filtered: bool,
    events: Vec<EventView>,
    more: bool,
    subscribe: Subscribe,
}

/// The page's filters, as the query string gave them (one value each).
#[derive(Default)]
struct Filters {
    region: Option<String>,
    group: Option<String>,
    kind: Option<String>,
}

impl Filters {
    fn parse(query: &str) -> Self {
        let mut filters = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key.as_ref() {
                "region" => filters.region = Some(value.to_owned()),
                "group" => filters.group = Some(value.to_lowercase()),
                "kind" => {
                    let upper = value.to_uppercase();
                    filters.kind = KINDS.iter().any(|(v, _)| *v == upper).then_some(upper);
                }
                _ => {}
            }
        }
        filters
    }

    /// The same filters as the feed's query parameters.
    fn feed_pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("group", self.group.as_deref()),
            ("region", self.region.as_deref()),
            ("kind", self.kind.as_deref()),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v)))
        .collect()
    }
}

/// All active groups, in name order.
pub(super) async fn all_groups(state: &AppState) -> Result<Vec<group::Model>> {
    Ok(
        groups::list_groups(&state.db, &GroupFilter::default(), None, MAX_GROUPS)
            .await?
            .groups,
    )
}

#[handler]
pub async fn index(req: &Request, Data(state): Data<&AppState>) -> Response {
    match render(req, state).await {
        Ok(page) => page,
        Err(err) => internal(err),
    }
}

async fn render(req: &Request, state: &AppState) -> Result<Response> {
    let filters = Filters::parse(req.uri().query().unwrap_or_default());
    let now = state.clock.now();
    let all_groups = all_groups(state).await?;
    let filter = EventFilter {
        from: Some(now),
        to: Some(now + Duration::days(DAYS_AHEAD)),
        group_slugs: filters.group.iter().cloned().collect(),
        regions: filters.region.iter().cloned().collect(),
        kinds: KINDS
            .iter()
            .filter(|(value, _)| filters.kind.as_deref() == Some(*value))
            .map(|(_, kind)| *kind)
            .collect(),
        ..EventFilter::default()
    };
    let listed = events::list_events_uncounted(&state.db, &Viewer::Anonymous, &filter, None, MAX_EVENTS, now).await?;

    let by_id: HashMap<_, _> = all_groups.iter().map(|g| (g.id, g.clone())).collect();
    let region_names: BTreeSet<&str> = all_groups.iter().map(|g| g.region.as_str()).collect();
    let regions = region_names
        .into_iter()
        .map(|region| Choice {
            value: region.to_owned(),
            label: region.to_owned(),
            selected: filters
                .region
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(region)),
        })
        .collect();
    let groups = all_groups
        .iter()
        .map(|g| Choice {
            value: g.slug.clone(),
            label: g.name.clone(),
            selected: filters.group.as_deref() == Some(g.slug.as_str()),
        })
        .collect();
    let kinds = KINDS
        .iter()
        .map(|(value, kind)| Choice {
            value: (*value).to_owned(),
            label: super::view::kind_label(*kind).to_owned(),
            selected: filters.kind.as_deref() == Some(*value),
        })
        .collect();
    let pairs = filters.feed_pairs();
    let what = if pairs.is_empty() {
        "every public event of the network".to_owned()
    } else {
        "the public events that match the filters above".to_owned()
    };
    let view = EventsPage {
        nav: Nav::at(Place::Events),
        regions,
        groups,
        kinds,
        filtered: !pairs.is_empty(),
        events: listed
            .rows
            .iter()
            .map(|e| EventView::new(e, &by_id, &state.urls))
            .collect(),
        more: listed.has_next_page,
        subscribe: Subscribe::new(state.urls.public_feed(pairs), what),
    };
    Ok(page(StatusCode::OK, &view))
}
