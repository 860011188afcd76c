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
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    config::RateLimitConfig,
    error::{Error, Result},
};

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
    /// Attempts refused since start, for the metrics (never by key).
    refused: AtomicU64,
}

impl RateLimiter {
    pub fn new(budget: u32, window: Duration) -> Self {
        Self {
            budget,
            window,
            buckets: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    /// Attempts refused since start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
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
            self.refused.fetch_add(1, Ordering::Relaxed);
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

/// The limits the API applies, shared by every request of the process.
/// Reset links one address may be sent in an hour.
pub const ACCOUNT_MAIL_PER_ACCOUNT: u32 = 5;

#[derive(Debug)]

pub struct RateLimits {
    /// `login` per account, so guessing one person's password is slow
    /// whatever addresses it comes from.
    pub login_per_account: RateLimiter,
    /// `login` per client address, so one address cannot try many accounts.
    pub login_per_address: RateLimiter,
    pub register_per_address: RateLimiter,
    /// Requests for a speaker or workshop submitted without an account,
    /// per client address.
    pub anonymous_requests: RateLimiter,
    /// Look-ups of a request by its reference, per client address: enough
    /// for a requester checking on theirs, far too few to guess others'.
    pub status_lookups: RateLimiter,
    /// Fetches of one private feed: calendar apps poll every few minutes,
    /// so this only stops a leaked address being hammered.
    pub feed_fetches: RateLimiter,
    /// Account mail asked for (password resets), per client address, with
    /// registration's budget.
    pub account_mail_per_address: RateLimiter,
    /// Account mail per address asked about, so nobody's inbox is flooded.
    pub account_mail_per_account: RateLimiter,
    /// Signatures of letters per client address: counted in the database
    /// (see `domain::letters`), so one budget holds across instances.
    pub signing: crate::domain::letters::SigningLimits,
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> Self {
        let hourly = |budget: u32| RateLimiter::new(budget, Duration::from_secs(3600));
        Self {
            login_per_account: hourly(config.login_per_account),
            login_per_address: hourly(config.login_per_address),
            register_per_address: hourly(config.register_per_address),
            anonymous_requests: hourly(config.anonymous_requests),
            status_lookups: hourly(config.status_lookups),
            feed_fetches: hourly(config.feed_fetches_per_token),
            account_mail_per_address: hourly(config.register_per_address),
            account_mail_per_account: hourly(ACCOUNT_MAIL_PER_ACCOUNT),
            signing: crate::domain::letters::SigningLimits {
                per_minute: config.signatures_per_minute,
                per_hour: config.signatures_per_hour,
            },
        }
    }

    /// A sign-in attempt, from the API or a page: one budget for both.
    /// Both limits are spent on every attempt, before the password is
    /// checked, so guessing is slowed whether it aims at one account from
    /// many addresses or at many accounts from one.
    pub fn check_login(&self, client: ClientAddress, email: &str) -> Result<()> {
        self.login_per_address.check(&client.key())?;
        self.login_per_account
            .check(&crate::domain::values::Email::comparison_key(email))
    }

    /// Refusals since start by limit, named as the metrics label them.
    pub fn refusals(&self) -> [(&'static str, u64); 8] {
        [
            ("login_per_account", self.login_per_account.refused()),
            ("login_per_address", self.login_per_address.refused()),
            ("register_per_address", self.register_per_address.refused()),
            ("anonymous_requests", self.anonymous_requests.refused()),
            ("status_lookups", self.status_lookups.refused()),
            ("feed_fetches", self.feed_fetches.refused()),
            ("account_mail_per_address", self.account_mail_per_address.refused()),
            ("account_mail_per_account", self.account_mail_per_account.refused()),
        ]
    }
}

impl ClientAddress {
    /// The address a request came from: the socket's, or, when the socket
    /// is a trusted proxy, the last address in `X-Forwarded-For` that is not
    /// one of the trusted proxies (earlier entries are the client's own say
    /// and could be forged).
    pub fn of(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> Self {
        let Some(peer) = peer else {
            return Self(None);
        };
        if !trusted.contains(&peer) {
            return Self(Some(peer));
        }
        let forwarded = forwarded_for
            .into_iter()
            .flat_map(|header| header.split(','))
            .map(|hop| hop.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        for hop in forwarded.into_iter().rev() {
            match hop {
                Some(ip) if trusted.contains(&ip) => continue,
                Some(ip) => return Self(Some(ip)),
                // A hop that is not an address: stop believing the header.
                None => break,
            }
        }
        Self(Some(peer))
    }

    /// The same, read from a poem request.
    pub fn of_request(req: &poem::Request, trusted: &[IpAddr]) -> Self {
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        Self::of(req.remote_addr().as_socket_addr().map(|a| a.ip()), forwarded, trusted)
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
        assert_eq!(limiter.refused(), 1);
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
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let stranger: IpAddr = "198.51.100.1".parse().unwrap();
        // Not from the proxy: the header is ignored.
        assert_eq!(
            ClientAddress::of(Some(stranger), Some("203.0.113.7"), &[proxy]).0,
            Some(stranger)
        );
        // From the proxy: the last hop it added.
        let forged = "1.2.3.4, 203.0.113.7";
        assert_eq!(ClientAddress::of(Some(proxy), Some(forged), &[proxy]).0, Some(client));
        // Two proxies in a row are both skipped.
        let chain = "203.0.113.7, 10.0.0.2";
        assert_eq!(ClientAddress::of(Some(proxy), Some(chain), &[proxy]).0, Some(client));
        // Garbage or no header: the proxy's own address.
        assert_eq!(ClientAddress::of(Some(proxy), Some("unknown"), &[proxy]).0, Some(proxy));
        assert_eq!(ClientAddress::of(Some(proxy), None, &[proxy]).0, Some(proxy));
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
