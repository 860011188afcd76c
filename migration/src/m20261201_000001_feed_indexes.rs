//! Indexes for the reads that every calendar poll and event list makes,
//! chosen with `EXPLAIN QUERY PLAN` on a seeded network:
//!
//! - `(visibility, ends_at)`: a feed's version counts the public events
//!   still in its window; with this index the count reads the index alone
//!   instead of every row of `events`.
//! - `(starts_at, id)`: feeds and the `events` connection order by start and
//!   then id (the cursor); the old one-column index left SQLite sorting the
//!   ties in a temporary tree on every request.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create().name(name).table("events").if_not_exists().take();
    for column in columns {
        statement.col(*column);
    }
    statement
}

fn drop(name: &'static str) -> IndexDropStatement {
    Index::drop().name(name).table("events").to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("ix_events_visibility_ends_at", &["visibility", "ends_at"]))
            .await?;
        manager
            .create_index(index("ix_events_starts_at_id", &["starts_at", "id"]))
            .await?;
        manager.drop_index(drop("ix_events_starts_at")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("ix_events_starts_at", &["starts_at"]))
            .await?;
        manager.drop_index(drop("ix_events_starts_at_id")).await?;
        manager.drop_index(drop("ix_events_visibility_ends_at")).await
    }
}
