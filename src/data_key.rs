//! The data key at start and in `muster rotate-data-key`: load the keys
//! the configuration names, refuse to go on when the database holds values
//! sealed under a key we do not hold (one clear line, nothing served),
//! seal what an older release left in plain text, and install the ring for
//! the process. Never logs a key, only key ids.

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    config::{self, Config, DataKeyOrigin},
    domain::sealing::{self, Keyring, store},
};

/// Loads and checks the ring for `db`; seals plain rows; installs it.
pub async fn prepare(config: &Config, db: &DatabaseConnection) -> anyhow::Result<()> {
    let ring = load(config, db).await?;
    let sealed = store::seal_plain_rows(db, &ring)
        .await
        .map_err(|e| anyhow::anyhow!("sealing personal fields: {e}"))?;
    let total: u64 = sealed.iter().map(|(_, n)| n).sum();
    if total > 0 {
        // secure_delete zeroes what a change frees, but a page rebuilt when
        // a grown row moved can keep fragments of the old cells (measured on
        // a scaled demo: one plain contact left of 3,775 rows). Sealing is
        // done once, before serving: VACUUM rewrites the file from the live
        // rows alone, and the checkpoint then empties the write-ahead log.
        if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            db.execute_unprepared("VACUUM").await.context("VACUUM after sealing")?;
        }
        crate::db::wipe_freed(db).await.context("checkpoint after sealing")?;
        tracing::info!(
            users = sealed[0].1,
            requests = sealed[1].1,
            account_links = sealed[2].1,
            key = ring.current_id(),
            "sealed personal fields held in plain text"
        );
    }
    install(ring)
}

fn install(ring: Keyring) -> anyhow::Result<()> {
    Ok(sealing::install(ring)?)
}

/// The ring the configuration names, checked against what `db` holds.
pub async fn load(config: &Config, db: &DatabaseConnection) -> anyhow::Result<Keyring> {
    let any_sealed = store::any_sealed(db)
        .await
        .map_err(|e| anyhow::anyhow!("reading sealed fields: {e}"))?;
    let (current, origin) = config::load_data_key(&config.data_key, "MUSTER_DATA_KEY", !any_sealed)?;
    if let (DataKeyOrigin::FileCreated, config::DataKeySource::File(path)) = (&origin, &config.data_key) {
        tracing::info!(
            file = %path.display(),
            key = current.id(),
            "generated a new data key (mode 0600); keep it out of the database's backups"
        );
    }
    let previous = match &config.data_key_previous {
        Some(source) => Some(config::load_data_key(source, "MUSTER_DATA_KEY_PREVIOUS", false)?.0),
        None => None,
    };
    let ring = Keyring::new(current, previous);
    if let Some(foreign) = store::foreign_key_id(db, &ring)
        .await
        .map_err(|e| anyhow::anyhow!("reading sealed fields: {e}"))?
    {
        bail!(
            "MUSTER_DATA_KEY: the database holds personal fields sealed under data key {foreign}, which this \
             server does not hold (it holds {}); give it that key (MUSTER_DATA_KEY, MUSTER_DATA_KEY_FILE or, \
             during a rotation, MUSTER_DATA_KEY_PREVIOUS): nothing is served without it",
            ring.current_id()
        );
    }
    Ok(ring)
}

/// What a rotation did.
#[derive(Debug, Default)]
pub struct Rotated {
    pub rows: u64,
    pub batches: u64,
}

/// Re-seals every value under the current key, a committed batch at a
/// time, calling `report` after each with the rows done and the rows left
/// at the start, `batch_rows` rows a batch. Stops early after `max_batches` when given (to resume
/// later: a new run takes what is left). The ring must hold the previous
/// key for rows sealed under it.
pub async fn rotate(
    db: &DatabaseConnection,
    ring: &Keyring,
    batch_rows: u64,
    max_batches: Option<u64>,
    mut report: impl FnMut(&str, u64, u64),
) -> anyhow::Result<Rotated> {
    let left = store::left_to_rotate(db, ring)
        .await
        .map_err(|e| anyhow::anyhow!("counting rows to re-seal: {e}"))?;
    let mut done = Rotated::default();
    for (table, (name, total)) in store::TABLES.into_iter().zip(left) {
        let mut rows = 0;
        loop {
            if max_batches.is_some_and(|max| done.batches >= max) {
                return Ok(done);
            }
            let n = store::rotate_batch(db, table, ring, batch_rows)
                .await
                .map_err(|e| anyhow::anyhow!("re-sealing {name}: {e}"))?;
            if n == 0 {
                break;
            }
            rows += n;
            done.rows += n;
            done.batches += 1;
            report(name, rows.min(total), total);
        }
    }
    crate::db::wipe_freed(db).await.context("checkpoint after re-sealing")?;
    Ok(done)
}
