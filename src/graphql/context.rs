//! What resolvers read from the request context.

use std::sync::Arc;

use async_graphql::Context;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    auth::Viewer,
    clock::Clock,
    domain::retention::RetentionPolicy,
    error::Error,
    graphql::loaders::RequestLoader,
    rate_limit::{ClientAddress, RateLimits},
};

pub fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The request's viewer; a request executed without one (not through the
/// HTTP handler) is anonymous.
pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    static ANONYMOUS: Viewer = Viewer::Anonymous;
    ctx.data::<Viewer>().unwrap_or(&ANONYMOUS)
}

/// The request's DataLoader, set by the HTTP handler for each request.
pub fn loader<'a>(ctx: &Context<'a>) -> Result<&'a RequestLoader, Error> {
    ctx.data::<Arc<RequestLoader>>()
        .map(Arc::as_ref)
        .map_err(|_| Error::Internal(anyhow::anyhow!("no DataLoader in the request context")))
}

/// The root field this resolver runs under (e.g. `approveMember`): the
/// "why" recorded with audit entries.
pub fn operation_name(ctx: &Context<'_>) -> String {
    let mut node = ctx.path_node.as_ref();
    let mut root = None;
    while let Some(current) = node {
        if let async_graphql::QueryPathSegment::Name(name) = current.segment {
            root = Some(name);
        }
        node = current.parent;
    }
    root.unwrap_or("unknown").to_owned()
}

/// The current instant, from the app's clock (the system clock unless a
/// test moved it).
pub fn now(ctx: &Context<'_>) -> DateTime<Utc> {
    ctx.data::<Clock>().map(Clock::now).unwrap_or_else(|_| Utc::now())
}

/// The process's rate limits.
pub fn rate_limits<'a>(ctx: &Context<'a>) -> Result<&'a RateLimits, Error> {
    ctx.data::<Arc<RateLimits>>()
        .map(Arc::as_ref)
        .map_err(|_| Error::Internal(anyhow::anyhow!("no rate limits in the schema data")))
}

/// Where the request came from; unknown when executed outside HTTP.
pub fn client_address(ctx: &Context<'_>) -> ClientAddress {
    ctx.data::<ClientAddress>().copied().unwrap_or(ClientAddress(None))
}

/// What writing messages needs (links, signing).
pub fn mailroom<'a>(ctx: &Context<'a>) -> Result<&'a crate::domain::notifications::Mailroom, Error> {
    ctx.data::<crate::domain::notifications::Mailroom>()
        .map_err(|_| Error::Internal(anyhow::anyhow!("no mailroom in the schema data")))
}

/// How long personal data is kept, from the configuration.
pub fn retention(ctx: &Context<'_>) -> Result<RetentionPolicy, Error> {
    ctx.data::<RetentionPolicy>()
        .copied()
        .map_err(|_| Error::Internal(anyhow::anyhow!("no retention policy in the schema data")))
}
