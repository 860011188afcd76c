//! The trainers' area (`/offers`) and the admins' tools (`/admin`) over
//! HTTP, on both databases: who gets which answer and that no page shows
//! an email its reader may not see; accepting an offer with a clashing
//! slot, with a slot outside the windows (each refused in words, nothing
//! written) and with a free slot (the engagement on the public events page
//! and in the trainer's private feed); declining with a reason; another
//! trainer neither sees nor answers the offer; away periods added and
//! removed; an admin's lookup audited, a role change ending the person's
//! sessions, erasure only once confirmed, and the audit trail's filter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pages::{
    Answer, answer, assert_forgeries_refused, assert_no_foreign_email, assert_sent_to_sign_in, count_page_statements,
    get_as, session_of,
};

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use common::{
    TestDb, day, graphql_as,
    network::{self, Network, Persona},
};
use entity::{
    AssignmentStatus, RequestState, UserRole, assignment, audit_entry, event, request, trainer_unavailability, user,
};
use muster::fixtures::{RequestBuilder, TrainerBuilder, UserBuilder};
use poem::{
    Endpoint,
    http::{StatusCode, header},
    test::TestClient,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

on_both_databases!(
    each_page_answers_each_reader_as_the_table_says,
    an_offer_is_refused_in_words_for_a_clash_or_outside_its_windows_then_accepted,
    an_offer_is_declined_with_a_reason_and_another_trainer_cannot_answer_it,
    away_periods_are_added_and_removed,
    an_admin_finds_changes_and_erases_accounts_and_filters_the_trail,
    the_offers_page_costs_the_same_statements_for_1_and_21_offers,
    the_trainer_changes_their_topics_regions_and_cap,
    forms_without_their_token_are_refused_and_change_nothing,
);

/// A form's fields, as posted.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// Opens `page` and posts its form to `path` as the browser that loaded it.
async fn post_from<E: Endpoint>(
    client: &TestClient<E>,
    page: &str,
    path: &str,
    session: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let opened = get_as(client, page, Some(session)).await;
    assert_eq!(opened.status, 200, "{page}: {}", opened.body);
    let csrf = opened.cookie("muster_csrf").expect("an anti-forgery cookie");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().copied().chain([("csrf", csrf.as_str())]))
        .finish();
    let request = client
        .post(path)
        .header(header::COOKIE, format!("muster_csrf={csrf}; muster_session={session}"))
        .header(header::ACCEPT, "text/html")
        .content_type("application/x-www-form-urlencoded");
    answer(request.body(body).send().await).await
}

/// A time as the form takes it: UK time, `datetime-local`.
fn uk(at: DateTime<Utc>) -> String {
    at.with_timezone(&London).format("%Y-%m-%dT%H:%M").to_string()
}

/// A second trainer covering the same topic, with no offer.
async fn other_trainer(db: &TestDb, net: &Network) -> Uuid {
    let other = UserBuilder::new(db.now())
        .name("Other Trainer")
        .email("other-trainer@people.example.org")
        .insert(&db.conn)
        .await
        .unwrap();
    TrainerBuilder::new(other.id, db.now())
        .topic(net.topic)
        .region("Wales")
        .insert(&db.conn)
        .await
        .unwrap();
    other.id
}

async fn proposal(db: &TestDb, net: &Network) -> assignment::Model {
    assignment::Entity::find_by_id(net.requests.proposal)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap()
}

async fn outside_request(db: &TestDb, net: &Network) -> request::Model {
    request::Entity::find_by_id(net.requests.outside_request)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap()
}

async fn events_of(db: &TestDb, net: &Network) -> u64 {
    event::Entity::find()
        .filter(event::Column::RequestId.eq(net.requests.outside_request))
        .count(&db.conn)
        .await
        .unwrap()
}

/// Anonymous is sent to sign in and back; the trainer gets their offers
/// page, never cached by anyone else, with the offer and no contact
/// details; another trainer gets their own page without it; everyone
/// else (supporter, coordinator, admin without a trainer profile) the
/// 403 page in words. Only admins get `/admin`. The navigation links each
/// area only for those it serves.
async fn each_page_answers_each_reader_as_the_table_says(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let other = other_trainer(&db, &net).await;
    let other_session = session_of(&db, other).await;
    let mut sessions = vec![(None, other_session)];
    for persona in [
        Persona::Supporter,
        Persona::Trainer,
        Persona::Coordinator,
        Persona::Admin,
    ] {
        sessions.push((Some(persona), session_of(&db, net.person(persona).unwrap().id).await));
    }
    for page in ["/offers", "/admin"] {
        let anonymous = get_as(&client, page, None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(anonymous.location(), Some(format!("/signin?next={page}").as_str()));
        for (persona, session) in &sessions {
            let got = get_as(&client, page, Some(session)).await;
            let allowed = match page {
                "/offers" => matches!(persona, None | Some(Persona::Trainer)),
                _ => matches!(persona, Some(Persona::Admin)),
            };
            if allowed {
                assert_eq!(got.status, 200, "{persona:?} at {page}: {}", got.body);
                assert_eq!(got.headers[header::CACHE_CONTROL], "private, no-store", "{page}");
            } else {
                assert_eq!(got.status, 403, "{persona:?} at {page}");
                assert!(got.body.contains("These pages are for the network"), "{}", got.body);
                assert!(!got.body.contains("FORBIDDEN"));
            }
            // The other trainer sees only their own email anywhere.
            let seen_as = persona.unwrap_or(Persona::Supporter);
            assert_no_foreign_email(&net, seen_as, page, &got.body);
        }
    }
    let trainer = &sessions[2].1;
    let mine = get_as(&client, "/offers", Some(trainer)).await;
    for shown in [
        "REQ-QTS2DE",
        "Introduction to NHS charging",
        "Outside Union Branch",
        "About 25 people",
        "Your calendar in those weeks",
        "Past engagements",
        "attendance not recorded",
    ] {
        assert!(mine.body.contains(shown), "{shown}: {}", mine.body);
    }
    assert!(
        !mine.body.contains(common::requests::OUTSIDE_CONTACT_EMAIL),
        "contact details are not on the offers page"
    );
    // The slot is pre-filled: the window's start, and the topic's length.
    assert!(
        mine.body.contains(&format!("value=\"{}\"", uk(day(40, 0)))),
        "{}",
        mine.body
    );
    assert!(mine.body.contains("It usually takes"));
    assert!(
        mine.body.contains("href=\"/offers\""),
        "the trainer's navigation links the offers"
    );
    assert!(!mine.body.contains("href=\"/admin\""));
    let others = get_as(&client, "/offers", Some(&sessions[0].1)).await;
    assert!(
        !others.body.contains("REQ-QTS2DE"),
        "another trainer does not see the offer"
    );
    assert!(others.body.contains("No offers are waiting for you."));
    let admin = get_as(&client, "/admin", Some(&sessions[4].1)).await;
    assert!(admin.body.contains("href=\"/admin\""));
    assert!(!admin.body.contains("href=\"/offers\""));
}

/// A slot that overlaps the trainer's time away is refused with the reason
/// in words, a slot outside the preferred windows is refused, and neither
/// writes anything; a free slot confirms the request, and the engagement
/// is on the public events page and in the trainer's private feed.
async fn an_offer_is_refused_in_words_for_a_clash_or_outside_its_windows_then_accepted(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let trainer = session_of(&db, net.trainer.id).await;
    let accept = format!("/offers/{}/accept", net.requests.proposal);
    // Away on the first day of the window, 09:00 to 13:00 UTC.
    trainer_unavailability::Entity::insert(trainer_unavailability::ActiveModel {
        id: sea_orm::Set(Uuid::new_v4()),
        trainer_id: sea_orm::Set(net.trainer.id),
        starts_at: sea_orm::Set(day(40, 9)),
        ends_at: sea_orm::Set(day(40, 13)),
        note: sea_orm::Set(Some("hospital shift".into())),
        created_at: sea_orm::Set(db.now()),
    })
    .exec(&db.conn)
    .await
    .unwrap();
    let page = get_as(&client, "/offers", Some(&trainer)).await;
    assert!(
        page.body.contains("Away: hospital shift"),
        "the calendar shows the time away"
    );

    let (starts, ends) = (uk(day(40, 10)), uk(day(40, 12)));
    let clash = post_from(
        &client,
        "/offers",
        &accept,
        &trainer,
        &[("startsAt", &starts), ("endsAt", &ends)],
    )
    .await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.body);
    assert!(
        clash
            .body
            .contains("That time does not work: that time overlaps a period marked away."),
        "{}",
        clash.body
    );
    assert!(
        clash.body.contains(&format!("value=\"{starts}\"")),
        "what was typed is kept"
    );

    let (starts, ends) = (uk(day(50, 10)), uk(day(50, 12)));
    let outside = post_from(
        &client,
        "/offers",
        &accept,
        &trainer,
        &[("startsAt", &starts), ("endsAt", &ends)],
    )
    .await;
    assert_eq!(outside.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", outside.body);
    assert!(
        outside.body.contains("must lie inside one of the preferred windows"),
        "{}",
        outside.body
    );
    assert_eq!(
        proposal(&db, &net).await.status,
        AssignmentStatus::Proposed,
        "nothing written"
    );
    assert_eq!(outside_request(&db, &net).await.state, RequestState::Assigned);
    assert_eq!(events_of(&db, &net).await, 0);

    let (starts, ends) = (uk(day(41, 10)), uk(day(41, 12)));
    let accepted = post_from(
        &client,
        "/offers",
        &accept,
        &trainer,
        &[("startsAt", &starts), ("endsAt", &ends)],
    )
    .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    assert_eq!(accepted.location(), Some("/offers?done=accepted"));
    let answered = proposal(&db, &net).await;
    assert_eq!(answered.status, AssignmentStatus::Accepted);
    assert_eq!((answered.starts_at, answered.ends_at), (day(41, 10), day(41, 12)));
    assert_eq!(outside_request(&db, &net).await.state, RequestState::Confirmed);
    let after = get_as(&client, "/offers?done=accepted", Some(&trainer)).await;
    assert!(after.body.contains("Accepted: the engagement is in your calendar."));
    assert!(after.body.contains("No offers are waiting for you."));

    let title = "Introduction to NHS charging (Outside Union Branch)";
    let events = get_as(&client, "/", None).await;
    assert!(
        events.body.contains(title),
        "on the public events page: {}",
        events.body
    );
    let token = net.token(Persona::Trainer).unwrap();
    let (_, created) = graphql_as(
        &client,
        Some(&token),
        "mutation { createFeedToken(label: \"phone\") { secret } }",
        json!({}),
    )
    .await;
    let secret = created["data"]["createFeedToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let feed = client.get(format!("/feeds/{secret}/calendar.ics")).send().await;
    let feed = feed.0.into_body().into_string().await.unwrap();
    assert!(
        feed.contains("Introduction to NHS charging"),
        "in the trainer's feed: {feed}"
    );
}

/// Declining needs a reason (refused in words without one, nothing
/// written) and then returns the request to the queue with the reason in
/// its history. Another trainer can neither accept nor decline it: both
/// answer not found, and nothing changes.
async fn an_offer_is_declined_with_a_reason_and_another_trainer_cannot_answer_it(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let other = other_trainer(&db, &net).await;
    let other = session_of(&db, other).await;
    let accept = format!("/offers/{}/accept", net.requests.proposal);
    let decline = format!("/offers/{}/decline", net.requests.proposal);
    let (starts, ends) = (uk(day(41, 10)), uk(day(41, 12)));
    let theirs = post_from(
        &client,
        "/offers",
        &accept,
        &other,
        &[("startsAt", &starts), ("endsAt", &ends)],
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.body);
    let theirs = post_from(&client, "/offers", &decline, &other, &[("reason", "not mine")]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(proposal(&db, &net).await.status, AssignmentStatus::Proposed);

    let trainer = session_of(&db, net.trainer.id).await;
    let bare = post_from(&client, "/offers", &decline, &trainer, &[("reason", "  ")]).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bare.body);
    assert!(bare.body.contains("say why, for the coordinator"), "{}", bare.body);
    assert_eq!(proposal(&db, &net).await.status, AssignmentStatus::Proposed);

    let reason = "On nights that fortnight";
    let declined = post_from(&client, "/offers", &decline, &trainer, &[("reason", reason)]).await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER, "{}", declined.body);
    assert_eq!(declined.location(), Some("/offers?done=declined"));
    assert_eq!(proposal(&db, &net).await.status, AssignmentStatus::Declined);
    assert_eq!(outside_request(&db, &net).await.state, RequestState::Submitted);
    let noted = entity::request_transition::Entity::find()
        .filter(entity::request_transition::Column::RequestId.eq(net.requests.outside_request))
        .filter(entity::request_transition::Column::Note.eq(reason))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(noted, 1, "the reason is in the request's history");
}

/// Time away is added in UK time (bad dates refused beside their fields,
/// nothing written), listed, and removed; another trainer cannot remove it.
async fn away_periods_are_added_and_removed(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let trainer = session_of(&db, net.trainer.id).await;
    let away = || {
        trainer_unavailability::Entity::find()
            .filter(trainer_unavailability::Column::TrainerId.eq(net.trainer.id))
            .all(&db.conn)
    };
    let bad = post_from(
        &client,
        "/offers",
        "/offers/away",
        &trainer,
        &[("startsAt", "someday"), ("endsAt", "")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("must be a date and a time"), "{}", bad.body);
    assert!(bad.body.contains("is needed"));
    assert!(bad.body.contains("value=\"someday\""));
    let backwards = post_from(
        &client,
        "/offers",
        "/offers/away",
        &trainer,
        &[("startsAt", &uk(day(20, 12))), ("endsAt", &uk(day(20, 9)))],
    )
    .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", backwards.body);
    assert!(away().await.unwrap().is_empty(), "nothing written");

    let added = post_from(
        &client,
        "/offers",
        "/offers/away",
        &trainer,
        &[
            ("startsAt", &uk(day(20, 9))),
            ("endsAt", &uk(day(22, 17))),
            ("note", "Conference"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let rows = away().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].starts_at, rows[0].ends_at), (day(20, 9), day(22, 17)));
    let page = get_as(&client, "/offers", Some(&trainer)).await;
    assert!(page.body.contains("Conference"), "{}", page.body);
    assert!(page.body.contains(&rows[0].id.to_string()));

    let id = rows[0].id.to_string();
    let other = other_trainer(&db, &net).await;
    let other = session_of(&db, other).await;
    let theirs = post_from(&client, "/offers", "/offers/away/remove", &other, &[("id", &id)]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(away().await.unwrap().len(), 1);
    let removed = post_from(&client, "/offers", "/offers/away/remove", &trainer, &[("id", &id)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(away().await.unwrap().is_empty());
}

/// Finding an account by email shows it and writes a `READ_EMAIL` entry
/// about it; an unknown address is said in words and records nothing. A
/// role change ends the person's sessions. Erasing asks to confirm, and
/// erases only once confirmed. The trail filters by action and subject,
/// and says so when a filter cannot be read.
async fn an_admin_finds_changes_and_erases_accounts_and_filters_the_trail(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let admin = session_of(&db, net.admin.id).await;
    let reads = |subject: Uuid| {
        audit_entry::Entity::find()
            .filter(audit_entry::Column::SubjectId.eq(subject))
            .filter(audit_entry::Column::Action.eq("READ_EMAIL"))
            .filter(audit_entry::Column::Operation.eq("adminPage"))
            .count(&db.conn)
    };
    let before = audit_entry::Entity::find().count(&db.conn).await.unwrap();
    let unknown = post_from(
        &client,
        "/admin",
        "/admin/account",
        &admin,
        &[("email", "nobody@people.example.org")],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("No account has this email address."));
    assert_eq!(audit_entry::Entity::find().count(&db.conn).await.unwrap(), before);

    let found = post_from(
        &client,
        "/admin",
        "/admin/account",
        &admin,
        &[("email", &net.member.email.to_uppercase())],
    )
    .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(found.body.contains(&net.member.email));
    assert!(found.body.contains("member Example"));
    assert_eq!(reads(net.member.id).await.unwrap(), 1, "the lookup is audited");

    // A role change ends every session of the person.
    let member = session_of(&db, net.member.id).await;
    assert_eq!(get_as(&client, "/me", Some(&member)).await.status, 200);
    let page = format!("/admin/account?id={}", net.member.id);
    let changed = post_from(
        &client,
        &page,
        "/admin/account/role",
        &admin,
        &[("id", &net.member.id.to_string()), ("role", "COORDINATOR")],
    )
    .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let role = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap()
        .role;
    assert_eq!(role, UserRole::Coordinator);
    assert_eq!(
        get_as(&client, "/me", Some(&member)).await.status,
        StatusCode::SEE_OTHER,
        "the old session no longer signs in"
    );
    // The last admin cannot stop being one: refused in words.
    let last = post_from(
        &client,
        &format!("/admin/account?id={}", net.admin.id),
        "/admin/account/role",
        &admin,
        &[("id", &net.admin.id.to_string()), ("role", "SUPPORTER")],
    )
    .await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.body);
    assert!(last.body.contains("at least one admin"));

    // Erasure asks first, and erases only when confirmed.
    let erase = format!("/admin/account/erase?id={}", net.supporter.id);
    let asked = get_as(&client, &erase, Some(&admin)).await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains("Type ERASE to confirm"));
    let id = net.supporter.id.to_string();
    let unconfirmed = post_from(&client, &erase, "/admin/account/erase", &admin, &[("id", &id)]).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let erased_at = || user::Entity::find_by_id(net.supporter.id).one(&db.conn);
    assert!(erased_at().await.unwrap().unwrap().erased_at.is_none());
    let confirmed = post_from(
        &client,
        &erase,
        "/admin/account/erase",
        &admin,
        &[("id", &id), ("confirm", "ERASE")],
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{}", confirmed.body);
    assert!(erased_at().await.unwrap().unwrap().erased_at.is_some());

    // The trail, filtered.
    let roles = get_as(&client, "/admin?action=CHANGE_ROLE", Some(&admin)).await;
    assert_eq!(roles.status, 200);
    assert!(roles.body.contains("changed the role"));
    assert!(!roles.body.contains("read the email address"));
    let about = get_as(&client, &format!("/admin?subject={}", net.member.id), Some(&admin)).await;
    assert!(about.body.contains("read the email address") && about.body.contains("changed the role"));
    assert!(!about.body.contains("erased the account"));
    let bad = get_as(&client, "/admin?action=PARTY", Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("The trail could not be filtered"));
}

/// The offers page reads the same number of statements with one offer as
/// with 21 offers, 20 engagements ahead and 10 periods away: no query per
/// offer, window, topic or engagement.
async fn the_offers_page_costs_the_same_statements_for_1_and_21_offers(db: TestDb) {
    let net = network::build(&db.conn).await;
    let trainer = session_of(&db, net.trainer.id).await;
    let (few, small) = count_page_statements(&db, "/offers", &trainer).await;
    assert_eq!(small.status, 200, "{}", small.body);
    assert_eq!(small.body.matches("class=\"event offer\"").count(), 1);

    for i in 0..20 {
        let (from, to) = (day(60 + i, 0), day(62 + i, 0));
        RequestBuilder::new(net.topic, db.now())
            .window(from, to)
            .assigned(net.coordinator.id, net.trainer.id)
            .slot(from, to)
            .insert(&db.conn)
            .await
            .unwrap();
        let at = day(100 + 2 * i, 10);
        RequestBuilder::new(net.topic, db.now())
            .window(at, at + chrono::Duration::hours(4))
            .assigned(net.coordinator.id, net.trainer.id)
            .slot(at, at + chrono::Duration::hours(2))
            .accepted()
            .insert(&db.conn)
            .await
            .unwrap();
    }
    for i in 0..10 {
        trainer_unavailability::Entity::insert(trainer_unavailability::ActiveModel {
            id: sea_orm::Set(Uuid::new_v4()),
            trainer_id: sea_orm::Set(net.trainer.id),
            starts_at: sea_orm::Set(day(61 + i, 8)),
            ends_at: sea_orm::Set(day(61 + i, 20)),
            note: sea_orm::Set(None),
            created_at: sea_orm::Set(db.now()),
        })
        .exec(&db.conn)
        .await
        .unwrap();
    }
    let (many, large) = count_page_statements(&db, "/offers", &trainer).await;
    assert_eq!(large.status, 200, "{}", large.body);
    assert_eq!(large.body.matches("class=\"event offer\"").count(), 21);
    assert!(large.body.matches("<strong>Away</strong>").count() >= 10);
    assert!(few > 0);
    assert_eq!(few, many, "1 offer: {few} statements; 21 offers: {many}");
    eprintln!("offers page: {few} statements with 1 offer, {many} with 21 offers and 20 engagements");
}

/// The trainer's own profile: a cap that is not a number, or out of range,
/// is refused beside its field with what was typed kept and nothing
/// saved; then topics, regions and cap are saved together.
async fn the_trainer_changes_their_topics_regions_and_cap(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let trainer = session_of(&db, net.trainer.id).await;
    let second = network::add_topic(&db.conn, "housing-rights", "Housing rights").await;
    let cap = || entity::trainer_profile::Entity::find_by_id(net.trainer.id).one(&db.conn);
    let before = cap().await.unwrap().unwrap().monthly_cap;
    let topic_field = format!("topic-{second}");
    for (typed, words) in [("many", "must be a whole number"), ("50", "must be between 0 and 31")] {
        let refused = post_from(
            &client,
            "/offers",
            "/offers/profile",
            &trainer,
            &[
                (topic_field.as_str(), "on"),
                ("regions", "Wales"),
                ("monthlyCap", typed),
            ],
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.body.contains("Your profile was not saved"), "{}", refused.body);
        assert!(refused.body.contains(&format!("value=\"{typed}\"")));
        assert!(refused.body.contains(words), "{words}: {}", refused.body);
        assert!(refused.body.contains("id=\"monthlyCap-error\""), "beside its field");
        assert_eq!(cap().await.unwrap().unwrap().monthly_cap, before, "nothing saved");
    }
    let saved = post_from(
        &client,
        "/offers",
        "/offers/profile",
        &trainer,
        &[
            (topic_field.as_str(), "on"),
            ("regions", "Wales, South West"),
            ("monthlyCap", "2"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(cap().await.unwrap().unwrap().monthly_cap, 2);
    let page = get_as(&client, "/offers", Some(&trainer)).await;
    assert!(
        page.body.contains("Housing rights</dd>"),
        "only the topic chosen: {}",
        page.body
    );
    assert!(page.body.contains("South West, Wales") || page.body.contains("Wales, South West"));
    let covered = entity::trainer_topic::Entity::find()
        .filter(entity::trainer_topic::Column::TrainerId.eq(net.trainer.id))
        .all(&db.conn)
        .await
        .unwrap();
    assert_eq!(covered.len(), 1);
    assert_eq!(covered[0].topic_id, second);
}

/// Every form of these pages posted with a forged anti-forgery token, or
/// from another site, is refused (403) and changes nothing; posted by
/// someone not signed in, it leads to sign in.
async fn forms_without_their_token_are_refused_and_change_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let trainer = session_of(&db, net.trainer.id).await;
    let admin = session_of(&db, net.admin.id).await;
    let opened = get_as(&client, "/offers", Some(&trainer)).await;
    let token = opened.cookie("muster_csrf").unwrap();
    // A token of a browser not signed in, as the sign-in page gives it.
    let signed_out = get_as(&client, "/signin", None).await.cookie("muster_csrf").unwrap();
    let accept = format!("/offers/{}/accept", net.requests.proposal);
    let decline = format!("/offers/{}/decline", net.requests.proposal);
    let (starts, ends) = (uk(day(41, 10)), uk(day(41, 12)));
    let member = net.member.id.to_string();
    let forms: Vec<(&str, &str, Fields)> = vec![
        (&accept, &trainer, vec![("startsAt", &starts), ("endsAt", &ends)]),
        (&decline, &trainer, vec![("reason", "no")]),
        ("/offers/away", &trainer, vec![("startsAt", &starts), ("endsAt", &ends)]),
        ("/offers/profile", &trainer, vec![("monthlyCap", "9")]),
        ("/admin/account/role", &admin, vec![("id", &member), ("role", "ADMIN")]),
        (
            "/admin/account/erase",
            &admin,
            vec![("id", &member), ("confirm", "ERASE")],
        ),
    ];
    for (path, session, fields) in &forms {
        let cookie = format!("muster_csrf={token}; muster_session={session}");
        assert_forgeries_refused(&client, path, &cookie, &token, fields).await;
        assert_sent_to_sign_in(&client, path, &signed_out).await;
    }
    assert_eq!(proposal(&db, &net).await.status, AssignmentStatus::Proposed);
    let away = trainer_unavailability::Entity::find().count(&db.conn).await.unwrap();
    assert_eq!(away, 0);
    let member = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.role, UserRole::Supporter);
    assert!(member.erased_at.is_none());
}
