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

fn field_list(fields: &[crate::error::FieldError]) -> async_graphql::Value {
    async_graphql::Value::List(
        fields
            .iter()
            .map(|f| {
                let mut entry = async_graphql::indexmap::IndexMap::new();
                entry.insert(async_graphql::Name::new("field"), f.field.as_str().into());
                entry.insert(async_graphql::Name::new("message"), f.message.as_str().into());
                async_graphql::Value::Object(entry)
            })
            .collect(),
    )
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
                Error::Validation(fields) => {
                    // `field` names the first, as a single error always did;
                    // `fields` names them all, so a form can mark each one.
                    if let Some(first) = fields.first() {
                        ext.set("field", first.field.as_str());
                    }
                    ext.set("fields", field_list(fields));
                }
                Error::RateLimited { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
                Error::TrainerUnavailable { reason, .. } => ext.set("reason", reason.code()),
                _ => {}
            }
        }))
    }
}
