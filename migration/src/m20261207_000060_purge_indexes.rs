//! Indexes for the retention purge's selections, so each batch finds its
//! rows without reading what earlier purges already did:
//!
//! - `(attendance_forgotten_at, ends_at)` on events: the ended events whose
//!   RSVPs were never reduced to counts (`attendance_forgotten_at IS NULL
//!   AND ends_at <= cutoff`). Without it every batch read every ended
//!   event with an `EXISTS` on its RSVPs, 92,000 of them on a seeded
//!   network of 200,000 events, under the write lock.
//! - `(contact_purged_at, ended_at)` on requests: the ended requests whose
//!   contact details are still held.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, [&str; 2]); 2] = [
    (
        "ix_events_attendance_pending",
        "events",
        ["attendance_forgotten_at", "ends_at"],
    ),
    (
        "ix_requests_contact_pending",
        "requests",
        ["contact_purged_at", "ended_at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, [first, second]) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(first)
                        .col(second)
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
