//! Database migrations for muster, run at start by `muster serve` and by
//! `muster migrate`. Each migration is written once and never edited after it
//! has landed: a change to the schema is a new migration.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261122_000002_request_details;
mod m20261201_000001_feed_indexes;
mod m20261202_000001_domain_events;
mod m20261203_000001_attendance_counts;
mod m20261204_000001_notifications;
mod m20261205_000001_web_sessions;
mod m20261207_000001_venues_for_going;
mod m20261207_000002_sealed_fields;
mod m20261207_000020_event_series;
mod m20261207_000030_feed_changes;
mod m20261207_000040_letters;
mod m20261207_000050_events_by_visibility_and_start;
mod m20261207_000060_purge_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_request_details::Migration),
            Box::new(m20261201_000001_feed_indexes::Migration),
            Box::new(m20261202_000001_domain_events::Migration),
            Box::new(m20261203_000001_attendance_counts::Migration),
            Box::new(m20261204_000001_notifications::Migration),
            Box::new(m20261205_000001_web_sessions::Migration),
            Box::new(m20261207_000001_venues_for_going::Migration),
            Box::new(m20261207_000002_sealed_fields::Migration),
            Box::new(m20261207_000020_event_series::Migration),
            Box::new(m20261207_000030_feed_changes::Migration),
            Box::new(m20261207_000040_letters::Migration),
            Box::new(m20261207_000050_events_by_visibility_and_start::Migration),
            Box::new(m20261207_000060_purge_indexes::Migration),
        ]
    }
}
