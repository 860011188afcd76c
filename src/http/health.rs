//! `GET /healthz`: 200 when the database answers, 503 when it does not, so
//! a load balancer takes an instance out of rotation when its database is
//! gone.

use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Json},
};
use serde_json::json;

use crate::AppState;

#[handler]
pub async fn healthz(Data(state): Data<&AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database did not answer");
            Json(json!({ "status": "unavailable", "database": "unreachable" }))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}
