//! Background work inside the server: the retention purge, run shortly
//! after start and then every hour until the server stops.
//!
//! With several instances on one database each runs its own purge; that is
//! harmless, since a purge only removes what is already past its time and
//! a second run finds nothing left.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    clock::Clock,
    domain::retention::{self, RetentionPolicy},
    error::Error,
};

/// First run: soon after start, once start-up work has settled.
pub const FIRST_PURGE_AFTER: Duration = Duration::from_secs(5);
pub const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// A running background task and the way to stop it.
pub struct Background {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Background {
    /// Stops the task and waits for a purge in progress to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts the periodic retention purge.
pub fn start_retention(db: DatabaseConnection, policy: RetentionPolicy, clock: Clock) -> Background {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + FIRST_PURGE_AFTER, PURGE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                _ = ticks.tick() => purge_once(&db, policy, clock.now()).await,
            }
        }
    });
    Background { stop, task }
}

/// One purge, logged by counts only.
async fn purge_once(db: &DatabaseConnection, policy: RetentionPolicy, now: DateTime<Utc>) {
    match retention::purge(db, policy, now).await {
        Ok(report) => {
            // Only after a purge that removed something: emptying the log
            // makes new writers wait for the readers.
            if report.removed_anything() {
                crate::domain::privacy::wipe_erased(db).await;
            }
            tracing::info!(
                requests_purged = report.requests_purged,
                audit_entries_removed = report.audit_entries_removed,
                journal_entries_removed = report.journal_entries_removed,
                attendance_forgotten = report.attendance_forgotten,
                message_bodies_removed = report.message_bodies_removed,
                account_links_removed = report.account_links_removed,
                sessions_removed = report.sessions_removed,
                signatures_purged = report.signatures_purged,
                "retention purge"
            )
        }
        // Only dates and fixed values go into the purge's statements, so
        // the database's message cannot quote anyone's data.
        Err(Error::Internal(source)) => {
            tracing::error!(
                error = format!("{source:#}"),
                "retention purge failed; next try within the hour"
            )
        }
        Err(other) => tracing::error!(error = %other, "retention purge failed; next try within the hour"),
    }
}
