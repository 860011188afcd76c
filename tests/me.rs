//! "My muster" over HTTP, as a browser uses it, on both databases: each
//! page sends anonymous readers to sign in and shows its owner their own
//! data and nobody else's; joining, leaving and the last-organiser rule;
//! private feeds (the secret once, with a QR code a camera reads back);
//! a password change that keeps this browser and ends the others; the
//! export as a file; erasure behind the password; the event page's places
//! and waiting list; and `/me` answered with as many SQL statements for 50
//! RSVPs as for 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use chrono::Duration;
use common::{
    TestDb,
    network::{self, Network, PASSWORD},
    test_secret,
};
use entity::{feed_token, membership, user};
use muster::{
    AppState,
    auth::Viewer,
    domain::{self, memberships::MemberChange},
    fixtures::{EventBuilder, RsvpBuilder},
};
use poem::{Endpoint, http::StatusCode, test::TestClient};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// One answer as a browser sees it.
struct Answer {
    status: StatusCode,
    headers: poem::http::HeaderMap,
    body: String,
}

impl Answer {
    /// The value a `Set-Cookie` of this answer gives `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(poem::http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .and_then(|c| c.split(';').next())
            .and_then(|pair| pair.split_once('=').map(|(_, v)| v.to_owned()))
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn location(&self) -> &str {
        self.header("location")
    }

    /// The anti-forgery token this page handed out.
    fn csrf(&self) -> String {
        self.cookie("muster_csrf")
            .unwrap_or_else(|| panic!("an anti-forgery cookie: {}", self.body))
    }
}

async fn answer(response: poem::test::TestResponse) -> Answer {
    let response = response.0;
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.into_body().into_string().await.unwrap(),
    }
}

async fn get<E: Endpoint>(client: &TestClient<E>, path: &str, session: Option<&str>) -> Answer {
    let mut request = client.get(path).header("accept", "text/html");
    if let Some(session) = session {
        request = request.header("cookie", format!("muster_session={session}"));
    }
    answer(request.send().await).await
}

/// A form posted as the browser that loaded it posts it.
async fn post<E: Endpoint>(
    client: &TestClient<E>,
    path: &str,
    csrf: &str,
    session: Option<&str>,
    fields: &[(&str, &str)],
) -> Answer {
    let mut cookies = format!("muster_csrf={csrf}");
    if let Some(session) = session {
        cookies.push_str(&format!("; muster_session={session}"));
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().copied().chain([("csrf", csrf)]))
        .finish();
    answer(
        client
            .post(path)
            .header("cookie", cookies)
            .header("accept", "text/html")
            .content_type("application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await,
    )
    .await
}

/// A browser signs in through the page; its session id.
async fn sign_in<E: Endpoint>(client: &TestClient<E>, email: &str, password: &str) -> Answer {
    let page = get(client, "/signin", None).await;
    post(
        client,
        "/signin",
        &page.csrf(),
        None,
        &[("email", email), ("password", password)],
    )
    .await
}

async fn session<E: Endpoint>(client: &TestClient<E>, email: &str) -> String {
    let signed_in = sign_in(client, email, PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    signed_in.cookie("muster_session").unwrap()
}

/// Who a session belongs to now, if it still works.
async fn signed_in_as(db: &TestDb, secret: &str) -> Option<uuid::Uuid> {
    domain::sessions::resolve(&db.conn, secret, db.config().sessions, db.now())
        .await
        .unwrap()
        .map(|u| u.id)
}

fn assert_personal(page: &Answer, path: &str) {
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    assert_eq!(page.header("cache-control"), "private, no-store", "{path}");
    assert!(
        page.body.contains("aria-label=\"My muster\""),
        "{path}: the sub-navigation"
    );
    assert!(
        page.body
            .contains("<a href=\"/me\" aria-current=\"page\">My muster</a>"),
        "{path}: My muster is the current entry of the main navigation"
    );
}

/// Every email address of the network but `own` is absent from `body`.
fn shows_no_email_but(net: &Network, own: &str, body: &str, path: &str) {
    for email in net.emails() {
        if email != own {
            assert!(!body.contains(email), "{path} shows {email}");
        }
    }
}

const PAGES: [&str; 6] = [
    "/me",
    "/me/feeds",
    "/me/profile",
    "/me/data",
    "/me/data/download",
    "/me/delete",
];

/// Anonymous readers are sent to sign in and back, from every page and
/// every form; each page shows its owner their own data and no one
/// else's address; the forms refuse a post from another site.
async fn every_page_is_its_owners_alone(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    for path in PAGES {
        let anonymous = get(&client, path, None).await;
        assert_eq!(anonymous.status, 303, "{path}");
        // After signing in, the download's page rather than a bare file.
        let back = if path == "/me/data/download" { "/me/data" } else { path };
        assert_eq!(anonymous.location(), format!("/signin?next={back}"), "{path}");
    }
    let token = get(&client, "/signin", None).await.csrf();
    for (path, back) in [
        ("/me/groups/leave", "/me"),
        ("/me/feeds", "/me/feeds"),
        ("/me/feeds/revoke", "/me/feeds"),
        ("/me/profile/name", "/me/profile"),
        ("/me/profile/password", "/me/profile"),
        ("/me/profile/email", "/me/profile"),
        ("/me/delete", "/me/delete"),
        ("/groups/alpha/join", "/groups/alpha"),
    ] {
        let anonymous = post(&client, path, &token, None, &[]).await;
        assert_eq!(anonymous.status, 303, "{path}: {}", anonymous.body);
        assert_eq!(anonymous.location(), format!("/signin?next={back}"), "{path}");
    }

    for person in [&net.member, &net.organiser, &net.supporter] {
        let me = session(&client, &person.email).await;
        for path in PAGES.into_iter().filter(|p| *p != "/me/data/download") {
            let page = get(&client, path, Some(&me)).await;
            assert_personal(&page, path);
            shows_no_email_but(&net, &person.email, &page.body, path);
        }
        let profile = get(&client, "/me/profile", Some(&me)).await;
        assert!(profile.body.contains(&person.email), "the reader's own address");
    }

    // Cross-site, or with a forged token: refused, nothing changed.
    let me = session(&client, &net.member.email).await;
    let token = get(&client, "/me/profile", Some(&me)).await.csrf();
    let forged = post(
        &client,
        "/me/profile/name",
        "forged.token",
        Some(&me),
        &[("displayName", "Mallory")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let cross_site = answer(
        client
            .post("/me/profile/name")
            .header("cookie", format!("muster_csrf={token}; muster_session={me}"))
            .header("sec-fetch-site", "cross-site")
            .content_type("application/x-www-form-urlencoded")
            .body(format!("displayName=Mallory&csrf={token}"))
            .send()
            .await,
    )
    .await;
    assert_eq!(cross_site.status, 403);
    let stored = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.display_name.as_deref(), Some("member Example"));

    // The same form with its token changes the name; a bad one is refused
    // in words with what was typed kept.
    let renamed = post(&client, "/me/profile/name", &token, Some(&me), &[("displayName", "Mo")]).await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let page = get(&client, renamed.location(), Some(&me)).await;
    assert!(page.body.contains("Your name is changed."), "{}", page.body);
    let long = "x".repeat(150);
    let refused = post(
        &client,
        "/me/profile/name",
        &page.csrf(),
        Some(&me),
        &[("displayName", &long)],
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("Your name "), "{}", refused.body);
    assert!(refused.body.contains(&long), "what was typed is kept");
    assert!(!refused.body.contains("BAD_USER_INPUT"));
}

/// `/me` lists the member's upcoming events, groups and requests; joining
/// from the group's page makes a pending request, withdrawn or approved
/// (through the domain) into a membership; leaving works; the last
/// organiser is told why they cannot leave.
async fn join_leave_and_the_last_organiser(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let member = session(&client, &net.member.email).await;
    let overview = get(&client, "/me", Some(&member)).await;
    assert_personal(&overview, "/me");
    assert!(overview.body.contains("Alpha open meeting"), "{}", overview.body);
    assert!(overview.body.contains("You are going"));
    assert!(overview.body.contains("alpha group</a>: member"));
    assert!(!overview.body.contains("beta group"), "not theirs");

    // The group's page: a sign-in link for anonymous, a button for a
    // signed-in non-member, "requested" once asked.
    let anonymous = get(&client, "/groups/beta", None).await;
    assert!(
        anonymous.body.contains("/signin?next=/groups/beta"),
        "{}",
        anonymous.body
    );
    let page = get(&client, "/groups/beta", Some(&member)).await;
    assert_eq!(page.header("cache-control"), "private, no-store");
    assert!(page.body.contains("Ask to join beta group"), "{}", page.body);
    let asked = post(&client, "/groups/beta/join", &page.csrf(), Some(&member), &[]).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert_eq!(asked.location(), "/groups/beta");
    let page = get(&client, "/groups/beta", Some(&member)).await;
    assert!(page.body.contains("requested"), "{}", page.body);
    assert!(!page.body.contains("Ask to join"));

    let overview = get(&client, "/me", Some(&member)).await;
    assert!(overview.body.contains("Withdraw my request to join beta group"));
    // Withdraw it, then ask again and be approved by the organiser.
    let withdrawn = post(
        &client,
        "/me/groups/leave",
        &overview.csrf(),
        Some(&member),
        &[("group", "beta")],
    )
    .await;
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
    assert!(!get(&client, "/me", Some(&member)).await.body.contains("beta group"));
    let page = get(&client, "/groups/beta", Some(&member)).await;
    post(&client, "/groups/beta/join", &page.csrf(), Some(&member), &[]).await;
    let organiser = Viewer::User(
        muster::auth::viewer::load_signed_in(
            &db.conn,
            user::Entity::find_by_id(net.other_organiser.id)
                .one(&db.conn)
                .await
                .unwrap()
                .unwrap(),
        )
        .await
        .unwrap(),
    );
    let now = db.now();
    domain::in_work(&db.conn, async |work| {
        let change = MemberChange {
            group_slug: "beta",
            user_id: net.member.id,
            operation: "approveMember",
        };
        domain::memberships::approve_member(work, &organiser, change, now).await
    })
    .await
    .unwrap();
    let overview = get(&client, "/me", Some(&member)).await;
    assert!(overview.body.contains("beta group</a>: member"), "{}", overview.body);
    assert!(!overview.body.contains("Withdraw my request"));
    let page = get(&client, "/groups/beta", Some(&member)).await;
    assert!(page.body.contains("You are a member of this group"));

    // Leave it.
    let left = post(
        &client,
        "/me/groups/leave",
        &overview.csrf(),
        Some(&member),
        &[("group", "beta")],
    )
    .await;
    assert_eq!(left.status, 303);
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(net.member.id))
        .filter(membership::Column::GroupId.eq(net.beta))
        .all(&db.conn)
        .await
        .unwrap();
    assert!(rows.is_empty());

    // Alpha's only organiser cannot leave, and is told why in words.
    let organiser = session(&client, &net.organiser.email).await;
    let overview = get(&client, "/me", Some(&organiser)).await;
    assert!(overview.body.contains("alpha group</a>: organiser"));
    let refused = post(
        &client,
        "/me/groups/leave",
        &overview.csrf(),
        Some(&organiser),
        &[("group", "alpha")],
    )
    .await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("only organiser"), "{}", refused.body);
    assert!(refused.body.contains("role=\"alert\""));
    assert!(!refused.body.contains("CONFLICT"));
    assert!(
        membership::Entity::find()
            .filter(membership::Column::UserId.eq(net.organiser.id))
            .one(&db.conn)
            .await
            .unwrap()
            .is_some()
    );
}

/// The points of a QR code drawn by `qr_svg` (`M{x} {y}h{w}v{h}…` per
/// run of dark modules), as a camera would see them: a bitmap.
fn svg_bitmap(svg: &str) -> (usize, usize, Vec<bool>) {
    let number = |text: &str, key: &str| -> usize {
        let start = text.find(key).unwrap() + key.len();
        text[start..].split('"').next().unwrap().parse().unwrap()
    };
    let (width, height) = (number(svg, "width=\""), number(svg, "height=\""));
    let mut dark = vec![false; width * height];
    let path = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
    for run in path.split('M').filter(|r| !r.is_empty()) {
        // "x y" "h" w "v" h "H" x "V" y
        let parts: Vec<usize> = run
            .split(|c: char| c == ' ' || c.is_ascii_alphabetic())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap())
            .collect();
        let (x, y, w, h) = (parts[0], parts[1], parts[2], parts[3]);
        for row in y..y + h {
            for col in x..x + w {
                dark[row * width + col] = true;
            }
        }
    }
    (width, height, dark)
}

/// A feed made on the page: the secret on the answer only, with the
/// `webcal://` link, the address and a QR code that reads back as exactly
/// that link; the list never shows it; the address serves the calendar
/// until the feed is revoked; another person cannot revoke it.
async fn a_feed_is_shown_once_and_revoked(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let member = session(&client, &net.member.email).await;
    let page = get(&client, "/me/feeds", Some(&member)).await;
    assert_personal(&page, "/me/feeds");
    assert!(page.body.contains("You have no private feeds."));

    let refused = post(&client, "/me/feeds", &page.csrf(), Some(&member), &[("label", "  ")]).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("That did not work"), "{}", refused.body);

    let made = post(
        &client,
        "/me/feeds",
        &page.csrf(),
        Some(&member),
        &[("label", "Kitchen tablet")],
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.header("cache-control"), "private, no-store");
    let https = made
        .body
        .split("id=\"feed-url\" class=\"copy\" type=\"url\" readonly value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(https.starts_with("http") && https.ends_with("/calendar.ics"), "{https}");
    let secret = https
        .split("/feeds/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let webcal = muster::urls::PublicUrls::webcal(&https);
    assert!(made.body.contains(&format!("href=\"{webcal}\"")), "the webcal link");

    // The QR code: inline SVG of plain shapes, read back by a decoder.
    let svg = made
        .body
        .split("<figure class=\"qr\">")
        .nth(1)
        .unwrap()
        .split("</figure>")
        .next()
        .unwrap();
    assert!(svg.starts_with("<svg ") && !svg.contains("style") && !svg.contains("<?xml"));
    let (width, height, dark) = svg_bitmap(svg);
    assert!((150..=600).contains(&width), "a phone-sized code: {width}px");
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, webcal, "the code is exactly the webcal address");

    // The list shows the name, never the secret.
    let list = get(&client, "/me/feeds", Some(&member)).await;
    assert!(list.body.contains("Kitchen tablet"));
    assert!(list.body.contains("not read yet"));
    assert!(!list.body.contains(&secret));

    // The address serves the calendar.
    let feed_path = format!("/feeds/{secret}/calendar.ics");
    let feed = get(&client, &feed_path, None).await;
    assert_eq!(feed.status, 200);
    assert!(feed.body.starts_with("BEGIN:VCALENDAR"));
    assert!(feed.body.contains("Alpha planning"), "the member's group's own event");
    let list = get(&client, "/me/feeds", Some(&member)).await;
    assert!(list.body.contains("last read"), "{}", list.body);

    // Another person cannot revoke it.
    let id = feed_token::Entity::find()
        .filter(feed_token::Column::UserId.eq(net.member.id))
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let stranger = session(&client, &net.supporter.email).await;
    let theirs = get(&client, "/me/feeds", Some(&stranger)).await;
    assert!(!theirs.body.contains("Kitchen tablet"));
    let refused = post(
        &client,
        "/me/feeds/revoke",
        &theirs.csrf(),
        Some(&stranger),
        &[("id", &id)],
    )
    .await;
    assert_eq!(refused.status, 404);
    assert_eq!(get(&client, &feed_path, None).await.status, 200);

    let revoked = post(&client, "/me/feeds/revoke", &list.csrf(), Some(&member), &[("id", &id)]).await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(get(&client, &feed_path, None).await.status, 404);
    assert!(
        get(&client, "/me/feeds", Some(&member))
            .await
            .body
            .contains("You have no private feeds.")
    );
}

/// A new password keeps this browser signed in (a fresh session) and ends
/// the person's other sessions; a wrong current password is refused in
/// words and changes nothing.
async fn a_new_password_keeps_this_browser_and_ends_the_others(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let here = session(&client, &net.member.email).await;
    let elsewhere = session(&client, &net.member.email).await;
    let page = get(&client, "/me/profile", Some(&here)).await;

    let new_password = "a brand new password for muster";
    let wrong = post(
        &client,
        "/me/profile/password",
        &page.csrf(),
        Some(&here),
        &[("currentPassword", "not it"), ("newPassword", new_password)],
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("That is not your current password."),
        "{}",
        wrong.body
    );
    assert!(signed_in_as(&db, &elsewhere).await.is_some(), "nothing changed");

    let changed = post(
        &client,
        "/me/profile/password",
        &page.csrf(),
        Some(&here),
        &[("currentPassword", PASSWORD), ("newPassword", new_password)],
    )
    .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let fresh = changed
        .cookie("muster_session")
        .expect("a fresh session for this browser");
    assert_ne!(fresh, here);
    assert_eq!(signed_in_as(&db, &fresh).await, Some(net.member.id));
    assert_eq!(signed_in_as(&db, &here).await, None, "the old id is spent");
    assert_eq!(
        signed_in_as(&db, &elsewhere).await,
        None,
        "the other browser is signed out"
    );
    let page = get(&client, changed.location(), Some(&fresh)).await;
    assert!(page.body.contains("Your password is changed."), "{}", page.body);
    assert_eq!(sign_in(&client, &net.member.email, new_password).await.status, 303);

    // Email change: the password is asked; then a link goes out.
    let refused = post(
        &client,
        "/me/profile/email",
        &page.csrf(),
        Some(&fresh),
        &[("newEmail", "mo@new.example.org"), ("currentPassword", "wrong")],
    )
    .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("mo@new.example.org"), "what was typed is kept");
    let moved = post(
        &client,
        "/me/profile/email",
        &page.csrf(),
        Some(&fresh),
        &[("newEmail", "mo@new.example.org"), ("currentPassword", new_password)],
    )
    .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(moved.location(), "/me/profile?done=email");
    let mails = common::sql_rows(&db.conn, "SELECT COUNT(*) AS n FROM outbox").await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(mails, 2, "a link to the new address and a notice to the current one");
    // The stored address is sealed: found by its look-up hash, it is
    // still the member's own.
    let stored = muster::domain::accounts::find_by_email(&db.conn, &net.member.email)
        .await
        .unwrap()
        .map(|account| account.id);
    assert_eq!(stored, Some(net.member.id), "moved only once confirmed");
}

/// The access log names who read the member's data; the download is the
/// export as a JSON file to keep; deleting the account asks the password
/// (wrong: refused in words, nothing erased), then erases, signs the
/// browser out and leaves no way to sign in again.
async fn my_data_download_and_delete(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    // The organiser reads the attendee list of the member's event.
    let organiser = Viewer::User(
        muster::auth::viewer::load_signed_in(
            &db.conn,
            user::Entity::find_by_id(net.organiser.id)
                .one(&db.conn)
                .await
                .unwrap()
                .unwrap(),
        )
        .await
        .unwrap(),
    );
    let event = entity::event::Entity::find_by_id(net.alpha_public_event)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    domain::rsvps::attendees(&db.conn, &organiser, &event, "attendees", db.now())
        .await
        .unwrap();

    let member = session(&client, &net.member.email).await;
    let data = get(&client, "/me/data", Some(&member)).await;
    assert_personal(&data, "/me/data");
    assert!(data.body.contains("organiser Example"), "{}", data.body);
    assert!(data.body.contains("saw that you answered an event"));
    let stranger = session(&client, &net.supporter.email).await;
    let theirs = get(&client, "/me/data", Some(&stranger)).await;
    assert!(theirs.body.contains("Nobody else has read or changed your data."));

    let file = get(&client, "/me/data/download", Some(&member)).await;
    assert_eq!(file.status, 200);
    assert!(file.header("content-type").starts_with("application/json"));
    assert!(
        file.header("content-disposition")
            .starts_with("attachment; filename=\"muster-my-data-")
    );
    assert_eq!(file.header("cache-control"), "no-store");
    let doc: serde_json::Value = serde_json::from_str(&file.body).unwrap();
    assert!(file.body.contains(&net.member.email), "{doc}");
    assert!(file.body.contains("Alpha open meeting") || file.body.contains(&net.alpha_public_event.to_string()));
    shows_no_email_but(&net, &net.member.email, &file.body, "/me/data/download");

    let page = get(&client, "/me/delete", Some(&member)).await;
    assert_personal(&page, "/me/delete");
    assert!(page.body.contains("cannot be undone"));
    let wrong = post(
        &client,
        "/me/delete",
        &page.csrf(),
        Some(&member),
        &[("password", "nope")],
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("nothing was deleted"), "{}", wrong.body);
    let kept = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert!(kept.erased_at.is_none() && kept.email.is_some());
    assert_eq!(signed_in_as(&db, &member).await, Some(net.member.id));

    let deleted = post(
        &client,
        "/me/delete",
        &page.csrf(),
        Some(&member),
        &[("password", PASSWORD)],
    )
    .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(deleted.body.contains("Your account is deleted"));
    assert!(
        !deleted.body.contains("href=\"/me\""),
        "the page is for a signed-out reader"
    );
    assert_eq!(deleted.cookie("muster_session").as_deref(), Some(""));
    assert_eq!(signed_in_as(&db, &member).await, None);
    let erased = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert!(erased.erased_at.is_some() && erased.email.is_none());
    let again = sign_in(&client, &net.member.email, PASSWORD).await;
    assert_eq!(again.status, 401);
    assert_eq!(get(&client, "/me", Some(&member)).await.status, 303);
}

/// The event page: places left, the reader's place in the waiting list,
/// and the event's own clock when it is not the UK's.
async fn the_event_page_shows_places_and_the_waiting_list(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let now = db.now();
    let event = EventBuilder::new(now)
        .title("Full workshop")
        .timezone("America/New_York".to_owned())
        .capacity(1)
        .insert(&db.conn)
        .await
        .unwrap();
    RsvpBuilder::new(event.id, net.organiser.id, now)
        .insert(&db.conn)
        .await
        .unwrap();
    let path = format!("/events/{}", event.id);
    let page = get(&client, &path, None).await;
    assert!(page.body.contains("Places left"), "{}", page.body);
    assert!(page.body.contains("the event is full"));
    assert!(page.body.contains("America/New York time"), "{}", page.body);

    for (i, person) in [&net.supporter, &net.member].into_iter().enumerate() {
        RsvpBuilder::new(event.id, person.id, now + Duration::minutes(i as i64 + 1))
            .waitlisted()
            .insert(&db.conn)
            .await
            .unwrap();
    }
    let member = session(&client, &net.member.email).await;
    let page = get(&client, &path, Some(&member)).await;
    assert!(
        page.body.contains("You are on the waiting list, number 2"),
        "{}",
        page.body
    );
    let overview = get(&client, "/me", Some(&member)).await;
    assert!(
        overview.body.contains("On the waiting list, number 2"),
        "{}",
        overview.body
    );

    // A London event says nothing more than UK time.
    let london = get(&client, &format!("/events/{}", net.alpha_public_event), None).await;
    assert!(!london.body.contains("Europe/London time"));
    assert!(london.body.contains("Places left</dt><dd>19"), "{}", london.body);
}

/// `/me` with 2 and with 50 RSVPs is answered with the same number of SQL
/// statements: no query per event, group or waiting list.
async fn my_muster_costs_the_same_statements_for_2_or_50_events(db: TestDb) {
    let net = network::build(&db.conn).await;
    let now = db.now();
    let mut counts = Vec::new();
    for (person, events) in [(&net.supporter, 2), (&net.trainer, 50)] {
        for i in 0..events {
            let event = EventBuilder::new(now)
                .title(format!("Event {i}"))
                .starting(now + Duration::days(i + 1))
                .capacity(1)
                .insert(&db.conn)
                .await
                .unwrap();
            // Every other event full, the person waiting for it.
            let rsvp = RsvpBuilder::new(event.id, person.id, now);
            if i % 2 == 1 {
                RsvpBuilder::new(event.id, net.admin.id, now - Duration::minutes(1))
                    .insert(&db.conn)
                    .await
                    .unwrap();
                rsvp.waitlisted().insert(&db.conn).await.unwrap();
            } else {
                rsvp.insert(&db.conn).await.unwrap();
            }
        }
        let client = db.app();
        let me = session(&client, &person.email).await;
        let (statements, page) = count_page_statements(&db, "/me", &me).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.body.matches("<li><a href=\"/events/").count(), events as usize);
        assert!(page.body.contains("On the waiting list, number 1"));
        counts.push(statements);
    }
    assert_eq!(counts[0], counts[1], "statements for 2 and for 50 RSVPs: {counts:?}");
    eprintln!("/me: {} SQL statements for 2 RSVPs and for 50", counts[0]);
}

/// One page request through an app whose connection counts the SQL
/// statements it sends (`SHOW_SQL=1` prints them).
async fn count_page_statements(db: &TestDb, path: &str, session: &str) -> (usize, Answer) {
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
    let page = get(&client, path, Some(session)).await;
    (counter.load(Ordering::SeqCst), page)
}

on_both_databases!(
    every_page_is_its_owners_alone,
    join_leave_and_the_last_organiser,
    a_feed_is_shown_once_and_revoked,
    a_new_password_keeps_this_browser_and_ends_the_others,
    my_data_download_and_delete,
    the_event_page_shows_places_and_the_waiting_list,
    my_muster_costs_the_same_statements_for_2_or_50_events,
);
