//! The one error type of muster's rules, and its stable API codes.
//!
//! Policy: every failure a client can cause is a variant with a
//! `SCREAMING_SNAKE` code that clients may branch on and that never changes.
//! Anything else is `Internal`: logged in full on the server, answered as
//! `INTERNAL` with no detail, so database text never reaches a client.

use sea_orm::DbErr;

use crate::domain::requests::matching::UnavailableReason;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("sign in required, or the token is invalid or expired")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    /// Input that does not pass its checks: one entry per field that
    /// failed, never empty. It reads as its first entry, the shape a single
    /// error had before forms were checked whole.
    #[error("{}", first_field_error(.0))]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidTransition(String),
    /// `reason` carries a stable code of its own (`extensions.reason`);
    /// `message` says it for people.
    #[error("trainer unavailable: {message}")]
    TrainerUnavailable { reason: UnavailableReason, message: String },
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The first field an input error names.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Validation(fields) => fields.first().map(|f| f.field.as_str()),
            _ => None,
        }
    }

    /// The stable code carried in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Validation(_) => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::InvalidTransition(_) => "INVALID_TRANSITION",
            Self::TrainerUnavailable { .. } => "TRAINER_UNAVAILABLE",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

/// One field's input and what is wrong with it, in words for the person
/// who typed it; `field` is the API's name for it (`contactEmail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn first_field_error(fields: &[FieldError]) -> String {
    fields.first().map(ToString::to_string).unwrap_or_default()
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
