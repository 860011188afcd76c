//! Recurring events: a series keeps its first occurrence's local wall-clock
//! start and end, its IANA zone and its rule (a checked RRULE in canonical
//! form), with the fields its occurrences share. Each occurrence is an
//! ordinary row of `events` pointing at its series (`series_id`), named by
//! the start the rule gives it (`original_starts_at`), so lists, pages,
//! RSVPs and feeds' windows see occurrences as events. An exception keys a
//! change to one occurrence (cancelled, or another time, place, title) by
//! that original start, so the rows can be regenerated from the series and
//! its exceptions whenever either changes.
//!
//! `events.series_id` has no foreign key: SQLite cannot add one to an
//! existing table; series are never deleted, only ended.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn one_of(column: &'static str, values: &[&'static str]) -> ColumnDef {
    text(column)
        .check(Expr::col(column).is_in(values.iter().copied()))
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("event_series")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(text("title"))
                    .col(text("description").default(""))
                    .col(text("timezone"))
                    .col(timestamp("local_starts_at"))
                    .col(timestamp("local_ends_at"))
                    .col(text("rrule"))
                    .col(text_null("venue"))
                    .col(text_null("address"))
                    .col(text_null("online_url"))
                    .col(one_of("venue_visibility", &["PUBLIC", "GOING"]))
                    .col(text_null("town"))
                    .col(text_null("postcode_area"))
                    .col(one_of(
                        "kind",
                        &["WORKSHOP", "TALK", "TRAINING", "ACTION", "MEETING", "OTHER"],
                    ))
                    .col(uuid_null("group_id"))
                    .col(uuid_null("topic_id"))
                    .col(one_of("visibility", &["PUBLIC", "MEMBERS"]))
                    .col(integer_null("capacity"))
                    .col(integer("sequence").default(0))
                    .col(text_null("import_uid"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_series_group_id")
                            .from("event_series", "group_id")
                            .to("groups", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_series_topic_id")
                            .from("event_series", "topic_id")
                            .to("topics", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_series_created_by")
                            .from("event_series", "created_by")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_event_series_group_import_uid")
                    .table("event_series")
                    .col("group_id")
                    .col("import_uid")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("event_series_exceptions")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("series_id"))
                    .col(timestamp_with_time_zone("original_starts_at"))
                    .col(boolean("cancelled").default(false))
                    .col(boolean("removed").default(false))
                    .col(timestamp_with_time_zone_null("starts_at"))
                    .col(timestamp_with_time_zone_null("ends_at"))
                    .col(text_null("title"))
                    .col(text_null("description"))
                    .col(text_null("venue"))
                    .col(text_null("address"))
                    .col(text_null("online_url"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_series_exceptions_series_id")
                            .from("event_series_exceptions", "series_id")
                            .to("event_series", "id")
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_event_series_exceptions_original")
                    .table("event_series_exceptions")
                    .col("series_id")
                    .col("original_starts_at")
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("events").add_column(uuid_null("series_id")).take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("events")
                    .add_column(timestamp_with_time_zone_null("original_starts_at"))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("events")
                    .add_column(text_null("import_uid"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_events_group_import_uid")
                    .table("events")
                    .col("group_id")
                    .col("import_uid")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_events_series_original")
                    .table("events")
                    .col("series_id")
                    .col("original_starts_at")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_events_series_original")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ix_events_group_import_uid")
            .await?;
        for column in ["import_uid", "original_starts_at", "series_id"] {
            manager
                .alter_table(Table::alter().table("events").drop_column(column).take())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("event_series_exceptions").if_exists().to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("event_series").if_exists().to_owned())
            .await
    }
}
