//! `POST /graphql` executes; `GET /graphql` serves the GraphiQL playground.
//!
//! The body is read with a hard limit before anything is parsed, so an
//! oversized request costs no more than the limit.

use async_graphql::{BatchRequest, http::GraphiQLSource};
use async_graphql_poem::GraphQLBatchResponse;
use poem::{
    Body, IntoResponse, Response,
    error::ReadBodyError,
    handler,
    http::StatusCode,
    web::{Data, Html},
};

use crate::AppState;

#[handler]
pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("muster GraphQL")
            .finish(),
    )
}

#[handler]
pub async fn execute(Data(state): Data<&AppState>, body: Body) -> Response {
    let bytes = match body.into_bytes_limit(state.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(ReadBodyError::PayloadTooLarge) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body is larger than {} bytes", state.max_body_bytes),
            );
        }
        Err(_) => return plain(StatusCode::BAD_REQUEST, "could not read the request body".into()),
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        // serde's message names the position and the expected type, never
        // the content of the body.
        Err(err) => return plain(StatusCode::BAD_REQUEST, format!("not a GraphQL request: {err}")),
    };
    GraphQLBatchResponse(state.schema.execute_batch(batch).await).into_response()
}

fn plain(status: StatusCode, message: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/plain; charset=utf-8")
        .body(message)
}
