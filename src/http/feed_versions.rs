//! What this server last worked out each feed's version to be, and at
//! which change stamp: the check that makes an unchanged feed cost one
//! tiny statement.
//!
//! A feed's version (`domain::feeds::FeedVersion`, or a person's
//! `PrivateFeedVersion`) takes an aggregate over the feed's events, and a
//! private feed's also resolving its token and loading its owner. Both can
//! change only by a write to what feeds are made from, or by time (an
//! event leaving the window). Every such write moves the change stamp
//! (`feeds::change_stamp`, kept by triggers in the same transaction as
//! the write, whichever instance or command made it). So a version worked
//! out at stamp `s` holds for as long as the stamp still reads `s` and no
//! event of the feed has left its window: each request reads the stamp
//! (one row by its key) and, when both hold, answers from here.
//!
//! The stamp is read before the version is worked out, so a write landing
//! in between leaves an entry under the older stamp, which the next
//! request finds moved: an entry may be newer than its stamp, never older.
//! When unsure (the stamp cannot be read, no entry, another stamp, the
//! window's first end passed, a token's use due to be written down) the
//! version is worked out again from the database, as before this existed.
//!
//! Several instances on one PostgreSQL stay in step without talking to
//! each other: each reads the same row, which a commit moves before any
//! instance can see the write. (`LISTEN/NOTIFY` would spare the read but
//! arrives after the commit, so a request straight after a change could
//! still be answered from before it.)
//!
//! Entries hold a digest and the hash of a private feed's token (never the
//! secret); they are bounded, and dropped wholesale when full, which only
//! costs the next request of each feed its query.
//!
//! Requests that arrive while a stamp read is running share the next one
//! ([`FeedVersions::stamp`]): each needs a read that began after it
//! arrived, and any such read will do. At rest every request reads for
//! itself; under load one statement answers all the requests that came
//! in during the read before it.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::feed_cache::Tag;
use crate::{domain::feeds, error::Result};

/// Most feeds remembered at once: a national network's subscribers, with
/// room to spare, at about 200 bytes each.
const MAX_ENTRIES: usize = 100_000;

/// A feed's version as last worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The change stamp read before the version was worked out.
    pub stamp: i64,
    /// The version's digest (the ETag is written from it).
    pub tag: Tag,
    /// The last instant the version holds with no write: when the feed's
    /// first event leaves the window (or, for a private feed, when its
    /// token's use is next to be written down). `None`: time alone never
    /// changes it.
    pub until: Option<DateTime<Utc>>,
    /// Under which key the render cache keeps this feed.
    pub render_key: String,
    /// How many events it holds (to size a render).
    pub events: usize,
}

/// The versions this server knows, by feed.
#[derive(Default)]
pub struct FeedVersions {
    entries: Mutex<HashMap<String, Known>>,
    stamp_reads: SharedReads,
}

/// Reads shared by the requests that wait for one (see the module's
/// header).
#[derive(Default)]
struct SharedReads {
    /// Reads begun so far: a read numbered above what a request saw here
    /// on arrival began after it arrived.
    begun: AtomicU64,
    /// The last read that succeeded, by number. Held while a read runs, so
    /// the requests arriving meanwhile wait for it and then share the next.
    latest: tokio::sync::Mutex<Option<(u64, i64)>>,
}

impl SharedReads {
    async fn read<F>(&self, read: impl FnOnce() -> F) -> Option<i64>
    where
        F: Future<Output = Result<i64>>,
    {
        let seen = self.begun.load(Ordering::SeqCst);
        let mut latest = self.latest.lock().await;
        if let Some((number, value)) = *latest
            && number > seen
        {
            return Some(value);
        }
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let value = read().await.ok()?;
        *latest = Some((number, value));
        Some(value)
    }
}

impl FeedVersions {
    pub fn new() -> Self {
        Self::default()
    }

    /// The change stamp as of a read that began after this call: every
    /// write committed before it is counted. `None` when it cannot be
    /// read (the caller then works the version out from the database).
    pub async fn stamp(&self, db: &DatabaseConnection) -> Option<i64> {
        self.stamp_reads.read(|| feeds::change_stamp(db)).await
    }

    /// The version of `feed` if it is known to hold at `stamp` and `now`.
    pub fn get(&self, feed: &str, stamp: i64, now: DateTime<Utc>) -> Option<Known> {
        self.lock()
            .get(feed)
            .filter(|known| known.stamp == stamp && known.until.is_none_or(|until| now <= until))
            .cloned()
    }

    /// Remembers `known` for `feed`, replacing what was known before.
    pub fn remember(&self, feed: &str, known: Known) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(feed) {
            // Entries of an older stamp answer nothing any more.
            let stamp = known.stamp;
            entries.retain(|_, entry| entry.stamp == stamp);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(feed.to_owned(), known);
    }

    /// Forgets `feed` (its token no longer opens it).
    pub fn forget(&self, feed: &str) {
        self.lock().remove(feed);
    }

    /// Feeds remembered now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Known>> {
        // Every change is one insert, remove or retain: a panic elsewhere
        // while holding the lock leaves a consistent map.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use chrono::{Duration, TimeZone};

    use super::*;

    #[tokio::test]
    async fn requests_at_rest_read_for_themselves_and_those_that_wait_share_a_later_read() {
        let reads = Arc::new(SharedReads::default());
        let count = Arc::new(AtomicU64::new(0));
        let counted = || {
            let count = count.clone();
            async move { Ok(i64::try_from(count.fetch_add(1, Ordering::SeqCst)).unwrap() + 1) }
        };
        assert_eq!(reads.read(counted).await, Some(1));
        assert_eq!(reads.read(counted).await, Some(2), "one after another, each reads");

        // A read held open; three requests arrive during it.
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let slow = tokio::spawn({
            let (reads, count) = (reads.clone(), count.clone());
            async move {
                reads
                    .read(|| async move {
                        released.await.unwrap();
                        Ok(i64::try_from(count.fetch_add(1, Ordering::SeqCst)).unwrap() + 1)
                    })
                    .await
            }
        });
        while reads.begun.load(Ordering::SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
        let waiting: Vec<_> = (0..3)
            .map(|_| {
                let (reads, count) = (reads.clone(), count.clone());
                tokio::spawn(async move {
                    reads
                        .read(|| async move { Ok(i64::try_from(count.fetch_add(1, Ordering::SeqCst)).unwrap() + 1) })
                        .await
                })
            })
            .collect();
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        assert_eq!(slow.await.unwrap(), Some(3));
        for request in waiting {
            // Not the read that was running when they came: the one after.
            assert_eq!(request.await.unwrap(), Some(4));
        }
        assert_eq!(count.load(Ordering::SeqCst), 4, "the three shared one read");

        // A failed read answers None and leaves the next to read again.
        let failed = reads
            .read(|| async { Err(crate::error::Error::Internal(anyhow::anyhow!("down"))) })
            .await;
        assert_eq!(failed, None);
        assert_eq!(reads.read(counted).await, Some(5));
    }

    fn known(stamp: i64, until: Option<DateTime<Utc>>) -> Known {
        Known {
            stamp,
            tag: [stamp as u8; 16],
            until,
            render_key: "all".into(),
            events: 1,
        }
    }

    #[test]
    fn holds_only_at_its_stamp_and_within_its_window() {
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
        let versions = FeedVersions::new();
        assert_eq!(versions.get("all", 1, now), None);
        versions.remember("all", known(1, Some(now + Duration::hours(1))));
        assert!(versions.get("all", 1, now).is_some());
        assert!(
            versions.get("all", 1, now + Duration::hours(1)).is_some(),
            "up to its last instant"
        );
        assert_eq!(
            versions.get("all", 1, now + Duration::hours(2)),
            None,
            "an event left the window"
        );
        assert_eq!(versions.get("all", 2, now), None, "something was written since");
        assert_eq!(versions.get("other", 1, now), None);
        versions.remember("all", known(2, None));
        assert!(versions.get("all", 2, now + Duration::days(400)).is_some());
        versions.forget("all");
        assert!(versions.is_empty());
    }

    #[test]
    fn stays_bounded() {
        let versions = FeedVersions::new();
        for i in 0..MAX_ENTRIES {
            versions.remember(&format!("feed {i}"), known(1, None));
        }
        versions.remember("newer", known(2, None));
        assert_eq!(versions.len(), 1, "entries of an older stamp go first");
        for i in 0..MAX_ENTRIES + 5 {
            versions.remember(&format!("feed {i}"), known(2, None));
        }
        assert!(versions.len() <= MAX_ENTRIES);
    }
}
