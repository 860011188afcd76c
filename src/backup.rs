//! `muster backup` and `muster restore` for SQLite databases.
//!
//! A backup is written with `VACUUM INTO`: SQLite copies the database as one
//! read transaction, so the copy is the database as it stood when the backup
//! began, whatever the server writes meanwhile (WAL readers do not block the
//! writer, and the writer does not block them). Copying the file with `cp`
//! can tear it: the `-wal` file holds writes the main file does not have yet.
//!
//! A restore refuses a database that is in use. "In use" is what SQLite's own
//! locks say: every open connection of a WAL database (a running `muster
//! serve`, a `sqlite3` shell) holds a shared lock on the file, so a
//! connection in exclusive locking mode cannot take its lock while any other
//! is open. The restore takes that lock with no busy wait, releases it, then
//! moves a verified copy of the backup into place and removes the old `-wal`
//! and `-shm` files (their frames belong to the replaced database). A server
//! started in the instant between the check and the move is not detected:
//! stop the service before restoring.
//!
//! PostgreSQL has its own tools for both (`pg_dump`, `pg_restore`; see the
//! README); these commands refuse a PostgreSQL URL and say so.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::{
    config::DatabaseUrl,
    progress::{Progress, Unit},
};

/// How often the copy's size is read while `VACUUM INTO` writes it.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What a finished backup or restore reports.
#[derive(Debug, Clone)]
pub struct Copied {
    pub bytes: u64,
    pub elapsed: Duration,
}

fn sqlite_file(url: &DatabaseUrl, command: &str) -> anyhow::Result<PathBuf> {
    if !url.is_sqlite() {
        bail!(
            "{command} works on SQLite databases; for PostgreSQL use pg_dump and pg_restore (see the README, \
             \"Running it for a network\")"
        );
    }
    url.sqlite_file()
        .with_context(|| format!("{command}: MUSTER_DATABASE_URL names no database file"))
}

fn sqlite_url(file: &Path, mode: &str) -> String {
    format!("sqlite://{}?mode={mode}", file.display())
}

/// One connection, no statement logging (parameters can be personal data).
async fn open_one(url: String) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(1)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Ok(Database::connect(options).await?)
}

async fn single_text(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await?;
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).map_err(anyhow::Error::from))
        .collect()
}

/// Checks that `file` is a sound muster database: `PRAGMA integrity_check`
/// answers `ok` and the migrations table is there.
pub async fn verify(file: &Path) -> anyhow::Result<()> {
    let db = open_one(sqlite_url(file, "ro")).await?;
    let integrity = single_text(&db, "PRAGMA integrity_check").await?;
    if integrity != ["ok"] {
        bail!(
            "{} fails PRAGMA integrity_check: {}",
            file.display(),
            integrity.join("; ")
        );
    }
    let tables = single_text(
        &db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
    )
    .await?;
    db.close().await?;
    if tables.is_empty() {
        bail!(
            "{} is not a muster database (it has no migrations table)",
            file.display()
        );
    }
    Ok(())
}

/// The bytes of the database's pages in use: about the size of its
/// vacuumed copy, against which the copy's progress is shown.
async fn pages_in_use(db: &DatabaseConnection) -> anyhow::Result<u64> {
    let mut values = Vec::new();
    for pragma in ["PRAGMA page_count", "PRAGMA freelist_count", "PRAGMA page_size"] {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), pragma.to_owned()))
            .await?
            .context("a PRAGMA answered no row")?;
        values.push(u64::try_from(row.try_get_by_index::<i64>(0)?).unwrap_or_default());
    }
    Ok(values[0].saturating_sub(values[1]) * values[2])
}

/// Writes a consistent copy of the database at `url` to `destination`,
/// which must not exist yet. The server may keep running and writing.
/// `progress` is told the bytes written so far, then the verification.
pub async fn backup(url: &DatabaseUrl, destination: &Path, progress: &Progress) -> anyhow::Result<Copied> {
    let source = sqlite_file(url, "backup")?;
    if !source.exists() {
        bail!("backup: there is no database at {}", source.display());
    }
    // The copy holds everyone's personal data: it is made readable by its
    // owner alone before a byte goes into it (VACUUM INTO accepts an empty
    // file), and creating it fails if the path is taken.
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(destination)
            .map_err(|err| match err.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    anyhow::anyhow!("backup: {} already exists; choose a new file", destination.display())
                }
                _ => anyhow::anyhow!("backup: cannot create {}: {err}", destination.display()),
            })?;
    }
    let destination_text = destination
        .to_str()
        .context("backup: the destination path is not valid UTF-8")?;
    let started = Instant::now();
    let db = open_one(sqlite_url(&source, "ro")).await?;
    progress.stage("copying", Some(pages_in_use(&db).await?), Unit::Bytes);
    let vacuumed = {
        let vacuum = db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "VACUUM INTO ?",
            [destination_text.into()],
        ));
        tokio::pin!(vacuum);
        // SQLite writes the copy as it goes (its page cache spills), so the
        // copy's size says how far it is.
        let mut ticks = tokio::time::interval(PROGRESS_EVERY);
        loop {
            tokio::select! {
                result = &mut vacuum => break result,
                _ = ticks.tick() => {
                    if let Ok(written) = std::fs::metadata(destination) {
                        progress.set_done(written.len());
                    }
                }
            }
        }
    };
    vacuumed.with_context(|| format!("backup: cannot write {}", destination.display()))?;
    db.close().await?;
    let bytes = std::fs::metadata(destination)?.len();
    progress.set_done(bytes);
    progress.stage_done();
    progress.stage("verifying", None, Unit::Bytes);
    verify(destination).await.context("backup: the copy does not verify")?;
    progress.stage_done();
    Ok(Copied {
        bytes,
        elapsed: started.elapsed(),
    })
}

/// Whether another connection has the SQLite database at `file` open.
pub async fn in_use(file: &Path) -> anyhow::Result<bool> {
    if !file.exists() {
        return Ok(false);
    }
    let db = open_one(sqlite_url(file, "rw")).await?;
    let backend = db.get_database_backend();
    for pragma in ["PRAGMA busy_timeout = 0", "PRAGMA locking_mode = EXCLUSIVE"] {
        db.query_all_raw(Statement::from_string(backend, pragma.to_owned()))
            .await?;
    }
    let locked = match db
        .execute_raw(Statement::from_string(backend, "BEGIN EXCLUSIVE".to_owned()))
        .await
    {
        Ok(_) => {
            db.execute_raw(Statement::from_string(backend, "ROLLBACK".to_owned()))
                .await?;
            false
        }
        Err(err) if err.to_string().contains("locked") || err.to_string().contains("busy") => true,
        Err(err) => return Err(err.into()),
    };
    db.close().await?;
    Ok(locked)
}

/// Replaces the (stopped) database at `url` with the backup at `source`.
/// `progress` is told of the verification, then the bytes copied.
pub async fn restore(url: &DatabaseUrl, source: &Path, progress: &Progress) -> anyhow::Result<Copied> {
    let target = sqlite_file(url, "restore")?;
    if !source.is_file() {
        bail!("restore: there is no backup at {}", source.display());
    }
    let started = Instant::now();
    progress.stage("verifying", None, Unit::Bytes);
    verify(source).await.context("restore: the backup does not verify")?;
    progress.stage_done();
    if in_use(&target).await.context("restore: cannot check the database")? {
        bail!(
            "restore: {} is in use (a running server or another program has it open); stop it first",
            target.display()
        );
    }
    let mut staged = target.clone().into_os_string();
    staged.push(".restoring");
    let staged = PathBuf::from(staged);
    copy_reporting(source, &staged, progress).with_context(|| format!("restore: cannot write {}", staged.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).context("restore: cannot remove the old write-ahead log"),
        }
    }
    std::fs::rename(&staged, &target).with_context(|| format!("restore: cannot move into {}", target.display()))?;
    let bytes = std::fs::metadata(&target)?.len();
    Ok(Copied {
        bytes,
        elapsed: started.elapsed(),
    })
}

/// Copies `from` to a new file `to` in large pieces, telling `progress`
/// the bytes copied, and syncs it to disk.
fn copy_reporting(from: &Path, to: &Path, progress: &Progress) -> std::io::Result<()> {
    const PIECE: usize = 4 * 1024 * 1024;
    let mut reader = std::fs::File::open(from)?;
    let metadata = reader.metadata()?;
    let total = metadata.len();
    let mut writer = std::fs::File::create(to)?;
    // As `fs::copy` does: the database is as private as the backup was.
    writer.set_permissions(metadata.permissions())?;
    progress.stage("copying", Some(total), Unit::Bytes);
    let mut buffer = vec![0; PIECE];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        writer.write_all(&buffer[..read])?;
        progress.advance(read as u64);
    }
    writer.sync_all()?;
    progress.stage_done();
    Ok(())
}
