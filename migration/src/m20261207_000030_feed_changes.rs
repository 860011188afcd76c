//! The feed change stamp: one row whose number moves, in the same
//! transaction, with every write to a row that a calendar feed is made
//! from (events, groups, topics, RSVPs, memberships, accepted engagements,
//! a person's role or erasure, a feed token's revocation). A server reads
//! it with one tiny statement per feed request: while it has not moved,
//! what that server worked out for a feed still holds, whichever instance,
//! command or job wrote last.
//!
//! Triggers rather than calls in the code: they catch every writer (the
//! CLI, another instance, retention jobs, a hand-made fix in `psql`), so
//! no write path can forget. On SQLite writers take turns anyway, so a
//! row trigger suffices. On PostgreSQL the triggers are deferred to
//! commit and move the number once per transaction: the row is locked
//! only for the instant of the commit, after every other lock the
//! transaction takes, so it cannot close a cycle of waits with them.
//! Columns written on every poll (a token's `last_used_at`) or unrelated
//! to feeds (a person's name, password, sign-in version) do not move it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, what writes move the stamp, a name for the trigger).
const WATCHED: &[(&str, &str, &str)] = &[
    ("events", "INSERT OR UPDATE OR DELETE", "events"),
    // A series is written whole from its own row and its exceptions.
    ("event_series", "INSERT OR UPDATE OR DELETE", "event_series"),
    (
        "event_series_exceptions",
        "INSERT OR UPDATE OR DELETE",
        "series_exceptions",
    ),
    ("groups", "INSERT OR UPDATE OR DELETE", "groups"),
    ("topics", "INSERT OR UPDATE OR DELETE", "topics"),
    ("rsvps", "INSERT OR UPDATE OR DELETE", "rsvps"),
    ("memberships", "INSERT OR UPDATE OR DELETE", "memberships"),
    ("assignments", "INSERT OR UPDATE OR DELETE", "assignments"),
    ("users", "UPDATE OF role, erased_at", "users"),
    ("feed_tokens", "UPDATE OF revoked_at OR DELETE", "feed_tokens"),
];

const BUMP: &str = "UPDATE feed_changes SET stamp = stamp + 1 WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE feed_changes (id INTEGER PRIMARY KEY CHECK (id = 1), stamp BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO feed_changes (id, stamp) VALUES (1, 0)")
            .await?;
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                // `muster.feed_changed` holds, for the rest of the
                // transaction, the id of the transaction that already moved
                // the stamp: a bulk write moves it once, not once a row.
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION feed_changed() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       IF current_setting('muster.feed_changed', true) IS DISTINCT FROM txid_current()::text THEN \
                         PERFORM set_config('muster.feed_changed', txid_current()::text, true); \
                         {BUMP}; \
                       END IF; \
                       RETURN NULL; \
                     END $$"
                ))
                .await?;
                for (table, events, name) in WATCHED {
                    db.execute_unprepared(&format!(
                        "CREATE CONSTRAINT TRIGGER feed_changed_{name} AFTER {events} ON {table} \
                         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION feed_changed()"
                    ))
                    .await?;
                }
            }
            _ => {
                // SQLite names one event per trigger.
                for (table, events, name) in WATCHED {
                    for event in events.split(" OR ") {
                        let suffix = event.split_whitespace().next().unwrap_or_default().to_lowercase();
                        db.execute_unprepared(&format!(
                            "CREATE TRIGGER feed_changed_{name}_{suffix} AFTER {event} ON {table} \
                             BEGIN {BUMP}; END"
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                for (table, _, name) in WATCHED {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS feed_changed_{name} ON {table}"))
                        .await?;
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS feed_changed()").await?;
            }
            _ => {
                for (_, events, name) in WATCHED {
                    for event in events.split(" OR ") {
                        let suffix = event.split_whitespace().next().unwrap_or_default().to_lowercase();
                        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS feed_changed_{name}_{suffix}"))
                            .await?;
                    }
                }
            }
        }
        db.execute_unprepared("DROP TABLE feed_changes").await?;
        Ok(())
    }
}
