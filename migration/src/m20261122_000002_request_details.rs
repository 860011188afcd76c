//! What the request workflow needs beyond the first data model: the region
//! a request is for (matching trainers by region, the coordinators' queue
//! filter), whether its event may be listed publicly, and what delivery
//! reported (attendance and feedback).
//!
//! One column per statement: SQLite adds columns one at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn add(column: ColumnDef) -> TableAlterStatement {
    Table::alter().table("requests").add_column(column).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(add(text_null("region"))).await?;
        manager
            .alter_table(add(boolean("public_event").default(true).take()))
            .await?;
        manager
            .alter_table(add(integer_null("attendance")
                .check(Expr::col("attendance").gte(0))
                .take()))
            .await?;
        manager.alter_table(add(text_null("feedback"))).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["feedback", "attendance", "public_event", "region"] {
            manager
                .alter_table(Table::alter().table("requests").drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}
