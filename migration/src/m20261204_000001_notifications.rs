//! Notifications: the outbox of messages to send, each person's choices of
//! what to be told and how, single-use account links (password reset, email
//! verification and change), where each consumer of the journal has read
//! up to, and when an account's address was verified.
//!
//! An outbox row names its recipient by id (an account, a request's
//! contact, a pending address change), never by address: the address is
//! looked up when the message is sent, so an erased account or a purged
//! contact is never written to, and no copy of an address sits here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    // One message per (trigger, subject, recipient): a second
                    // planning of the same trigger inserts nothing.
                    .col(string_len("dedupe_key", 200).unique_key())
                    .col(string_len("kind", 40))
                    .col(uuid_null("recipient_user_id"))
                    .col(uuid_null("recipient_request_id"))
                    .col(uuid_null("recipient_token_id"))
                    .col(boolean("digest").default(false))
                    .col(text_null("subject"))
                    .col(text_null("body_text"))
                    .col(text_null("body_html"))
                    .col(text_null("unsubscribe_url"))
                    .col(string_len("status", 16))
                    .col(integer("attempts").default(0))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("claimed_at"))
                    .col(string_len_null("last_error", 500))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone_null("body_removed_at"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_outbox_status_next_attempt_at", &["status", "next_attempt_at"][..]),
            ("ix_outbox_recipient_user_id", &["recipient_user_id"][..]),
            ("ix_outbox_sent_at", &["sent_at"][..]),
        ] {
            let mut index = Index::create().name(name).table("outbox").if_not_exists().to_owned();
            for column in columns {
                index.col(Alias::new(*column));
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("notification_settings")
                    .if_not_exists()
                    .col(uuid("user_id"))
                    .col(string_len("kind", 40))
                    .col(string_len("delivery", 16))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("user_id").col("kind"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("account_tokens")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    .col(string_len("purpose", 24))
                    // SHA-256 of the secret in the link, hex: the secret itself
                    // is never stored.
                    .col(string_len("token_hash", 64).unique_key())
                    .col(string_len_null("new_email", 254))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_account_tokens_user_id")
                    .table("account_tokens")
                    .col("user_id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("journal_cursors")
                    .if_not_exists()
                    .col(string_len("consumer", 40).primary_key())
                    .col(big_integer("position"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        // The outbox starts from what is already in the journal: a network
        // that upgrades is not mailed about its past.
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO journal_cursors (consumer, position, updated_at) \
             SELECT 'outbox', COALESCE(MAX(position), 0), CURRENT_TIMESTAMP FROM domain_events",
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(timestamp_with_time_zone_null("email_verified_at"))
                    .to_owned(),
            )
            .await?;
        // Accounts made before verification existed were made by operators
        // or are in use already: they keep being written to.
        db.execute_unprepared("UPDATE users SET email_verified_at = created_at WHERE email IS NOT NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("email_verified_at")
                    .to_owned(),
            )
            .await?;
        for table in ["journal_cursors", "account_tokens", "notification_settings", "outbox"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
