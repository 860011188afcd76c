//! Attendance forgotten: a set number of days after an event ends its RSVPs
//! (who went, who waited) are deleted and only their counts stay, here on
//! the event, with when that happened.
//!
//! One column per statement: SQLite adds columns one at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn add(column: ColumnDef) -> TableAlterStatement {
    Table::alter().table("events").add_column(column).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["going_count_kept", "waitlisted_count_kept"] {
            manager
                .alter_table(add(integer_null(column).check(Expr::col(column).gte(0)).take()))
                .await?;
        }
        manager
            .alter_table(add(timestamp_with_time_zone_null("attendance_forgotten_at")))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["attendance_forgotten_at", "waitlisted_count_kept", "going_count_kept"] {
            manager
                .alter_table(Table::alter().table("events").drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}
