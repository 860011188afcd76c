//! Opening the database and bringing its schema up to date.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseUrl;

/// Opens a connection pool. SQLite gets WAL (readers do not block the
/// writer), foreign keys on (SQLite leaves them off by default) and a busy
/// timeout so concurrent writers wait instead of failing at once.
pub async fn connect(url: &DatabaseUrl) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.as_str());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // Statements are not logged: their parameters can hold personal data.
        .sqlx_logging(false);
    if url.is_sqlite() {
        let in_memory = url.sqlite_file().is_none();
        // An in-memory database exists once per connection: keep exactly one.
        options
            .max_connections(if in_memory { 1 } else { 8 })
            .min_connections(1);
        options.map_sqlx_sqlite_opts(|opts| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(16);
    }
    Database::connect(options).await
}

/// Applies every pending migration; a no-op on an up-to-date database.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
