//! `domain_events`: what happened, recorded in the same transaction as the
//! change itself, for whatever must hear about it later (notifications,
//! caches). A row holds a kind, the ids of what it is about, who did it and
//! when: ids and nothing else, so that erasing a person leaves no copy of
//! their personal data here. `position` orders the rows for a consumer that
//! reads them in turn.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DomainEvents {
    Table,
    Position,
    Id,
    Kind,
    RequestId,
    AssignmentId,
    EventId,
    GroupId,
    UserId,
    ActorId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DomainEvents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(DomainEvents::Position)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(DomainEvents::Id).uuid().not_null().unique_key())
                    .col(ColumnDef::new(DomainEvents::Kind).string_len(40).not_null())
                    .col(ColumnDef::new(DomainEvents::RequestId).uuid().null())
                    .col(ColumnDef::new(DomainEvents::AssignmentId).uuid().null())
                    .col(ColumnDef::new(DomainEvents::EventId).uuid().null())
                    .col(ColumnDef::new(DomainEvents::GroupId).uuid().null())
                    .col(ColumnDef::new(DomainEvents::UserId).uuid().null())
                    .col(ColumnDef::new(DomainEvents::ActorId).uuid().null())
                    .col(
                        ColumnDef::new(DomainEvents::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_domain_events_kind_created_at")
                    .table(DomainEvents::Table)
                    .col(DomainEvents::Kind)
                    .col(DomainEvents::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DomainEvents::Table).to_owned())
            .await
    }
}
