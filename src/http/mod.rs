//! The HTTP surface: routes, and the middleware every request passes.

mod access_log;
pub mod compress;
pub mod feed_cache;
pub mod feed_versions;
pub mod feeds;
mod graphql;
mod health;
pub mod html;
pub mod instrument;
pub mod privacy;
mod render_slots;

use poem::{Endpoint, EndpointExt, IntoResponse, get, middleware::CatchPanic};

pub use self::instrument::metrics_app;
use self::instrument::{RecordRequests, RouteTable};
use crate::{AppState, web};

/// Builds the whole application; the server and the tests use this same
/// function, so tests exercise exactly what is served. `/metrics` is not
/// here: it has its own listener ([`metrics_app`]).
pub fn app(state: AppState) -> impl Endpoint {
    let metrics = state.metrics.clone();
    RouteTable::new()
        .at("/", get(web::index))
        .at("/groups", get(web::directory))
        .at("/groups/:slug", get(web::group_page))
        .at("/groups/:slug/manage", get(web::members_page))
        .at("/groups/:slug/manage/members", poem::post(web::member_action))
        .at("/groups/:slug/manage/events", get(web::group_events_page))
        .at(
            "/groups/:slug/manage/import",
            get(web::group_import_page).post(web::import_group_calendar),
        )
        .at(
            "/groups/:slug/manage/events/new",
            get(web::new_group_event_page).post(web::create_group_event),
        )
        .at(
            "/groups/:slug/manage/events/:id",
            get(web::edit_group_event_page).post(web::edit_group_event),
        )
        .at(
            "/groups/:slug/manage/events/:id/cancel",
            poem::post(web::cancel_group_event),
        )
        .at(
            "/groups/:slug/manage/profile",
            get(web::group_profile_page).post(web::save_profile),
        )
        .at("/groups/:slug/manage/requests", get(web::group_requests_page))
        .at(
            "/groups/:slug/manage/requests/new",
            get(web::new_group_request_page).post(web::submit_group_request),
        )
        .at("/request", get(web::request_form).post(web::submit_request))
        .at("/request/:reference", get(web::request_status))
        .at("/events/:id", get(web::event_page))
        .at("/events/:id/rsvp", poem::post(web::rsvp))
        .at(
            "/reset-password",
            get(web::reset_password_page).post(web::reset_password),
        )
        .at("/verify-email", get(web::verify_email_page).post(web::verify_email))
        .at("/unsubscribe", get(web::unsubscribe_page).post(web::unsubscribe))
        .at("/signin", get(web::sign_in_page).post(web::sign_in))
        .at("/signout", get(web::sign_out_page).post(web::sign_out))
        .at("/register", get(web::register_page).post(web::register))
        .at("/me", get(web::overview))
        .at("/me/groups/leave", poem::post(web::leave_group))
        .at("/me/feeds", get(web::feeds_page).post(web::create_feed))
        .at("/me/feeds/revoke", poem::post(web::revoke_feed))
        .at("/me/profile", get(web::profile_page))
        .at("/me/profile/name", poem::post(web::change_name))
        .at("/me/profile/password", poem::post(web::change_password))
        .at("/me/profile/email", poem::post(web::change_email))
        .at("/me/data", get(web::data_page))
        .at("/me/data/download", get(web::download_data))
        .at("/me/delete", get(web::delete_page).post(web::delete_account))
        .at("/offers", get(web::offers_page))
        .at("/offers/:id/accept", poem::post(web::accept_offer))
        .at("/offers/:id/decline", poem::post(web::decline_offer))
        .at("/offers/away", poem::post(web::add_away))
        .at("/offers/away/remove", poem::post(web::remove_away))
        .at("/offers/profile", poem::post(web::save_trainer_profile))
        .at("/admin", get(web::admin_page))
        .at("/admin/account", get(web::account_page).post(web::find_account))
        .at("/admin/account/role", poem::post(web::set_role))
        .at("/admin/account/erase", get(web::erase_page).post(web::erase_account))
        .at("/groups/:slug/join", poem::post(web::join_group))
        .at("/desk", get(web::desk_home))
        .at("/desk/letters", get(web::desk_letters))
        .at(
            "/desk/letters/:slug",
            get(web::desk_letter).post(web::desk_letter_action),
        )
        .at("/desk/letters/:slug/export.csv", get(web::desk_letter_export))
        .at("/letters", get(web::letters_index))
        .at("/letters/:slug", get(web::letter).post(web::sign_letter))
        .at(
            "/letters/:slug/confirm",
            get(web::confirm_signature_page).post(web::confirm_signature),
        )
        .at("/desk/requests", get(web::desk_queue))
        .at("/desk/requests/bulk", poem::post(web::desk_bulk))
        .at(
            "/desk/requests/:id",
            get(web::desk_request).post(web::desk_request_action),
        )
        .at("/desk/topics", get(web::topics_page).post(web::create_topic))
        .at("/desk/topics/:id", get(web::topic_page).post(web::topic_action))
        .at("/desk/trainers", get(web::trainers_page).post(web::find_trainer))
        .at("/desk/trainers/:id", get(web::trainer_page).post(web::save_trainer))
        .at("/admin/outbox/retry", poem::post(web::retry_messages))
        .at("/static/style.css", get(web::stylesheet))
        .at("/static/icon.svg", get(web::icon_svg))
        .at("/static/graphiql/:file", get(web::graphiql_file))
        .at("/favicon.ico", get(web::favicon))
        .at("/robots.txt", get(web::robots))
        .at("/sitemap.xml", get(web::sitemap_xml))
        .at("/graphql", graphql_route(&state.cors_origins))
        .at("/healthz", get(health::healthz))
        .at("/privacy", get(privacy::privacy_notice))
        .at("/calendar.ics", get(feeds::public_calendar))
        .at("/groups/:slug/calendar.ics", get(feeds::group_calendar))
        .at("/feeds/:token/calendar.ics", get(feeds::private_calendar))
        .at("/events/:file<[^/]+\\.ics>", get(feeds::event_file))
        .into_route()
        .around(web::pages)
        .around(compress::gzip_text)
        .data(state)
        // A panic answers 500 with no detail instead of dropping the connection.
        .with(CatchPanic::new())
        .around(refuse_nul)
        .around(access_log::log_request)
        .with(RecordRequests(metrics))
}

/// A NUL character in the path or query string (`%00`) is refused with 400:
/// no filter, slug or reference holds one, and PostgreSQL cannot compare
/// text with one without failing. At `/graphql` the refusal has the same
/// GraphQL shape (`BAD_USER_INPUT`, `extensions.limit: "text"`) as a NUL in
/// a request body and every other limit refused before anything runs;
/// pages and feeds answer bad addresses with a status, so theirs is plain.
async fn refuse_nul<E: Endpoint>(next: E, req: poem::Request) -> poem::Result<poem::Response> {
    let uri = req.uri();
    let has_nul = |part: &str| {
        part.as_bytes()
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
    };
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        if uri.path() == "/graphql" {
            return Ok(graphql::refused(&crate::graphql::limits::LimitExceeded::new(
                "text",
                "text must not contain NUL characters".to_owned(),
            )));
        }
        return Ok(poem::Response::builder()
            .status(poem::http::StatusCode::BAD_REQUEST)
            .content_type("text/plain; charset=utf-8")
            .body("NUL characters are not accepted"));
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// `/graphql`, open to browsers on the configured origins only: with none
/// (the default) no CORS header is sent and browsers keep other sites'
/// pages from reading answers.
fn graphql_route(origins: &[String]) -> poem::endpoint::BoxEndpoint<'static> {
    let route = get(graphql::graphiql).post(graphql::execute);
    if origins.is_empty() {
        return route.boxed();
    }
    route
        .with(
            poem::middleware::Cors::new()
                .allow_origins(origins.iter().map(String::as_str))
                .allow_methods([poem::http::Method::POST, poem::http::Method::GET])
                .allow_headers(["authorization", "content-type"])
                .max_age(600),
        )
        .boxed()
}
