//! The public pages in a real browser: headless Chromium, driven through
//! chromedriver, against the real `muster` binary serving a seeded SQLite
//! database on a free loopback port. A supporter finds events, filters
//! them, opens a group and takes its calendar address; an outside
//! organisation gets the form wrong, then right, and follows its request.
//!
//! Each page is saved as a screenshot in `target/browser-screenshots/` for
//! people to look at, and checked with axe-core, the accessibility engine,
//! which must find no violation. Without Chromium and chromedriver the test
//! says so and passes, except in CI (`CI` set), where it fails: `.ci/run`
//! installs them from Debian's packages, and axe-core at a pinned version
//! from the npm registry into `target/axe-core/` (never fetched while the
//! test runs); without it the pages are still driven, and the accessibility
//! check says it was skipped (outside CI).
//!
//! Every request each page makes is read from Chromium's own network log
//! (chromedriver's performance log), GraphiQL at `/graphql` included; the
//! test fails on any request to an origin other than muster's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A child process that is ended with the test, also when it fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Chromium and its driver, or `None` (outside CI) to skip.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = on_path(&["chromium", "chromium-browser"]);
    let driver = on_path(&["chromedriver"]);
    match (chromium, driver) {
        (Some(chromium), Some(driver)) => Some((chromium, driver)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "Chromium and chromedriver must be installed in CI (apt-get install chromium chromium-driver)"
            );
            eprintln!("skipping the browser test: chromium or chromedriver is not installed");
            None
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_for_port(port: u16, what: &str) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not start listening on port {port}");
}

/// A plain GET, as a calendar app would fetch a feed: the status line and
/// headers, and the body.
async fn fetch(address: &str) -> (String, String) {
    let url = url::Url::parse(address).unwrap();
    let host = url.host_str().unwrap().to_owned();
    let port = url.port_or_known_default().unwrap();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await.unwrap();
    stream
        .write_all(format!("GET {target} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (head.to_lowercase(), body.to_owned())
}

fn screenshot_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves the whole page at `width` CSS pixels wide.
async fn shoot(client: &Client, name: &str, width: u32) {
    client.set_window_size(width, 900).await.unwrap();
    let height = client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(900)
        .clamp(600, 8000) as u32;
    client.set_window_size(width, height).await.unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// Waits until the browser is on a page whose address contains `part`.
async fn wait_for_url(client: &Client, part: &str) -> url::Url {
    for _ in 0..100 {
        let url = client.current_url().await.unwrap();
        if url.as_str().contains(part) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached a page with {part} in its address");
}

/// The element `css` finds on the page the browser shows.
async fn element(client: &Client, css: &str) -> Element {
    client.find(Locator::Css(css)).await.unwrap()
}

async fn click(client: &Client, css: &str) {
    element(client, css).await.click().await.unwrap();
}

async fn value_of(client: &Client, css: &str) -> String {
    element(client, css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// axe-core's script, installed by `.ci/run`, or `None` (outside CI).
fn axe_source() -> Option<&'static str> {
    static SOURCE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = std::env::var_os("MUSTER_AXE_CORE")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    Path::new(env!("CARGO_TARGET_TMPDIR"))
                        .parent()
                        .unwrap()
                        .join("axe-core/node_modules/axe-core/axe.min.js")
                });
            match std::fs::read_to_string(&path) {
                Ok(source) => Some(source),
                Err(_) => {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "axe-core must be installed in CI ({}; see .ci/run)",
                        path.display()
                    );
                    eprintln!("skipping the accessibility checks: no axe-core at {}", path.display());
                    None
                }
            }
        })
        .as_deref()
}

/// Runs axe-core on the page the browser shows and fails on any violation.
async fn assert_accessible(client: &Client, name: &str) {
    let Some(source) = axe_source() else {
        return;
    };
    client
        .execute(&format!("{source}\nreturn typeof axe;"), vec![])
        .await
        .unwrap();
    let violations = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): '
                    + v.nodes.map(n => n.target.join(' ')).join(', '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    let violations: Vec<String> = serde_json::from_value(violations).unwrap();
    assert!(violations.is_empty(), "axe-core on {name}: {violations:#?}");
}

/// A screenshot at both widths, each checked with axe-core.
async fn shoot_and_check(client: &Client, name: &str) {
    for (width, suffix) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        shoot(client, &format!("{name}-{suffix}"), width).await;
        assert_accessible(client, &format!("{name} at {width} px")).await;
    }
}

/// A screenshot on a phone, checked with axe-core as `what`.
async fn shoot_on_phone_and_check(client: &Client, name: &str, what: &str) {
    shoot(client, name, PHONE).await;
    assert_accessible(client, what).await;
}

const PHONE: u32 = 412;
const DESKTOP: u32 = 1280;

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
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("muster.db").display());
    let muster = env!("CARGO_BIN_EXE_muster");
    let seeded = Command::new(muster)
        .arg("seed-demo")
        .env("MUSTER_DATABASE_URL", &database)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(seeded.success(), "seed-demo");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Running(
        Command::new(muster)
            .arg("serve")
            .env("MUSTER_DATABASE_URL", &database)
            .env("MUSTER_BIND", format!("127.0.0.1:{port}"))
            .env("MUSTER_PUBLIC_URL", &base)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, "muster").await;

    let driver_port = free_port();
    let _driver = Running(
        Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(driver_port, "chromedriver").await;

    let profile = tempfile::tempdir().unwrap();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--lang=en-GB",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    capabilities.insert("goog:loggingPrefs".into(), json!({ "performance": "ALL" }));
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a Chromium session");
    let outcome = std::panic::AssertUnwindSafe(async {
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
        let elsewhere: Vec<&String> = requested
            .iter()
            // What goes over a network (the browser's own chrome:// pages,
            // data: and blob: addresses never leave the machine).
            .filter(|url| {
                ["http:", "https:", "ws:", "wss:", "ftp:"]
                    .iter()
                    .any(|s| url.starts_with(s))
            })
            .filter(|url| !url.starts_with(&format!("{base}/")))
            .collect();
        assert!(elsewhere.is_empty(), "requests to another origin: {elsewhere:?}");
    })
    .catch_unwind()
    .await;
    let _ = client.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// chromedriver's performance log: Chromium's DevTools events for the
/// session's pages since the last read.
#[derive(Debug)]
struct PerformanceLog;

impl fantoccini::wd::WebDriverCompatibleCommand for PerformanceLog {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (poem::http::Method, Option<String>) {
        (
            poem::http::Method::POST,
            Some(json!({ "type": "performance" }).to_string()),
        )
    }
}

/// The address of every request the pages made since the last call.
async fn requests_made(client: &Client) -> Vec<String> {
    let log = client.issue_cmd(PerformanceLog).await.expect("the performance log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["message"].as_str())
        .filter_map(|message| serde_json::from_str::<serde_json::Value>(message).ok())
        .filter(|event| event["message"]["method"] == "Network.requestWillBeSent")
        .filter_map(|event| event["message"]["params"]["request"]["url"].as_str().map(str::to_owned))
        .collect()
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
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("muster.db").display());
    let muster = env!("CARGO_BIN_EXE_muster");
    let seeded = Command::new(muster)
        .arg("seed-demo")
        .env("MUSTER_DATABASE_URL", &database)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(seeded.success(), "seed-demo");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Running(
        Command::new(muster)
            .arg("serve")
            .env("MUSTER_DATABASE_URL", &database)
            .env("MUSTER_BIND", format!("127.0.0.1:{port}"))
            .env("MUSTER_PUBLIC_URL", &base)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, "muster").await;
    let driver_port = free_port();
    let _driver = Running(
        Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(driver_port, "chromedriver").await;
    let profile = tempfile::tempdir().unwrap();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--lang=en-GB",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a Chromium session");
    let outcome = std::panic::AssertUnwindSafe(my_muster_pages(&client, &base))
        .catch_unwind()
        .await;
    let _ = client.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
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

    // Ask to join the first group of the directory.
    client.goto(&format!("{base}/groups")).await.unwrap();
    let group = element(client, ".groups a").await.attr("href").await.unwrap().unwrap();
    client.goto(&format!("{base}{group}")).await.unwrap();
    shoot_on_phone_and_check(client, "group-join", "a group's page with its join button").await;
    click(client, ".join button[type=submit]").await;
    wait_for_url(client, &group).await;
    let joined = element(client, ".join").await.text().await.unwrap();
    assert!(joined.contains("requested"), "{joined}");
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
    let done = element(client, "h1").await.text().await.unwrap();
    assert_eq!(done, "Your account is deleted");
    shoot_on_phone_and_check(client, "me-deleted", "the page after deleting an account").await;
}
