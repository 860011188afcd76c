//! Data minimisation, checked against the schema itself: every column of
//! every table is listed here, either as one that can hold personal data,
//! with the row of README's "What is kept" table that says why and for how
//! long, or as one that cannot, with the reason. A migration that adds a
//! column fails this test until someone has decided which it is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{Backend, TestDb};
use sea_orm::{ConnectionTrait, Statement};

/// What a column may hold.
enum Holds {
    /// Personal data, or a link from a person to something (a membership,
    /// a place at an event): the README's "What is kept" table has a row
    /// whose "where" cell contains this text.
    Personal(&'static str),
    /// Nothing that names or links a person, and why (for the reader: the
    /// decision is the listing).
    #[allow(dead_code)]
    Nothing(&'static str),
}

use Holds::{Nothing, Personal};

const IDS: Holds = Nothing("ids, states, numbers and times of the network's own records");
const NETWORK: Holds = Nothing("public text about the network's groups, topics and events, written to be published");

/// Every table's columns, as the migrations make them.
const COLUMNS: &[(&str, &[&str], Holds)] = &[
    ("users", &["email"], Personal("`users.email`")),
    ("users", &["email_hash"], Personal("`users.email_hash`")),
    ("users", &["display_name"], Personal("`users.display_name`")),
    ("users", &["password_hash"], Personal("`users.password_hash`")),
    (
        "users",
        &[
            "id",
            "role",
            "token_version",
            "erased_at",
            "email_verified_at",
            "created_at",
            "updated_at",
        ],
        Personal("`users`"),
    ),
    (
        "memberships",
        &[
            "id",
            "user_id",
            "group_id",
            "role",
            "status",
            "created_at",
            "approved_at",
        ],
        Personal("`memberships`"),
    ),
    (
        "rsvps",
        &["id", "event_id", "user_id", "status", "created_at", "updated_at"],
        Personal("`rsvps`"),
    ),
    (
        "trainer_profiles",
        &["id", "monthly_cap", "created_at", "updated_at"],
        Personal("`trainer_*`"),
    ),
    ("trainer_regions", &["trainer_id", "region"], Personal("`trainer_*`")),
    ("trainer_topics", &["trainer_id", "topic_id"], Personal("`trainer_*`")),
    (
        "trainer_unavailability",
        &["id", "trainer_id", "starts_at", "ends_at", "note", "created_at"],
        Personal("`trainer_*`"),
    ),
    (
        "assignments",
        &[
            "id",
            "request_id",
            "trainer_id",
            "status",
            "starts_at",
            "ends_at",
            "assigned_by",
            "note",
            "created_at",
            "responded_at",
        ],
        Personal("`assignments`"),
    ),
    (
        "requests",
        &["contact_name", "contact_email", "contact_email_hash", "notes"],
        Personal("`requests`"),
    ),
    (
        "requests",
        &["organisation_name", "decline_reason"],
        Nothing(
            "an outside organisation's name and a coordinator's reason; erasure scrubs an address quoted in either",
        ),
    ),
    ("requests", &["submitted_by"], Personal("`requests.submitted_by`")),
    (
        "requests",
        &[
            "id",
            "reference",
            "kind",
            "topic_id",
            "group_id",
            "online",
            "town",
            "postcode_area",
            "expected_audience",
            "state",
            "version",
            "ended_at",
            "contact_purged_at",
            "created_at",
            "updated_at",
            "region",
            "public_event",
            "attendance",
            "feedback",
        ],
        Nothing(
            "what was asked for, where (a town and postcode area) and how it went: the network's record of its work",
        ),
    ),
    ("request_windows", &["id", "request_id", "starts_at", "ends_at"], IDS),
    (
        "request_transitions",
        &[
            "id",
            "request_id",
            "from_state",
            "to_state",
            "actor_id",
            "note",
            "created_at",
        ],
        Nothing("a request's history: staff notes on the workflow; an erased actor shows as a former member"),
    ),
    (
        "feed_tokens",
        &[
            "id",
            "user_id",
            "label",
            "token_hash",
            "created_at",
            "last_used_at",
            "revoked_at",
        ],
        Personal("`feed_tokens`"),
    ),
    (
        "audit_entries",
        &[
            "id",
            "actor_id",
            "subject_id",
            "request_id",
            "letter_id",
            "action",
            "operation",
            "created_at",
        ],
        Personal("`audit_entries`"),
    ),
    (
        "outbox",
        &[
            "id",
            "dedupe_key",
            "kind",
            "recipient_user_id",
            "recipient_request_id",
            "recipient_token_id",
            "recipient_signature_id",
            "digest",
            "subject",
            "body_text",
            "body_html",
            "unsubscribe_url",
            "status",
            "attempts",
            "next_attempt_at",
            "claimed_at",
            "last_error",
            "created_at",
            "sent_at",
            "body_removed_at",
        ],
        Personal("`outbox`"),
    ),
    (
        "notification_settings",
        &["user_id", "kind", "delivery", "updated_at"],
        Personal("`notification_settings`"),
    ),
    (
        "account_tokens",
        &[
            "id",
            "user_id",
            "purpose",
            "token_hash",
            "new_email",
            "expires_at",
            "used_at",
            "created_at",
        ],
        Personal("`account_tokens`"),
    ),
    (
        "web_sessions",
        &[
            "id_hash",
            "user_id",
            "token_version",
            "created_at",
            "last_seen_at",
            "expires_at",
        ],
        Personal("`web_sessions`"),
    ),
    (
        "signatures",
        &[
            "name",
            "contact_name",
            "email",
            "email_hash",
            "email_domain",
            "postcode_area",
            "show_name",
        ],
        Personal("`signatures` (names, emails)"),
    ),
    (
        "signatures",
        &["source_hash", "confirm_token_hash"],
        Personal("`signatures.source_hash`"),
    ),
    (
        "signatures",
        &[
            "id",
            "letter_id",
            "kind",
            "organisation",
            "organisation_kind",
            "town",
            "region",
            "status",
            "approved_at",
            "signed_at",
            "confirmed_at",
            "invalidated_at",
            "created_at",
            "purged_at",
        ],
        Personal("`signatures` (the row)"),
    ),
    (
        "letters",
        &[
            "id",
            "slug",
            "kind",
            "title",
            "body",
            "addressee",
            "takes",
            "status",
            "opens_at",
            "closes_at",
            "ended_at",
            "signatures_purged_at",
            "created_by",
            "created_at",
            "updated_at",
        ],
        NETWORK,
    ),
    ("letter_groups", &["letter_id", "group_id"], NETWORK),
    (
        "letter_blocks",
        &["id", "kind", "value", "label", "created_by", "created_at"],
        Personal("`letter_blocks`"),
    ),
    (
        "feed_changes",
        &["id", "stamp"],
        Nothing("one number that every write to what feeds are made from moves"),
    ),
    (
        "journal_cursors",
        &["consumer", "position", "updated_at"],
        Nothing("how far the mail worker has read the journal: a number and a time"),
    ),
    (
        "domain_events",
        &[
            "position",
            "id",
            "kind",
            "request_id",
            "assignment_id",
            "event_id",
            "group_id",
            "user_id",
            "actor_id",
            "created_at",
        ],
        Personal("`domain_events`"),
    ),
    (
        "groups",
        &[
            "id",
            "slug",
            "name",
            "region",
            "description",
            "contact_email",
            "archived_at",
            "created_at",
            "updated_at",
        ],
        Nothing("a group's public page; its contact is a group address, never a person's (DESIGN)"),
    ),
    (
        "topics",
        &[
            "id",
            "slug",
            "name",
            "description",
            "typical_duration_minutes",
            "archived_at",
            "created_at",
            "updated_at",
        ],
        NETWORK,
    ),
    (
        "events",
        &[
            "id",
            "title",
            "description",
            "starts_at",
            "ends_at",
            "timezone",
            "venue",
            "address",
            "online_url",
            "kind",
            "group_id",
            "topic_id",
            "visibility",
            "status",
            "sequence",
            "capacity",
            "request_id",
            "created_by",
            "cancelled_at",
            "created_at",
            "updated_at",
        ],
        NETWORK,
    ),
    (
        "events",
        &["going_count_kept", "waitlisted_count_kept", "attendance_forgotten_at"],
        Nothing("how many came, kept once who came is deleted"),
    ),
    (
        "events",
        &["venue_visibility", "town", "postcode_area"],
        Nothing(
            "where a meeting is and who is told: the network's own information, not a person's; \
             erasure scrubs an address quoted in the town as in the venue",
        ),
    ),
    ("events", &["series_id", "original_starts_at", "import_uid"], IDS),
    (
        "event_series",
        &[
            "id",
            "title",
            "description",
            "timezone",
            "local_starts_at",
            "local_ends_at",
            "rrule",
            "venue",
            "address",
            "online_url",
            "venue_visibility",
            "town",
            "postcode_area",
            "kind",
            "group_id",
            "topic_id",
            "visibility",
            "capacity",
            "sequence",
            "import_uid",
            "created_by",
            "created_at",
            "updated_at",
        ],
        NETWORK,
    ),
    (
        "event_series_exceptions",
        &[
            "id",
            "series_id",
            "original_starts_at",
            "cancelled",
            "removed",
            "starts_at",
            "ends_at",
            "title",
            "description",
            "venue",
            "address",
            "online_url",
            "created_at",
            "updated_at",
        ],
        NETWORK,
    ),
    ("seaql_migrations", &["version", "applied_at"], IDS),
];

/// Every (table, column) of the migrated schema.
async fn schema_columns(db: &TestDb) -> BTreeSet<(String, String)> {
    let rows = db
        .conn
        .query_all_raw(Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        ))
        .await
        .unwrap();
    rows.into_iter()
        .map(|row| (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap()))
        .collect()
}

#[tokio::test]
async fn every_column_is_listed_as_personal_with_its_readme_row_or_as_not() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let in_schema = schema_columns(&db).await;
    assert!(
        in_schema.contains(&("users".into(), "email".into())),
        "read the schema: {in_schema:?}"
    );
    let listed: BTreeSet<(String, String)> = COLUMNS
        .iter()
        .flat_map(|(table, columns, _)| columns.iter().map(|c| (table.to_string(), c.to_string())))
        .collect();
    let unlisted: Vec<_> = in_schema.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "columns nobody has decided about: {unlisted:?}. List each in tests/minimisation.rs: if it can hold \
         personal data, add it to README's \"What is kept\" table (what, where, why, until) and name that row"
    );
    let gone: Vec<_> = listed.difference(&in_schema).collect();
    assert!(gone.is_empty(), "listed but not in the schema: {gone:?}");

    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let kept = readme
        .split_once("What is kept about a person, and why:")
        .and_then(|(_, rest)| rest.split("\n\n").find(|block| block.trim_start().starts_with('|')))
        .expect("README's \"What is kept\" table");
    let wheres: Vec<&str> = kept
        .lines()
        .skip(2)
        .filter_map(|row| row.split('|').nth(2))
        .map(str::trim)
        .collect();
    for (table, columns, holds) in COLUMNS {
        match holds {
            Personal(place) => assert!(
                wheres.iter().any(|w| w.contains(place)),
                "{table}.{columns:?} holds personal data, but no row of README's \"What is kept\" table is \
                 kept in {place} (rows' places: {wheres:?})"
            ),
            Nothing(_) => {}
        }
    }
}
