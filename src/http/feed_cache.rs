//! Rendered feeds, kept while their version is current.
//!
//! Calendar apps poll the same feeds over and over; between two changes
//! of the data every poll would render the same bytes. A feed is rendered
//! once per version (a [`Tag`]: the digest its ETag is made from) and its
//! body (and, when first asked for, its gzip) is shared by every request
//! until the version moves on. Concurrent requests for a feed that is not
//! rendered yet wait for one render instead of each starting their own.
//!
//! The cache only saves work: the version is known to be current before
//! the cache is asked (see `feed_versions`), so several instances behind a
//! load balancer never serve a feed older than the data, and losing the
//! cache loses nothing. Filters come from the query string, so anyone can
//! make new keys: the cache is bounded in entries and bytes and drops the
//! least recently used.
//!
//! The server keeps two: one for the shared feeds, rendered for everyone
//! (`feeds::render_selection`, with `VenueAccess::nobody()`, so it never
//! holds a venue kept for those going), and a smaller one for private
//! feeds, each keyed by its owner and only ever read after that owner's
//! token was resolved, so that one person's renders cannot crowd out the
//! shared ones or reach anyone else.

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

use crate::error::{Error, Result};

/// A feed's version, as the digest its ETag is written from.
pub type Tag = [u8; 16];

/// Most distinct shared feeds kept at once.
const MAX_ENTRIES: usize = 256;
/// Most bytes of rendered shared feeds kept at once (bodies and their
/// gzips) when no budget is set: 64 MiB, four fifths of
/// `MUSTER_FEED_CACHE_MB`'s default. A 2,000-event feed is about 1.3 MB,
/// so the busiest feeds fit.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Private feeds kept at once: the ones being fetched again soon (a
/// calendar that does not send `If-None-Match`, a person on two devices).
const MAX_PRIVATE_ENTRIES: usize = 64;

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
    version: Tag,
    rendered: Arc<OnceCell<Arc<RenderedFeed>>>,
    last_used: u64,
}

/// The process's rendered feeds, keyed by the feed's canonical filter (or
/// its owner).
pub struct FeedCache {
    entries: Mutex<HashMap<String, Entry>>,
    max_entries: usize,
    max_bytes: usize,
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

impl Default for FeedCache {
    fn default() -> Self {
        Self::with_bounds(MAX_ENTRIES, MAX_BYTES)
    }
}

impl FeedCache {
    /// The cache of shared feeds.
    pub fn new() -> Self {
        Self::default()
    }

    /// The caches of shared and of private feeds within `mib` MiB of
    /// renders: four fifths for shared feeds, one fifth for private ones.
    pub fn within(mib: usize) -> (Self, Self) {
        let bytes = mib * 1024 * 1024;
        (
            Self::with_bounds(MAX_ENTRIES, bytes / 5 * 4),
            Self::with_bounds(MAX_PRIVATE_ENTRIES, bytes / 5),
        )
    }

    /// The smaller cache of private feeds, with the default budget.
    pub fn private() -> Self {
        Self::within(MAX_BYTES / 4 * 5 / (1024 * 1024)).1
    }

    fn with_bounds(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            entries: Mutex::default(),
            max_entries,
            max_bytes,
            clock: AtomicU64::default(),
            misses: AtomicU64::default(),
        }
    }

    /// The kept render of `key` at `version`, if there is one (counted as
    /// a hit); nothing is rendered.
    pub fn peek(&self, key: &str, version: Tag) -> Option<Arc<RenderedFeed>> {
        let mut entries = self.lock();
        let entry = entries.get_mut(key).filter(|entry| entry.version == version)?;
        let rendered = entry.rendered.get()?.clone();
        entry.last_used = self.clock.fetch_add(1, Ordering::Relaxed);
        Some(rendered)
    }

    /// The feed `key` at `version`: the kept render, or `render`'s result,
    /// which is then kept. One render runs per key and version at a time.
    pub async fn get_or_render<F>(&self, key: &str, version: Tag, render: F) -> Result<Arc<RenderedFeed>>
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
    fn cell(&self, key: &str, version: Tag) -> Arc<OnceCell<Arc<RenderedFeed>>> {
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
        while entries.len() > self.max_entries || bytes > self.max_bytes {
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

    use super::*;

    fn version(events: u8) -> Tag {
        [events; 16]
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
    async fn peek_finds_only_the_current_version_already_rendered() {
        let cache = FeedCache::private();
        assert!(cache.peek("mine", version(1)).is_none());
        cache
            .get_or_render("mine", version(1), async { Ok("body".to_owned()) })
            .await
            .unwrap();
        assert_eq!(&cache.peek("mine", version(1)).unwrap().body[..], b"body");
        assert!(cache.peek("mine", version(2)).is_none(), "another version");
        assert!(cache.peek("yours", version(1)).is_none(), "another key");
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
