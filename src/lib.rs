//! muster: coordination server for a campaign network. The binary in
//! `main.rs` is a thin CLI over this library; tests build the same app.

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod seed;
pub mod server;
pub mod telemetry;

use sea_orm::DatabaseConnection;

pub use http::app;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: graphql::MusterSchema,
    pub tokens: auth::jwt::TokenKeys,
    pub max_body_bytes: usize,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: &config::Config, jwt_secret: &config::JwtSecret) -> Self {
        let tokens = auth::jwt::TokenKeys::new(jwt_secret, chrono::Duration::hours(config.jwt_ttl_hours.into()));
        Self {
            schema: graphql::build_schema(db.clone(), tokens.clone()),
            db,
            tokens,
            max_body_bytes: config.max_body_bytes,
        }
    }
}
