//! A fresh, migrated database for one bench run: a SQLite file in a temp
//! dir, or a new PostgreSQL database on the server that
//! `MUSTER_TEST_POSTGRES_URL` names (as the tests do), dropped at the end.

use anyhow::Context;
use muster::{config::DatabaseUrl, db};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

pub const POSTGRES_ENV: &str = "MUSTER_TEST_POSTGRES_URL";

pub struct BenchDb {
    pub name: &'static str,
    pub url: String,
    pub conn: DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
    /// The server's admin URL and the database to drop.
    postgres: Option<(String, String)>,
}

/// A data key for the benchmarks' own databases (thrown away with them).
fn install_data_key() -> anyhow::Result<()> {
    use muster::domain::sealing::{DataKey, Keyring, install};
    let key = DataKey::parse(&"b3".repeat(32)).context("the benchmarks' data key")?;
    install(Keyring::new(key, None)).map_err(|_| anyhow::anyhow!("this process holds another data key"))
}

impl BenchDb {
    pub async fn sqlite() -> anyhow::Result<Self> {
        install_data_key()?;
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("muster.db").display());
        let conn = db::connect(&DatabaseUrl::parse(&url)?).await?;
        db::migrate(&conn).await?;
        Ok(Self {
            name: "sqlite",
            url,
            conn,
            _dir: Some(dir),
            postgres: None,
        })
    }

    /// `None` when no PostgreSQL server is configured.
    pub async fn postgres() -> anyhow::Result<Option<Self>> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            return Ok(None);
        };
        install_data_key()?;
        let name = format!("muster_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .with_context(|| format!("connecting to the server {POSTGRES_ENV} names"))?;
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
        admin.close().await?;
        let mut url = url::Url::parse(&admin_url)?;
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let conn = db::connect(&DatabaseUrl::parse(&url)?).await?;
        let db = Self {
            name: "postgres",
            url,
            conn,
            _dir: None,
            postgres: Some((admin_url, name)),
        };
        db::migrate(&db.conn).await?;
        Ok(Some(db))
    }

    /// Closes the pool and drops a PostgreSQL database (the SQLite file goes
    /// with its temp dir).
    pub async fn remove(self) -> anyhow::Result<()> {
        self.conn.close().await?;
        if let Some((admin_url, name)) = &self.postgres {
            let admin = Database::connect(admin_url).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
            admin.close().await?;
        }
        Ok(())
    }
}
