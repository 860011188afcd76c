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

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use chrono::{DateTime, Utc};

use super::feed_cache::Tag;

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
}

impl FeedVersions {
    pub fn new() -> Self {
        Self::default()
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

    use chrono::{Duration, TimeZone};

    use super::*;

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
