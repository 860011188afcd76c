//! In-memory rate limits: a budget of attempts per key (a client address,
//! an account) that refills steadily over a window.
//!
//! The state lives in the process, so with several instances behind a load
//! balancer each enforces its own budget: the effective limit is the budget
//! times the number of instances. That is deliberate: the limits exist to
//! blunt floods and guessing, not to meter fair use, and keeping them out of
//! the database keeps a flood from turning into database load.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::error::{Error, Result};

/// Keys kept before idle ones are swept, so that a flood of distinct
/// addresses cannot grow memory without bound.
const SWEEP_ABOVE: usize = 10_000;

/// Where a request came from, as the HTTP layer saw it; `None` when the
/// transport has no address (tests, Unix sockets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The key a per-address limit counts under.
    pub fn key(self) -> String {
        self.0.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// `budget` attempts per `window` for each key, refilled continuously.
#[derive(Debug)]
pub struct RateLimiter {
    budget: u32,
    window: Duration,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(budget: u32, window: Duration) -> Self {
        Self {
            budget,
            window,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill_per_sec(&self) -> f64 {
        f64::from(self.budget) / self.window.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Spends one attempt of `key`'s budget, or answers `RATE_LIMITED` with
    /// the seconds until one is available again.
    pub fn check(&self, key: &str) -> Result<()> {
        self.check_at(key, Instant::now())
    }

    pub fn check_at(&self, key: &str, now: Instant) -> Result<()> {
        let rate = self.refill_per_sec();
        let budget = f64::from(self.budget);
        // A poisoned lock only means another request panicked mid-update;
        // the counts are still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > SWEEP_ABOVE {
            buckets.retain(|_, b| b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate < budget);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: budget,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(budget);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = if rate > 0.0 {
                ((1.0 - bucket.tokens) / rate).ceil() as u64
            } else {
                self.window.as_secs()
            };
            Err(Error::RateLimited {
                retry_after_secs: wait.max(1),
            })
        }
    }
}

const STATUS_LOOKUPS_PER_HOUR: u32 = 120;

/// The limits the API applies, shared by every request of the process.
#[derive(Debug)]
pub struct RateLimits {
    /// Requests for a speaker or workshop submitted without an account,
    /// per client address.
    pub anonymous_requests: RateLimiter,
    /// Look-ups of a request by its reference, per client address: enough
    /// for a requester checking on theirs, far too few to guess others'.
    pub status_lookups: RateLimiter,
}

impl RateLimits {
    pub fn new(anonymous_requests_per_hour: u32) -> Self {
        Self {
            anonymous_requests: RateLimiter::new(anonymous_requests_per_hour, Duration::from_secs(3600)),
            status_lookups: RateLimiter::new(STATUS_LOOKUPS_PER_HOUR, Duration::from_secs(3600)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_spent_then_refills() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..3 {
            limiter.check_at("a", start).unwrap();
        }
        let refused = limiter.check_at("a", start).unwrap_err();
        assert!(
            matches!(refused, Error::RateLimited { retry_after_secs: 20 }),
            "{refused:?}"
        );
        // Other keys have their own budget.
        limiter.check_at("b", start).unwrap();
        // One attempt comes back every 20 s.
        limiter.check_at("a", start + Duration::from_secs(20)).unwrap();
        assert!(limiter.check_at("a", start + Duration::from_secs(21)).is_err());
    }

    #[test]
    fn a_zero_budget_refuses_everything() {
        let limiter = RateLimiter::new(0, Duration::from_secs(3600));
        assert!(matches!(
            limiter.check("a"),
            Err(Error::RateLimited { retry_after_secs: 3600 })
        ));
    }

    #[test]
    fn idle_keys_are_swept() {
        let limiter = RateLimiter::new(1, Duration::from_secs(1));
        let start = Instant::now();
        for k in 0..=SWEEP_ABOVE {
            limiter.check_at(&k.to_string(), start).unwrap();
        }
        limiter.check_at("late", start + Duration::from_secs(5)).unwrap();
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}
