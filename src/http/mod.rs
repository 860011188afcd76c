//! The HTTP surface: routes, and the middleware every request passes.

mod access_log;
pub mod feeds;
mod graphql;
mod health;

use poem::{Endpoint, EndpointExt, Route, get, middleware::CatchPanic};

use crate::{AppState, web};

/// Builds the whole application; the server and the tests use this same
/// function, so tests exercise exactly what is served.
pub fn app(state: AppState) -> impl Endpoint {
    Route::new()
        .at("/", get(web::index))
        .at("/groups", get(web::directory))
        .at("/groups/:slug", get(web::group_page))
        .at("/request", get(web::request_form).post(web::submit_request))
        .at("/request/:reference", get(web::request_status))
        .at("/static/style.css", get(web::stylesheet))
        .at("/graphql", get(graphql::graphiql).post(graphql::execute))
        .at("/healthz", get(health::healthz))
        .at("/calendar.ics", get(feeds::public_calendar))
        .at("/groups/:slug/calendar.ics", get(feeds::group_calendar))
        .at("/feeds/:token/calendar.ics", get(feeds::private_calendar))
        .at("/events/:file", get(feeds::event_file))
        .data(state)
        // A panic answers 500 with no detail instead of dropping the connection.
        .with(CatchPanic::new())
        .around(access_log::log_request)
}
