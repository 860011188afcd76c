//! `(visibility, starts_at, id)` on events: the public lists (the events
//! page, a group's page, the sitemap, the `events` connection for someone
//! signed out) ask for the public events starting in a window, in start
//! order. With `(visibility, ends_at)` alone SQLite read every public
//! event ending after now and sorted them for each page, so the events
//! page cost grew with the whole future calendar (134 × from 2,000 to
//! 200,000 events); with this index it reads the page's rows in order and
//! stops.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_events_visibility_starts_at_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table("events")
                    .col("visibility")
                    .col("starts_at")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table("events").to_owned())
            .await
    }
}
