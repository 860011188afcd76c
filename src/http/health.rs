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

/// How long the check waits for the database. The pool would wait up to
/// its own acquire timeout (10 s) for a connection while the database is
/// down, longer than a load balancer's check usually waits.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

#[handler]
pub async fn healthz(Data(state): Data<&AppState>) -> Response {
    let answer = tokio::time::timeout(PING_TIMEOUT, state.db.ping())
        .await
        .unwrap_or_else(|_| {
            Err(sea_orm::DbErr::Custom(
                "no answer within the health check's timeout".into(),
            ))
        });
    match answer {
        Ok(()) => Json(json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database did not answer");
            Json(json!({ "status": "unavailable", "database": "unreachable" }))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}
