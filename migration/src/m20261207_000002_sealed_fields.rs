//! Sealed personal fields: beside each sealed email a keyed hash of the
//! address finds the row (login, the taken-address check, admin look-up,
//! a requester's own requests). The unique index moves from the address
//! (sealed values differ even for one address) to its hash. Sealing the
//! rows already held needs the data key, which no migration has: the
//! server seals them in batches at start (`domain::sealing::store`),
//! before it serves.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [("users", "email_hash"), ("requests", "contact_email_hash")] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(string_len_null(Alias::new(column), 64))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ux_users_email_lower")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_email_hash")
                    .table("users")
                    .col("email_hash")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_requests_contact_email_hash")
                    .table("requests")
                    .col("contact_email_hash")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_requests_contact_email_hash")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ux_users_email_hash")
            .await?;
        for (table, column) in [("users", "email_hash"), ("requests", "contact_email_hash")] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared("CREATE UNIQUE INDEX IF NOT EXISTS ux_users_email_lower ON users (lower(email))")
            .await?;
        Ok(())
    }
}
