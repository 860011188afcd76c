//! Venues for those going: an event may keep its exact venue and address
//! for the people with a place (`venue_visibility = 'GOING'`), and says to
//! everyone else only the town and the postcode area (`LS6`, never the
//! whole postcode).
//!
//! One column per statement: SQLite adds columns one at a time. Existing
//! events keep their venue public, as before.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn add(column: ColumnDef) -> TableAlterStatement {
    Table::alter().table("events").add_column(column).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(add(text("venue_visibility")
                .default("PUBLIC")
                .check(Expr::col("venue_visibility").is_in(["PUBLIC", "GOING"]))
                .take()))
            .await?;
        manager.alter_table(add(text_null("town"))).await?;
        manager.alter_table(add(text_null("postcode_area"))).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["postcode_area", "town", "venue_visibility"] {
            manager
                .alter_table(Table::alter().table("events").drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}
