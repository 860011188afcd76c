//! The rest of the coordinators' side, on both databases: the desk's
//! numbers counted by the database (checked against requests placed in
//! known months, in the same four statements for a few requests and
//! many), the topic catalogue and the trainers pages (each page's empty,
//! filled and refused states, who gets which answer, no email a reader may
//! not see, the look-up by email recorded), the trainers list in the same
//! statements for a few trainers and many, and the failed-messages tile
//! with the admins' retry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use chrono::{DateTime, Duration, Utc};
use common::{
    TestDb, day,
    network::{self, Persona},
    pages::{
        Answer, answer, assert_forgeries_refused, assert_no_foreign_email, assert_sent_to_sign_in,
        count_page_statements, get_as, session_of, shows_address,
    },
};
use entity::{UserRole, audit_entry, outbox_message, topic, trainer_profile, trainer_region, trainer_topic};
use muster::{
    auth::{Viewer, viewer::SignedIn},
    domain::{
        desk_numbers::{self, Outcome},
        requests::matching::month_of,
    },
    fixtures::{RequestBuilder, TrainerBuilder, UserBuilder},
};
use poem::{Endpoint, http::header, test::TestClient};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

on_both_databases!(
    the_numbers_are_counted_by_month_and_outcome_in_four_statements,
    each_catalogue_page_answers_each_reader_as_the_table_says,
    topics_are_added_changed_and_archived_with_refusals_beside_their_fields,
    a_coordinator_makes_someone_a_trainer_found_by_email,
    the_trainers_list_costs_the_same_statements_for_2_and_60_trainers,
    failed_messages_are_counted_on_the_desk_and_retried_by_an_admin,
    forms_without_their_token_are_refused_and_change_nothing,
);

/// The anti-forgery token of a page the session opened.
async fn csrf_of<E: Endpoint>(client: &TestClient<E>, page: &str, session: &str) -> String {
    let opened = get_as(client, page, Some(session)).await;
    assert_eq!(opened.status, 200, "{page}: {}", opened.body);
    opened.cookie("muster_csrf").expect("an anti-forgery cookie")
}

async fn post<E: Endpoint>(
    client: &TestClient<E>,
    path: &str,
    csrf: &str,
    session: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().copied().chain([("csrf", csrf)]))
        .finish();
    let request = client
        .post(path)
        .header(header::COOKIE, format!("muster_csrf={csrf}; muster_session={session}"))
        .header(header::ACCEPT, "text/html")
        .content_type("application/x-www-form-urlencoded");
    answer(request.body(body).send().await).await
}

fn coordinator(id: Uuid) -> Viewer {
    Viewer::User(SignedIn {
        id,
        role: UserRole::Coordinator,
        is_trainer: false,
        memberships: Vec::new(),
    })
}

/// The desk's numbers and the statements they cost.
async fn numbers_counted(db: &TestDb, viewer: &Viewer) -> (usize, desk_numbers::DeskNumbers) {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut conn = db.conn.clone();
    let counting = counter.clone();
    conn.set_metric_callback(move |_| {
        counting.fetch_add(1, Ordering::SeqCst);
    });
    let numbers = desk_numbers::numbers(&conn, viewer, db.now()).await.unwrap();
    (counter.load(Ordering::SeqCst), numbers)
}

/// A request submitted at `at` and confirmed `days` later.
fn confirmed(topic: Uuid, by: Uuid, trainer: Uuid, at: DateTime<Utc>, days: i64) -> RequestBuilder {
    RequestBuilder::new(topic, at)
        .assigned(by, trainer)
        .at(at + Duration::hours(1))
        .accepted()
        .at(at + Duration::days(days))
}

async fn the_numbers_are_counted_by_month_and_outcome_in_four_statements(db: TestDb) {
    let now = db.now();
    let topic = network::add_topic(&db.conn, "intro-nhs-charging", "Introduction to NHS charging").await;
    let staff = UserBuilder::new(now)
        .role(UserRole::Coordinator)
        .insert(&db.conn)
        .await
        .unwrap();
    let busy = UserBuilder::new(now)
        .name("Busy Trainer")
        .insert(&db.conn)
        .await
        .unwrap();
    TrainerBuilder::new(busy.id, now)
        .topic(topic)
        .monthly_cap(2)
        .insert(&db.conn)
        .await
        .unwrap();
    let idle = UserBuilder::new(now)
        .name("Idle Trainer")
        .insert(&db.conn)
        .await
        .unwrap();
    TrainerBuilder::new(idle.id, now)
        .topic(topic)
        .monthly_cap(3)
        .insert(&db.conn)
        .await
        .unwrap();
    let viewer = coordinator(staff.id);
    let (empty_cost, empty) = numbers_counted(&db, &viewer).await;
    assert_eq!(empty.outcomes.len(), 12);
    assert!(empty.outcomes.iter().all(|m| m.total() == 0), "no request yet");
    assert!(empty.waits.iter().all(|w| w.median_days.is_none() && w.confirmed == 0));

    let months = desk_numbers::last_months(now);
    // A day into month 9 (of 0..=11): three confirmed after 1, 3 and 8 days.
    let m9 = months[9].starts_at + Duration::days(1);
    for days in [1, 3, 8] {
        confirmed(topic, staff.id, busy.id, m9, days)
            .insert(&db.conn)
            .await
            .unwrap();
    }
    // Month 10: two confirmed after 2 and 5 days (one since delivered), one
    // declined, one withdrawn, one still waiting.
    let m10 = months[10].starts_at + Duration::days(1);
    confirmed(topic, staff.id, busy.id, m10, 2)
        .insert(&db.conn)
        .await
        .unwrap();
    confirmed(topic, staff.id, busy.id, m10, 5)
        .delivered(staff.id)
        .at(m10 + Duration::days(6))
        .insert(&db.conn)
        .await
        .unwrap();
    RequestBuilder::new(topic, m10)
        .declined(staff.id, "No trainer that month")
        .insert(&db.conn)
        .await
        .unwrap();
    RequestBuilder::new(topic, m10)
        .withdrawn_for_requester(staff.id)
        .insert(&db.conn)
        .await
        .unwrap();
    RequestBuilder::new(topic, m10).insert(&db.conn).await.unwrap();
    // The oldest month: confirmed after a day, then cancelled.
    let m0 = months[0].starts_at + Duration::days(1);
    confirmed(topic, staff.id, busy.id, m0, 1)
        .cancelled(staff.id)
        .at(m0 + Duration::days(2))
        .insert(&db.conn)
        .await
        .unwrap();
    // Thirteen months back: outside every chart.
    confirmed(topic, staff.id, busy.id, months[0].starts_at - Duration::days(20), 2)
        .insert(&db.conn)
        .await
        .unwrap();
    // This month: an offer waiting for the busy trainer, in this month.
    let this_month = month_of(now).starts_at;
    RequestBuilder::new(topic, this_month)
        .window(this_month + Duration::hours(10), this_month + Duration::hours(14))
        .assigned(staff.id, busy.id)
        .slot(this_month + Duration::hours(10), this_month + Duration::hours(12))
        .insert(&db.conn)
        .await
        .unwrap();

    let (small_cost, small) = numbers_counted(&db, &viewer).await;
    let count = |m: usize, outcome: Outcome| small.outcomes[m].counts[outcome.index()];
    assert_eq!(count(9, Outcome::Confirmed), 3);
    assert_eq!(small.outcomes[9].total(), 3);
    assert_eq!(count(10, Outcome::Confirmed), 1);
    assert_eq!(count(10, Outcome::Delivered), 1);
    assert_eq!(count(10, Outcome::Declined), 1);
    assert_eq!(count(10, Outcome::Withdrawn), 1);
    assert_eq!(count(10, Outcome::Open), 1);
    assert_eq!(count(0, Outcome::Cancelled), 1);
    assert_eq!(count(11, Outcome::Open), 1, "the offer waiting");
    assert_eq!(
        small.outcomes.iter().map(|m| m.total()).sum::<u64>(),
        10,
        "the one of thirteen months ago is left out"
    );
    let wait = |m: usize| (small.waits[m].median_days, small.waits[m].confirmed);
    let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 0.01);
    assert!(near(wait(9).0, 3.0), "the middle of 1, 3 and 8: {:?}", wait(9));
    assert_eq!(wait(9).1, 3);
    assert!(
        near(wait(10).0, 3.5),
        "the mean of the middle two, 2 and 5: {:?}",
        wait(10)
    );
    assert_eq!(wait(10).1, 2);
    assert!(near(wait(0).0, 1.0), "{:?}", wait(0));
    assert_eq!(small.waits.iter().filter(|w| w.median_days.is_some()).count(), 3);
    let load = |name: &str| {
        small
            .loads
            .iter()
            .find(|t| t.name == name)
            .map(|t| (t.load, t.monthly_cap))
    };
    assert_eq!(
        load("Busy Trainer"),
        Some((1, 2)),
        "the waiting offer counts against the cap"
    );
    assert_eq!(load("Idle Trainer"), Some((0, 3)));

    // Many more requests and trainers: the same statements.
    let m5 = months[5].starts_at + Duration::days(2);
    for i in 0..40 {
        let request = confirmed(topic, staff.id, idle.id, m5, 1 + i % 7);
        let request = if i % 2 == 0 {
            request.delivered(staff.id)
        } else {
            request
        };
        request.insert(&db.conn).await.unwrap();
    }
    for _ in 0..30 {
        let user = UserBuilder::new(now).insert(&db.conn).await.unwrap();
        TrainerBuilder::new(user.id, now)
            .topic(topic)
            .insert(&db.conn)
            .await
            .unwrap();
    }
    let (large_cost, large) = numbers_counted(&db, &viewer).await;
    assert_eq!(large.outcomes[5].counts[Outcome::Delivered.index()], 20);
    assert_eq!(large.outcomes[5].counts[Outcome::Confirmed.index()], 20);
    assert_eq!(large.waits[5].confirmed, 40);
    assert!(near(large.waits[5].median_days, 4.0), "{:?}", large.waits[5]);
    assert_eq!(large.loads.len(), 32);
    assert_eq!(empty_cost, 4);
    assert_eq!(small_cost, 4);
    assert_eq!(large_cost, 4, "10 requests and 2 trainers, then 50 and 32");
    eprintln!("desk numbers: {small_cost} statements with 10 requests, {large_cost} with 50");

    // Staff only.
    let supporter = UserBuilder::new(now).insert(&db.conn).await.unwrap();
    let refused = desk_numbers::numbers(
        &db.conn,
        &Viewer::User(SignedIn {
            id: supporter.id,
            role: UserRole::Supporter,
            is_trainer: false,
            memberships: Vec::new(),
        }),
        now,
    )
    .await;
    assert!(matches!(refused, Err(muster::error::Error::Forbidden)), "{refused:?}");
}

/// Anonymous: to sign in; signed in but not staff: 403 in words; staff:
/// the page, filled from the network.
async fn each_catalogue_page_answers_each_reader_as_the_table_says(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let pages = [
        "/desk".to_owned(),
        "/desk/topics".to_owned(),
        format!("/desk/topics/{}", net.topic),
        "/desk/trainers".to_owned(),
        format!("/desk/trainers/{}", net.trainer.id),
        format!("/desk/trainers/{}", net.supporter.id),
    ];
    for persona in Persona::ALL {
        let session = match net.person(persona) {
            Some(person) => Some(session_of(&db, person.id).await),
            None => None,
        };
        for page in &pages {
            let got = get_as(&client, page, session.as_deref()).await;
            match persona {
                Persona::Anonymous => {
                    assert_eq!(got.status, 303, "{page}");
                    assert!(got.location().unwrap().starts_with("/signin?next=%2Fdesk"), "{page}");
                }
                Persona::Coordinator | Persona::Admin => {
                    assert_eq!(got.status, 200, "{persona:?} {page}: {}", got.body);
                    assert_eq!(got.headers[header::CACHE_CONTROL], "private, no-store");
                }
                _ => {
                    assert_eq!(got.status, 403, "{persona:?} {page}");
                    assert!(
                        got.body.contains("These pages are for the network&#39;s coordinators"),
                        "{}",
                        got.body
                    );
                }
            }
            assert_no_foreign_email(&net, persona, page, &got.body);
            // No address on these pages at all, not even one staff may read.
            if page != "/desk" {
                for email in net.emails() {
                    assert!(!shows_address(&got.body, email), "{persona:?} {page} shows {email}");
                }
            }
        }
    }
    let coordinator = session_of(&db, net.coordinator.id).await;
    let home = get_as(&client, "/desk", Some(&coordinator)).await;
    assert!(home.body.contains("href=\"/desk/trainers\"") && home.body.contains("href=\"/desk/topics\""));
    for chart in ["chart-outcomes", "chart-waits", "chart-load"] {
        assert!(
            home.body
                .contains(&format!("role=\"img\" aria-labelledby=\"{chart}-title\"")),
            "{chart}"
        );
    }
    assert!(!home.body.contains("style="), "no inline style under the page's policy");
    assert!(
        home.body.contains("<th scope=\"row\"><a href=\"/desk/trainers/"),
        "the load table"
    );
    let topics = get_as(&client, "/desk/topics", Some(&coordinator)).await;
    assert!(topics.body.contains("Introduction to NHS charging"), "{}", topics.body);
    assert_eq!(topics.body.matches("class=\"topic-row\"").count(), 1);
    let trainers = get_as(&client, "/desk/trainers", Some(&coordinator)).await;
    assert!(trainers.body.contains("trainer Example"), "{}", trainers.body);
    assert!(
        trainers
            .body
            .contains("<td>Introduction to NHS charging</td><td>Wales</td>")
    );
    let trainer = get_as(
        &client,
        &format!("/desk/trainers/{}", net.trainer.id),
        Some(&coordinator),
    )
    .await;
    assert!(
        trainer.body.contains("checked> <label"),
        "the trainer's topic is ticked"
    );
    assert!(trainer.body.contains("value=\"Wales\""));
    let not_yet = get_as(
        &client,
        &format!("/desk/trainers/{}", net.supporter.id),
        Some(&coordinator),
    )
    .await;
    assert!(not_yet.body.contains("has no trainer profile yet"), "{}", not_yet.body);
    assert!(not_yet.body.contains("Make them a trainer"));
    let unknown = get_as(
        &client,
        &format!("/desk/trainers/{}", Uuid::new_v4()),
        Some(&coordinator),
    )
    .await;
    assert_eq!(unknown.status, 404);
    let unknown = get_as(&client, &format!("/desk/topics/{}", Uuid::new_v4()), Some(&coordinator)).await;
    assert_eq!(unknown.status, 404);
}

async fn topics_are_added_changed_and_archived_with_refusals_beside_their_fields(db: TestDb) {
    let staff = UserBuilder::new(db.now())
        .role(UserRole::Coordinator)
        .insert(&db.conn)
        .await
        .unwrap();
    let client = db.app();
    let session = session_of(&db, staff.id).await;
    let empty = get_as(&client, "/desk/topics", Some(&session)).await;
    assert!(empty.body.contains("The catalogue is empty"), "{}", empty.body);
    let no_trainers = get_as(&client, "/desk/trainers", Some(&session)).await;
    assert!(
        no_trainers.body.contains("No one has a trainer profile yet."),
        "{}",
        no_trainers.body
    );
    assert!(!no_trainers.body.contains("<table"));
    let quiet_desk = get_as(&client, "/desk", Some(&session)).await;
    assert!(quiet_desk.body.contains("No one has a trainer profile yet."));
    assert!(!quiet_desk.body.contains("chart-load"), "no empty load chart");
    assert_eq!(
        quiet_desk.body.matches("<td>none confirmed</td>").count(),
        12,
        "a year with nothing confirmed"
    );
    let csrf = csrf_of(&client, "/desk/topics", &session).await;

    let refused = post(
        &client,
        "/desk/topics",
        &csrf,
        &session,
        &[
            ("slug", "Not A Slug"),
            ("name", "  "),
            ("description", "Kept as typed"),
            ("typicalDurationMinutes", "ninety"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("<title>Error: Topics"));
    assert!(refused.body.contains("some answers need changing"));
    assert!(refused.body.contains("id=\"slug-error\""), "{}", refused.body);
    assert!(refused.body.contains("id=\"name-error\""));
    assert!(refused.body.contains("must be a whole number of minutes"));
    assert!(refused.body.contains("value=\"Not A Slug\"") && refused.body.contains("Kept as typed"));
    assert!(refused.body.contains("value=\"ninety\""));
    assert_eq!(topic::Entity::find().count(&db.conn).await.unwrap(), 0, "nothing added");

    let forged = post(
        &client,
        "/desk/topics",
        "forged",
        &session,
        &[
            ("slug", "safe-surgeries"),
            ("name", "Safe Surgeries"),
            ("typicalDurationMinutes", "90"),
        ],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(topic::Entity::find().count(&db.conn).await.unwrap(), 0, "nothing added");

    let fields = [
        ("slug", "safe-surgeries"),
        ("name", "Safe Surgeries training"),
        ("description", "Registering patients without ID"),
        ("typicalDurationMinutes", "120"),
    ];
    let added = post(&client, "/desk/topics", &csrf, &session, &fields).await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(added.location(), Some("/desk/topics?done=created"));
    let listed = get_as(&client, "/desk/topics?done=created", Some(&session)).await;
    assert!(listed.body.contains("The topic is in the catalogue."));
    assert!(listed.body.contains("Safe Surgeries training") && listed.body.contains("120 minutes"));
    let taken = post(&client, "/desk/topics", &csrf, &session, &fields).await;
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("is already taken"), "{}", taken.body);
    assert_eq!(topic::Entity::find().count(&db.conn).await.unwrap(), 1);

    let id = topic::Entity::find().one(&db.conn).await.unwrap().unwrap().id;
    let page = format!("/desk/topics/{id}");
    let too_short = post(
        &client,
        &page,
        &csrf,
        &session,
        &[
            ("action", "save"),
            ("name", "Safe Surgeries"),
            ("description", ""),
            ("typicalDurationMinutes", "5"),
        ],
    )
    .await;
    assert_eq!(too_short.status, 422, "{}", too_short.body);
    assert!(too_short.body.contains("id=\"typicalDurationMinutes-error\""));
    assert!(too_short.body.contains("value=\"5\""), "what was typed is kept");
    let kept = topic::Entity::find_by_id(id).one(&db.conn).await.unwrap().unwrap();
    assert_eq!(kept.name, "Safe Surgeries training", "nothing changed");

    let saved = post(
        &client,
        &page,
        &csrf,
        &session,
        &[
            ("action", "save"),
            ("name", "Safe Surgeries"),
            ("description", "For practice staff"),
            ("typicalDurationMinutes", "90"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let changed = topic::Entity::find_by_id(id).one(&db.conn).await.unwrap().unwrap();
    assert_eq!(
        (
            changed.name.as_str(),
            changed.description.as_str(),
            changed.typical_duration_minutes
        ),
        ("Safe Surgeries", "For practice staff", 90)
    );
    assert_eq!(changed.slug, "safe-surgeries", "the slug stays");

    let archived = post(&client, &page, &csrf, &session, &[("action", "archive")]).await;
    assert_eq!(archived.status, 303);
    assert_eq!(archived.location(), Some("/desk/topics?done=archived"));
    let gone = topic::Entity::find_by_id(id).one(&db.conn).await.unwrap().unwrap();
    assert!(gone.archived_at.is_some());
    let listed = get_as(&client, "/desk/topics", Some(&session)).await;
    assert!(listed.body.contains("Taken out of the catalogue"));
    assert!(listed.body.contains("class=\"archived-topic\""));
    assert!(listed.body.contains("The catalogue is empty"));
    let again = post(&client, &page, &csrf, &session, &[("action", "archive")]).await;
    assert_eq!(again.status, 404, "an archived topic is not archived twice");
}

async fn a_coordinator_makes_someone_a_trainer_found_by_email(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let session = session_of(&db, net.coordinator.id).await;
    let csrf = csrf_of(&client, "/desk/trainers", &session).await;

    let nobody = post(
        &client,
        "/desk/trainers",
        &csrf,
        &session,
        &[("email", "nobody@people.example.org")],
    )
    .await;
    assert_eq!(nobody.status, 404);
    assert!(
        nobody.body.contains("No account has this email address."),
        "{}",
        nobody.body
    );
    assert!(
        nobody.body.contains("value=\"nobody@people.example.org\""),
        "kept as typed"
    );
    let malformed = post(
        &client,
        "/desk/trainers",
        &csrf,
        &session,
        &[("email", "not an address")],
    )
    .await;
    assert_eq!(malformed.status, 422, "{}", malformed.body);
    assert!(malformed.body.contains("error-summary"));

    let found = post(
        &client,
        "/desk/trainers",
        &csrf,
        &session,
        &[("email", &net.supporter.email)],
    )
    .await;
    assert_eq!(found.status, 303, "{}", found.body);
    let page = format!("/desk/trainers/{}", net.supporter.id);
    assert_eq!(found.location(), Some(page.as_str()), "no address in the address");
    let reads = audit_entry::Entity::find()
        .filter(audit_entry::Column::ActorId.eq(net.coordinator.id))
        .filter(audit_entry::Column::SubjectId.eq(net.supporter.id))
        .filter(audit_entry::Column::Operation.eq("deskTrainersPage"))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(reads, 1, "the look-up is in the supporter's access log");

    let topic = net.topic.to_string();
    let topic_field = format!("topic-{topic}");
    let refused = post(
        &client,
        &page,
        &csrf,
        &session,
        &[(&topic_field, "on"), ("regions", "Wales"), ("monthlyCap", "lots")],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("The profile was not saved"));
    assert!(refused.body.contains("id=\"monthlyCap-error\""));
    assert!(refused.body.contains("value=\"lots\""));
    assert!(
        trainer_profile::Entity::find_by_id(net.supporter.id)
            .one(&db.conn)
            .await
            .unwrap()
            .is_none(),
        "not a trainer yet"
    );

    let saved = post(
        &client,
        &page,
        &csrf,
        &session,
        &[
            (&topic_field, "on"),
            ("regions", "Wales, North West"),
            ("monthlyCap", "3"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let profile = trainer_profile::Entity::find_by_id(net.supporter.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(profile.monthly_cap, 3);
    let topics = trainer_topic::Entity::find()
        .filter(trainer_topic::Column::TrainerId.eq(net.supporter.id))
        .count(&db.conn)
        .await
        .unwrap();
    let regions = trainer_region::Entity::find()
        .filter(trainer_region::Column::TrainerId.eq(net.supporter.id))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!((topics, regions), (1, 2));
    let changed = audit_entry::Entity::find()
        .filter(audit_entry::Column::SubjectId.eq(net.supporter.id))
        .filter(audit_entry::Column::Action.eq("CHANGE_TRAINER_PROFILE"))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(changed, 1, "someone else's profile change is recorded");
    let shown = get_as(&client, &format!("{page}?done=saved"), Some(&session)).await;
    assert!(shown.body.contains("Saved."));
    assert!(
        !shows_address(&shown.body, &net.supporter.email),
        "the page shows no address"
    );
    let listed = get_as(&client, "/desk/trainers", Some(&session)).await;
    assert!(
        listed.body.contains("<td>North West, Wales</td><td>0 of 3</td>"),
        "{}",
        listed.body
    );
    // A supporter cannot use the look-up.
    let supporter = session_of(&db, net.supporter.id).await;
    let refused = post(
        &client,
        "/desk/trainers",
        &csrf,
        &supporter,
        &[("email", &net.member.email)],
    )
    .await;
    assert_eq!(refused.status, 403);
}

async fn add_trainers(db: &TestDb, topic: Uuid, how_many: usize) {
    for i in 0..how_many {
        let user = UserBuilder::new(db.now()).insert(&db.conn).await.unwrap();
        let mut trainer = TrainerBuilder::new(user.id, db.now())
            .topic(topic)
            .region("Wales")
            .region("Scotland");
        if i % 2 == 0 {
            trainer = trainer
                .away(day(3, 0), day(5, 0), "Travelling")
                .away(day(20, 0), day(21, 0), "Leave");
        }
        trainer.insert(&db.conn).await.unwrap();
    }
}

async fn the_trainers_list_costs_the_same_statements_for_2_and_60_trainers(db: TestDb) {
    let net = network::build(&db.conn).await;
    let session = session_of(&db, net.coordinator.id).await;
    add_trainers(&db, net.topic, 1).await;
    let (few, small) = count_page_statements(&db, "/desk/trainers", &session).await;
    assert_eq!(small.status, 200, "{}", small.body);
    assert_eq!(small.body.matches("class=\"trainer-row").count(), 2);
    assert!(
        small.body.contains("Travelling") || small.body.contains(" – "),
        "{}",
        small.body
    );
    add_trainers(&db, net.topic, 58).await;
    let (many, large) = count_page_statements(&db, "/desk/trainers", &session).await;
    assert_eq!(large.body.matches("class=\"trainer-row").count(), 60);
    assert!(few > 0);
    assert_eq!(few, many, "2 trainers: {few} statements; 60 trainers: {many}");
    eprintln!("trainers page: {few} statements with 2 trainers, {many} with 60");
    let (home_few, _) = count_page_statements(&db, "/desk", &session).await;
    add_trainers(&db, net.topic, 20).await;
    let (home_many, home) = count_page_statements(&db, "/desk", &session).await;
    assert_eq!(
        home.body.matches("<th scope=\"row\"><a href=\"/desk/trainers/").count(),
        20,
        "the busiest 20; the trainers page has everyone"
    );
    assert!(home.body.contains("The 20 busiest of 80 trainers"), "{}", home.body);
    assert_eq!(home_few, home_many, "the desk with its charts: 60 trainers, then 80");
    eprintln!("desk home: {home_few} statements with 60 trainers, {home_many} with 80");
}

async fn add_failed_message(db: &TestDb, to: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    outbox_message::ActiveModel {
        id: Set(id),
        dedupe_key: Set(format!("test:{id}")),
        kind: Set("OFFER".to_owned()),
        recipient_user_id: Set(Some(to)),
        recipient_request_id: Set(None),
        recipient_token_id: Set(None),
        recipient_signature_id: Set(None),
        digest: Set(false),
        subject: Set(Some("An offer".to_owned())),
        body_text: Set(Some("text".to_owned())),
        body_html: Set(Some("<p>text</p>".to_owned())),
        unsubscribe_url: Set(None),
        status: Set("FAILED".to_owned()),
        attempts: Set(8),
        next_attempt_at: Set(db.now()),
        claimed_at: Set(None),
        last_error: Set(Some("connection refused".to_owned())),
        created_at: Set(db.now()),
        sent_at: Set(None),
        body_removed_at: Set(None),
    }
    .insert(&db.conn)
    .await
    .unwrap();
    id
}

async fn failed_messages_are_counted_on_the_desk_and_retried_by_an_admin(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = session_of(&db, net.coordinator.id).await;
    let admin = session_of(&db, net.admin.id).await;
    let tile = "<span class=\"label\">Messages that could not be sent</span>";
    let calm = get_as(&client, "/desk", Some(&coordinator)).await;
    assert!(
        calm.body.contains(&format!("<span class=\"count\">0</span> {tile}")),
        "{}",
        calm.body
    );
    assert!(!calm.body.contains("An admin can retry them"));
    let admin_page = get_as(&client, "/admin", Some(&admin)).await;
    assert!(
        admin_page.body.contains("None: every message was sent"),
        "{}",
        admin_page.body
    );
    assert!(!admin_page.body.contains("/admin/outbox/retry"));

    let first = add_failed_message(&db, net.member.id).await;
    add_failed_message(&db, net.supporter.id).await;
    let red = get_as(&client, "/desk", Some(&coordinator)).await;
    assert!(
        red.body.contains(&format!("<span class=\"count\">2</span> {tile}")),
        "{}",
        red.body
    );
    assert!(red.body.contains("<p class=\"alarm\">An admin can retry them</p>"));
    assert!(!red.body.contains("href=\"/admin"), "no link a coordinator cannot open");
    let for_admin = get_as(&client, "/desk", Some(&admin)).await;
    assert!(
        for_admin.body.contains(&format!(
            "<a href=\"/admin#outbox-heading\"><span class=\"count\">2</span> {tile}</a>"
        )),
        "{}",
        for_admin.body
    );
    let admin_page = get_as(&client, "/admin", Some(&admin)).await;
    assert!(admin_page.body.contains("Failed messages: 2"), "{}", admin_page.body);
    let csrf = admin_page.cookie("muster_csrf").unwrap();

    // Only an admin may retry; a coordinator's post changes nothing.
    let coordinator_csrf = csrf_of(&client, "/desk", &coordinator).await;
    let refused = post(&client, "/admin/outbox/retry", &coordinator_csrf, &coordinator, &[]).await;
    assert_eq!(refused.status, 403);
    let forged = post(&client, "/admin/outbox/retry", "forged", &admin, &[]).await;
    assert_eq!(forged.status, 403);
    let status_of = |id: Uuid| {
        let conn = db.conn.clone();
        async move {
            outbox_message::Entity::find_by_id(id)
                .one(&conn)
                .await
                .unwrap()
                .unwrap()
                .status
        }
    };
    assert_eq!(status_of(first).await, "FAILED");

    let retried = post(&client, "/admin/outbox/retry", &csrf, &admin, &[]).await;
    assert_eq!(retried.status, 303, "{}", retried.body);
    assert_eq!(retried.location(), Some("/admin?done=retried#outbox-heading"));
    assert_eq!(status_of(first).await, "PENDING");
    let after = get_as(&client, "/admin?done=retried", Some(&admin)).await;
    assert!(after.body.contains("back in the queue"));
    assert!(after.body.contains("None: every message was sent"));
}

/// Every form of these pages posted with a forged anti-forgery token, or
/// from another site, is refused (403) and changes nothing; posted by
/// someone not signed in, it leads to sign in.
async fn forms_without_their_token_are_refused_and_change_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = session_of(&db, net.coordinator.id).await;
    let admin = session_of(&db, net.admin.id).await;
    let failed = add_failed_message(&db, net.member.id).await;
    let token = csrf_of(&client, "/desk/topics", &coordinator).await;
    let signed_out = get_as(&client, "/signin", None).await.cookie("muster_csrf").unwrap();
    let topic_page = format!("/desk/topics/{}", net.topic);
    let supporter_page = format!("/desk/trainers/{}", net.supporter.id);
    let topic_field = format!("topic-{}", net.topic);
    type Fields<'a> = Vec<(&'a str, &'a str)>;
    let forms: Vec<(&str, &str, Fields)> = vec![
        (
            "/desk/topics",
            &coordinator,
            vec![("slug", "new-topic"), ("name", "New"), ("typicalDurationMinutes", "60")],
        ),
        (
            &topic_page,
            &coordinator,
            vec![
                ("action", "save"),
                ("name", "Renamed"),
                ("typicalDurationMinutes", "60"),
            ],
        ),
        (&topic_page, &coordinator, vec![("action", "archive")]),
        ("/desk/trainers", &coordinator, vec![("email", &net.supporter.email)]),
        (
            &supporter_page,
            &coordinator,
            vec![(&topic_field, "on"), ("regions", "Wales"), ("monthlyCap", "2")],
        ),
        ("/admin/outbox/retry", &admin, vec![]),
    ];
    for (path, session, fields) in &forms {
        let cookie = format!("muster_csrf={token}; muster_session={session}");
        assert_forgeries_refused(&client, path, &cookie, &token, fields).await;
        assert_sent_to_sign_in(&client, path, &signed_out).await;
    }
    let topics = topic::Entity::find().all(&db.conn).await.unwrap();
    assert_eq!(topics.len(), 1, "no topic added");
    assert_eq!(topics[0].name, "Introduction to NHS charging", "nor renamed");
    assert!(topics[0].archived_at.is_none(), "nor archived");
    assert!(
        trainer_profile::Entity::find_by_id(net.supporter.id)
            .one(&db.conn)
            .await
            .unwrap()
            .is_none()
    );
    let looked_up = audit_entry::Entity::find()
        .filter(audit_entry::Column::Operation.eq("deskTrainersPage"))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(looked_up, 0, "no look-up made");
    let message = outbox_message::Entity::find_by_id(failed)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message.status, "FAILED", "nothing retried");
}
