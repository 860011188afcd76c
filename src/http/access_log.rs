//! One log line per request: method, path, status and time taken.
//!
//! Only the path is logged, never the query string, headers or body, and
//! the secret part of a private feed path is masked, so that the log holds
//! no token, email or contact detail.

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response, Result};

pub async fn log_request<E: Endpoint>(next: E, req: Request) -> Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = loggable_path(req.uri().path());
    let result = next.call(req).await;
    let (status, result) = match result {
        Ok(output) => {
            let response = output.into_response();
            (response.status(), Ok(response))
        }
        Err(err) => (err.status(), Err(err)),
    };
    tracing::info!(
        %method,
        path = %path,
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    result
}

/// The path with any private feed token replaced by `***`.
fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/feeds/") {
        Some(rest) => match rest.split_once('/') {
            Some((_token, tail)) => format!("/feeds/***/{tail}"),
            None => "/feeds/***".to_owned(),
        },
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn feed_tokens_are_masked() {
        assert_eq!(loggable_path("/feeds/s3cr3t/calendar.ics"), "/feeds/***/calendar.ics");
        assert_eq!(loggable_path("/feeds/s3cr3t"), "/feeds/***");
        assert_eq!(loggable_path("/calendar.ics"), "/calendar.ics");
    }
}
