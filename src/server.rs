//! Running the HTTP server: bind, serve, and stop cleanly on SIGTERM or
//! Ctrl-C, letting requests in flight finish. The metrics have a listener
//! of their own beside it, so they are never served on the public address.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};

use crate::{
    AppState,
    http::{app, metrics_app},
    metrics::Metrics,
};

/// A connection that sends nothing for this long is closed, so slow or
/// silent clients cannot hold connections open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long requests in flight may take to finish after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Binds the listening socket. Done before serving so that an address in
/// use is reported as a start-up error, not a failure later.
pub async fn bind(addr: SocketAddr) -> std::io::Result<impl Acceptor> {
    TcpListener::bind(addr).into_acceptor().await
}

pub async fn serve(acceptor: impl Acceptor + 'static, state: AppState) -> std::io::Result<()> {
    Server::new_with_acceptor(acceptor)
        .idle_timeout(IDLE_TIMEOUT)
        .run_with_graceful_shutdown(app(state), shutdown_signal(), Some(SHUTDOWN_GRACE))
        .await
}

/// Serves `/metrics` until the process is told to stop. A scrape is quick,
/// so the grace period is short.
pub async fn serve_metrics(acceptor: impl Acceptor + 'static, metrics: Arc<Metrics>) -> std::io::Result<()> {
    Server::new_with_acceptor(acceptor)
        .idle_timeout(IDLE_TIMEOUT)
        .run_with_graceful_shutdown(metrics_app(metrics), stop_requested(), Some(Duration::from_secs(1)))
        .await
}

async fn shutdown_signal() {
    stop_requested().await;
    tracing::info!("stop signal received; finishing requests in flight");
}

/// SIGTERM or Ctrl-C; each caller is told.
async fn stop_requested() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
