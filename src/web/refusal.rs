//! A refusal from the domain, said in words on the page the person was
//! on: never a code, a stack trace or a blank page. Every signed-in page
//! turns the domain's errors into sentences here, so one rule reads the
//! same wherever it refuses.

use std::collections::HashMap;

use crate::error::Error;

/// The sentence for a refusal the person can act on, or `None` for what a
/// page answers otherwise: not found (the 404 page), sign-in needed (a
/// redirect) and our own failures (the 500 page, logged).
pub fn in_words(err: &Error) -> Option<String> {
    let words = match err {
        Error::Validation(fields) => match fields.as_slice() {
            [only] => format!("That did not work: {}.", trimmed(&only.message)),
            _ => "That did not work: some answers need changing. Each is marked below.".to_owned(),
        },
        Error::Conflict(why) | Error::InvalidTransition(why) => format!("That did not work: {}.", trimmed(why)),
        Error::TrainerUnavailable { message, .. } => format!("That trainer cannot take it: {}.", trimmed(message)),
        Error::Forbidden => "That is not something your account can do here.".to_owned(),
        Error::RateLimited { retry_after_secs } => format!(
            "Too many attempts in a short time; please try again in {}.",
            wait(*retry_after_secs)
        ),
        Error::NotFound | Error::Unauthenticated | Error::Internal(_) => return None,
    };
    Some(words)
}

/// The status a page answers a refusal with.
pub fn status(err: &Error) -> poem::http::StatusCode {
    use poem::http::StatusCode;
    match err {
        Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        Error::Conflict(_) | Error::InvalidTransition(_) | Error::TrainerUnavailable { .. } => StatusCode::CONFLICT,
    }
}

/// A validation refusal's field errors keyed by the form field they belong
/// to (forms name their fields as the API does), so that a page shows each
/// one beside its field, all at once. Two errors on one field are joined.
/// Any other error has no field errors.
pub fn by_field(err: &Error) -> HashMap<String, String> {
    let mut keyed: HashMap<String, String> = HashMap::new();
    if let Error::Validation(fields) = err {
        for field in fields {
            let message = trimmed(&field.message);
            keyed
                .entry(field.field.clone())
                .and_modify(|words| {
                    if !words.contains(message) {
                        words.push_str("; ");
                        words.push_str(message);
                    }
                })
                .or_insert_with(|| message.to_owned());
        }
    }
    keyed
}

fn trimmed(words: &str) -> &str {
    words.trim().trim_end_matches('.')
}

fn wait(secs: u64) -> String {
    match secs {
        0..=90 => "a minute".to_owned(),
        91..=3600 => format!("{} minutes", secs.div_ceil(60)),
        _ => "an hour".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_sentences_and_the_rest_is_left_to_the_page() {
        assert_eq!(
            in_words(&Error::Conflict("the event is full".into())).as_deref(),
            Some("That did not work: the event is full.")
        );
        assert_eq!(
            in_words(&Error::validation("title", "must not be empty")).as_deref(),
            Some("That did not work: must not be empty.")
        );
        assert_eq!(
            in_words(&Error::RateLimited { retry_after_secs: 600 }).as_deref(),
            Some("Too many attempts in a short time; please try again in 10 minutes.")
        );
        assert!(in_words(&Error::Forbidden).is_some_and(|w| !w.contains("FORBIDDEN")));
        assert_eq!(in_words(&Error::NotFound), None);
        assert_eq!(in_words(&Error::Internal(anyhow::anyhow!("db text"))), None);
    }

    #[test]
    fn field_errors_are_keyed_by_their_field_and_joined() {
        let err = Error::Validation(vec![
            crate::error::FieldError {
                field: "title".into(),
                message: "must not be empty".into(),
            },
            crate::error::FieldError {
                field: "capacity".into(),
                message: "must be between 1 and 100000.".into(),
            },
            crate::error::FieldError {
                field: "title".into(),
                message: "is too long".into(),
            },
        ]);
        let keyed = by_field(&err);
        assert_eq!(keyed.len(), 2);
        assert_eq!(keyed["title"], "must not be empty; is too long");
        assert_eq!(keyed["capacity"], "must be between 1 and 100000");
        assert!(by_field(&Error::Forbidden).is_empty());
        assert!(by_field(&Error::Conflict("full".into())).is_empty());
    }
}
