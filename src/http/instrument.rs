//! Requests counted for the metrics, and the `/metrics` listener's app.
//!
//! Requests are labelled by the *template* of the route they matched
//! (`/feeds/{token}/calendar.ics`), never by the path asked for: the route
//! table tags each route with its own pattern ([`RouteTable`]), and the
//! outer middleware ([`record_requests`]) reads the tag once the answer is
//! known. A request that matched no route counts as `unmatched`. So no
//! token, slug or id reaches the metrics, and made-up paths cannot add
//! series.

use std::{
    sync::{Arc, OnceLock},
    time::Instant,
};

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Middleware, Request, Response, Result, Route, get, handler,
    http::{StatusCode, header},
    web::Data,
};

use crate::metrics::{Method, Metrics, RouteTemplate};

/// The route a request matched, filled in by the route's tag.
#[derive(Clone, Default)]
struct MatchedRoute(Arc<OnceLock<RouteTemplate>>);

/// The route table, each route tagged with its template as it is added.
pub struct RouteTable(Route);

impl RouteTable {
    pub fn new() -> Self {
        Self(Route::new())
    }

    /// `Route::at`, and the route's template recorded for its requests.
    #[must_use]
    pub fn at<E>(self, path: &'static str, endpoint: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        let tag = Tag(RouteTemplate::of_route(path));
        Self(self.0.at(path, endpoint.into_endpoint().with(tag)))
    }

    pub fn into_route(self) -> Route {
        self.0
    }
}

impl Default for RouteTable {
    fn default() -> Self {
        Self::new()
    }
}

struct Tag(RouteTemplate);

impl<E: Endpoint> Middleware<E> for Tag {
    type Output = Tagged<E>;

    fn transform(&self, inner: E) -> Self::Output {
        Tagged {
            inner,
            template: self.0.clone(),
        }
    }
}

struct Tagged<E> {
    inner: E,
    template: RouteTemplate,
}

impl<E: Endpoint> Endpoint for Tagged<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if let Some(matched) = req.extensions().get::<MatchedRoute>() {
            let _ = matched.0.set(self.template.clone());
        }
        self.inner.call(req).await
    }
}

/// Counts each request by route template, method and status class, and
/// times it. Outermost, so it sees the status the client gets (after the
/// error pages and the panic guard).
pub struct RecordRequests(pub Arc<Metrics>);

impl<E: Endpoint> Middleware<E> for RecordRequests {
    type Output = Recorded<E>;

    fn transform(&self, inner: E) -> Self::Output {
        Recorded {
            inner,
            metrics: self.0.clone(),
        }
    }
}

pub struct Recorded<E> {
    inner: E,
    metrics: Arc<Metrics>,
}

impl<E: Endpoint> Endpoint for Recorded<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        let started = Instant::now();
        let _in_flight = self.metrics.request_started();
        let method = Method::from(req.method());
        let matched = MatchedRoute::default();
        req.extensions_mut().insert(matched.clone());
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        let status = match &result {
            Ok(response) => response.status(),
            Err(err) => err.status(),
        };
        let route = matched.0.get().cloned().unwrap_or_else(RouteTemplate::unmatched);
        self.metrics.request_answered(&route, method, status, started.elapsed());
        result
    }
}

/// The app of the metrics listener: `GET /metrics`, and 404 for the rest.
pub fn metrics_app(metrics: Arc<Metrics>) -> impl Endpoint {
    Route::new().at("/metrics", get(scrape)).data(metrics)
}

/// OpenMetrics to clients that ask for it (Prometheus does), the
/// Prometheus text format (0.0.4) to everyone else.
#[handler]
fn scrape(req: &Request, Data(metrics): Data<&Arc<Metrics>>) -> Response {
    let openmetrics = req
        .headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|accept| accept.contains("application/openmetrics-text"));
    let (body, content_type) = if openmetrics {
        (
            metrics.openmetrics_text(),
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )
    } else {
        (
            metrics.prometheus_text(),
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )
    };
    match body {
        Ok(body) => Response::builder().content_type(content_type).body(body),
        Err(_) => {
            tracing::error!("the metrics could not be encoded");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
