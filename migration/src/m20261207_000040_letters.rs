//! Joint letters and pledges, their signatures and the coordinators' block
//! list.
//!
//! A signature's personal fields (an individual's name, an organisation's
//! contact name, every email) are sealed by the application; beside the
//! email a keyed hash of its canonical form finds duplicates, and its
//! domain (lower-cased) lets coordinators see and invalidate by domain.
//! The client address is kept only as a keyed hash (`source_hash`), for the
//! rate limits and the "signing fastest" view. All of these are cleared
//! some months after the letter is delivered or closed; the rows stay, so
//! the counts do.
//!
//! The outbox gains a recipient kind (a signatory, who has no account) and
//! the audit trail a letter, for reads and exports of signatories' details.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: &str,
    columns: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(Alias::new(table)).if_not_exists();
    for column in columns {
        statement.col(Alias::new(*column));
    }
    if unique {
        statement.unique();
    }
    manager.create_index(statement.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("letters")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(text("slug").unique_key())
                    .col(text("kind").check(Expr::col("kind").is_in(["LETTER", "PLEDGE"])))
                    .col(text("title"))
                    .col(text("body"))
                    .col(text("addressee"))
                    .col(text("takes").check(Expr::col("takes").is_in(["ORGANISATIONS", "INDIVIDUALS", "BOTH"])))
                    .col(text("status").check(Expr::col("status").is_in(["DRAFT", "OPEN", "CLOSED", "DELIVERED"])))
                    .col(timestamp_with_time_zone_null("opens_at"))
                    .col(timestamp_with_time_zone_null("closes_at"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    .col(timestamp_with_time_zone_null("signatures_purged_at"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("letter_groups")
                    .if_not_exists()
                    .col(uuid("letter_id"))
                    .col(uuid("group_id"))
                    .primary_key(Index::create().col("letter_id").col("group_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("letter_groups", "letter_id")
                            .to("letters", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("letter_groups", "group_id")
                            .to("groups", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("signatures")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(uuid("letter_id"))
                    .col(text("kind").check(Expr::col("kind").is_in(["ORGANISATION", "INDIVIDUAL"])))
                    .col(text_null("organisation"))
                    .col(text_null("organisation_kind"))
                    .col(text_null("town"))
                    .col(text_null("region"))
                    .col(text_null("postcode_area"))
                    .col(text_null("name"))
                    .col(text_null("contact_name"))
                    .col(boolean("show_name").default(false))
                    .col(text_null("email"))
                    .col(text_null("email_hash"))
                    .col(text_null("email_domain"))
                    .col(text_null("source_hash"))
                    .col(text_null("confirm_token_hash"))
                    .col(text("status").check(Expr::col("status").is_in(["PENDING", "CONFIRMED", "INVALIDATED"])))
                    .col(timestamp_with_time_zone_null("approved_at"))
                    .col(timestamp_with_time_zone("signed_at"))
                    .col(timestamp_with_time_zone_null("confirmed_at"))
                    .col(timestamp_with_time_zone_null("invalidated_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("purged_at"))
                    .foreign_key(ForeignKey::create().from("signatures", "letter_id").to("letters", "id"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_signatures_letter_email",
            "signatures",
            &["letter_id", "email_hash"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_signatures_letter_status",
            "signatures",
            &["letter_id", "status"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_signatures_letter_domain",
            "signatures",
            &["letter_id", "email_domain"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_signatures_source",
            "signatures",
            &["source_hash", "signed_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_signatures_token",
            "signatures",
            &["confirm_token_hash"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_signatures_email_hash",
            "signatures",
            &["email_hash"],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("letter_blocks")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(text("kind").check(Expr::col("kind").is_in(["ADDRESS", "DOMAIN"])))
                    .col(text("value").unique_key())
                    .col(text("label"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .add_column(uuid_null("recipient_signature_id"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("audit_entries")
                    .add_column(uuid_null("letter_id"))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("audit_entries").drop_column("letter_id").take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("outbox")
                    .drop_column("recipient_signature_id")
                    .take(),
            )
            .await?;
        for table in ["letter_blocks", "signatures", "letter_groups", "letters"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
