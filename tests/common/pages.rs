//! Signed-in pages driven in-process, as the page tests share them: a
//! session made as signing in makes one, a GET as the browser holding it,
//! the answer with its headers, the statements one page costs, and the
//! check that a page holds no email its reader may not see.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use muster::AppState;
use poem::{
    Endpoint,
    http::{HeaderMap, StatusCode, header},
    test::TestClient,
};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::{
    TestDb,
    network::{Network, Persona},
    test_secret,
};

/// A page's answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The value of a cookie the answer sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
    }
}

pub async fn answer(response: poem::test::TestResponse) -> Answer {
    let response = response.0;
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.into_body().into_string().await.unwrap(),
    }
}

/// A live web session for `user_id`, as signing in makes one.
pub async fn session_of(db: &TestDb, user_id: Uuid) -> String {
    let user = entity::user::Entity::find_by_id(user_id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    muster::domain::sessions::start(&db.conn, &user, None, db.config().sessions, db.now())
        .await
        .unwrap()
}

/// A page as a browser holding `session` (or none) asks for it.
pub async fn get_as<E: Endpoint>(client: &TestClient<E>, path: &str, session: Option<&str>) -> Answer {
    let mut request = client.get(path).header(header::ACCEPT, "text/html");
    if let Some(session) = session {
        request = request.header(header::COOKIE, format!("muster_session={session}"));
    }
    answer(request.send().await).await
}

/// The SQL statements one signed-in page costs, and its answer
/// (`SHOW_SQL=1` prints them).
pub async fn count_page_statements(db: &TestDb, path: &str, session: &str) -> (usize, Answer) {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut conn = db.conn.clone();
    let counting = counter.clone();
    conn.set_metric_callback(move |info| {
        counting.fetch_add(1, Ordering::SeqCst);
        if std::env::var_os("SHOW_SQL").is_some() {
            eprintln!("SQL: {}", info.statement.sql.chars().take(150).collect::<String>());
        }
    });
    let client = TestClient::new(muster::app(AppState::with_clock(
        conn,
        &db.config(),
        &test_secret(),
        db.clock.clone(),
    )));
    let page = get_as(&client, path, Some(session)).await;
    (counter.load(Ordering::SeqCst), page)
}

/// Whether `body` holds `email` as a whole address, not as the tail of a
/// longer one (`other-organiser@…` holds `organiser@…`).
pub fn shows_address(body: &str, email: &str) -> bool {
    body.match_indices(email).any(|(at, _)| {
        !body[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
    })
}

/// Fails if `body` holds an address of the network that `persona` may not
/// see.
pub fn assert_no_foreign_email(net: &Network, persona: Persona, page: &str, body: &str) {
    let allowed = net.emails_visible_to(persona);
    for email in net.emails() {
        if !allowed.contains(&email) {
            assert!(!shows_address(body, email), "{persona:?} sees {email} at {page}");
        }
    }
}

#[test]
fn an_address_is_found_whole() {
    assert!(shows_address("write to organiser@x.org today", "organiser@x.org"));
    assert!(shows_address("organiser@x.org", "organiser@x.org"));
    assert!(!shows_address("other-organiser@x.org", "organiser@x.org"));
}

/// Posts the form `fields` to `path` as the browser with `cookie` (which
/// holds its real anti-forgery `token`), twice without a token that holds:
/// once with a forged token from the same site, once with the real one
/// from another site. Asserts both are refused with 403; what the form
/// would have changed is for the caller to check.
pub async fn assert_forgeries_refused<E: Endpoint>(
    client: &TestClient<E>,
    path: &str,
    cookie: &str,
    token: &str,
    fields: &[(&str, &str)],
) {
    for (csrf, site) in [("forged.token", "same-origin"), (token, "cross-site")] {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().copied().chain([("csrf", csrf)]))
            .finish();
        let refused = answer(
            client
                .post(path)
                .header(header::COOKIE, cookie)
                .header("sec-fetch-site", site)
                .header(header::ACCEPT, "text/html")
                .content_type("application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await,
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path} {site}: {}", refused.body);
    }
}

/// Posts to `path` from a browser not signed in (holding the token the
/// sign-in page gave it): sent to sign in, nothing done.
pub async fn assert_sent_to_sign_in<E: Endpoint>(client: &TestClient<E>, path: &str, signed_out_token: &str) {
    let anonymous = answer(
        client
            .post(path)
            .header(header::COOKIE, format!("muster_csrf={signed_out_token}"))
            .header(header::ACCEPT, "text/html")
            .content_type("application/x-www-form-urlencoded")
            .body(format!("csrf={signed_out_token}"))
            .send()
            .await,
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
    assert!(
        anonymous.location().is_some_and(|l| l.starts_with("/signin?next=")),
        "{path}"
    );
}
