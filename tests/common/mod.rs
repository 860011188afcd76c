//! Test harness: every test gets its own real database — a fresh SQLite file,
//! or a fresh PostgreSQL database when `MUSTER_TEST_POSTGRES_URL` is set — so
//! tests run in parallel and never see each other's rows.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod binary;
pub mod browser;
pub mod calendar;
pub mod network;
pub mod pages;
pub mod python;
pub mod requests;
pub mod smtp;
pub mod wire;

use chrono::{DateTime, Utc};
use muster::{
    AppState,
    clock::Clock,
    config::{Config, JwtSecret},
    db,
};
use poem::{Endpoint, test::TestClient};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

pub const POSTGRES_ENV: &str = "MUSTER_TEST_POSTGRES_URL";

/// Names the instant the suite runs at (RFC 3339), for showing that no test
/// depends on the hour or the date: `MUSTER_TEST_NOW=2027-01-31T23:30:00Z
/// cargo test`. Unset: the real time.
pub const TEST_NOW_ENV: &str = "MUSTER_TEST_NOW";

/// The instant this test process started at, on the suite's clock: the
/// real time, or `MUSTER_TEST_NOW`.
fn suite_start() -> (DateTime<Utc>, std::time::Instant) {
    static START: std::sync::OnceLock<(DateTime<Utc>, std::time::Instant)> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        let start = match std::env::var(TEST_NOW_ENV) {
            Ok(text) => DateTime::parse_from_rfc3339(&text)
                .unwrap_or_else(|e| panic!("{TEST_NOW_ENV}={text} is not an RFC 3339 instant: {e}"))
                .with_timezone(&Utc),
            Err(_) => Utc::now(),
        };
        (start, std::time::Instant::now())
    })
}

/// Now, on the suite's clock. Fixtures and expectations take their times
/// from this (or from the test database's clock), never from `Utc::now()`,
/// so that they agree with the app under test at any hour.
pub fn now() -> DateTime<Utc> {
    let (start, began) = suite_start();
    start + chrono::Duration::from_std(began.elapsed()).unwrap_or_default()
}

/// Now on the system clock: only for fixtures that the real binary reads
/// (it runs as a process of its own, on the system clock).
pub fn system_now() -> DateTime<Utc> {
    Utc::now()
}

/// `hour`:00 UTC on the day `days` after today, on the suite's clock: the
/// one anchor for fixtures' windows and the slots tests pick inside them.
pub fn day(days: i64, hour: i64) -> DateTime<Utc> {
    use chrono::DurationRound;
    let midnight = now()
        .duration_trunc(chrono::Duration::days(1))
        .expect("a time well inside chrono's range");
    midnight + chrono::Duration::days(days) + chrono::Duration::hours(hour)
}

/// A clock for one app under test: it reads the suite's time and can be
/// moved forward by the test without touching other tests.
pub fn test_clock() -> Clock {
    Clock::starting_at(now())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A populated database that tests copy, so that each case starts from the
/// same rows without building them again.
pub struct Template {
    backend: Backend,
    /// SQLite: the file to copy. PostgreSQL: the database to clone.
    source: String,
    _dir: Option<tempfile::TempDir>,
    postgres_cleanup: Option<(String, String)>,
}

impl TestDb {
    /// Closes this database and makes it a template for [`Template::instance`].
    pub async fn into_template(mut self) -> Template {
        self.conn
            .clone()
            .close()
            .await
            .expect("close the template's connections");
        let source = match self.backend {
            Backend::Sqlite => self.sqlite_path().expect("a SQLite file"),
            Backend::Postgres => self
                .postgres_cleanup
                .as_ref()
                .map(|(_, name)| name.clone())
                .expect("a database"),
        };
        Template {
            backend: self.backend,
            source,
            _dir: self._dir.take(),
            postgres_cleanup: self.postgres_cleanup.take(),
        }
    }

    fn sqlite_path(&self) -> Option<String> {
        muster::config::DatabaseUrl::parse(&self.url)
            .ok()?
            .sqlite_file()
            .map(|p| p.display().to_string())
    }
}

impl Template {
    /// A fresh database holding a copy of the template's rows.
    pub async fn instance(&self) -> TestDb {
        match self.backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                std::fs::copy(&self.source, dir.path().join(SQLITE_FILE)).expect("copy the template");
                TestDb::sqlite_in(dir).await
            }
            Backend::Postgres => {
                let (admin_url, _) = self.postgres_cleanup.clone().expect("postgres template");
                TestDb::postgres_database(admin_url, Some(&self.source)).await
            }
        }
    }
}

impl Drop for Template {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres_cleanup.take() {
            drop_postgres_database(admin_url, name);
        }
    }
}

/// Drops a test database from a thread of its own: `Drop` cannot await.
/// The database's pool is not closed first (its connections belong to the
/// test's runtime); `WITH (FORCE)` ends them from the server side. While
/// waiting, this worker hands its place to another (`block_in_place`): a
/// connection of the pool may be halfway through authenticating, and the
/// server waits for it before dropping, so the runtime must keep running.
fn drop_postgres_database(admin_url: String, name: String) {
    let dropping = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        runtime.block_on(async move {
            let admin = Database::connect(&admin_url).await.ok()?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok()?;
            admin.close().await.ok()
        })
    });
    let on_multi_thread_runtime = tokio::runtime::Handle::try_current()
        .is_ok_and(|rt| rt.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if on_multi_thread_runtime {
        tokio::task::block_in_place(|| dropping.join().ok());
    } else {
        let _ = dropping.join();
    }
}

/// The name of a test's SQLite database in its directory.
const SQLITE_FILE: &str = "muster.db";

async fn connect(url: &str) -> DatabaseConnection {
    install_test_data_key();
    db::connect(&muster::config::DatabaseUrl::parse(url).unwrap())
        .await
        .unwrap_or_else(|e| panic!("open {url}: {e}"))
}

/// A migrated database that exists for one test.
pub struct TestDb {
    pub url: String,
    pub conn: DatabaseConnection,
    pub backend: Backend,
    /// The clock of every app built on this database; `advance` it to move
    /// time for this test alone.
    pub clock: Clock,
    _dir: Option<tempfile::TempDir>,
    postgres_cleanup: Option<(String, String)>,
}

impl TestDb {
    /// A fresh, migrated database on `backend`; `None` when PostgreSQL is not
    /// configured outside CI (in CI a missing PostgreSQL fails the test).
    pub async fn new(backend: Backend) -> Option<Self> {
        let db = match backend {
            Backend::Sqlite => Self::sqlite_unmigrated().await,
            Backend::Postgres => Self::postgres_unmigrated().await?,
        };
        db::migrate(&db.conn).await.expect("migrations apply");
        Some(db)
    }

    pub async fn sqlite_unmigrated() -> Self {
        Self::sqlite_in(tempfile::tempdir().expect("temp dir")).await
    }

    /// The SQLite database file in `dir`, created when it is not there; the
    /// directory lives as long as the database.
    async fn sqlite_in(dir: tempfile::TempDir) -> Self {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join(SQLITE_FILE).display());
        let conn = connect(&url).await;
        Self {
            url,
            conn,
            backend: Backend::Sqlite,
            clock: test_clock(),
            _dir: Some(dir),
            postgres_cleanup: None,
        }
    }

    pub async fn postgres_unmigrated() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_ENV} must be set in CI: both databases are tested in every run"
            );
            eprintln!("skipping the PostgreSQL variant: {POSTGRES_ENV} is not set");
            return None;
        };
        Some(Self::postgres_database(admin_url, None).await)
    }

    /// A new database on the test server, empty or copied from `template`.
    async fn postgres_database(admin_url: String, template: Option<&str>) -> Self {
        let name = format!("muster_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to the PostgreSQL test server");
        // FILE_COPY copies the template's files as they are; the default
        // (WAL_LOG, PostgreSQL 15+) writes every page through the WAL,
        // which made the role table's 600 copies take minutes.
        let template = template
            .map(|t| format!(" TEMPLATE {t} STRATEGY FILE_COPY"))
            .unwrap_or_default();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}{template}"))
            .await
            .expect("create a test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("postgres URL");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let conn = connect(&url).await;
        Self {
            url,
            conn,
            backend: Backend::Postgres,
            clock: test_clock(),
            _dir: None,
            postgres_cleanup: Some((admin_url, name)),
        }
    }

    pub fn config(&self) -> Config {
        self.config_with(&[])
    }

    /// The configuration on this database, with `settings` (variable and
    /// value) set as the environment would set them.
    pub fn config_with(&self, settings: &[(&str, &str)]) -> Config {
        let url = self.url.clone();
        let settings: Vec<(String, String)> = settings.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        Config::from_lookup(move |name| match name {
            "MUSTER_DATABASE_URL" => Some(url.clone()),
            _ => settings.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()),
        })
        .unwrap()
    }

    pub fn state(&self) -> AppState {
        AppState::with_clock(self.conn.clone(), &self.config(), &test_secret(), self.clock.clone())
    }

    /// Now, on this database's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn app(&self) -> TestClient<impl Endpoint> {
        TestClient::new(muster::app(self.state()))
    }

    /// The app under test configured with `settings` as well.
    pub fn app_with(&self, settings: &[(&str, &str)]) -> TestClient<impl Endpoint> {
        let config = self.config_with(settings);
        TestClient::new(muster::app(AppState::with_clock(
            self.conn.clone(),
            &config,
            &test_secret(),
            self.clock.clone(),
        )))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres_cleanup.take() {
            drop_postgres_database(admin_url, name);
        }
    }
}

/// Runs `command` with `input` on its stdin (as a person types it, or a
/// pipe feeds it) and collects what it prints.
pub fn run_with_input(mut command: std::process::Command, input: &str) -> std::process::Output {
    use std::{io::Write, process::Stdio};
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The data key of every test process and of the binary the tests run
/// (`binary::muster` passes it), so both open what the other sealed.
pub const TEST_DATA_KEY: &str = "5e41ed0000000000000000000000000000000000000000000000000000d47a01";

/// Installs [`TEST_DATA_KEY`] as the process's keyring (once; again is a no-op).
pub fn install_test_data_key() {
    let key = muster::domain::sealing::DataKey::parse(TEST_DATA_KEY).unwrap();
    assert!(
        muster::domain::sealing::install(muster::domain::sealing::Keyring::new(key, None)).is_ok(),
        "the test process holds another data key"
    );
}

pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789";

pub fn test_secret() -> JwtSecret {
    JwtSecret::from_bytes(TEST_SECRET.as_bytes().to_vec())
}

/// Runs one async test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(db) = $crate::common::TestDb::new($crate::common::Backend::Sqlite).await {
                    super::$name(db).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::common::TestDb::new($crate::common::Backend::Postgres).await {
                    super::$name(db).await;
                }
            }
        }
    )+};
}

/// Posts a GraphQL operation and returns the JSON body (status 200 expected).
pub async fn graphql<E: Endpoint>(client: &TestClient<E>, query: &str, variables: Value) -> Value {
    let response = client
        .post("/graphql")
        .body_json(&json!({ "query": query, "variables": variables }))
        .send()
        .await;
    response.assert_status_is_ok();
    response.json().await.value().deserialize()
}

pub const LOGIN: &str = "mutation($email: String!, $password: String!) { \
    login(email: $email, password: $password) { token expiresAt user { id email role } } }";

/// Signs in over the API: the body, whatever the outcome.
pub async fn login<E: Endpoint>(client: &TestClient<E>, email: &str, password: &str) -> Value {
    let (_, body) = graphql_as(client, None, LOGIN, json!({ "email": email, "password": password })).await;
    body
}

/// The rows of one statement in raw SQL, for what the entities do not
/// show: pragmas, the catalogue, values as they are stored.
pub async fn sql_rows(conn: &impl ConnectionTrait, sql: impl Into<String>) -> Vec<sea_orm::QueryResult> {
    conn.query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// Posts a GraphQL operation with an optional bearer token; returns the
/// HTTP status and the JSON body.
pub async fn graphql_as<E: Endpoint>(
    client: &TestClient<E>,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (u16, Value) {
    let mut request = client
        .post("/graphql")
        .body_json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let response = request.send().await;
    let status = response.0.status().as_u16();
    let body = response.0.into_body().into_string().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
}

/// Runs one GraphQL operation against an app whose connection counts the
/// SQL statements it sends; returns the count and the body. `SHOW_SQL=1`
/// prints them.
pub async fn count_statements(db: &TestDb, token: Option<&str>, query: &str, variables: Value) -> (usize, Value) {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
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
    let (_, body) = graphql_as(&client, token, query, variables).await;
    (counter.load(Ordering::SeqCst), body)
}

/// How often `needle` stands in the raw bytes of the SQLite database file
/// and its write-ahead log together, ignoring ASCII letter case: free pages
/// and the log's old copies of pages included, which no query sees. `None`
/// on PostgreSQL, whose files an application cannot reach (README says
/// what its operators must do).
pub fn on_disk(db: &TestDb, needle: &str) -> Option<usize> {
    let file = muster::config::DatabaseUrl::parse(&db.url)
        .ok()?
        .sqlite_file()?
        .to_path_buf();
    let needle = needle.to_ascii_lowercase().into_bytes();
    let mut count = 0;
    for suffix in ["", "-wal"] {
        let Ok(bytes) = std::fs::read(format!("{}{suffix}", file.display())) else {
            continue;
        };
        let bytes = bytes.to_ascii_lowercase();
        count += bytes.windows(needle.len()).filter(|w| *w == needle.as_slice()).count();
    }
    Some(count)
}
