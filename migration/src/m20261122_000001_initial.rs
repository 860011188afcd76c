//! The whole data model of DESIGN.md in one first migration, so that later
//! work adds behaviour rather than tables.
//!
//! Conventions: UUID primary keys; instants are `timestamp with time zone`
//! (UTC); enumerations are text columns guarded by a CHECK so that a stray
//! value cannot be written even outside the application; personal data lives
//! in nullable columns so that erasure can clear it and keep the row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A text column that only accepts the listed values.
fn one_of(column: &'static str, values: &[&'static str]) -> ColumnDef {
    text(column)
        .check(Expr::col(column).is_in(values.iter().map(|v| String::from(*v))))
        .take()
}

fn fk(
    from_table: &'static str,
    from_column: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_column}"))
        .from(from_table, from_column)
        .to(to_table, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

fn index(name: &'static str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create().name(name).table(table).if_not_exists().take();
    for column in columns {
        statement.col(*column);
    }
    statement
}

use ForeignKeyAction::{Cascade, Restrict, SetNull};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // users: email, name and password hash are nullable because erasure
        // clears them and keeps the row as "former member".
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(text_null("email"))
                    .col(text_null("display_name"))
                    .col(text_null("password_hash"))
                    .col(one_of("role", &["SUPPORTER", "COORDINATOR", "ADMIN"]).default("SUPPORTER"))
                    .col(integer("token_version").default(0))
                    .col(timestamp_with_time_zone_null("erased_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;
        // Emails are unique case-insensitively; an expression index is the
        // only way to say that on both SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX IF NOT EXISTS ux_users_email_lower ON users (lower(email))")
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("groups")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(text_uniq("slug"))
                    .col(text("name"))
                    .col(text("region"))
                    .col(text("description").default(""))
                    .col(text_null("contact_email"))
                    .col(timestamp_with_time_zone_null("archived_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_groups_region", "groups", &["region"]))
            .await?;
        manager
            .create_index(index("ix_groups_name", "groups", &["name"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("memberships")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(uuid("group_id"))
                    .col(one_of("role", &["MEMBER", "ORGANISER"]))
                    .col(one_of("status", &["PENDING", "ACTIVE"]))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("approved_at"))
                    .foreign_key(&mut fk("memberships", "user_id", "users", Cascade))
                    .foreign_key(&mut fk("memberships", "group_id", "groups", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_memberships_user_group", "memberships", &["user_id", "group_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_memberships_group_status",
                "memberships",
                &["group_id", "status"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("topics")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(text_uniq("slug"))
                    .col(text("name"))
                    .col(text("description").default(""))
                    .col(integer("typical_duration_minutes"))
                    .col(timestamp_with_time_zone_null("archived_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;

        // A trainer profile belongs to one user; its id is the user's id.
        manager
            .create_table(
                Table::create()
                    .table("trainer_profiles")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(integer("monthly_cap").default(4))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_trainer_profiles_user")
                            .from("trainer_profiles", "id")
                            .to("users", "id")
                            .on_delete(Cascade)
                            .take(),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("trainer_topics")
                    .if_not_exists()
                    .col(uuid("trainer_id"))
                    .col(uuid("topic_id"))
                    .primary_key(Index::create().col("trainer_id").col("topic_id"))
                    .foreign_key(&mut fk("trainer_topics", "trainer_id", "trainer_profiles", Cascade))
                    .foreign_key(&mut fk("trainer_topics", "topic_id", "topics", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_trainer_topics_topic", "trainer_topics", &["topic_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("trainer_regions")
                    .if_not_exists()
                    .col(uuid("trainer_id"))
                    .col(text("region"))
                    .primary_key(Index::create().col("trainer_id").col("region"))
                    .foreign_key(&mut fk("trainer_regions", "trainer_id", "trainer_profiles", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("trainer_unavailability")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("trainer_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "trainer_unavailability",
                        "trainer_id",
                        "trainer_profiles",
                        Cascade,
                    ))
                    .check(Expr::col("starts_at").lt(Expr::col("ends_at")))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_trainer_unavailability_trainer",
                "trainer_unavailability",
                &["trainer_id", "starts_at"],
            ))
            .await?;

        // requests: contact fields are nullable (a group's own request has
        // none beyond the organiser; retention purges them after the end).
        manager
            .create_table(
                Table::create()
                    .table("requests")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(text_uniq("reference"))
                    .col(one_of("kind", &["SPEAKER", "WORKSHOP"]))
                    .col(uuid("topic_id"))
                    .col(uuid_null("group_id"))
                    .col(text_null("organisation_name"))
                    .col(text_null("contact_name"))
                    .col(text_null("contact_email"))
                    .col(boolean("online").default(false))
                    .col(text_null("town"))
                    .col(text_null("postcode_area"))
                    .col(integer_null("expected_audience"))
                    .col(text("notes").default(""))
                    .col(one_of(
                        "state",
                        &[
                            "SUBMITTED",
                            "ASSIGNED",
                            "CONFIRMED",
                            "DELIVERED",
                            "DECLINED",
                            "WITHDRAWN",
                            "CANCELLED",
                        ],
                    ))
                    .col(integer("version").default(1))
                    .col(uuid_null("submitted_by"))
                    .col(text_null("decline_reason"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    .col(timestamp_with_time_zone_null("contact_purged_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("requests", "topic_id", "topics", Restrict))
                    .foreign_key(&mut fk("requests", "group_id", "groups", SetNull))
                    .foreign_key(&mut fk("requests", "submitted_by", "users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_requests_state_created", "requests", &["state", "created_at"]))
            .await?;
        manager
            .create_index(index("ix_requests_group", "requests", &["group_id"]))
            .await?;
        manager
            .create_index(index("ix_requests_ended", "requests", &["ended_at"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("request_windows")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("request_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .foreign_key(&mut fk("request_windows", "request_id", "requests", Cascade))
                    .check(Expr::col("starts_at").lt(Expr::col("ends_at")))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_request_windows_request", "request_windows", &["request_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("request_transitions")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("request_id"))
                    .col(text_null("from_state"))
                    .col(text("to_state"))
                    .col(uuid_null("actor_id"))
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("request_transitions", "request_id", "requests", Cascade))
                    .foreign_key(&mut fk("request_transitions", "actor_id", "users", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_request_transitions_request",
                "request_transitions",
                &["request_id", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("assignments")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("request_id"))
                    .col(uuid("trainer_id"))
                    .col(one_of("status", &["PROPOSED", "ACCEPTED", "DECLINED"]))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(uuid_null("assigned_by"))
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("responded_at"))
                    .foreign_key(&mut fk("assignments", "request_id", "requests", Cascade))
                    .foreign_key(&mut fk("assignments", "trainer_id", "trainer_profiles", Restrict))
                    .foreign_key(&mut fk("assignments", "assigned_by", "users", SetNull))
                    .check(Expr::col("starts_at").lt(Expr::col("ends_at")))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_assignments_request", "assignments", &["request_id"]))
            .await?;
        manager
            .create_index(index(
                "ix_assignments_trainer_start",
                "assignments",
                &["trainer_id", "starts_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("events")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(text("title"))
                    .col(text("description").default(""))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(text("timezone").default("Europe/London"))
                    .col(text_null("venue"))
                    .col(text_null("address"))
                    .col(text_null("online_url"))
                    .col(one_of(
                        "kind",
                        &["WORKSHOP", "TALK", "TRAINING", "ACTION", "MEETING", "OTHER"],
                    ))
                    .col(uuid_null("group_id"))
                    .col(uuid_null("topic_id"))
                    .col(one_of("visibility", &["PUBLIC", "MEMBERS"]))
                    .col(one_of("status", &["SCHEDULED", "CANCELLED"]))
                    .col(integer("sequence").default(0))
                    .col(integer_null("capacity"))
                    .col(uuid_null("request_id"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("events", "group_id", "groups", SetNull))
                    .foreign_key(&mut fk("events", "topic_id", "topics", SetNull))
                    .foreign_key(&mut fk("events", "request_id", "requests", SetNull))
                    .foreign_key(&mut fk("events", "created_by", "users", SetNull))
                    .check(Expr::col("starts_at").lt(Expr::col("ends_at")))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_events_starts_at", "events", &["starts_at"]))
            .await?;
        manager
            .create_index(index("ix_events_group_starts_at", "events", &["group_id", "starts_at"]))
            .await?;
        manager
            .create_index(index("ix_events_updated_at", "events", &["updated_at"]))
            .await?;
        manager
            .create_index(index("ix_events_request", "events", &["request_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("rsvps")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("event_id"))
                    .col(uuid("user_id"))
                    .col(one_of("status", &["GOING", "WAITLISTED"]))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("rsvps", "event_id", "events", Cascade))
                    .foreign_key(&mut fk("rsvps", "user_id", "users", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index("ux_rsvps_event_user", "rsvps", &["event_id", "user_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_rsvps_event_status",
                "rsvps",
                &["event_id", "status", "created_at"],
            ))
            .await?;
        manager
            .create_index(index("ix_rsvps_user", "rsvps", &["user_id"]))
            .await?;

        // Only a hash of the feed secret is stored: a leaked database does
        // not hand out anyone's private calendar.
        manager
            .create_table(
                Table::create()
                    .table("feed_tokens")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(text("label"))
                    .col(text_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("feed_tokens", "user_id", "users", Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("ix_feed_tokens_user", "feed_tokens", &["user_id"]))
            .await?;

        // Audit entries outlive neither party's erasure in a readable form:
        // the references are set to NULL when a user row goes.
        manager
            .create_table(
                Table::create()
                    .table("audit_entries")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid_null("actor_id"))
                    .col(uuid_null("subject_id"))
                    .col(uuid_null("request_id"))
                    .col(text("action"))
                    .col(text("operation"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("audit_entries", "actor_id", "users", SetNull))
                    .foreign_key(&mut fk("audit_entries", "subject_id", "users", SetNull))
                    .foreign_key(&mut fk("audit_entries", "request_id", "requests", SetNull))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_audit_entries_subject",
                "audit_entries",
                &["subject_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index("ix_audit_entries_created", "audit_entries", &["created_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_entries",
            "feed_tokens",
            "rsvps",
            "events",
            "assignments",
            "request_transitions",
            "request_windows",
            "requests",
            "trainer_unavailability",
            "trainer_regions",
            "trainer_topics",
            "trainer_profiles",
            "topics",
            "memberships",
            "groups",
            "users",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
