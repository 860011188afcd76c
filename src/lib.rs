//! muster: coordination server for a campaign network. The binary in
//! `main.rs` is a thin CLI over this library; tests build the same app.

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
    pub max_body_bytes: usize,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: &config::Config) -> Self {
        Self {
            schema: graphql::build_schema(db.clone()),
            db,
            max_body_bytes: config.max_body_bytes,
        }
    }
}
