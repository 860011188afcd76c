//! Opening the database and bringing its schema up to date.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseUrl;

/// Opens a connection pool. SQLite gets WAL (readers do not block the
/// writer), foreign keys on (SQLite leaves them off by default), a busy
/// timeout so concurrent writers wait instead of failing at once, and
/// `secure_delete`, so that what a change removes is overwritten with
/// zeros in the pages it rewrites instead of lingering in free space
/// (see [`wipe_freed`] for the write-ahead log).
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
                .pragma("secure_delete", "ON")
        });
    } else {
        options.max_connections(16);
    }
    let mut db = Database::connect(options).await?;
    // Counted for `/metrics`, nothing recorded of the statement itself.
    db.set_metric_callback(|_| crate::metrics::statement_sent());
    Ok(db)
}

/// Applies every pending migration; a no-op on an up-to-date database.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// After a committed erasure or purge: makes the bytes it removed
/// unreadable from the database's files as well as from its tables. With
/// `secure_delete` the new pages hold zeros where the data was, but the
/// write-ahead log still holds the pages as they were before, until a
/// checkpoint copies the new ones into the database file; `TRUNCATE` then
/// empties the log. It waits (up to the busy timeout) for readers still
/// on the old pages. Returns whether the log was emptied, or `None` on
/// PostgreSQL, where old row versions stay until they are overwritten and
/// in the WAL archive, which no application can reach (README, "Running
/// on PostgreSQL").
pub async fn wipe_freed(db: &DatabaseConnection) -> Result<Option<bool>, DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("wal_checkpoint answered no row".into()))?;
    // (busy, pages in the log, pages checkpointed): busy = 1 when a reader
    // kept the checkpoint from finishing.
    let busy: i32 = row.try_get_by_index(0)?;
    Ok(Some(busy == 0))
}
