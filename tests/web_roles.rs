//! The role × page table: every page, public and signed in (My muster, a
//! group's organisers' pages, the coordinators' desk, the trainers' offers,
//! the admins' tools), fetched as each persona of
//! DESIGN.md's "Who sees what" table, through a real session cookie. The
//! answer (the page, a redirect to sign in, or the same "not found" or
//! "forbidden" page the API's answer matches) must be the table's, and no
//! answer may carry an email address its reader may not see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    TestDb,
    network::{self, Network, Persona},
    pages::shows_address,
};
use entity::user;
use muster::domain::sessions;
use poem::http::StatusCode;
use sea_orm::EntityTrait;

on_both_databases!(every_page_answers_each_persona_as_the_table_says);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Page,
    SignIn,
    NotFound,
    Forbidden,
}

use Answer::*;
use Persona::*;

/// The table's row for a page: `staff` are the coordinator and the admin;
/// everyone not named gets `otherwise`.
fn row(named: &[(Persona, Answer)], otherwise: Answer) -> impl Fn(Persona) -> Answer + '_ {
    move |persona| {
        named
            .iter()
            .find(|(p, _)| *p == persona)
            .map_or(otherwise, |(_, answer)| *answer)
    }
}

async fn session_cookie(db: &TestDb, persona: Persona, network: &Network) -> Option<String> {
    let person = network.person(persona)?;
    let account = user::Entity::find_by_id(person.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let secret = sessions::start(&db.conn, &account, None, db.state().sessions, db.now())
        .await
        .unwrap();
    Some(format!("{}={secret}", sessions::COOKIE))
}

async fn every_page_answers_each_persona_as_the_table_says(db: TestDb) {
    let network = network::build(&db.conn).await;
    let client = db.app();
    let public_event = format!("/events/{}", network.alpha_public_event);
    let alpha_members_event = format!("/events/{}", network.alpha_members_event);
    let beta_members_event = format!("/events/{}", network.beta_members_event);

    let alpha_edit = format!("/groups/alpha/manage/events/{}", network.alpha_public_event);

    let everyone = row(&[], Page);
    let signed_in = row(&[(Anonymous, SignIn)], Page);
    let alpha_organisers = row(
        &[
            (Anonymous, SignIn),
            (Organiser, Page),
            (Coordinator, Page),
            (Admin, Page),
        ],
        Forbidden,
    );
    let beta_organisers = row(
        &[
            (Anonymous, SignIn),
            (OtherOrganiser, Page),
            (Coordinator, Page),
            (Admin, Page),
        ],
        Forbidden,
    );
    let alpha_members = row(
        &[(Member, Page), (Organiser, Page), (Coordinator, Page), (Admin, Page)],
        NotFound,
    );
    let beta_members = row(&[(OtherOrganiser, Page), (Coordinator, Page), (Admin, Page)], NotFound);
    let desk_request = format!("/desk/requests/{}", network.requests.outside_request);
    let account = format!("/admin/account?id={}", network.trainer.id);
    let erase = format!("/admin/account/erase?id={}", network.trainer.id);
    let staff = row(&[(Anonymous, SignIn), (Coordinator, Page), (Admin, Page)], Forbidden);
    let trainers = row(&[(Anonymous, SignIn), (Trainer, Page)], Forbidden);
    let admins = row(&[(Anonymous, SignIn), (Admin, Page)], Forbidden);
    let topic_page = format!("/desk/topics/{}", network.topic);
    let trainer_page = format!("/desk/trainers/{}", network.trainer.id);
    let table: Vec<(&str, &dyn Fn(Persona) -> Answer)> = vec![
        ("/", &everyone),
        ("/groups", &everyone),
        ("/groups/alpha", &everyone),
        ("/request", &everyone),
        ("/signin", &everyone),
        ("/register", &everyone),
        ("/signout", &everyone),
        (&public_event, &everyone),
        (&alpha_members_event, &alpha_members),
        (&beta_members_event, &beta_members),
        ("/me", &signed_in),
        ("/me/feeds", &signed_in),
        ("/me/profile", &signed_in),
        ("/me/data", &signed_in),
        ("/me/data/download", &signed_in),
        ("/me/delete", &signed_in),
        ("/groups/alpha/manage", &alpha_organisers),
        ("/groups/alpha/manage/events", &alpha_organisers),
        ("/groups/alpha/manage/events/new", &alpha_organisers),
        ("/groups/alpha/manage/import", &alpha_organisers),
        (&alpha_edit, &alpha_organisers),
        ("/groups/alpha/manage/profile", &alpha_organisers),
        ("/groups/alpha/manage/requests", &alpha_organisers),
        ("/groups/alpha/manage/requests/new", &alpha_organisers),
        ("/groups/beta/manage", &beta_organisers),
        ("/desk", &staff),
        ("/desk/requests", &staff),
        ("/desk/requests?state=CONFIRMED&urgency=week", &staff),
        (&desk_request, &staff),
        ("/offers", &trainers),
        ("/admin", &admins),
        (&account, &admins),
        (&erase, &admins),
        ("/desk/topics", &staff),
        (&topic_page, &staff),
        ("/desk/trainers", &staff),
        (&trainer_page, &staff),
        ("/letters", &everyone),
        ("/letters/open-letter", &everyone),
        // The page an emailed link opens: a button, whatever the token.
        ("/letters/open-letter/confirm?token=not-a-real-token", &everyone),
        ("/desk/letters", &staff),
        ("/desk/letters/open-letter", &staff),
        ("/desk/letters/open-letter/export.csv", &staff),
        ("/desk/letters/open-letter/export.csv?emails=on", &admins),
    ];

    let mut checked = 0;
    for persona in Persona::ALL {
        let cookie = session_cookie(&db, persona, &network).await;
        let visible = network.emails_visible_to(persona);
        let hidden: Vec<&str> = network
            .emails()
            .into_iter()
            .filter(|email| !visible.contains(email))
            .collect();
        for (path, expected) in &table {
            let mut request = client.get(*path).header("accept", "text/html");
            if let Some(cookie) = &cookie {
                request = request.header("cookie", cookie);
            }
            let response = request.send().await;
            let status = response.0.status();
            let location = response
                .0
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let answer = match status {
                StatusCode::OK => Page,
                StatusCode::SEE_OTHER | StatusCode::FOUND
                    if location.as_deref().is_some_and(|l| l.starts_with("/signin?next=")) =>
                {
                    SignIn
                }
                StatusCode::NOT_FOUND => NotFound,
                StatusCode::FORBIDDEN => Forbidden,
                other => panic!("{path} as {persona:?}: {other} {location:?}"),
            };
            assert_eq!(answer, expected(persona), "{path} as {persona:?}");
            let is_html = response
                .0
                .headers()
                .get("content-type")
                .is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
            let body = response.0.into_body().into_string().await.unwrap();
            for email in &hidden {
                assert!(!shows_address(&body, email), "{path} as {persona:?} shows {email}");
            }
            if answer == Page && persona != Anonymous && is_html {
                assert!(
                    body.contains("Sign out"),
                    "{path} as {persona:?}: the navigation is signed in"
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, table.len() * Persona::ALL.len());
}
