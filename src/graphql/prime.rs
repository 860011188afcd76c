//! Loading a page's relations before its items ask for them.
//!
//! DataLoader batches the requests that arrive within a short window; under
//! load a page of 100 items can straddle two windows and cost extra queries.
//! List resolvers therefore look ahead at what the query selects and load
//! each selected relation for the whole page in one query; the request's
//! loader caches the results, so every item then finds its own.
//!
//! These loads go to the loader's implementation at once and fill the
//! cache ([`load_now`]) rather than through `load_many`: the keys are known
//! in full here, and `load_many` would wait out the batching window (a
//! millisecond or more) before each relation's query, one after another.

use std::{collections::HashMap, hash::Hash};

use async_graphql::{Context, Lookahead, dataloader::Loader};
use entity::{event, group, request};
use uuid::Uuid;

use crate::domain::venues::{self, EventRef};
use crate::graphql::{
    context::{loader, viewer},
    error::{ApiError, ApiResult},
    loaders::{
        ActiveMemberCount, AppLoader, AssignmentsOfRequest, EventOfRequest, ExactVenue, GoingCount, GroupById,
        HistoryOfRequest, RequestLoader, SeriesById, TopicById, TrainerAway, TrainerCoverage, UserById, ViewerRsvp,
        WindowsOfRequest,
    },
};

/// Loads `keys` in one query now and puts the values in the request's
/// cache, where the items' own `load_one` finds them; returns them too.
pub(crate) async fn load_now<K>(
    loader: &RequestLoader,
    keys: impl IntoIterator<Item = K>,
) -> ApiResult<HashMap<K, <AppLoader as Loader<K>>::Value>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    AppLoader: Loader<K, Error = ApiError>,
{
    let keys: Vec<K> = keys.into_iter().collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let values = loader.loader().load(&keys).await?;
    loader
        .feed_many(values.iter().map(|(k, v)| (k.clone(), v.clone())))
        .await;
    Ok(values)
}

/// The selection of a connection's nodes (`edges { node }` or `nodes`).
fn node_selections<'a>(ctx: &'a Context<'_>) -> [Lookahead<'a>; 2] {
    let look = ctx.look_ahead();
    [look.field("edges").field("node"), look.field("nodes")]
}

fn selects(nodes: &[Lookahead<'_>], path: &[&str]) -> bool {
    nodes.iter().any(|node| {
        let Some((first, rest)) = path.split_first() else {
            return false;
        };
        let mut look = node.field(first);
        for name in rest {
            look = look.field(name);
        }
        look.exists()
    })
}

fn unique(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// For a page of groups: member counts.
pub async fn groups(ctx: &Context<'_>, groups: &[group::Model]) -> ApiResult<()> {
    let nodes = node_selections(ctx);
    if selects(&nodes, &["memberCount"]) {
        load_now(loader(ctx)?, groups.iter().map(|g| ActiveMemberCount(g.id))).await?;
    }
    Ok(())
}

/// For a page of events: groups (and their member counts), topics, places
/// taken, the viewer's own RSVPs and whether they see each kept venue, as
/// far as the query asks for them.
pub async fn events(ctx: &Context<'_>, events: &[event::Model]) -> ApiResult<()> {
    let nodes = node_selections(ctx);
    let loader = loader(ctx)?;
    let group_ids = unique(events.iter().filter_map(|e| e.group_id));
    if selects(&nodes, &["group"]) {
        load_now(loader, group_ids.iter().map(|id| GroupById(*id))).await?;
    }
    if selects(&nodes, &["group", "memberCount"]) {
        load_now(loader, group_ids.iter().map(|id| ActiveMemberCount(*id))).await?;
    }
    if selects(&nodes, &["topic"]) {
        load_now(
            loader,
            unique(events.iter().filter_map(|e| e.topic_id))
                .into_iter()
                .map(TopicById),
        )
        .await?;
    }
    if selects(&nodes, &["occurrenceOf"]) {
        load_now(
            loader,
            unique(events.iter().filter_map(|e| e.series_id))
                .into_iter()
                .map(SeriesById),
        )
        .await?;
    }
    if selects(&nodes, &["goingCount"]) || selects(&nodes, &["placesLeft"]) {
        load_now(loader, events.iter().map(|e| GoingCount(e.id))).await?;
    }
    if selects(&nodes, &["myRsvp"]) && viewer(ctx).user_id().is_some() {
        load_now(loader, events.iter().map(|e| ViewerRsvp(e.id))).await?;
    }
    if ["venue", "address", "venueShown"]
        .iter()
        .any(|field| selects(&nodes, &[field]))
    {
        let kept = events.iter().filter(|e| venues::keeps_venue(e));
        load_now(loader, kept.map(|e| ExactVenue(EventRef::from(e)))).await?;
    }
    Ok(())
}

/// For a page of requests: topics, groups, windows, assignments (and their
/// trainers), events and histories, as far as the query asks for them.
pub async fn requests(ctx: &Context<'_>, requests: &[request::Model]) -> ApiResult<()> {
    let nodes = node_selections(ctx);
    let loader = loader(ctx)?;
    if selects(&nodes, &["topic"]) {
        load_now(
            loader,
            unique(requests.iter().map(|r| r.topic_id)).into_iter().map(TopicById),
        )
        .await?;
    }
    if selects(&nodes, &["group"]) {
        load_now(
            loader,
            unique(requests.iter().filter_map(|r| r.group_id))
                .into_iter()
                .map(GroupById),
        )
        .await?;
    }
    if selects(&nodes, &["preferredWindows"]) {
        load_now(loader, requests.iter().map(|r| WindowsOfRequest(r.id))).await?;
    }
    // Every person the page names (trainers, submitters, the actors of its
    // history) in one query.
    let mut people = Vec::new();
    if selects(&nodes, &["assignments"]) || selects(&nodes, &["currentAssignment"]) {
        let assignments = load_now(loader, requests.iter().map(|r| AssignmentsOfRequest(r.id))).await?;
        if selects(&nodes, &["assignments", "trainer"]) || selects(&nodes, &["currentAssignment", "trainer"]) {
            people.extend(assignments.values().flatten().map(|a| a.trainer_id));
        }
    }
    if selects(&nodes, &["history"]) {
        let history = load_now(loader, requests.iter().map(|r| HistoryOfRequest(r.id))).await?;
        if selects(&nodes, &["history", "actor"]) {
            people.extend(history.values().flatten().filter_map(|t| t.actor_id));
        }
    }
    if selects(&nodes, &["submittedBy"]) {
        people.extend(requests.iter().filter_map(|r| r.submitted_by));
    }
    if !people.is_empty() {
        load_now(loader, unique(people.into_iter()).into_iter().map(UserById)).await?;
    }
    if selects(&nodes, &["event"]) {
        load_now(loader, requests.iter().map(|r| EventOfRequest(r.id))).await?;
    }
    Ok(())
}

/// For a list of trainers, or of suggestions (their trainer `under` a
/// field): accounts, topics and regions (and the topics themselves), and
/// away periods, as far as the query asks for them.
pub async fn trainers(ctx: &Context<'_>, under: Option<&str>, ids: &[Uuid]) -> ApiResult<()> {
    let look = ctx.look_ahead();
    let item = match under {
        Some(field) => look.field(field),
        None => look,
    };
    let loader = loader(ctx)?;
    if item.field("user").exists() {
        load_now(loader, ids.iter().map(|id| UserById(*id))).await?;
    }
    if item.field("topics").exists() || item.field("regions").exists() {
        let coverage = load_now(loader, ids.iter().map(|id| TrainerCoverage(*id))).await?;
        if item.field("topics").exists() {
            let topics = unique(coverage.values().flat_map(|(topics, _)| topics.iter().copied()));
            load_now(loader, topics.into_iter().map(TopicById)).await?;
        }
    }
    if item.field("unavailablePeriods").exists() {
        load_now(loader, ids.iter().map(|id| TrainerAway(*id))).await?;
    }
    Ok(())
}
