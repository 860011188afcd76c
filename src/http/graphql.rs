//! `POST /graphql` executes; `GET /graphql` serves the GraphiQL playground.
//!
//! The body is read with a hard limit and a deadline before anything is
//! parsed, so an oversized or trickled request costs no more than those.
//! The query is checked against the width limits (`graphql::limits`), and
//! only then is the bearer token checked, once per HTTP request: a bad one
//! answers 401 before any resolver runs.

use async_graphql::{
    BatchRequest, BatchResponse,
    dataloader::{DataLoader, HashMapCache},
};
use async_graphql_poem::GraphQLBatchResponse;
use poem::{
    Body, IntoResponse, Request, Response,
    error::ReadBodyError,
    handler,
    http::{StatusCode, header},
    web::Data,
};
use serde_json::json;

use crate::{
    AppState,
    auth::viewer,
    error::Error,
    graphql::{
        limits::{self, LimitExceeded},
        loaders::{AppLoader, RequestLoader},
    },
    metrics::Metrics,
    rate_limit::ClientAddress,
};

/// The playground's scripts and styles are muster's own
/// (`/static/graphiql/`); nothing may load from anywhere else, and the
/// page sends no referrer. GraphiQL sets styles from its scripts, hence
/// inline styles.
const GRAPHIQL_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     script-src 'self'; style-src 'self' 'unsafe-inline'; \
     font-src 'self' data:; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const GRAPHIQL_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>muster GraphQL</title>
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/graphiql/graphiql.min.css">
</head>
<body style="margin: 0">
<div id="graphiql" style="height: 100vh">
<noscript><p style="padding: 1em">The GraphQL playground needs JavaScript. Any GraphQL client can send queries to this address with POST.</p></noscript>
</div>
<script src="/static/graphiql/react.production.min.js"></script>
<script src="/static/graphiql/react-dom.production.min.js"></script>
<script src="/static/graphiql/graphiql.min.js"></script>
<script src="/static/graphiql/start.js"></script>
</body>
</html>
"#;

#[handler]
pub async fn graphiql() -> Response {
    super::html::secure_headers(Response::builder(), GRAPHIQL_CONTENT_SECURITY_POLICY)
        .content_type("text/html; charset=utf-8")
        .body(GRAPHIQL_PAGE)
}

const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

#[handler]
pub async fn execute(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    // A client that trickles its body is cut off rather than holding a
    // connection and a task for as long as it likes.
    let read = tokio::time::timeout(BODY_READ_TIMEOUT, body.into_bytes_limit(state.max_body_bytes)).await;
    let Ok(read) = read else {
        return plain(
            StatusCode::REQUEST_TIMEOUT,
            "the request body took too long to arrive".into(),
        );
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(ReadBodyError::PayloadTooLarge) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than {} bytes", state.max_body_bytes),
            );
        }
        Err(_) => return plain(StatusCode::BAD_REQUEST, "could not read the request body".into()),
    };
    let mut batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        // serde's message names the position and the expected type, never
        // the content of the body.
        Err(err) => return plain(StatusCode::BAD_REQUEST, format!("not a GraphQL request: {err}")),
    };
    if let Err(refusal) = within_limits(&mut batch) {
        return refused(&refusal);
    }
    // The bearer token is checked (a database read) only once the request
    // is known to be within the limits.
    let authorization = match req.headers().get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(_)) => return unauthenticated(),
    };
    let viewer = match viewer::authenticate(&state.db, &state.tokens, authorization, state.clock.now()).await {
        Ok(viewer) => viewer,
        Err(Error::Unauthenticated) => return unauthenticated(),
        Err(err) => {
            tracing::error!(error = %err, "authentication failed on a database error");
            return internal();
        }
    };

    // Cached for this request only: list resolvers load a page's relations
    // in one go (see `graphql::prime`), and each item then finds them here.
    let app_loader = AppLoader {
        db: state.db.clone(),
        viewer: viewer.clone(),
        now: state.clock.now(),
    };
    let loader: RequestLoader = DataLoader::with_cache(app_loader, tokio::spawn, HashMapCache::default());
    let client = ClientAddress::of_request(req, &state.trusted_proxies);
    let batch = batch.data(viewer).data(std::sync::Arc::new(loader)).data(client);
    let mut responses = state.schema.execute_batch(batch).await;
    let retry_after = settle_error_codes(&mut responses, &state.metrics);
    let mut response = GraphQLBatchResponse(responses).into_response();
    if let Some(seconds) = retry_after
        && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Checks each operation against the limits; each query is parsed here,
/// once, and executed from that parse.
fn within_limits(batch: &mut BatchRequest) -> Result<(), LimitExceeded> {
    if let BatchRequest::Batch(requests) = batch
        && requests.len() > limits::MAX_BATCH
    {
        return Err(LimitExceeded::new(
            "batchSize",
            format!(
                "the batch holds {} operations; at most {} are accepted",
                requests.len(),
                limits::MAX_BATCH
            ),
        ));
    }
    batch.iter_mut().try_for_each(|request| {
        limits::check_text(&request.query, &request.variables)?;
        limits::check_request(request)
    })
}

/// A GraphQL-shaped refusal: nothing of the request was executed. A
/// refused document (too deep, too long, NUL in the query text) is 400; bad
/// input in one variable is 200 and names the field, like every other
/// field's input error.
pub(crate) fn refused(refusal: &LimitExceeded) -> Response {
    let mut extensions = json!({ "code": "BAD_USER_INPUT", "limit": refusal.limit });
    let status = match &refusal.field {
        Some(field) => {
            extensions["field"] = json!(field);
            extensions["fields"] = json!([{ "field": field, "message": refusal.message }]);
            StatusCode::OK
        }
        None => StatusCode::BAD_REQUEST,
    };
    let body = json!({
        "data": null,
        "errors": [{ "message": refusal.message, "extensions": extensions }]
    });
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// Every error leaves with a code. Errors without one come from
/// async-graphql itself (parsing, validation, depth and complexity
/// limits): all of them are the request's fault, `BAD_USER_INPUT`.
/// Returns the longest wait a `RATE_LIMITED` error asks for, for the
/// `Retry-After` header. Each error is counted by its code here, the one
/// place every resolver's error passes.
fn settle_error_codes(responses: &mut BatchResponse, metrics: &Metrics) -> Option<u64> {
    let responses: Vec<&mut async_graphql::Response> = match responses {
        BatchResponse::Single(response) => vec![response],
        BatchResponse::Batch(responses) => responses.iter_mut().collect(),
    };
    let mut retry_after = None;
    for error in responses.into_iter().flat_map(|r| r.errors.iter_mut()) {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_USER_INPUT");
        }
        match extensions.get("code") {
            Some(async_graphql::Value::String(code)) => metrics.graphql_error(code),
            _ => metrics.graphql_error("OTHER"),
        }
        if let Some(async_graphql::Value::Number(seconds)) = extensions.get("retryAfter") {
            retry_after = retry_after.max(seconds.as_u64());
        }
    }
    retry_after
}

/// 401 with a GraphQL-shaped body, so clients find the usual code.
fn unauthenticated() -> Response {
    let body = json!({
        "data": null,
        "errors": [{
            "message": Error::Unauthenticated.to_string(),
            "extensions": { "code": Error::Unauthenticated.code() }
        }]
    });
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header(header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)
        .content_type("application/json")
        .body(body.to_string())
}

/// The token could not be checked because the database failed: a GraphQL
/// error with the `INTERNAL` code every other database failure answers, so
/// clients handle one shape, and with no detail (logged above).
fn internal() -> Response {
    let body = json!({
        "data": null,
        "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }]
    });
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .content_type("application/json")
        .body(body.to_string())
}

fn plain(status: StatusCode, message: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/plain; charset=utf-8")
        .body(message)
}
