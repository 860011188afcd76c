//! Loading a page's relations before its items ask for them.
//!
//! DataLoader batches the requests that arrive within a short window; under
//! load a page of 100 items can straddle two windows and cost extra queries.
//! List resolvers therefore look ahead at what the query selects and load
//! each selected relation for the whole page in one query; the request's
//! loader caches the results, so every item then finds its own.

use async_graphql::{Context, Lookahead};
use entity::{event, group, request};
use uuid::Uuid;

use crate::graphql::{
    context::{loader, viewer},
    error::ApiResult,
    loaders::{
        ActiveMemberCount, AssignmentsOfRequest, EventOfRequest, GoingCount, GroupById, HistoryOfRequest, TopicById,
        UserById, ViewerRsvp, WindowsOfRequest,
    },
};

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
        loader(ctx)?
            .load_many(groups.iter().map(|g| ActiveMemberCount(g.id)))
            .await?;
    }
    Ok(())
}

/// For a page of events: groups (and their member counts), topics, places
/// taken and the viewer's own RSVPs, as far as the query asks for them.
pub async fn events(ctx: &Context<'_>, events: &[event::Model]) -> ApiResult<()> {
    let nodes = node_selections(ctx);
    let loader = loader(ctx)?;
    let group_ids = unique(events.iter().filter_map(|e| e.group_id));
    if selects(&nodes, &["group"]) {
        loader.load_many(group_ids.iter().map(|id| GroupById(*id))).await?;
    }
    if selects(&nodes, &["group", "memberCount"]) {
        loader
            .load_many(group_ids.iter().map(|id| ActiveMemberCount(*id)))
            .await?;
    }
    if selects(&nodes, &["topic"]) {
        loader
            .load_many(
                unique(events.iter().filter_map(|e| e.topic_id))
                    .into_iter()
                    .map(TopicById),
            )
            .await?;
    }
    if selects(&nodes, &["goingCount"]) || selects(&nodes, &["placesLeft"]) {
        loader.load_many(events.iter().map(|e| GoingCount(e.id))).await?;
    }
    if selects(&nodes, &["myRsvp"]) && viewer(ctx).user_id().is_some() {
        loader.load_many(events.iter().map(|e| ViewerRsvp(e.id))).await?;
    }
    Ok(())
}

/// For a page of requests: topics, groups, windows, assignments (and their
/// trainers), events and histories, as far as the query asks for them.
pub async fn requests(ctx: &Context<'_>, requests: &[request::Model]) -> ApiResult<()> {
    let nodes = node_selections(ctx);
    let loader = loader(ctx)?;
    if selects(&nodes, &["topic"]) {
        loader
            .load_many(unique(requests.iter().map(|r| r.topic_id)).into_iter().map(TopicById))
            .await?;
    }
    if selects(&nodes, &["group"]) {
        loader
            .load_many(
                unique(requests.iter().filter_map(|r| r.group_id))
                    .into_iter()
                    .map(GroupById),
            )
            .await?;
    }
    if selects(&nodes, &["preferredWindows"]) {
        loader
            .load_many(requests.iter().map(|r| WindowsOfRequest(r.id)))
            .await?;
    }
    // Every person the page names (trainers, submitters, the actors of its
    // history) in one query.
    let mut people = Vec::new();
    if selects(&nodes, &["assignments"]) || selects(&nodes, &["currentAssignment"]) {
        let assignments = loader
            .load_many(requests.iter().map(|r| AssignmentsOfRequest(r.id)))
            .await?;
        if selects(&nodes, &["assignments", "trainer"]) || selects(&nodes, &["currentAssignment", "trainer"]) {
            people.extend(assignments.values().flatten().map(|a| a.trainer_id));
        }
    }
    if selects(&nodes, &["history"]) {
        let history = loader
            .load_many(requests.iter().map(|r| HistoryOfRequest(r.id)))
            .await?;
        if selects(&nodes, &["history", "actor"]) {
            people.extend(history.values().flatten().filter_map(|t| t.actor_id));
        }
    }
    if selects(&nodes, &["submittedBy"]) {
        people.extend(requests.iter().filter_map(|r| r.submitted_by));
    }
    if !people.is_empty() {
        loader
            .load_many(unique(people.into_iter()).into_iter().map(UserById))
            .await?;
    }
    if selects(&nodes, &["event"]) {
        loader.load_many(requests.iter().map(|r| EventOfRequest(r.id))).await?;
    }
    Ok(())
}
