//! muster: coordination server for a campaign network. The binary in
//! `main.rs` is a thin CLI over this library; tests build the same app.

pub mod auth;
pub mod backup;
pub mod clock;
pub mod config;
pub mod data_key;
pub mod db;
pub mod domain;
pub mod error;
pub mod fixtures;
pub mod graphql;
pub mod hashing;
pub mod http;
pub mod ical;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod progress;
pub mod rate_limit;
pub mod seed;
pub mod server;
pub mod telemetry;
pub mod urls;
pub mod web;

use sea_orm::DatabaseConnection;

pub use http::app;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: graphql::MusterSchema,
    pub tokens: auth::jwt::TokenKeys,
    pub urls: urls::PublicUrls,
    /// How far back feeds reach.
    pub feed_past_days: u32,
    pub max_body_bytes: usize,
    /// How long personal data is kept (shown on the privacy notice).
    pub retention: domain::retention::RetentionPolicy,
    /// The process's rate limits: the same instance the GraphQL schema
    /// holds, so that the web form and the API share one budget.
    pub rate_limits: std::sync::Arc<rate_limit::RateLimits>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Origins allowed to call the API from a browser (none by default).
    pub cors_origins: Vec<String>,
    /// Signs the anti-forgery tokens of the public web form.
    pub csrf: web::csrf::CsrfKey,
    /// Public feeds rendered for their current version.
    pub feed_cache: std::sync::Arc<http::feed_cache::FeedCache>,
    /// Private feeds rendered for their current version (a few, bounded).
    pub private_feeds: std::sync::Arc<http::feed_cache::FeedCache>,
    /// Each feed's version as last worked out, by change stamp.
    pub feed_versions: std::sync::Arc<http::feed_versions::FeedVersions>,
    /// Where every front door reads `now` from.
    pub clock: clock::Clock,
    /// What `/metrics` reports (served on its own listener, not by `app`).
    pub metrics: std::sync::Arc<metrics::Metrics>,
    /// What writing messages needs: link addresses and the signing key.
    pub mailroom: domain::notifications::Mailroom,
    /// How long signed-in web sessions last.
    pub sessions: domain::sessions::SessionPolicy,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: &config::Config, jwt_secret: &config::JwtSecret) -> Self {
        Self::with_clock(db, config, jwt_secret, clock::Clock::system())
    }

    /// The app on a clock of the caller's choosing (tests move it).
    pub fn with_clock(
        db: DatabaseConnection,
        config: &config::Config,
        jwt_secret: &config::JwtSecret,
        clock: clock::Clock,
    ) -> Self {
        let tokens = auth::jwt::TokenKeys::new(jwt_secret, chrono::Duration::hours(config.jwt_ttl_hours.into()));
        let urls = urls::PublicUrls::new(&config.public_url);
        let rate_limits = std::sync::Arc::new(rate_limit::RateLimits::new(&config.rate_limits));
        hashing::start(config.password_hashers);
        let (feed_cache, private_feeds) = http::feed_cache::FeedCache::within(config.feed_cache_mib);
        let feed_cache = std::sync::Arc::new(feed_cache);
        let metrics = std::sync::Arc::new(metrics::Metrics::new(
            db.clone(),
            feed_cache.clone(),
            rate_limits.clone(),
        ));
        let mailroom = domain::notifications::Mailroom {
            urls: urls.clone(),
            links: domain::notifications::links::LinkKey::derive(jwt_secret),
            chase_after: chrono::Duration::days(config.offer_chase_days.into()),
        };
        Self {
            schema: graphql::build_schema(
                db.clone(),
                tokens.clone(),
                urls.clone(),
                rate_limits.clone(),
                clock.clone(),
                mailroom.clone(),
                config.retention(),
            ),
            db,
            tokens,
            urls,
            feed_past_days: config.feed_past_days,
            max_body_bytes: config.max_body_bytes,
            retention: config.retention(),
            rate_limits,
            trusted_proxies: config.trusted_proxies.clone(),
            cors_origins: config.cors_origins.clone(),
            csrf: web::csrf::CsrfKey::derive(jwt_secret),
            feed_cache,
            private_feeds: std::sync::Arc::new(private_feeds),
            feed_versions: std::sync::Arc::new(http::feed_versions::FeedVersions::new()),
            clock,
            metrics,
            mailroom,
            sessions: config.sessions,
        }
    }
}
