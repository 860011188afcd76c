//! Signed-in web sessions: the browser holds a random id in a cookie, the
//! database only its SHA-256, beside whose session it is, the account's
//! token version when it began (a sign-out everywhere, a new password, a
//! role change or an erasure moves the version on and so ends it), and
//! when it began, was last used and must end.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("web_sessions")
                    .if_not_exists()
                    .col(string_len("id_hash", 64).primary_key())
                    .col(uuid("user_id"))
                    .col(integer("token_version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_web_sessions_user_id", "user_id"),
            ("ix_web_sessions_expires_at", "expires_at"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("web_sessions")
                        .col(Alias::new(column))
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("web_sessions").if_exists().to_owned())
            .await
    }
}
