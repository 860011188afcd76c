//! The public pages in a real browser: headless Chromium, driven through
//! chromedriver, against the real `muster` binary serving a seeded SQLite
//! database on a free loopback port. A supporter finds events, filters
//! them, opens a group and takes its calendar address; an outside
//! organisation gets the form wrong, then right, and follows its request.
//!
//! Each page is saved as a screenshot in `target/browser-screenshots/` for
//! people to look at, and checked with axe-core, the accessibility engine,
//! which must find no violation (the harness is `tests/common/browser.rs`).
//!
//! Every request each page makes is read from Chromium's own network log
//! (chromedriver's performance log), GraphiQL at `/graphql` included; the
//! test fails on any request to an origin other than muster's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::*;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;

async fn supporter_and_organisation(client: &Client, base: &str) {
    // The events page, on a computer and on a phone.
    client.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "Upcoming events · muster");
    let events = client.find_all(Locator::Css("article.event")).await.unwrap();
    assert!(!events.is_empty(), "the demo network has upcoming events");
    shoot(client, "01-events-desktop", DESKTOP).await;
    shoot_on_phone_and_check(client, "02-events-phone", "the events page").await;

    // An event's own page, from its title in the list.
    let event_link = element(client, "article.event h3 a").await;
    let event_path = event_link.attr("href").await.unwrap().unwrap();
    let event_title = event_link.text().await.unwrap();
    event_link.click().await.unwrap();
    wait_for_url(client, &event_path).await;
    assert_eq!(client.title().await.unwrap(), format!("{event_title} · muster"));
    shoot_and_check(client, "01b-event").await;
    client.back().await.unwrap();
    wait_for_url(client, &format!("{base}/")).await;

    // Filter by the group of the first event, with the page's own form.
    let group_link = element(client, "article.event a[href^='/groups/']").await;
    let group_path = group_link.attr("href").await.unwrap().unwrap();
    let slug = group_path.trim_start_matches("/groups/").to_owned();
    element(client, "select#group")
        .await
        .select_by_value(&slug)
        .await
        .unwrap();
    click(client, "form.filters button[type=submit]").await;
    wait_for_url(client, &format!("group={slug}")).await;
    let filtered_feed = value_of(client, "#feed-url").await;
    assert!(
        filtered_feed.ends_with(&format!("/calendar.ics?group={slug}")),
        "{filtered_feed}"
    );
    for event in client.find_all(Locator::Css("article.event")).await.unwrap() {
        let link = event.find(Locator::Css("a[href^='/groups/']")).await.unwrap();
        assert_eq!(link.attr("href").await.unwrap().unwrap(), group_path);
    }
    shoot_on_phone_and_check(client, "03-events-filtered-phone", "the filtered events page").await;

    // The directory, then the group's page and its calendar address.
    click(client, "header nav a[href='/groups']").await;
    wait_for_url(client, "/groups").await;
    let regions = client.find_all(Locator::Css("main h2")).await.unwrap();
    assert!(regions.len() > 2, "groups by region");
    shoot_on_phone_and_check(client, "04-groups-phone", "the groups page").await;
    click(client, &format!("main a[href='{group_path}']")).await;
    wait_for_url(client, &group_path).await;
    shoot_on_phone_and_check(client, "05-group-phone", "a group's page").await;
    let feed = value_of(client, "#feed-url").await;
    assert!(feed.ends_with(&format!("/groups/{slug}/calendar.ics")), "{feed}");
    let webcal = element(client, ".subscribe a.button")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(webcal.starts_with("webcal://"), "{webcal}");
    let (head, calendar) = fetch(&feed).await;
    assert!(
        head.starts_with("http/1.0 200") || head.starts_with("http/1.1 200"),
        "{head}"
    );
    assert!(head.contains("content-type: text/calendar; charset=utf-8"), "{head}");
    assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(
        calendar.contains("BEGIN:VEVENT\r\n"),
        "the group's events are in its feed"
    );
    let (_, filtered) = fetch(&filtered_feed).await;
    assert!(filtered.contains("BEGIN:VEVENT\r\n"));

    // The request form: first sent empty, then filled in.
    click(client, "header nav a[href='/request']").await;
    wait_for_url(client, "/request").await;
    shoot_on_phone_and_check(client, "06-request-form-phone", "the request form").await;
    click(client, "form button[type=submit]").await;
    client.wait().for_element(Locator::Css(".error-summary")).await.unwrap();
    assert!(client.title().await.unwrap().starts_with("Error: "));
    shoot_on_phone_and_check(client, "07-request-errors-phone", "the request form with errors").await;

    element(client, "select#topicId")
        .await
        .select_by_index(1)
        .await
        .unwrap();
    for (id, text) in [
        ("organisationName", "Riverside UNISON branch"),
        ("contactName", "Branch Secretary Person"),
        ("contactEmail", "secretary@riverside-unison.example.org"),
        ("town", "Swansea"),
        ("postcodeArea", "SA1"),
        ("notes", "Members from the hospital's estates team."),
    ] {
        let input = client.find(Locator::Id(id)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }
    // A date-time picker's keyboard order follows the locale; set it as
    // the picker would.
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(21);
    client
        .execute(
            "document.getElementById('window1From').value = arguments[0];
             document.getElementById('window1To').value = arguments[1];",
            vec![json!(format!("{day}T18:00")), json!(format!("{day}T21:00"))],
        )
        .await
        .unwrap();
    shoot(client, "08-request-filled-phone", PHONE).await;
    click(client, "form button[type=submit]").await;
    let status = wait_for_url(client, "/request/REQ-").await;
    let reference = status.path().trim_start_matches("/request/").to_owned();
    assert!(client.title().await.unwrap().contains(&reference));
    let state = element(client, "strong.state").await.text().await.unwrap();
    assert_eq!(state, "Submitted");
    let page = client.source().await.unwrap();
    for private in ["secretary@", "Branch Secretary", "estates team"] {
        assert!(!page.contains(private), "{private} is not on the status page");
    }
    shoot_on_phone_and_check(client, "09-request-status-phone", "a request's status page").await;
}

/// Off the happy path: a mistyped address, an old link, the icon.
async fn wrong_addresses_and_the_icon(client: &Client, base: &str) {
    for (path, name) in [
        ("/nope", "10-not-found"),
        ("/events/not-an-event", "11-event-not-found"),
    ] {
        client.goto(&format!("{base}{path}")).await.unwrap();
        assert_eq!(client.title().await.unwrap(), "Page not found · muster");
        shoot_and_check(client, name).await;
    }
    // The way back leads to the events.
    click(client, "main a[href='/']").await;
    wait_for_url(client, &format!("{base}/")).await;
    assert_eq!(client.title().await.unwrap(), "Upcoming events · muster");

    client.goto(&format!("{base}/privacy")).await.unwrap();
    assert_accessible(client, "the privacy notice").await;

    // The browser itself decodes the icon: 32 by 32 pixels.
    client.goto(&format!("{base}/favicon.ico")).await.unwrap();
    let size = client
        .execute(
            "const img = document.images[0]; return img && img.complete ? [img.naturalWidth, img.naturalHeight] : null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(size, json!([32, 32]), "Chromium reads favicon.ico");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supporter_and_an_organisation_use_the_pages_in_chromium() {
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let (client, base) = (browser.client.clone(), browser.base.clone());
    browser
        .run(async {
            supporter_and_organisation(&client, &base).await;
            wrong_addresses_and_the_icon(&client, &base).await;
            let mut requested = requests_made(&client).await;
            signing_in_and_registering(&client, &base).await;
            graphiql_runs_from_muster_alone(&client, &base).await;
            requested.extend(requests_made(&client).await);
            assert!(
                requested.iter().any(|url| url.contains("/static/graphiql/")),
                "the network log was read: {requested:?}"
            );
            assert_only_muster(&requested, &base);
        })
        .await;
}

/// GraphiQL starts, reads the schema from `/graphql` and runs a query,
/// with every file from muster.
async fn graphiql_runs_from_muster_alone(client: &Client, base: &str) {
    client.goto(&format!("{base}/graphql")).await.unwrap();
    let editor = client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".graphiql-container .graphiql-query-editor"))
        .await
        .expect("GraphiQL started");
    drop(editor);
    // Its first query runs against muster's own /graphql.
    click(client, ".graphiql-execute-button").await;
    let started = std::time::Instant::now();
    loop {
        let result = element(client, ".result-window").await.text().await.unwrap_or_default();
        if result.contains("totalCount") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no answer in GraphiQL: {result}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shoot(client, "graphiql", 1280).await;
}

/// The sign-in and registration pages, empty and with an error, are
/// accessible; a wrong password is answered on the page, with the address
/// kept.
async fn signing_in_and_registering(client: &Client, base: &str) {
    client.goto(&format!("{base}/register")).await.unwrap();
    shoot_and_check(client, "register").await;
    client.goto(&format!("{base}/signin?next=/groups")).await.unwrap();
    shoot_and_check(client, "signin").await;
    element(client, "#email")
        .await
        .send_keys("nobody@example.org")
        .await
        .unwrap();
    element(client, "#password")
        .await
        .send_keys("not a password")
        .await
        .unwrap();
    click(client, "button[type=submit]").await;
    let error = element(client, ".error-summary").await.text().await.unwrap();
    assert!(error.contains("do not match"), "{error}");
    assert_eq!(value_of(client, "#email").await, "nobody@example.org");
    shoot_and_check(client, "signin-error").await;
}

/// The group organisers' pages in Chromium, each checked with axe-core at
/// both widths, empty, filled and with errors: a coordinator (made with
/// `create-user`; coordinators may use every group's pages) signs in,
/// follows "Organise this group" from a seeded group's page, and goes
/// through members, events (a new one sent empty, then an existing one),
/// the public profile, and the group's requests with the request form sent
/// empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_uses_the_group_pages_in_chromium() {
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let password = "a long enough password for the browser";
    browser.create_user(
        "coordinator@browser.example.org",
        "Browser Coordinator",
        password,
        &["--role", "coordinator"],
    );
    let (client, base) = (browser.client.clone(), browser.base.clone());
    browser.run(organising_a_group(&client, &base, password)).await;
}

async fn organising_a_group(client: &Client, base: &str, password: &str) {
    client.goto(&format!("{base}/signin?next=/groups")).await.unwrap();
    element(client, "#email")
        .await
        .send_keys("coordinator@browser.example.org")
        .await
        .unwrap();
    element(client, "#password").await.send_keys(password).await.unwrap();
    click(client, "button[type=submit]").await;
    wait_for_url(client, "/groups").await;
    let group = element(client, ".groups a").await.attr("href").await.unwrap().unwrap();
    client.goto(&format!("{base}{group}")).await.unwrap();
    click(client, &format!("a[href=\"{group}/manage\"]")).await;
    wait_for_url(client, "/manage").await;
    wait_for_text(client, "h1", "Members of").await;
    shoot_and_check(client, "manage-members").await;

    client.goto(&format!("{base}{group}/manage/events")).await.unwrap();
    shoot_and_check(client, "manage-events").await;
    let existing = client
        .find(Locator::Css(".managed-events a[href*=\"/manage/events/\"]"))
        .await
        .ok();
    let existing = match existing {
        Some(link) => link.attr("href").await.unwrap(),
        None => None,
    };

    client.goto(&format!("{base}{group}/manage/events/new")).await.unwrap();
    shoot_and_check(client, "manage-event-new").await;
    element(client, "#venue")
        .await
        .send_keys("Friends Meeting House")
        .await
        .unwrap();
    click(client, "form button[type=submit]").await;
    let summary = element(client, ".error-summary").await.text().await.unwrap();
    assert!(summary.contains("Title"), "{summary}");
    assert_eq!(value_of(client, "#venue").await, "Friends Meeting House");
    shoot_and_check(client, "manage-event-errors").await;

    if let Some(edit) = existing {
        client.goto(&format!("{base}{edit}")).await.unwrap();
        shoot_and_check(client, "manage-event-edit").await;
    }

    importing_a_calendar(client, base, &group).await;

    client.goto(&format!("{base}{group}/manage/profile")).await.unwrap();
    shoot_and_check(client, "manage-profile").await;
    element(client, "#contactEmail").await.clear().await.unwrap();
    element(client, "#contactEmail")
        .await
        .send_keys("not an address")
        .await
        .unwrap();
    click(client, "form button[type=submit]").await;
    element(client, "#contactEmail-error").await;
    shoot_and_check(client, "manage-profile-errors").await;

    client.goto(&format!("{base}{group}/manage/requests")).await.unwrap();
    shoot_and_check(client, "manage-requests").await;
    client
        .goto(&format!("{base}{group}/manage/requests/new"))
        .await
        .unwrap();
    shoot_and_check(client, "manage-request-new").await;
    click(client, "form button[type=submit]").await;
    element(client, ".error-summary").await;
    shoot_and_check(client, "manage-request-errors").await;
}

/// The import page: a file refused with its problems, then a Google
/// export previewed and imported, each state checked by axe-core.
async fn importing_a_calendar(client: &Client, base: &str, group: &str) {
    client.goto(&format!("{base}{group}/manage/events")).await.unwrap();
    click(client, &format!("a[href=\"{group}/manage/import\"]")).await;
    wait_for_text(client, "h1", "Import a calendar file").await;
    shoot_and_check(client, "manage-import").await;
    let dir = tempfile::tempdir().unwrap();
    let google = include_str!("fixtures/calendars/google.ics");
    let bad = dir.path().join("bad.ics");
    std::fs::write(
        &bad,
        google.replace("RRULE:FREQ=MONTHLY;BYDAY=2TU", "RRULE:FREQ=YEARLY"),
    )
    .unwrap();
    element(client, "#file")
        .await
        .send_keys(&bad.display().to_string())
        .await
        .unwrap();
    click(client, "button[name=step][value=preview]").await;
    let problems = element(client, ".error-summary").await.text().await.unwrap();
    assert!(problems.contains("FREQ=YEARLY is not supported"), "{problems}");
    shoot_and_check(client, "manage-import-refused").await;
    let good = dir.path().join("alpha.ics");
    std::fs::write(&good, google).unwrap();
    element(client, "#file")
        .await
        .send_keys(&good.display().to_string())
        .await
        .unwrap();
    click(client, "button[name=step][value=preview]").await;
    wait_for_text(client, ".notice", "Nothing is imported yet").await;
    let report = element(client, "main").await.text().await.unwrap();
    assert!(report.contains("Would be added (4)"), "{report}");
    shoot_and_check(client, "manage-import-preview").await;
    click(client, "button[name=step][value=import]").await;
    wait_for_text(client, ".notice", "Imported").await;
    shoot_and_check(client, "manage-import-done").await;
}

/// Types `text` into the field `css`, replacing what it held.
async fn type_into(client: &Client, css: &str, text: &str) {
    let field = element(client, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// My muster in Chromium against the real binary on the demo network: a
/// new supporter registers, signs in and lands on `/me`, asks to join a
/// group from its page, makes a calendar feed (the QR code is drawn at a
/// size a camera can read) and visits every part, each page in its empty,
/// filled and error states checked by axe-core and saved as screenshots
/// at 412 and 1280 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_muster_in_chromium() {
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let (client, base) = (browser.client.clone(), browser.base.clone());
    browser.run(my_muster_pages(&client, &base)).await;
}

async fn my_muster_pages(client: &Client, base: &str) {
    let password = "a long enough password for the browser";
    client.goto(&format!("{base}/register")).await.unwrap();
    type_into(client, "#displayName", "Robin").await;
    type_into(client, "#email", "robin@browser.example.org").await;
    type_into(client, "#password", password).await;
    click(client, "button[type=submit]").await;
    client.goto(&format!("{base}/me")).await.unwrap();
    wait_for_url(client, "/signin").await;
    type_into(client, "#email", "robin@browser.example.org").await;
    type_into(client, "#password", password).await;
    click(client, "button[type=submit]").await;
    let at = wait_for_url(client, "/me").await;
    assert_eq!(at.path(), "/me");
    shoot_and_check(client, "me-empty").await;
    // The sign-out page (its button is the form a link cannot be).
    client.goto(&format!("{base}/signout")).await.unwrap();
    element(client, "form[action='/signout'] button[type=submit]").await;
    shoot_and_check(client, "signout").await;

    // Ask to join the first group of the directory.
    client.goto(&format!("{base}/groups")).await.unwrap();
    let group = element(client, ".groups a").await.attr("href").await.unwrap().unwrap();
    client.goto(&format!("{base}{group}")).await.unwrap();
    shoot_and_check(client, "group-join").await;
    click(client, ".join button[type=submit]").await;
    wait_for_url(client, &group).await;
    wait_for_text(client, ".join", "requested").await;
    client.goto(&format!("{base}/me")).await.unwrap();
    let page = element(client, "main").await.text().await.unwrap();
    assert!(page.contains("Withdraw my request"), "{page}");
    shoot_and_check(client, "me-filled").await;

    // Feeds: empty, refused, made (with its QR code), listed.
    client.goto(&format!("{base}/me/feeds")).await.unwrap();
    shoot_and_check(client, "me-feeds-empty").await;
    click(client, "form[action='/me/feeds'] button[type=submit]").await;
    element(client, ".error-summary").await;
    shoot_and_check(client, "me-feeds-error").await;
    type_into(client, "#label", "phone").await;
    click(client, "form[action='/me/feeds'] button[type=submit]").await;
    let qr = element(client, "svg.qr").await;
    let size = client
        .execute(
            "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];",
            vec![serde_json::to_value(&qr).unwrap()],
        )
        .await
        .unwrap();
    let (width, height) = (size[0].as_f64().unwrap(), size[1].as_f64().unwrap());
    assert!(
        width >= 150.0 && (width - height).abs() < 1.0,
        "the QR code is drawn square and large: {size}"
    );
    let webcal = element(client, ".subscribe a.button")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(webcal.starts_with("webcal://127.0.0.1:"), "{webcal}");
    shoot_and_check(client, "me-feed-created").await;
    client.goto(&format!("{base}/me/feeds")).await.unwrap();
    shoot_and_check(client, "me-feeds").await;

    // Profile, with a refused password change.
    client.goto(&format!("{base}/me/profile")).await.unwrap();
    shoot_and_check(client, "me-profile").await;
    type_into(client, "#currentPassword", "not my password").await;
    type_into(client, "#newPassword", "another long enough password").await;
    click(client, "form[action='/me/profile/password'] button[type=submit]").await;
    let error = element(client, ".error-summary").await.text().await.unwrap();
    assert!(error.contains("not your current password"), "{error}");
    shoot_and_check(client, "me-profile-error").await;

    // My data, and the deletion page with a wrong password.
    client.goto(&format!("{base}/me/data")).await.unwrap();
    shoot_and_check(client, "me-data").await;
    client.goto(&format!("{base}/me/delete")).await.unwrap();
    shoot_and_check(client, "me-delete").await;
    type_into(client, "#password", "not my password").await;
    click(client, "form[action='/me/delete'] button[type=submit]").await;
    let error = element(client, ".error-summary").await.text().await.unwrap();
    assert!(error.contains("Nothing was deleted"), "{error}");
    shoot_and_check(client, "me-delete-error").await;
    type_into(client, "#password", password).await;
    click(client, "form[action='/me/delete'] button[type=submit]").await;
    wait_for_text(client, "h1", "Your account is deleted").await;
    shoot_and_check(client, "me-deleted").await;
}

/// Issue 16's whole story in Chromium against the real binary on the demo
/// network: a newcomer registers, signs in, takes a place at an event and
/// finds it in My muster, makes a calendar feed whose address a calendar
/// app can fetch, and asks to join a group; that group's organiser (made
/// with `create-user --organiser-of`) approves them and adds a
/// members-only event; the member sees it, a stranger gets "not found";
/// the member downloads their data, deletes the account and can no longer
/// sign in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_and_their_organiser_in_chromium() {
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let (client, base) = (browser.client.clone(), browser.base.clone());
    let organiser_password = "the organiser's long password";
    let slug = "sheffield";
    browser.create_user(
        "organiser@story.example.org",
        "Oakley Organiser",
        organiser_password,
        &["--organiser-of", slug],
    );
    browser
        .run(newcomer_and_organiser(&client, &base, slug, organiser_password))
        .await;
}

async fn sign_out(client: &Client, base: &str) {
    client.goto(&format!("{base}/signout")).await.unwrap();
    click(client, "main form button[type=submit]").await;
    client
        .wait()
        .for_element(Locator::Css("header nav a[href='/signin']"))
        .await
        .unwrap();
}

async fn newcomer_and_organiser(client: &Client, base: &str, slug: &str, organiser_password: &str) {
    let (email, password) = ("sam@story.example.org", "sam's long enough password");
    client.goto(&format!("{base}/register")).await.unwrap();
    fill(
        client,
        &[
            ("displayName", "Sam Newcomer"),
            ("email", email),
            ("password", password),
        ],
    )
    .await;
    click(client, "main form button[type=submit]").await;
    client.wait().for_element(Locator::Css("main h1")).await.unwrap();
    sign_in(client, base, email, password, "/").await;

    // A place at the first public event.
    let link = element(client, "article.event h3 a").await;
    let title = link.text().await.unwrap();
    link.click().await.unwrap();
    wait_for_url(client, "/events/").await;
    click(client, "form[action$='/rsvp'] button[type=submit]").await;
    client
        .wait()
        .for_element(Locator::Css("form[action$='/rsvp'] input[value='cancel']"))
        .await
        .unwrap();
    let place = element(client, "main").await.text().await.unwrap();
    assert!(
        place.contains("You are going") || place.contains("waiting list"),
        "{place}"
    );
    shoot_and_check(client, "story-01-event-going").await;

    client.goto(&format!("{base}/me")).await.unwrap();
    let mine = element(client, "main").await.text().await.unwrap();
    assert!(mine.contains(&title), "My muster lists {title}: {mine}");

    // A private feed, fetched as a calendar app fetches it.
    client.goto(&format!("{base}/me/feeds")).await.unwrap();
    fill(client, &[("label", "phone")]).await;
    click(client, "form[action='/me/feeds'] button[type=submit]").await;
    let address = value_of(client, "#feed-url").await;
    let (head, calendar) = fetch(&address).await;
    assert!(head.contains(" 200"), "{head}");
    assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n") && calendar.contains("BEGIN:VEVENT\r\n"));

    // Ask to join the group.
    client.goto(&format!("{base}/groups/{slug}")).await.unwrap();
    click(client, ".join button[type=submit]").await;
    wait_for_text(client, ".join", "requested").await;
    sign_out(client, base).await;

    // The organiser approves Sam and adds a members-only event.
    let manage = format!("/groups/{slug}/manage");
    sign_in(client, base, "organiser@story.example.org", organiser_password, &manage).await;
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(
            "//li[contains(., 'Sam Newcomer')]//button[@value='approve']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Approved once the page that comes back no longer asks about Sam.
    let approve = "//li[contains(., 'Sam Newcomer')]//button[@value='approve']";
    let mut waited = 0;
    while client.find(Locator::XPath(approve)).await.is_ok() {
        waited += 1;
        assert!(waited < 300, "Sam is still waiting to join");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.goto(&format!("{base}{manage}/events/new")).await.unwrap();
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    fill(client, &[("title", "Members' planning evening")]).await;
    client
        .execute(
            "document.getElementById('startsAt').value = arguments[0];
             document.getElementById('endsAt').value = arguments[1];",
            vec![json!(format!("{day}T18:30")), json!(format!("{day}T20:30"))],
        )
        .await
        .unwrap();
    click(client, "#visibility-members").await;
    click(client, "main form button[type=submit]").await;
    // Back on the list of the group's events (its address is a prefix of
    // the form's, so wait for the new event's link itself).
    let event_path = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(
            "//a[contains(., \"Members' planning evening\") and starts-with(@href, '/events/')]",
        ))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    sign_out(client, base).await;

    // The member sees it; a stranger gets the same page as for no event.
    sign_in(client, base, email, password, &event_path).await;
    assert_eq!(client.title().await.unwrap(), "Members' planning evening · muster");
    shoot_and_check(client, "story-02-members-event").await;
    sign_out(client, base).await;
    client.goto(&format!("{base}{event_path}")).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "Page not found · muster");

    // The member takes their data, then deletes the account.
    sign_in(client, base, email, password, "/me/data").await;
    // The pages' policy lets no script fetch; the file is fetched with the
    // browser's own session, as the download link does.
    let session = client.get_named_cookie("muster_session").await.unwrap();
    let cookie = format!("muster_session={}", session.value());
    let (head, body) = fetch_with(&format!("{base}/me/data/download"), &[("Cookie", &cookie)]).await;
    assert!(head.contains("content-disposition: attachment"), "{head}");
    let export: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        export.to_string().contains(email),
        "the export holds the account: {export}"
    );
    client.goto(&format!("{base}/me/delete")).await.unwrap();
    fill(client, &[("password", password)]).await;
    click(client, "form[action='/me/delete'] button[type=submit]").await;
    wait_for_text(client, "h1", "Your account is deleted").await;
    client.goto(&format!("{base}/signin")).await.unwrap();
    fill(client, &[("email", email), ("password", password)]).await;
    click(client, "main form button[type=submit]").await;
    let refused = element(client, ".error-summary").await.text().await.unwrap();
    assert!(refused.contains("do not match"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_uses_the_desk_in_chromium() {
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let password = "a long enough password for the browser";
    browser.create_user(
        "desk@browser.example.org",
        "Desk Coordinator",
        password,
        &["--role", "coordinator"],
    );
    let (client, base) = (browser.client.clone(), browser.base.clone());
    browser.run(the_desk(&client, &base, password)).await;
}

async fn the_desk(client: &Client, base: &str, password: &str) {
    client.goto(&format!("{base}/signin?next=/desk")).await.unwrap();
    type_into(client, "#email", "desk@browser.example.org").await;
    type_into(client, "#password", password).await;
    click(client, "button[type=submit]").await;
    wait_for_url(client, "/desk").await;
    wait_for_text(client, "h1", "Coordinators' desk").await;
    shoot_and_check(client, "desk-home").await;

    click(client, ".tile a").await;
    wait_for_url(client, "/desk/requests").await;
    shoot_and_check(client, "desk-queue").await;
    // Declining with nothing chosen is refused in words, filters kept.
    click(client, "button[value=decline]").await;
    let refusal = element(client, ".error-summary").await.text().await.unwrap();
    assert!(refusal.contains("choose at least one request"), "{refusal}");
    shoot_and_check(client, "desk-queue-error").await;

    let request = element(client, "table.queue a")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    client.goto(&format!("{base}{request}")).await.unwrap();
    shoot_and_check(client, "desk-request").await;

    client
        .goto(&format!("{base}/desk/requests?q=no-such-request"))
        .await
        .unwrap();
    shoot_and_check(client, "desk-queue-empty").await;
}

/// The trainers' and admins' pages in Chromium, checked with axe-core at
/// both widths: a new trainer's `/offers` (nothing offered yet), then with
/// the time-away form sent empty; an admin's `/admin` with the seeded
/// audit trail, a lookup that finds nothing, the trainer's account found
/// by email, and the erase confirmation sent without confirming.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trainer_and_an_admin_use_their_pages_in_chromium() {
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let password = "a long enough password for the browser";
    browser.create_user(
        "trainer@browser.example.org",
        "Browser Trainer",
        password,
        &["--trainer"],
    );
    browser.create_user(
        "admin@browser.example.org",
        "Browser Admin",
        password,
        &["--role", "admin"],
    );
    let (client, base) = (browser.client.clone(), browser.base.clone());
    browser.run(trainer_and_admin_pages(&client, &base, password)).await;
}

async fn trainer_and_admin_pages(client: &Client, base: &str, password: &str) {
    sign_in(client, base, "trainer@browser.example.org", password, "/offers").await;
    let page = element(client, "main").await.text().await.unwrap();
    assert!(page.contains("No offers are waiting for you."), "{page}");
    shoot_on_phone_and_check(client, "offers-empty", "a trainer's offers, none yet").await;
    shoot_and_check(client, "offers-empty").await;
    click(client, "form[action=\"/offers/away\"] button[type=submit]").await;
    let summary = element(client, ".error-summary").await.text().await.unwrap();
    assert!(summary.contains("not saved"), "{summary}");
    shoot_and_check(client, "offers-away-errors").await;

    client.goto(&format!("{base}/signout")).await.unwrap();
    click(client, "main form button[type=submit]").await;
    sign_in(client, base, "admin@browser.example.org", password, "/admin").await;
    shoot_and_check(client, "admin").await;
    fill(client, &[("email", "nobody@browser.example.org")]).await;
    click(client, "form[action=\"/admin/account\"] button[type=submit]").await;
    let summary = element(client, ".error-summary").await.text().await.unwrap();
    assert!(summary.contains("No account has this email address"), "{summary}");
    shoot_and_check(client, "admin-find-error").await;
    fill(client, &[("email", "trainer@browser.example.org")]).await;
    click(client, "form[action=\"/admin/account\"] button[type=submit]").await;
    wait_for_text(client, "h1", "Browser Trainer").await;
    shoot_and_check(client, "admin-account").await;
    click(client, "a[href^=\"/admin/account/erase\"]").await;
    wait_for_url(client, "/admin/account/erase").await;
    shoot_and_check(client, "admin-erase").await;
    click(client, "main form button[type=submit]").await;
    let summary = element(client, ".error-summary").await.text().await.unwrap();
    assert!(summary.contains("Nothing was erased"), "{summary}");
    shoot_and_check(client, "admin-erase-error").await;
}

const FIRST_COORDINATOR: &str = "first.coordinator@walk.example.org";
const SECOND_COORDINATOR: &str = "second.coordinator@walk.example.org";
const WALK_TRAINER: &str = "walking.trainer@walk.example.org";
const WALK_ORGANISATION: &str = "Eastside Walk Tenants' Association";

/// A request from the form to delivered, end to end in Chromium against
/// the real binary on the demo network: an outside organisation asks; the
/// first coordinator sees the "new" tile count it, finds it in the queue
/// and asks a trainer from the suggestions; a second coordinator, whose
/// page still shows it unassigned, is told it changed; the trainer, on a
/// phone-wide window, sees the offer beside their own calendar, is refused
/// a slot that clashes with their time away and accepts a free one; the
/// event is on the public events page and in the trainer's own feed; and
/// once it has taken place (the server restarted with its clock weeks
/// ahead) the coordinator marks it delivered. Every page is checked with
/// axe-core and saved at 412 and 1280 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_goes_from_the_form_to_delivered_in_chromium() {
    use futures_util::FutureExt;
    let Some(mut browser) = Browser::start(&[]).await else {
        return;
    };
    let password = "a long enough password for the browser";
    for (email, name, flags) in [
        (FIRST_COORDINATOR, "First Coordinator", &["--role", "coordinator"][..]),
        (SECOND_COORDINATOR, "Second Coordinator", &["--role", "coordinator"][..]),
        (WALK_TRAINER, "Walking Trainer", &["--trainer"][..]),
    ] {
        browser.create_user(email, name, password, flags);
    }
    let second = browser.another_window().await;
    let trainer = browser.another_window().await;
    let outcome = std::panic::AssertUnwindSafe(the_walk(&mut browser, &second, &trainer, password))
        .catch_unwind()
        .await;
    let mut elsewhere = Vec::new();
    for window in [second, trainer] {
        elsewhere.extend(requests_made(&window).await);
        let _ = window.close().await;
    }
    let base = browser.base.clone();
    browser
        .run(async move {
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
            // The other coordinator's and the trainer's windows too.
            assert_only_muster(&elsewhere, &base);
        })
        .await;
}

/// The count on the desk's "new" tile.
async fn new_tile_count(client: &Client) -> u32 {
    let tile = element(client, ".tile a[href*='state=SUBMITTED']").await;
    let count = tile.find(Locator::Css(".count")).await.unwrap().text().await.unwrap();
    count.trim().parse().unwrap()
}

/// A `datetime-local` value (UK time, as the forms take it) `days` from
/// today at `hour`.
fn local_at(days: i64, hour: u32) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    format!("{day}T{hour:02}:00")
}

async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

async fn the_walk(browser: &mut Browser, second: &Client, trainer: &Client, password: &str) {
    let first = browser.client.clone();
    let base = browser.base.clone();

    // The first coordinator's desk, before anyone asks.
    sign_in(&first, &base, FIRST_COORDINATOR, password, "/desk").await;
    let new_before = new_tile_count(&first).await;

    // An outside organisation asks, in what will be the trainer's window.
    trainer.goto(&format!("{base}/request")).await.unwrap();
    click(trainer, "#kind-workshop").await;
    let topic_select = element(trainer, "select#topicId").await;
    topic_select.clone().select_by_index(1).await.unwrap();
    let topic_id = value_of(trainer, "select#topicId").await;
    let topic_name = topic_select
        .find(Locator::Css("option:checked"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    fill(
        trainer,
        &[
            ("organisationName", WALK_ORGANISATION),
            ("contactName", "Tenants' Secretary"),
            ("contactEmail", "secretary@eastside-walk.example.org"),
            ("town", "Swansea"),
            ("postcodeArea", "SA1"),
            ("expectedAudience", "25"),
        ],
    )
    .await;
    // One long window: a morning that the trainer will be away for, and
    // an afternoon and evening that are free.
    set_value(trainer, "window1From", &local_at(21, 10)).await;
    set_value(trainer, "window1To", &local_at(21, 21)).await;
    assert!(
        element(trainer, "#publicEvent").await.is_selected().await.unwrap(),
        "listing the session publicly is the form's default"
    );
    click(trainer, "form button[type=submit]").await;
    let status = wait_for_url(trainer, "/request/REQ-").await;
    let reference = status.path().trim_start_matches("/request/").to_owned();

    // The trainer signs in and says what they cover and when they are away.
    sign_in(trainer, &base, WALK_TRAINER, password, "/offers").await;
    click(trainer, &format!("#topic-{topic_id}")).await;
    fill(trainer, &[("regions", "Wales"), ("monthlyCap", "3")]).await;
    click(trainer, "form[action='/offers/profile'] button[type=submit]").await;
    // The page after the save, not the one the form was sent from (also
    // at /offers): the away form's fields set on the old page are lost
    // when the new one loads.
    wait_for_url(trainer, "done=profile").await;
    set_value(trainer, "away-startsAt", &local_at(21, 9)).await;
    set_value(trainer, "away-endsAt", &local_at(21, 13)).await;
    fill(trainer, &[("away-note", "hospital shift")]).await;
    click(trainer, "form[action='/offers/away'] button[type=submit]").await;
    wait_for_text(trainer, "main", "hospital shift").await;

    // The desk counts it; the queue finds it by the organisation's name.
    first.goto(&format!("{base}/desk")).await.unwrap();
    assert_eq!(new_tile_count(&first).await, new_before + 1, "the new tile counts it");
    shoot_and_check(&first, "walk-01-desk").await;
    click(&first, ".tile a[href*='state=SUBMITTED']").await;
    wait_for_url(&first, "state=SUBMITTED").await;
    fill(&first, &[("q", "Eastside Walk")]).await;
    click(&first, "form.filters button[type=submit]").await;
    wait_for_url(&first, "q=Eastside").await;
    let rows = first.find_all(Locator::Css("table.queue tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 1, "exactly the new request");
    shoot_and_check(&first, "walk-02-queue").await;
    click(&first, "table.queue a").await;
    let request_page = wait_for_url(&first, "/desk/requests/").await;
    wait_for_text(&first, "h1", &reference).await;
    let page = element(&first, "main").await.text().await.unwrap();
    assert!(
        page.contains("secretary@eastside-walk.example.org"),
        "contact shown to the coordinator"
    );
    shoot_and_check(&first, "walk-03-request").await;

    // The second coordinator opens the same request before it changes.
    sign_in(second, &base, SECOND_COORDINATOR, password, request_page.path()).await;
    wait_for_text(second, "h1", &reference).await;

    // The first asks the walking trainer, from the suggestions.
    element(&first, ".suggestion label").await;
    let mut chosen = None;
    for label in first.find_all(Locator::Css(".suggestion label")).await.unwrap() {
        if label.text().await.unwrap().contains("Walking Trainer") {
            chosen = label.attr("for").await.unwrap();
        }
    }
    let chosen = chosen.expect("the walking trainer is suggested");
    click(&first, &format!("#{chosen}")).await;
    fill(&first, &[("assign-note", "Close to Swansea")]).await;
    click(&first, "button[value=assign]").await;
    wait_for_text(&first, "ol.history", "Close to Swansea").await;
    shoot_and_check(&first, "walk-04-request-assigned").await;

    // The second, on the old page, asks someone too: told in words.
    click(second, "button[value=assign]").await;
    let refusal = element(second, ".error-summary").await.text().await.unwrap();
    assert!(
        refusal.contains("Someone changed this request while you were looking"),
        "{refusal}"
    );
    assert!(
        refusal.contains("First Coordinator"),
        "it says who changed it: {refusal}"
    );
    shoot_and_check(second, "walk-05-request-stale").await;

    // The trainer, on a phone, sees the offer beside their calendar.
    trainer.set_window_size(PHONE, 900).await.unwrap();
    trainer.goto(&format!("{base}/offers")).await.unwrap();
    let offers = element(trainer, "main").await.text().await.unwrap();
    assert!(offers.contains(&topic_name), "{offers}");
    assert!(offers.contains("Your calendar in those weeks"), "{offers}");
    assert!(offers.contains("hospital shift"), "the time away is beside the offer");
    shoot_and_check(trainer, "walk-06-offer").await;
    // A slot in the morning clashes with the time away: refused, with why.
    let start_id = element(trainer, "input[id^='start-']")
        .await
        .attr("id")
        .await
        .unwrap()
        .unwrap();
    let end_id = start_id.replacen("start-", "end-", 1);
    set_value(trainer, &start_id, &local_at(21, 11)).await;
    set_value(trainer, &end_id, &local_at(21, 13)).await;
    click(trainer, "form[action$='/accept'] button[type=submit]").await;
    let refusal = element(trainer, ".error-summary").await.text().await.unwrap();
    assert!(refusal.contains("Nothing was changed"), "{refusal}");
    assert!(
        refusal.to_lowercase().contains("away"),
        "the reason is given: {refusal}"
    );
    shoot_and_check(trainer, "walk-07-offer-clash").await;
    // The evening is free.
    set_value(trainer, &start_id, &local_at(21, 18)).await;
    set_value(trainer, &end_id, &local_at(21, 20)).await;
    click(trainer, "form[action$='/accept'] button[type=submit]").await;
    wait_for_text(trainer, "main", "No offers are waiting for you.").await;
    shoot_and_check(trainer, "walk-08-offer-accepted").await;

    // The event is public, and in the trainer's own calendar feed.
    first.goto(&format!("{base}/?kind=WORKSHOP")).await.unwrap();
    let events = element(&first, "main").await.text().await.unwrap();
    assert!(events.contains(WALK_ORGANISATION), "on the public events page");
    trainer.goto(&format!("{base}/me/feeds")).await.unwrap();
    fill(trainer, &[("label", "phone")]).await;
    click(trainer, "form[action='/me/feeds'] button[type=submit]").await;
    let feed = value_of(trainer, "#feed-url").await;
    let (head, calendar) = fetch(&feed).await;
    assert!(head.contains(" 200 "), "{head}");
    assert!(
        calendar.contains("Eastside Walk Tenants"),
        "the engagement is in the trainer's feed"
    );

    // Weeks later, after it took place, the coordinator marks it delivered.
    browser.restart_days_ahead(23).await;
    sign_in(&first, &base, FIRST_COORDINATOR, password, request_page.path()).await;
    fill(
        &first,
        &[("attendance", "23"), ("feedback", "Good questions on charging")],
    )
    .await;
    click(&first, "button[value=deliver]").await;
    let history = wait_for_text(&first, "ol.history", "Delivered").await;
    let weeks_later = (chrono::Utc::now() + chrono::Duration::days(23))
        .format("%-d %b %Y")
        .to_string();
    assert!(
        history.contains(&weeks_later),
        "delivered on the server's day, {weeks_later}: {history}"
    );
    shoot_and_check(&first, "walk-09-request-delivered").await;
}

/// The coordinators' catalogue in Chromium on the demo network, each page
/// checked with axe-core at both widths with the demo's numbers in it: the
/// desk's charts with their tables open, the topics (then the add form
/// sent empty), a topic's page, the trainers list, a trainer's profile, a
/// person found by email who is not a trainer yet, and their profile form
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_keeps_the_catalogue_in_chromium() {
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let password = "a long enough password for the browser";
    browser.create_user(
        "catalogue@browser.example.org",
        "Catalogue Coordinator",
        password,
        &["--role", "coordinator"],
    );
    browser.create_user("newcomer@browser.example.org", "Browser Newcomer", password, &[]);
    browser.create_user(
        "retry@browser.example.org",
        "Retrying Admin",
        password,
        &["--role", "admin"],
    );
    add_failed_message(&browser.database, "Browser Newcomer").await;
    let (client, base) = (browser.client.clone(), browser.base.clone());
    browser.run(catalogue_pages(&client, &base, password)).await;
}

/// A message the outbox gave up on, for the person named `to`.
async fn add_failed_message(database: &str, to: &str) {
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let db = sea_orm::Database::connect(database).await.unwrap();
    let person = entity::user::Entity::find()
        .filter(entity::user::Column::DisplayName.eq(to))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let id = uuid::Uuid::new_v4();
    let now = common::system_now();
    entity::outbox_message::ActiveModel {
        id: Set(id),
        dedupe_key: Set(format!("browser:{id}")),
        kind: Set("OFFER".to_owned()),
        recipient_user_id: Set(Some(person.id)),
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
        next_attempt_at: Set(now),
        claimed_at: Set(None),
        last_error: Set(Some("connection refused".to_owned())),
        created_at: Set(now),
        sent_at: Set(None),
        body_removed_at: Set(None),
    }
    .insert(&db)
    .await
    .unwrap();
    db.close().await.unwrap();
}

async fn catalogue_pages(client: &Client, base: &str, password: &str) {
    sign_in(client, base, "catalogue@browser.example.org", password, "/desk").await;
    wait_for_text(client, "#numbers-heading", "Numbers at a glance").await;
    let failed = element(client, ".tiles").await.text().await.unwrap();
    assert!(failed.contains("An admin can retry them"), "{failed}");
    assert_eq!(
        client
            .execute("return document.querySelectorAll('svg.chart[role=img]').length", vec![])
            .await
            .unwrap(),
        json!(3)
    );
    client
        .execute(
            "document.querySelectorAll('details').forEach(d => { d.open = true; })",
            vec![],
        )
        .await
        .unwrap();
    shoot_and_check(client, "desk-numbers").await;

    click(client, "main a[href='/desk/topics']").await;
    wait_for_url(client, "/desk/topics").await;
    assert!(
        element(client, "tr.topic-row")
            .await
            .text()
            .await
            .unwrap()
            .contains("minutes")
    );
    shoot_and_check(client, "desk-topics").await;
    click(client, "form[action='/desk/topics'] button[type=submit]").await;
    let summary = element(client, ".error-summary").await.text().await.unwrap();
    assert!(summary.contains("some answers need changing"), "{summary}");
    shoot_and_check(client, "desk-topics-error").await;
    click(client, "tr.topic-row a").await;
    wait_for_url(client, "/desk/topics/").await;
    shoot_and_check(client, "desk-topic").await;

    client.goto(&format!("{base}/desk/trainers")).await.unwrap();
    wait_for_text(client, "h1", "Trainers").await;
    shoot_and_check(client, "desk-trainers").await;
    click(client, "tr.trainer-row a").await;
    wait_for_url(client, "/desk/trainers/").await;
    shoot_and_check(client, "desk-trainer").await;

    client.goto(&format!("{base}/desk/trainers")).await.unwrap();
    fill(client, &[("email", "newcomer@browser.example.org")]).await;
    click(client, "form[action='/desk/trainers'] button[type=submit]").await;
    wait_for_text(client, "h1", "Browser Newcomer").await;
    shoot_and_check(client, "desk-trainer-new").await;
    fill(client, &[("monthlyCap", "lots")]).await;
    click(client, "main form button[type=submit]").await;
    let summary = element(client, ".error-summary").await.text().await.unwrap();
    assert!(summary.contains("whole number"), "{summary}");
    shoot_and_check(client, "desk-trainer-error").await;

    sign_out(client, base).await;
    sign_in(client, base, "retry@browser.example.org", password, "/admin").await;
    wait_for_text(client, "#outbox-heading + p", "Failed messages: 1").await;
    shoot_and_check(client, "admin-failed-messages").await;
    click(client, "form[action='/admin/outbox/retry'] button[type=submit]").await;
    wait_for_text(client, ".notice", "back in the queue").await;
}
