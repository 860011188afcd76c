//! Rendered public feeds, kept while their version is current.
//!
//! Calendar apps poll the same few feeds over and over; between two changes
//! of the data every poll would render the same bytes. A feed is rendered
//! once per [`FeedVersion`] and its body (and, when first asked for, its
//! gzip) is shared by every request until the version moves on. Concurrent
//! requests for a feed that is not rendered yet wait for one render instead
//! of each starting their own.
//!
//! The cache only saves work: the version comes from the database on every
//! request, so several instances behind a load balancer never serve a
//! feed older than the data, and losing the cache loses nothing. Filters
//! come from the query string, so anyone can make new keys: the cache is
//! bounded in entries and bytes and drops the least recently used.
//! Private feeds are not kept here (one per person would crowd out the
//! shared ones, and each is fetched by one calendar), and neither is any
//! render made for one person: what is kept is rendered for everyone
//! (`feeds::render_selection`, with `VenueAccess::nobody()`), so it never
//! holds a venue kept for those going.

use std::{
    collections::HashMap,
    future::Future,
    io::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use bytes::Bytes;
use flate2::{Compression, write::GzEncoder};
use tokio::sync::OnceCell;

use crate::{
    domain::feeds::FeedVersion,
    error::{Error, Result},
};

/// Most distinct feeds kept at once.
const MAX_ENTRIES: usize = 256;
/// Most bytes of rendered feeds kept at once (bodies and their gzips).
/// A 2,000-event feed is about 1.3 MB, so the busiest feeds all fit.
const MAX_BYTES: usize = 128 * 1024 * 1024;

/// One rendered version of a feed.
#[derive(Debug)]
pub struct RenderedFeed {
    pub body: Bytes,
    gzip: OnceCell<Bytes>,
}

impl RenderedFeed {
    pub fn new(body: String) -> Self {
        Self {
            body: Bytes::from(body),
            gzip: OnceCell::new(),
        }
    }

    /// The body gzipped, compressed on first use off the async workers
    /// (a 100,000-event feed takes a fraction of a second).
    pub async fn gzip(&self) -> Result<Bytes> {
        let body = self.body.clone();
        self.gzip
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || gzip(&body, Compression::default()))
                    .await
                    .map_err(|e| Error::Internal(anyhow::anyhow!("gzip task failed: {e}")))?
            })
            .await
            .cloned()
    }

    fn size(&self) -> usize {
        self.body.len() + self.gzip.get().map_or(0, Bytes::len)
    }
}

/// Gzips `body` at `level`; feeds compress about eight to one.
pub fn gzip(body: &[u8], level: Compression) -> Result<Bytes> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 6), level);
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .map(Bytes::from)
        .map_err(|e| Error::Internal(anyhow::anyhow!("gzip failed: {e}")))
}

struct Entry {
    version: FeedVersion,
    rendered: Arc<OnceCell<Arc<RenderedFeed>>>,
    last_used: u64,
}

/// The process's rendered public feeds, keyed by the feed's canonical filter.
#[derive(Default)]
pub struct FeedCache {
    entries: Mutex<HashMap<String, Entry>>,
    /// Counts lookups too: the recency of each entry is the count then.
    clock: AtomicU64,
    /// Lookups that rendered; the others were served by a kept render (or
    /// by waiting for another request's render of the same version).
    misses: AtomicU64,
}

/// What the cache did and holds, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCacheStats {
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
    pub bytes: usize,
}

impl FeedCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The feed `key` at `version`: the kept render, or `render`'s result,
    /// which is then kept. One render runs per key and version at a time.
    pub async fn get_or_render<F>(&self, key: &str, version: FeedVersion, render: F) -> Result<Arc<RenderedFeed>>
    where
        F: Future<Output = Result<String>>,
    {
        let cell = self.cell(key, version);
        let rendered = cell
            .get_or_try_init(|| async {
                self.misses.fetch_add(1, Ordering::Relaxed);
                Ok::<_, Error>(Arc::new(RenderedFeed::new(render.await?)))
            })
            .await?
            .clone();
        self.evict();
        Ok(rendered)
    }

    /// The slot for `key` at `version`, replacing one of an older version.
    fn cell(&self, key: &str, version: FeedVersion) -> Arc<OnceCell<Arc<RenderedFeed>>> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.lock();
        match entries.get_mut(key) {
            Some(entry) if entry.version == version => {
                entry.last_used = now;
                entry.rendered.clone()
            }
            _ => {
                let rendered = Arc::new(OnceCell::new());
                entries.insert(
                    key.to_owned(),
                    Entry {
                        version,
                        rendered: rendered.clone(),
                        last_used: now,
                    },
                );
                rendered
            }
        }
    }

    /// Drops the least recently used feeds until the cache is within bounds.
    fn evict(&self) {
        let mut entries = self.lock();
        let mut bytes: usize = entries
            .values()
            .filter_map(|entry| entry.rendered.get())
            .map(|feed| feed.size())
            .sum();
        while entries.len() > MAX_ENTRIES || bytes > MAX_BYTES {
            let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(key, _)| key.clone())
            else {
                return;
            };
            if let Some(feed) = entries.remove(&oldest).and_then(|entry| entry.rendered.get().cloned()) {
                bytes = bytes.saturating_sub(feed.size());
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves a map that is still
        // consistent (every change is one insert or remove).
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hits, misses and what is kept now. A lookup that did not render
    /// was served from the cache (a failed render counts as a miss).
    pub fn stats(&self) -> FeedCacheStats {
        let misses = self.misses.load(Ordering::Relaxed);
        let lookups = self.clock.load(Ordering::Relaxed);
        let entries = self.lock();
        FeedCacheStats {
            hits: lookups.saturating_sub(misses),
            misses,
            entries: entries.len(),
            bytes: entries
                .values()
                .filter_map(|entry| entry.rendered.get())
                .map(|feed| feed.size())
                .sum(),
        }
    }

    /// Feeds kept now, for tests.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::AtomicUsize;

    use chrono::{TimeZone, Utc};

    use super::*;

    fn version(events: i64) -> FeedVersion {
        FeedVersion {
            events,
            last_event_change: Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).single(),
            last_group_change: None,
            last_topic_change: None,
            last_series_change: None,
        }
    }

    #[tokio::test]
    async fn renders_once_per_version() {
        let cache = FeedCache::new();
        let renders = AtomicUsize::new(0);
        let render = |body: &'static str| {
            let renders = &renders;
            async move {
                renders.fetch_add(1, Ordering::SeqCst);
                Ok(body.to_owned())
            }
        };
        let first = cache.get_or_render("all", version(1), render("one")).await.unwrap();
        let again = cache.get_or_render("all", version(1), render("other")).await.unwrap();
        assert_eq!((&first.body[..], &again.body[..]), (&b"one"[..], &b"one"[..]));
        let next = cache.get_or_render("all", version(2), render("two")).await.unwrap();
        assert_eq!(&next.body[..], b"two");
        assert_eq!(renders.load(Ordering::SeqCst), 2);
        assert_eq!(cache.len(), 1, "a new version replaces the old one");
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (1, 2, 1));
        assert_eq!(stats.bytes, 3, "only the current version's body is kept");
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_render() {
        let cache = FeedCache::new();
        let renders = AtomicUsize::new(0);
        let render = || async {
            renders.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok("body".to_owned())
        };
        let (a, b) = tokio::join!(
            cache.get_or_render("all", version(1), render()),
            cache.get_or_render("all", version(1), render())
        );
        assert_eq!(a.unwrap().body, b.unwrap().body);
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (1, 1), "the waiter counts as a hit");
    }

    #[tokio::test]
    async fn a_failed_render_is_not_kept() {
        let cache = FeedCache::new();
        let failed = cache
            .get_or_render("all", version(1), async { Err(Error::NotFound) })
            .await;
        assert!(failed.is_err());
        let ok = cache
            .get_or_render("all", version(1), async { Ok("body".to_owned()) })
            .await
            .unwrap();
        assert_eq!(&ok.body[..], b"body");
    }

    #[tokio::test]
    async fn stays_within_its_entry_bound() {
        let cache = FeedCache::new();
        for i in 0..MAX_ENTRIES + 10 {
            cache
                .get_or_render(&format!("feed-{i}"), version(1), async { Ok("x".to_owned()) })
                .await
                .unwrap();
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
    }

    #[tokio::test]
    async fn gzip_round_trips() {
        use std::io::Read;
        let feed = RenderedFeed::new("BEGIN:VCALENDAR\r\n".repeat(1000));
        let compressed = feed.gzip().await.unwrap();
        assert!(compressed.len() < feed.body.len() / 10);
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain.as_bytes(), &feed.body[..]);
    }
}
