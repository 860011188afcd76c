//! Headless Chromium for the browser tests: the real `muster` binary on a
//! seeded SQLite database and a free loopback port, chromedriver, and a
//! WebDriver session with Chromium's network log on; screenshots under
//! `target/browser-screenshots/` for people to look at (CI keeps them),
//! axe-core's check of a page, and the list of every request the pages
//! made. Without Chromium and chromedriver a test says so and passes,
//! except in CI (`CI` set), where it fails: `.ci/run` installs them from
//! Debian's packages, and axe-core at a pinned version from the npm
//! registry into `target/axe-core/` (never fetched while a test runs).

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A child process that is ended with the test, also when it fails.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Chromium and its driver, or `None` (outside CI) to skip.
pub fn browser() -> Option<(PathBuf, PathBuf)> {
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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn wait_for_port(port: u16, what: &str) {
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
pub async fn fetch(address: &str) -> (String, String) {
    fetch_with(address, &[]).await
}

/// [`fetch`] with extra request headers (a session's cookie, say).
pub async fn fetch_with(address: &str, headers: &[(&str, &str)]) -> (String, String) {
    let url = url::Url::parse(address).unwrap();
    let host = url.host_str().unwrap().to_owned();
    let port = url.port_or_known_default().unwrap();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await.unwrap();
    stream
        .write_all(
            format!(
                "GET {target} HTTP/1.0\r\nHost: {host}:{port}\r\n{}\r\n",
                headers
                    .iter()
                    .map(|(name, value)| format!("{name}: {value}\r\n"))
                    .collect::<String>()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (head.to_lowercase(), body.to_owned())
}

pub fn screenshot_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves the whole page at `width` CSS pixels wide.
pub async fn shoot(client: &Client, name: &str, width: u32) {
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
/// The sign-in page is never the page waited for unless asked: its own
/// address holds the page it returns to (`?next=`).
pub async fn wait_for_url(client: &Client, part: &str) -> url::Url {
    for _ in 0..300 {
        let url = client.current_url().await.unwrap();
        let signing_in = url.path() == "/signin" && !part.contains("/signin");
        if url.as_str().contains(part) && !signing_in {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached a page with {part} in its address");
}

/// Waits (up to 30 s) until the element `css` says `words`: for a form
/// that answers with the page it was sent from.
pub async fn wait_for_text(client: &Client, css: &str, words: &str) -> String {
    let mut seen = String::new();
    for _ in 0..300 {
        if let Ok(found) = client.find(Locator::Css(css)).await {
            seen = found.text().await.unwrap_or_default();
            if seen.contains(words) {
                return seen;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never said {words:?}; it said {seen:?}");
}

/// The element `css` finds on the page the browser shows, waiting (up to
/// 30 s) for a page that a click is still loading.
pub async fn element(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

pub async fn click(client: &Client, css: &str) {
    element(client, css).await.click().await.unwrap();
}

pub async fn value_of(client: &Client, css: &str) -> String {
    element(client, css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// axe-core's script, installed by `.ci/run`, or `None` (outside CI).
pub fn axe_source() -> Option<&'static str> {
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
pub async fn assert_accessible(client: &Client, name: &str) {
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
pub async fn shoot_and_check(client: &Client, name: &str) {
    for (width, suffix) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        shoot(client, &format!("{name}-{suffix}"), width).await;
        assert_accessible(client, &format!("{name} at {width} px")).await;
    }
}

/// A screenshot on a phone, checked with axe-core as `what`.
pub async fn shoot_on_phone_and_check(client: &Client, name: &str, what: &str) {
    shoot(client, name, PHONE).await;
    assert_accessible(client, what).await;
}

pub const PHONE: u32 = 412;
pub const DESKTOP: u32 = 1280;

/// chromedriver's performance log: Chromium's DevTools events for the
/// session's pages since the last read.
#[derive(Debug)]
pub struct PerformanceLog;

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
pub async fn requests_made(client: &Client) -> Vec<String> {
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

/// A running muster on a seeded database, chromedriver, and a Chromium
/// session; everything is ended when it is dropped.
pub struct Browser {
    pub client: Client,
    /// `http://127.0.0.1:PORT`, the public address the server was given.
    pub base: String,
    /// The server's database, for `create-user` and other commands.
    pub database: String,
    port: u16,
    env: Vec<(String, String)>,
    chromium: PathBuf,
    driver_port: u16,
    server: Running,
    _driver: Running,
    /// The data directory (the data key file lives here).
    dir: tempfile::TempDir,
    /// Each window's own Chromium profile (its own cookies).
    profiles: std::sync::Mutex<Vec<tempfile::TempDir>>,
}

impl Browser {
    /// Seeds the demo network, serves it (with `env` added to the
    /// server's environment) and opens Chromium; `None` (outside CI)
    /// without Chromium.
    pub async fn start(env: &[(&str, &str)]) -> Option<Self> {
        let (chromium, chromedriver) = browser()?;
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite://{}?mode=rwc", dir.path().join("muster.db").display());
        let muster = env!("CARGO_BIN_EXE_muster");
        let seeded = Command::new(muster)
            .arg("seed-demo")
            .env("MUSTER_DATABASE_URL", &database)
            .env("MUSTER_DATA_DIR", dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(seeded.success(), "seed-demo");

        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let server = serve(&database, dir.path(), port, &env, None);
        wait_for_port(port, "muster").await;

        let driver_port = free_port();
        let driver = Running(
            Command::new(&chromedriver)
                .arg(format!("--port={driver_port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_for_port(driver_port, "chromedriver").await;

        let (client, profile) = open_window(&chromium, driver_port).await;
        Some(Self {
            client,
            base,
            database,
            port,
            env,
            chromium,
            driver_port,
            server,
            _driver: driver,
            dir,
            profiles: std::sync::Mutex::new(vec![profile]),
        })
    }

    /// Another Chromium window with a profile of its own, so a second
    /// person can be signed in beside the first. Close it with
    /// `client.close()` when done (`run` closes only the first).
    pub async fn another_window(&self) -> Client {
        let (client, profile) = open_window(&self.chromium, self.driver_port).await;
        self.profiles.lock().unwrap().push(profile);
        client
    }

    /// Stops the server and starts it again on the same address and
    /// database with its clock `days` ahead of the machine's, as libfaketime
    /// (Debian's `faketime`, installed by `.ci/run`) makes it: the real
    /// binary, unchanged, living a few weeks later. Pages already open
    /// carry on against it.
    pub async fn restart_days_ahead(&mut self, days: u32) {
        let faketime = libfaketime();
        let _ = self.server.0.kill();
        let _ = self.server.0.wait();
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.server = serve(
            &self.database,
            self.dir.path(),
            self.port,
            &self.env,
            Some((&faketime, format!("+{days}d"))),
        );
        wait_for_port(self.port, "muster, restarted").await;
    }

    /// Runs `steps`, then ends the Chromium session whatever happened, and
    /// fails the test if a step did.
    pub async fn run(self, steps: impl std::future::Future<Output = ()>) {
        use futures_util::FutureExt;
        let walk = async {
            steps.await;
            // Every page the walk opened, signed in or not, loaded from
            // muster alone: Chromium's own network log says so.
            assert_only_muster(&requests_made(&self.client).await, &self.base);
        };
        let outcome = std::panic::AssertUnwindSafe(walk).catch_unwind().await;
        let _ = self.client.clone().close().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }

    /// `muster create-user` on the server's database, the password on its
    /// standard input.
    pub fn create_user(&self, email: &str, name: &str, password: &str, flags: &[&str]) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_muster"));
        command
            .args(["create-user", "--email", email, "--name", name])
            .args(flags)
            .env("MUSTER_DATABASE_URL", &self.database)
            .env("MUSTER_DATA_DIR", self.dir.path())
            .env("RUST_LOG", "warn");
        let output = super::run_with_input(command, &format!("{password}\n"));
        assert!(
            output.status.success(),
            "create-user: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// libfaketime's library, from Debian's `faketime` package.
fn libfaketime() -> PathBuf {
    std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|dir| dir.path().join("faketime/libfaketime.so.1"))
        .find(|library| library.is_file())
        .expect("libfaketime must be installed (apt-get install faketime)")
}

/// `muster serve` on `port`; with `faketime`, its clock moved by the
/// offset. The library is preloaded into muster itself (not through the
/// `faketime` wrapper), so the process this ends is the server.
fn serve(
    database: &str,
    dir: &Path,
    port: u16,
    env: &[(String, String)],
    faketime: Option<(&Path, String)>,
) -> Running {
    let mut command = Command::new(env!("CARGO_BIN_EXE_muster"));
    if let Some((library, offset)) = &faketime {
        command
            .env("LD_PRELOAD", library)
            .env("FAKETIME", offset)
            .env("DONT_FAKE_MONOTONIC", "1");
    }
    command
        .arg("serve")
        .env("MUSTER_DATABASE_URL", database)
        .env("MUSTER_DATA_DIR", dir)
        .env("MUSTER_BIND", format!("127.0.0.1:{port}"))
        .env("MUSTER_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null());
    Running(command.spawn().unwrap())
}

/// A Chromium session through chromedriver on `driver_port`, with a fresh
/// profile (kept as long as the window is).
async fn open_window(chromium: &Path, driver_port: u16) -> (Client, tempfile::TempDir) {
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
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
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
    // axe-core on a long page takes seconds on a busy two-core machine;
    // WebDriver's default 30 s for a script is too tight beside a build.
    client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(120)),
            Some(Duration::from_secs(120)),
            Some(Duration::ZERO),
        ))
        .await
        .unwrap();
    (client, profile)
}

/// Fills in the inputs found by id with the given text.
pub async fn fill(client: &Client, fields: &[(&str, &str)]) {
    for (id, text) in fields {
        let input = client.find(Locator::Id(id)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }
}

/// Signs in through `/signin` and waits to land on `then`.
pub async fn sign_in(client: &Client, base: &str, email: &str, password: &str, then: &str) {
    client.goto(&format!("{base}/signin?next={then}")).await.unwrap();
    fill(client, &[("email", email), ("password", password)]).await;
    click(client, "main form button[type=submit]").await;
    wait_for_url(client, then).await;
}

/// Fails if any of `requested` went over a network to an origin other
/// than `base` (the browser's own chrome:// pages, data: and blob:
/// addresses never leave the machine).
pub fn assert_only_muster(requested: &[String], base: &str) {
    let elsewhere: Vec<&String> = requested
        .iter()
        .filter(|url| {
            ["http:", "https:", "ws:", "wss:", "ftp:"]
                .iter()
                .any(|s| url.starts_with(s))
        })
        .filter(|url| !url.starts_with(&format!("{base}/")))
        .collect();
    assert!(elsewhere.is_empty(), "requests to another origin: {elsewhere:?}");
}
