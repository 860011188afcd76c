//! The one error type of muster's rules, and its stable API codes.
//!
//! Policy: every failure a client can cause is a variant with a
//! `SCREAMING_SNAKE` code that clients may branch on and that never changes.
//! Anything else is `Internal`: logged in full on the server, answered as
//! `INTERNAL` with no detail, so database text never reaches a client.

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("sign in required, or the token is invalid or expired")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidTransition(String),
    /// `reason` is a stable code (`TOPIC_NOT_COVERED`, `AWAY`, `ENGAGED`,
    /// `MONTHLY_CAP`, `NOT_FREE`); `message` says it for people.
    #[error("trainer unavailable: {message}")]
    TrainerUnavailable { reason: &'static str, message: String },
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The stable code carried in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Validation { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::InvalidTransition(_) => "INVALID_TRANSITION",
            Self::TrainerUnavailable { .. } => "TRAINER_UNAVAILABLE",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
