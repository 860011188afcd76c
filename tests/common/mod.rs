//! Test harness: every test gets its own real database — a fresh SQLite file,
//! or a fresh PostgreSQL database when `MUSTER_TEST_POSTGRES_URL` is set — so
//! tests run in parallel and never see each other's rows.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use muster::{
    AppState,
    config::{Config, JwtSecret},
    db,
};
use poem::{Endpoint, test::TestClient};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

pub const POSTGRES_ENV: &str = "MUSTER_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated database that exists for one test.
pub struct TestDb {
    pub url: String,
    pub conn: DatabaseConnection,
    pub backend: Backend,
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
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("muster.db").display());
        let conn = db::connect(&muster::config::DatabaseUrl::parse(&url).unwrap())
            .await
            .expect("open sqlite");
        Self {
            url,
            conn,
            backend: Backend::Sqlite,
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
        let name = format!("muster_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to the PostgreSQL test server");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("postgres URL");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let conn = db::connect(&muster::config::DatabaseUrl::parse(&url).unwrap())
            .await
            .expect("open postgres");
        Some(Self {
            url,
            conn,
            backend: Backend::Postgres,
            _dir: None,
            postgres_cleanup: Some((admin_url, name)),
        })
    }

    pub fn config(&self) -> Config {
        let url = self.url.clone();
        Config::from_lookup(move |name| (name == "MUSTER_DATABASE_URL").then(|| url.clone())).unwrap()
    }

    pub fn state(&self) -> AppState {
        AppState::new(self.conn.clone(), &self.config(), &test_secret())
    }

    pub fn app(&self) -> TestClient<impl Endpoint> {
        TestClient::new(muster::app(self.state()))
    }
}

impl Drop for TestDb {
    /// Drops the PostgreSQL database on a thread of its own: `Drop` cannot
    /// await, and the test's runtime may already be shutting down.
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres_cleanup.take() {
            let conn = self.conn.clone();
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async move {
                    conn.close().await.ok();
                    let admin = Database::connect(&admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
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

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}
