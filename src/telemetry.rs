//! Logging set-up. What muster logs is chosen so that no email, password,
//! token or contact detail is ever written: request bodies, SQL parameters
//! and headers are not logged at all.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Human => registry
            .with(
                fmt::layer()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init(),
    };
    // A second init (tests) keeps the first subscriber; nothing to do.
    let _ = result;
}

/// Replaces the default panic message, which prints the panic's payload: a
/// payload can be built from anything in scope (a request's email, a
/// token), so only where the panic happened is logged. `CatchPanic` then
/// answers the request with a bare 500.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "unknown".to_owned());
        tracing::error!(%location, "panic (its message is not logged: it may hold personal data)");
    }));
}
