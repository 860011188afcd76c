//! The data model on real databases: migrations, constraints, demo seed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, TestDb};
use entity::{
    EventKind, EventStatus, EventVisibility, MembershipRole, MembershipStatus, RsvpStatus, UserRole, event, group,
    membership, rsvp, user,
};
use muster::{
    auth::{Viewer, viewer::SignedIn},
    db,
    domain::requests::matching,
    fixtures::{EventBuilder, GroupBuilder, MembershipBuilder, RsvpBuilder, UserBuilder},
    seed::{SeedOutcome, seed_demo, seed_demo_scaled},
};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};
use uuid::Uuid;

const TABLES: [&str; 16] = [
    "users",
    "groups",
    "memberships",
    "topics",
    "trainer_profiles",
    "trainer_topics",
    "trainer_regions",
    "trainer_unavailability",
    "requests",
    "request_windows",
    "request_transitions",
    "assignments",
    "events",
    "rsvps",
    "feed_tokens",
    "audit_entries",
];

on_both_databases!(
    migrations_create_every_table_and_rerun_as_a_no_op,
    emails_are_unique_whatever_their_case,
    one_membership_per_user_and_group_and_one_rsvp_per_user_and_event,
    foreign_keys_and_checks_are_enforced,
    seed_demo_builds_the_network_once,
    seed_demo_at_scale_writes_exactly_n_events_once,
);

async fn migrations_create_every_table_and_rerun_as_a_no_op(db: TestDb) {
    // TestDb::new migrated once; a second and third start must change nothing.
    db::migrate(&db.conn).await.unwrap();
    db::migrate(&db.conn).await.unwrap();
    for table in TABLES {
        let count = db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                db.conn.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM \"{table}\""),
            ))
            .await
            .unwrap_or_else(|e| panic!("table {table}: {e}"))
            .unwrap();
        assert_eq!(count.try_get::<i64>("", "n").unwrap(), 0, "{table}");
    }
}

fn new_user(email: &str) -> UserBuilder {
    UserBuilder::new(common::now()).email(email)
}

fn new_group(slug: &str) -> GroupBuilder {
    GroupBuilder::new(slug, common::now())
}

fn new_event(group_id: Option<Uuid>) -> EventBuilder {
    let now = common::now();
    EventBuilder::new(now)
        .title("Know your rights")
        .kind(EventKind::Workshop)
        .starting(now)
        .group(group_id)
}

async fn emails_are_unique_whatever_their_case(db: TestDb) {
    new_user("sam@example.org").insert(&db.conn).await.unwrap();
    assert!(new_user("SAM@Example.org").insert(&db.conn).await.is_err());
    // Erased accounts have no email; any number of them may exist.
    new_user("x@example.org").insert(&db.conn).await.unwrap();
    for _ in 0..2 {
        let erased = new_user("unused@example.org").without_email();
        erased.insert(&db.conn).await.unwrap();
    }
    assert!(new_group("leeds").insert(&db.conn).await.is_ok());
    assert!(
        new_group("leeds").insert(&db.conn).await.is_err(),
        "group slugs are unique"
    );
}

async fn one_membership_per_user_and_group_and_one_rsvp_per_user_and_event(db: TestDb) {
    let person = new_user("member@example.org").insert(&db.conn).await.unwrap();
    let group = new_group("cardiff").insert(&db.conn).await.unwrap();
    let membership = |role| {
        MembershipBuilder::new(person.id, group.id, common::now())
            .role(role)
            .pending()
    };
    membership(MembershipRole::Member).insert(&db.conn).await.unwrap();
    assert!(membership(MembershipRole::Organiser).insert(&db.conn).await.is_err());

    let event = new_event(Some(group.id)).insert(&db.conn).await.unwrap();
    let rsvp = |status| RsvpBuilder::new(event.id, person.id, common::now()).status(status);
    rsvp(RsvpStatus::Going).insert(&db.conn).await.unwrap();
    assert!(rsvp(RsvpStatus::Waitlisted).insert(&db.conn).await.is_err());
}

async fn foreign_keys_and_checks_are_enforced(db: TestDb) {
    // A membership of a user that does not exist.
    let group = new_group("york").insert(&db.conn).await.unwrap();
    let orphan = MembershipBuilder::new(Uuid::new_v4(), group.id, common::now());
    assert!(orphan.insert(&db.conn).await.is_err(), "foreign keys are on");

    // An event that ends before it starts.
    let backwards = new_event(None).ending(common::now() - chrono::Duration::hours(1));
    assert!(backwards.insert(&db.conn).await.is_err(), "CHECK starts_at < ends_at");

    // A role outside the enumeration, written behind the application's back.
    let stray = db
        .conn
        .execute_unprepared(
            "INSERT INTO users (id, role, token_version, created_at, updated_at) \
             VALUES ('00000000-0000-0000-0000-000000000001', 'OVERLORD', 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        )
        .await;
    assert!(stray.is_err(), "CHECK on role");

    // Deleting a group keeps its events (group set to NULL) and drops memberships.
    let event = new_event(Some(group.id)).insert(&db.conn).await.unwrap();
    group::Entity::delete_by_id(group.id).exec(&db.conn).await.unwrap();
    let kept = event::Entity::find_by_id(event.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.group_id, None);
}

async fn count<E: EntityTrait>(conn: &DatabaseConnection) -> u64
where
    E::Model: Sync,
{
    E::find().count(conn).await.unwrap()
}

async fn seed_demo_builds_the_network_once(db: TestDb) {
    let SeedOutcome::Seeded(summary) = seed_demo(&db.conn, common::now()).await.unwrap() else {
        panic!("an empty database is seeded");
    };
    assert_eq!(summary.groups, 16);
    assert_eq!(count::<group::Entity>(&db.conn).await, 16);
    assert!(count::<entity::trainer_profile::Entity>(&db.conn).await >= 8);
    assert!(count::<entity::topic::Entity>(&db.conn).await >= 6);

    // Every workflow state is represented.
    let rows = common::sql_rows(&db.conn, "SELECT DISTINCT state FROM requests").await;
    let mut states: Vec<String> = rows.iter().map(|r| r.try_get("", "state").unwrap()).collect();
    states.sort();
    assert_eq!(states, common::requests::EVERY_STATE);

    // Public and members-only, past and future, scheduled and cancelled.
    let events = event::Entity::find().all(&db.conn).await.unwrap();
    let now = common::now();
    assert!(events.iter().any(|e| e.visibility == EventVisibility::Public));
    assert!(events.iter().any(|e| e.visibility == EventVisibility::Members));
    assert!(events.iter().any(|e| e.starts_at < now));
    assert!(events.iter().any(|e| e.starts_at > now));
    assert!(events.iter().any(|e| e.status == EventStatus::Cancelled));

    // Every group has an organiser.
    let organisers = membership::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.role == MembershipRole::Organiser && m.status == MembershipStatus::Active)
        .map(|m| m.group_id)
        .collect::<std::collections::HashSet<_>>();
    assert_eq!(organisers.len(), 16);

    // A second run changes nothing.
    let users_before = count::<user::Entity>(&db.conn).await;
    assert!(matches!(
        seed_demo(&db.conn, common::now()).await.unwrap(),
        SeedOutcome::AlreadySeeded
    ));
    assert_eq!(count::<user::Entity>(&db.conn).await, users_before);
    assert_eq!(count::<group::Entity>(&db.conn).await, 16);
}

#[tokio::test]
async fn seed_demo_refuses_a_database_with_other_groups() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    new_group("not-demo").insert(&db.conn).await.unwrap();
    let err = seed_demo(&db.conn, common::now()).await.err().unwrap();
    assert_eq!(err.code(), "CONFLICT");
    assert_eq!(count::<group::Entity>(&db.conn).await, 1, "nothing written");
}

async fn seed_demo_at_scale_writes_exactly_n_events_once(db: TestDb) {
    let now = common::now();
    let SeedOutcome::Seeded(summary) = seed_demo_scaled(&db.conn, now, 2_000).await.unwrap() else {
        panic!("an empty database is seeded");
    };
    assert_eq!(summary.events, 2_000);
    assert_eq!(count::<event::Entity>(&db.conn).await, 2_000);
    assert_eq!(count::<group::Entity>(&db.conn).await, 18);
    assert_eq!(summary.trainers, 200);
    assert_eq!(count::<entity::trainer_profile::Entity>(&db.conn).await, 200);
    assert_eq!(count::<user::Entity>(&db.conn).await, summary.users as u64);
    assert!(count::<rsvp::Entity>(&db.conn).await > 4_000);

    let rows = common::sql_rows(&db.conn, "SELECT state, COUNT(*) AS n FROM requests GROUP BY state").await;
    assert_eq!(rows.len(), 7, "every state");
    for row in rows {
        let (state, n): (String, i64) = (row.try_get("", "state").unwrap(), row.try_get("", "n").unwrap());
        assert!(n >= 3, "{n} {state}");
    }

    // What the benchmarks rely on: suggestTrainers on a submitted request
    // for the common topic weighs many trainers, and finds many free.
    let topic = entity::topic::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.slug == "intro-nhs-charging")
        .unwrap();
    let submitted = entity::request::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .find(|r| {
            r.state == entity::RequestState::Submitted
                && r.topic_id == topic.id
                && r.region.as_deref() == Some("London")
        })
        .expect("a submitted request for the common topic in London");
    let coordinator = user::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.role == UserRole::Coordinator)
        .unwrap();
    let viewer = Viewer::User(SignedIn {
        id: coordinator.id,
        role: UserRole::Coordinator,
        is_trainer: false,
        memberships: Vec::new(),
    });
    let suggestions = matching::suggest(&db.conn, &viewer, submitted.id, now).await.unwrap();
    assert!(suggestions.len() >= 40, "{} suggestions", suggestions.len());
    assert!(suggestions.iter().filter(|s| s.same_region).count() >= 10);

    // A second run, at whatever scale, changes nothing.
    assert!(matches!(
        seed_demo_scaled(&db.conn, now, 3_000).await.unwrap(),
        SeedOutcome::AlreadySeeded
    ));
    assert!(matches!(
        seed_demo(&db.conn, now).await.unwrap(),
        SeedOutcome::AlreadySeeded
    ));
    assert_eq!(count::<event::Entity>(&db.conn).await, 2_000);
}

#[tokio::test]
async fn seed_demo_at_scale_refuses_fewer_events_than_the_demo_holds() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let err = seed_demo_scaled(&db.conn, common::now(), 50).await.err().unwrap();
    assert_eq!(err.code(), "BAD_USER_INPUT");
    assert_eq!(count::<group::Entity>(&db.conn).await, 0, "nothing written");
}
