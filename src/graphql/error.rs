//! Where domain errors become GraphQL errors with `extensions.code`.
//!
//! `ApiError` deliberately has no `Display`: async-graphql converts any
//! `Display` type into an error by its message, which would let a bare `?`
//! on a database error send database text to a client. With no `Display`,
//! the only way out is the `From` below, which logs internal errors in full
//! and answers `INTERNAL` with no detail.

use async_graphql::ErrorExtensions;

use crate::error::Error;

#[derive(Clone)]
pub struct ApiError(async_graphql::Error);

pub type ApiResult<T> = Result<T, ApiError>;

impl From<ApiError> for async_graphql::Error {
    fn from(ApiError(err): ApiError) -> Self {
        err
    }
}

impl<E: Into<Error>> From<E> for ApiError {
    fn from(err: E) -> Self {
        let err: Error = err.into();
        let message = match &err {
            Error::Internal(source) => {
                tracing::error!(
                    error = format!("{source:#}"),
                    "internal error while answering a request"
                );
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        Self(async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", err.code());
            match &err {
                Error::Validation { field, .. } => ext.set("field", field.as_str()),
                Error::RateLimited { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
                Error::TrainerUnavailable { reason, .. } => ext.set("reason", *reason),
                _ => {}
            }
        }))
    }
}
