//! Bench only: the baseline server that `scripts/bench-http.sh` loads in the
//! same run as muster, to tell what muster's layers cost from what the
//! machine and the HTTP stack allow. It serves, on the same poem server
//! settings as muster:
//!
//! - `POST /graphql`: `events(first: $first)` answered by hand, the same SQL
//!   as muster sends, through sqlx, written with serde_json (no GraphQL, no
//!   ORM; see `benches/support/baseline.rs`, which the in-process bench
//!   shares);
//! - `GET /trivial`: a constant;
//! - `GET /static-body`: the bytes of the file `MUSTER_BENCH_STATIC_BODY`
//!   names (the load script saves muster's public feed there), read once
//!   and sent as a shared body: what this machine allows for a body of
//!   that size, against which the feed's full responses are read.
//!
//! ```sh
//! MUSTER_DATABASE_URL=sqlite://muster.db?mode=rwc MUSTER_BIND=127.0.0.1:8081 \
//!     cargo run --release --example bench_baseline
//! ```
//!
//! It opens the database as muster does (same pool) and never writes to it.
//! `bench_baseline --events-query` prints the operation it answers, for the
//! load script to send to both servers.
#![allow(clippy::print_stdout)]

#[path = "../benches/support/baseline.rs"]
mod baseline;

use std::time::Duration;

use anyhow::Context;
use muster::config::DatabaseUrl;
use poem::{EndpointExt, Response, Route, Server, endpoint::make_sync, get};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|arg| arg == "--events-query") {
        println!("{}", baseline::EVENTS_QUERY);
        return Ok(());
    }
    let url = std::env::var("MUSTER_DATABASE_URL").context("MUSTER_DATABASE_URL names the database")?;
    let bind = std::env::var("MUSTER_BIND").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let db = muster::db::connect(&DatabaseUrl::parse(&url)?).await?;
    let pool = baseline::Pool::of(&db)?;
    let body = match std::env::var_os("MUSTER_BENCH_STATIC_BODY") {
        Some(path) => bytes::Bytes::from(std::fs::read(&path).context("read MUSTER_BENCH_STATIC_BODY")?),
        None => bytes::Bytes::new(),
    };
    let static_body = make_sync(move |_| {
        Response::builder()
            .content_type("text/calendar; charset=utf-8")
            .header("etag", "\"static\"")
            .body(body.clone())
    });
    let acceptor = muster::server::bind(bind.parse().context("MUSTER_BIND is an address:port")?).await?;
    eprintln!("bench baseline listening on {bind}");
    Server::new_with_acceptor(acceptor)
        .idle_timeout(Duration::from_secs(30))
        .run(
            Route::new()
                .at("/static-body", get(static_body))
                .nest("/", baseline::endpoint(pool))
                .boxed(),
        )
        .await?;
    Ok(())
}
