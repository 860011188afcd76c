//! Typed configuration from the environment, validated once at start.
//!
//! Every problem is reported as one line that names the variable, because
//! the person reading it is usually an organiser at a terminal, not a Rust
//! developer. Secrets never appear in `Debug` output or in errors.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// A configuration problem, printed as a single line at start.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

/// The database URL; its password is redacted whenever it is shown.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        const VAR: &str = "MUSTER_DATABASE_URL";
        let url = url::Url::parse(raw).map_err(|e| ConfigError::new(VAR, format!("not a valid URL ({e})")))?;
        match url.scheme() {
            "sqlite" | "postgres" | "postgresql" => Ok(Self(raw.to_owned())),
            other => Err(ConfigError::new(
                VAR,
                format!("unsupported scheme `{other}:` (use sqlite:// or postgres://)"),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    /// The SQLite database file, when the URL names one (not `:memory:`).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let rest = self.0.strip_prefix("sqlite:")?;
        let rest = rest.trim_start_matches("//");
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") {
            return None;
        }
        Some(PathBuf::from(path))
    }

    /// The URL with any password replaced, safe for logs and errors.
    pub fn redacted(&self) -> String {
        redact_password(&self.0)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `raw` with any password in it replaced, safe for logs and errors.
fn redact_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

/// Where the JWT signing secret comes from.
#[derive(Clone)]
pub enum JwtSecretSource {
    /// `MUSTER_JWT_SECRET` was set.
    Value(Vec<u8>),
    /// Read from (or generated into) this file.
    File(PathBuf),
}

impl fmt::Debug for JwtSecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value(<redacted>)"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// Where a data key comes from.
#[derive(Clone)]
pub enum DataKeySource {
    /// Given in the environment (64 hex digits or base64 of 32 bytes).
    Value(String),
    /// Read from (or, for the current key on a database that has none,
    /// generated into) this file.
    File(PathBuf),
}

impl fmt::Debug for DataKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(_) => f.write_str("Value(<redacted>)"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// An SMTP server's address, with any password; never printed whole.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        const VAR: &str = "MUSTER_SMTP_URL";
        let url = url::Url::parse(raw.trim()).map_err(|e| {
            ConfigError::new(
                VAR,
                format!("not a valid URL ({e}); use smtp://host:port or smtps://user:password@host"),
            )
        })?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(ConfigError::new(
                VAR,
                format!("unsupported scheme `{}:` (use smtp:// or smtps://)", url.scheme()),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError::new(VAR, "names no host"));
        }
        if let Some((key, value)) = url.query_pairs().find(|(k, _)| k == "tls")
            && !matches!(value.as_ref(), "required" | "opportunistic")
        {
            return Err(ConfigError::new(
                VAR,
                format!("`{key}={value}` is not understood (use tls=required or tls=opportunistic)"),
            ));
        }
        Ok(Self(raw.trim().to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced, safe for logs and errors.
    pub fn redacted(&self) -> String {
        redact_password(&self.0)
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Where mail goes, and whom it is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `None`: each message is written as an `.eml` file under the data
    /// directory instead.
    pub smtp: Option<SmtpUrl>,
    /// The `From:` of every message (`MUSTER_MAIL_FROM`).
    pub from: String,
}

impl MailConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let smtp = get("MUSTER_SMTP_URL").map(|raw| SmtpUrl::parse(&raw)).transpose()?;
        let from = get("MUSTER_MAIL_FROM").unwrap_or_else(|| "muster <muster@localhost>".to_owned());
        if from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "MUSTER_MAIL_FROM",
                format!("`{from}` is not an address such as `Campaign network <network@example.org>`"),
            ));
        }
        Ok(Self {
            smtp,
            from: from.trim().to_owned(),
        })
    }
}

/// Where `/metrics` is served: a listener of its own, never `MUSTER_BIND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsListener {
    pub addr: SocketAddr,
    /// Named by `MUSTER_METRICS_BIND`, rather than the default: then an
    /// address that cannot be bound stops start-up; the default's being in
    /// use (a second instance on the host) only costs that instance its
    /// metrics, with a warning.
    pub chosen: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    /// `None` when `MUSTER_METRICS_BIND=off`.
    pub metrics: Option<MetricsListener>,
    pub public_url: url::Url,
    pub jwt_secret: JwtSecretSource,
    /// The key that seals personal fields (`MUSTER_DATA_KEY`, or the key
    /// file `MUSTER_DATA_KEY_FILE`, by default `muster.data-key` in the
    /// data directory).
    pub data_key: DataKeySource,
    /// During a rotation, the key being replaced (`MUSTER_DATA_KEY_PREVIOUS`
    /// or `MUSTER_DATA_KEY_PREVIOUS_FILE`): it still opens what it sealed.
    pub data_key_previous: Option<DataKeySource>,
    /// Days after a request ends before its contact details are purged.
    pub retention_days: u32,
    /// Days an audit entry is kept.
    pub audit_retention_days: u32,
    /// Days after an event ends before its RSVPs are reduced to counts.
    pub rsvp_retention_days: u32,
    /// Days after a message is sent before its body is removed.
    pub outbox_retention_days: u32,
    /// `MUSTER_SIGNATURE_RETENTION_DAYS`: after a letter is delivered or
    /// closed, its signatories' names and emails are kept this long.
    pub signature_retention_days: u32,
    /// Where mail goes: an SMTP server, or `.eml` files.
    pub mail: MailConfig,
    /// Days an offer waits unanswered before the trainer is chased.
    pub offer_chase_days: u32,
    /// How long a signed-in web session lasts unused, and at most.
    pub sessions: crate::domain::sessions::SessionPolicy,
    /// Where muster keeps its own files (secrets, written mail): beside
    /// the SQLite database, or `MUSTER_DATA_DIR`.
    pub data_dir: PathBuf,
    /// How long a sign-in token stays valid.
    pub jwt_ttl_hours: u32,
    /// How many days back calendar feeds reach.
    pub feed_past_days: u32,
    pub log_format: LogFormat,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Memory for kept feed renders, in MiB: four fifths for shared feeds,
    /// one fifth for private ones.
    pub feed_cache_mib: usize,
    /// Attempts per hour allowed by each rate limit.
    pub rate_limits: RateLimitConfig,
    /// Reverse proxies whose `X-Forwarded-For` is believed; from anyone
    /// else the header is ignored and the socket's address counts.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Web origins (`https://app.example.org`) whose pages may call the API
    /// from a browser; none by default, so cross-site pages cannot.
    pub cors_origins: Vec<String>,
    /// Threads that hash and verify passwords, each holding ~19 MiB; work
    /// beyond them and a short queue answers `RATE_LIMITED`.
    pub password_hashers: usize,
}

/// Attempts per hour, per key, of each rate-limited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// `login` per account (the email given).
    pub login_per_account: u32,
    /// `login` per client address.
    pub login_per_address: u32,
    /// `register` per client address.
    pub register_per_address: u32,
    /// `submitRequest` without an account, per client address.
    pub anonymous_requests: u32,
    /// `requestStatus` (and the status page) per client address.
    pub status_lookups: u32,
    /// Fetches of one private feed.
    pub feed_fetches_per_token: u32,
    /// Signatures of letters per client address in a minute (a burst).
    pub signatures_per_minute: u32,
    /// Signatures of letters per client address in an hour (sustained).
    pub signatures_per_hour: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            login_per_account: 10,
            login_per_address: 30,
            register_per_address: 10,
            anonymous_requests: 5,
            status_lookups: 120,
            feed_fetches_per_token: 120,
            signatures_per_minute: 5,
            signatures_per_hour: 30,
        }
    }
}

/// A number of days from `name`, at least 1; `default` when unset.
fn positive_days(get: &impl Fn(&str) -> Option<String>, name: &'static str, default: u32) -> Result<u32, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| *d > 0)
            .ok_or_else(|| ConfigError::new(name, format!("`{raw}` is not a positive number of days"))),
    }
}

impl Config {
    /// How long personal data is kept, as the retention purge reads it.
    pub fn retention(&self) -> crate::domain::retention::RetentionPolicy {
        crate::domain::retention::RetentionPolicy {
            retention_days: self.retention_days,
            audit_retention_days: self.audit_retention_days,
            rsvp_retention_days: self.rsvp_retention_days,
            outbox_retention_days: self.outbox_retention_days,
            signature_retention_days: self.signature_retention_days,
        }
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://muster.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The metrics listen on loopback (127.0.0.1), so they are not reachable
/// from outside unless an operator chooses an address; 9464 is the port
/// OpenTelemetry's Prometheus exporters use.
pub const DEFAULT_METRICS_PORT: u16 = 9464;
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;
pub const DEFAULT_RSVP_RETENTION_DAYS: u32 = 30;
const JWT_SECRET_FILE: &str = "muster-jwt-secret";
pub const DATA_KEY_FILE: &str = "muster.data-key";
const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let database_url =
            DatabaseUrl::parse(&get("MUSTER_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()))?;

        let bind_raw = get("MUSTER_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
        let bind: SocketAddr = bind_raw.parse().map_err(|_| {
            ConfigError::new(
                "MUSTER_BIND",
                format!("`{bind_raw}` is not an address:port such as 127.0.0.1:8080"),
            )
        })?;

        let metrics = match get("MUSTER_METRICS_BIND") {
            Some(raw) if raw.trim().eq_ignore_ascii_case("off") => None,
            Some(raw) => Some(MetricsListener {
                addr: raw.trim().parse().map_err(|_| {
                    ConfigError::new(
                        "MUSTER_METRICS_BIND",
                        format!("`{raw}` is not an address:port such as 127.0.0.1:9464, or `off`"),
                    )
                })?,
                chosen: true,
            }),
            None => Some(MetricsListener {
                addr: SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, DEFAULT_METRICS_PORT)),
                chosen: false,
            }),
        };
        if let Some(listener) = metrics
            && (listener.addr == bind
                || (listener.addr.port() == bind.port()
                    && (listener.addr.ip().is_unspecified() || bind.ip().is_unspecified())))
        {
            return Err(ConfigError::new(
                "MUSTER_METRICS_BIND",
                format!(
                    "`{}` is where MUSTER_BIND serves; metrics need an address of their own (or `off`)",
                    listener.addr
                ),
            ));
        }

        let public_url_raw = get("MUSTER_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
        let public_url = url::Url::parse(&public_url_raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                ConfigError::new("MUSTER_PUBLIC_URL", format!("`{public_url_raw}` is not an http(s) URL"))
            })?;

        let data_dir = match get("MUSTER_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => database_url
                .sqlite_file()
                .and_then(|file| file.parent().map(Path::to_path_buf))
                .unwrap_or_default(),
        };

        let jwt_secret = match get("MUSTER_JWT_SECRET") {
            Some(value) if value.len() < MIN_SECRET_BYTES => {
                return Err(ConfigError::new(
                    "MUSTER_JWT_SECRET",
                    format!("too short: use at least {MIN_SECRET_BYTES} random characters"),
                ));
            }
            Some(value) => JwtSecretSource::Value(value.into_bytes()),
            None => JwtSecretSource::File(data_dir.join(JWT_SECRET_FILE)),
        };

        let data_key_source = |value: &'static str, file: &'static str| -> Result<Option<DataKeySource>, ConfigError> {
            match (get(value), get(file)) {
                (Some(_), Some(_)) => Err(ConfigError::new(
                    value,
                    format!("set either {value} or {file}, not both"),
                )),
                (Some(key), None) if crate::domain::sealing::DataKey::parse(&key).is_none() => Err(ConfigError::new(
                    value,
                    "not a key: use 32 random bytes as 64 hex digits or in base64 (`openssl rand -hex 32`)",
                )),
                (Some(key), None) => Ok(Some(DataKeySource::Value(key))),
                (None, Some(path)) => Ok(Some(DataKeySource::File(PathBuf::from(path)))),
                (None, None) => Ok(None),
            }
        };
        let data_key = data_key_source("MUSTER_DATA_KEY", "MUSTER_DATA_KEY_FILE")?
            .unwrap_or_else(|| DataKeySource::File(data_dir.join(DATA_KEY_FILE)));
        let data_key_previous = data_key_source("MUSTER_DATA_KEY_PREVIOUS", "MUSTER_DATA_KEY_PREVIOUS_FILE")?;

        let retention_days = positive_days(&get, "MUSTER_RETENTION_DAYS", 180)?;

        // A year: long enough for someone to notice a read and ask about it,
        // short enough that the trail of who looked at whom does not grow
        // into a record of its own.
        let audit_retention_days = positive_days(&get, "MUSTER_AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS)?;

        // A month: long enough for an organiser to follow up with those who
        // came, short enough that the database is no lasting record of who
        // attended which meeting.
        let rsvp_retention_days = positive_days(&get, "MUSTER_RSVP_RETENTION_DAYS", DEFAULT_RSVP_RETENTION_DAYS)?;

        // A month, as for attendance: long enough to answer "did you write
        // to me?", short enough that the outbox is no archive of letters.
        let outbox_retention_days = positive_days(&get, "MUSTER_OUTBOX_RETENTION_DAYS", 30)?;
        let signature_retention_days = positive_days(&get, "MUSTER_SIGNATURE_RETENTION_DAYS", 180)?;
        let offer_chase_days = positive_days(&get, "MUSTER_OFFER_CHASE_DAYS", 3)?;
        let session_idle_days = positive_days(&get, "MUSTER_SESSION_IDLE_DAYS", 14)?;
        let session_max_days = positive_days(&get, "MUSTER_SESSION_MAX_DAYS", 30)?;
        if session_idle_days > session_max_days {
            return Err(ConfigError::new(
                "MUSTER_SESSION_IDLE_DAYS",
                format!("`{session_idle_days}` is longer than MUSTER_SESSION_MAX_DAYS ({session_max_days})"),
            ));
        }
        let sessions = crate::domain::sessions::SessionPolicy::from_days(session_idle_days, session_max_days);
        let mail = MailConfig::from_lookup(&get)?;

        let jwt_ttl_hours = match get("MUSTER_JWT_TTL_HOURS") {
            None => 12,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|h| (1..=720).contains(h))
                .ok_or_else(|| {
                    ConfigError::new(
                        "MUSTER_JWT_TTL_HOURS",
                        format!("`{raw}` is not a number of hours from 1 to 720"),
                    )
                })?,
        };

        let feed_past_days = match get("MUSTER_FEED_PAST_DAYS") {
            None => 30,
            Some(raw) => raw.trim().parse::<u32>().ok().filter(|d| *d <= 3650).ok_or_else(|| {
                ConfigError::new(
                    "MUSTER_FEED_PAST_DAYS",
                    format!("`{raw}` is not a number of days from 0 to 3650"),
                )
            })?,
        };

        let defaults = RateLimitConfig::default();
        let per_hour = |variable: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(variable) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n <= 100_000_000)
                    .ok_or_else(|| {
                        ConfigError::new(
                            variable,
                            format!("`{raw}` is not a number of attempts an hour from 0 to 100000000"),
                        )
                    }),
            }
        };
        let rate_limits = RateLimitConfig {
            login_per_account: per_hour("MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR", defaults.login_per_account)?,
            login_per_address: per_hour("MUSTER_LOGIN_PER_ADDRESS_PER_HOUR", defaults.login_per_address)?,
            register_per_address: per_hour("MUSTER_REGISTER_PER_ADDRESS_PER_HOUR", defaults.register_per_address)?,
            anonymous_requests: per_hour("MUSTER_ANONYMOUS_REQUESTS_PER_HOUR", defaults.anonymous_requests)?,
            status_lookups: per_hour("MUSTER_STATUS_LOOKUPS_PER_HOUR", defaults.status_lookups)?,
            feed_fetches_per_token: per_hour("MUSTER_FEED_FETCHES_PER_HOUR", defaults.feed_fetches_per_token)?,
            signatures_per_minute: per_hour("MUSTER_SIGNATURES_PER_MINUTE", defaults.signatures_per_minute)?,
            signatures_per_hour: per_hour("MUSTER_SIGNATURES_PER_HOUR", defaults.signatures_per_hour)?,
        };
        let cors_origins = match get("MUSTER_CORS_ORIGINS") {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| match url::Url::parse(o) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.path() == "/" => {
                        Ok(o.trim_end_matches('/').to_owned())
                    }
                    _ => Err(ConfigError::new(
                        "MUSTER_CORS_ORIGINS",
                        format!("`{o}` is not an origin such as https://app.example.org"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let password_hashers = match get("MUSTER_PASSWORD_HASHERS") {
            None => crate::hashing::default_workers(),
            Some(raw) => raw
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=crate::hashing::MAX_WORKERS).contains(n))
                .ok_or_else(|| {
                    ConfigError::new(
                        "MUSTER_PASSWORD_HASHERS",
                        format!(
                            "`{raw}` is not a number of threads from 1 to {}",
                            crate::hashing::MAX_WORKERS
                        ),
                    )
                })?,
        };
        let trusted_proxies = match get("MUSTER_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<std::net::IpAddr>()
                        .map_err(|_| ConfigError::new("MUSTER_TRUSTED_PROXIES", format!("`{p}` is not an IP address")))
                })
                .collect::<Result<Vec<_>, _>>()?,
        };

        let log_format = match get("MUSTER_LOG_FORMAT").as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "MUSTER_LOG_FORMAT",
                    format!("`{other}` is neither `human` nor `json`"),
                ));
            }
        };

        let max_body_bytes = match get("MUSTER_MAX_BODY_BYTES") {
            None => 256 * 1024,
            Some(raw) => raw.trim().parse::<usize>().ok().filter(|n| *n >= 1024).ok_or_else(|| {
                ConfigError::new(
                    "MUSTER_MAX_BODY_BYTES",
                    format!("`{raw}` is not a size in bytes of at least 1024"),
                )
            })?,
        };

        // Kept renders are most of a busy server's memory: the default keeps
        // the day's busiest feeds (a 2,000-event feed is about 1.3 MB) and
        // a server under 150 MB.
        let feed_cache_mib = match get("MUSTER_FEED_CACHE_MB") {
            None => 80,
            Some(raw) => raw
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (5..=65_536).contains(n))
                .ok_or_else(|| {
                    ConfigError::new(
                        "MUSTER_FEED_CACHE_MB",
                        format!("`{raw}` is not a number of MiB from 5 to 65536"),
                    )
                })?,
        };

        Ok(Self {
            database_url,
            bind,
            metrics,
            public_url,
            jwt_secret,
            data_key,
            data_key_previous,
            retention_days,
            audit_retention_days,
            rsvp_retention_days,
            outbox_retention_days,
            signature_retention_days,
            mail,
            offer_chase_days,
            sessions,
            data_dir,
            jwt_ttl_hours,
            feed_past_days,
            log_format,
            max_body_bytes,
            feed_cache_mib,
            rate_limits,
            trusted_proxies,
            cors_origins,
            password_hashers,
        })
    }
}

/// The secret that signs access tokens. Never printed.
#[derive(Clone)]
pub struct JwtSecret(Vec<u8>);

impl JwtSecret {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// A key of its own for one use of the secret (signing links, forms):
    /// SHA-256 of the use's label, a zero byte and the secret, so that
    /// several instances with the same secret derive the same keys and no
    /// use's key opens another's.
    pub fn derive_key(&self, purpose: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::new()
            .chain_update(purpose)
            .chain_update([0u8])
            .chain_update(&self.0)
            .finalize()
            .into()
    }
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(<redacted>)")
    }
}

/// Whether the secret was read or had to be made.
#[derive(Debug, PartialEq, Eq)]
pub enum SecretOrigin {
    Environment,
    FileRead,
    FileCreated,
}

/// Loads the JWT secret, generating one into its file on first start.
///
/// The file is created with mode 0600 atomically (`create_new`), so two
/// instances starting together on one data directory cannot each write a
/// different secret.
pub fn load_jwt_secret(source: &JwtSecretSource) -> Result<(JwtSecret, SecretOrigin), ConfigError> {
    const VAR: &str = "MUSTER_JWT_SECRET";
    let path = match source {
        JwtSecretSource::Value(value) => return Ok((JwtSecret(value.clone()), SecretOrigin::Environment)),
        JwtSecretSource::File(path) => path,
    };
    let shown = path.display();
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).unwrap_or_default();
            let secret = text.trim();
            if secret.len() < MIN_SECRET_BYTES {
                return Err(ConfigError::new(
                    VAR,
                    format!("key file {shown} is shorter than {MIN_SECRET_BYTES} characters"),
                ));
            }
            Ok((JwtSecret(secret.as_bytes().to_vec()), SecretOrigin::FileRead))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut raw = [0u8; 48];
            getrandom::fill(&mut raw).map_err(|e| ConfigError::new(VAR, format!("no randomness available: {e}")))?;
            let secret: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            write_private_file(path, secret.as_bytes())
                .map_err(|e| ConfigError::new(VAR, format!("cannot create key file {shown}: {e}")))?;
            Ok((JwtSecret(secret.into_bytes()), SecretOrigin::FileCreated))
        }
        Err(e) => Err(ConfigError::new(VAR, format!("cannot read key file {shown}: {e}"))),
    }
}

/// Whether the data key was given, read from its file, or made.
#[derive(Debug, PartialEq, Eq)]
pub enum DataKeyOrigin {
    Environment,
    FileRead,
    /// Generated into its file: the database held nothing sealed.
    FileCreated,
}

/// Loads a data key. A missing key file is generated (mode 0600, created
/// atomically) only when `may_create` says the database holds nothing
/// sealed: a database whose key is lost must not get a new one silently.
pub fn load_data_key(
    source: &DataKeySource,
    variable: &'static str,
    may_create: bool,
) -> Result<(crate::domain::sealing::DataKey, DataKeyOrigin), ConfigError> {
    use crate::domain::sealing::DataKey;
    let path = match source {
        DataKeySource::Value(value) => {
            let key = DataKey::parse(value).ok_or_else(|| ConfigError::new(variable, "not a 32-byte key"))?;
            return Ok((key, DataKeyOrigin::Environment));
        }
        DataKeySource::File(path) => path,
    };
    let shown = path.display();
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).unwrap_or_default();
            let key = DataKey::parse(&text)
                .ok_or_else(|| ConfigError::new(variable, format!("key file {shown} does not hold a 32-byte key")))?;
            Ok((key, DataKeyOrigin::FileRead))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && may_create => {
            let text =
                DataKey::generate().map_err(|e| ConfigError::new(variable, format!("no randomness available: {e}")))?;
            write_private_file(path, text.as_bytes())
                .map_err(|e| ConfigError::new(variable, format!("cannot create key file {shown}: {e}")))?;
            let key = DataKey::parse(&text).ok_or_else(|| ConfigError::new(variable, "generated an unreadable key"))?;
            Ok((key, DataKeyOrigin::FileCreated))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError::new(
            variable,
            format!(
                "no data key: key file {shown} is missing and the database holds sealed personal fields; \
                 restore the key file (or set {variable}); without it they cannot be read"
            ),
        )),
        Err(e) => Err(ConfigError::new(variable, format!("cannot read key file {shown}: {e}"))),
    }
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_serve_sqlite_on_loopback() {
        let config = config(&[]).unwrap();
        assert!(config.database_url.is_sqlite());
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.metrics,
            Some(MetricsListener {
                addr: "127.0.0.1:9464".parse().unwrap(),
                chosen: false
            })
        );
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(config.retention_days, 180);
        assert_eq!(config.audit_retention_days, 365);
        assert_eq!(config.rsvp_retention_days, 30);
        assert!(matches!(config.jwt_secret, JwtSecretSource::File(ref p) if p == Path::new("muster-jwt-secret")));
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (var, value) in [
            ("MUSTER_DATABASE_URL", "mysql://x/y"),
            ("MUSTER_DATABASE_URL", "not a url"),
            ("MUSTER_BIND", "localhost"),
            ("MUSTER_METRICS_BIND", "localhost"),
            ("MUSTER_METRICS_BIND", "127.0.0.1:8080"),
            ("MUSTER_PUBLIC_URL", "ftp://example.org"),
            ("MUSTER_JWT_SECRET", "short"),
            ("MUSTER_RETENTION_DAYS", "-3"),
            ("MUSTER_AUDIT_RETENTION_DAYS", "0"),
            ("MUSTER_RSVP_RETENTION_DAYS", "0"),
            ("MUSTER_JWT_TTL_HOURS", "0"),
            ("MUSTER_FEED_PAST_DAYS", "many"),
            ("MUSTER_LOG_FORMAT", "xml"),
            ("MUSTER_MAX_BODY_BYTES", "12"),
            ("MUSTER_FEED_CACHE_MB", "2"),
            ("MUSTER_FEED_CACHE_MB", "lots"),
            ("MUSTER_PASSWORD_HASHERS", "0"),
            ("MUSTER_ANONYMOUS_REQUESTS_PER_HOUR", "lots"),
            ("MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR", "-1"),
            ("MUSTER_FEED_FETCHES_PER_HOUR", "1e9"),
            ("MUSTER_TRUSTED_PROXIES", "10.0.0.1, proxy.example.org"),
            ("MUSTER_CORS_ORIGINS", "https://app.example.org/some/path"),
            ("MUSTER_SMTP_URL", "mail.example.org:25"),
            ("MUSTER_SMTP_URL", "http://mail.example.org"),
            ("MUSTER_SMTP_URL", "smtp://mail.example.org?tls=maybe"),
            ("MUSTER_MAIL_FROM", "not an address"),
            ("MUSTER_OFFER_CHASE_DAYS", "0"),
            ("MUSTER_SESSION_IDLE_DAYS", "0"),
            ("MUSTER_SESSION_IDLE_DAYS", "40"),
            ("MUSTER_SESSION_MAX_DAYS", "a month"),
            ("MUSTER_OUTBOX_RETENTION_DAYS", "soon"),
        ] {
            let err = config(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{value}");
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn the_smtp_password_is_never_shown() {
        let config = config(&[("MUSTER_SMTP_URL", "smtps://mailer:hunter2-secret@mail.example.org:465")]).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(shown.contains("mail.example.org"));
    }

    #[test]
    fn metrics_have_their_own_address_or_none() {
        let chosen = config(&[("MUSTER_METRICS_BIND", "10.1.2.3:9100")]).unwrap();
        assert_eq!(
            chosen.metrics,
            Some(MetricsListener {
                addr: "10.1.2.3:9100".parse().unwrap(),
                chosen: true
            })
        );
        assert_eq!(config(&[("MUSTER_METRICS_BIND", "off")]).unwrap().metrics, None);
        let public = config(&[
            ("MUSTER_BIND", "0.0.0.0:8080"),
            ("MUSTER_METRICS_BIND", "127.0.0.1:8080"),
        ]);
        assert_eq!(public.unwrap_err().variable, "MUSTER_METRICS_BIND");
    }

    #[test]
    fn database_password_is_redacted() {
        let url = DatabaseUrl::parse("postgres://muster:hunter2secret@db.example/muster").unwrap();
        assert!(!format!("{url:?}").contains("hunter2secret"));
        assert!(!url.redacted().contains("hunter2secret"));
    }

    #[test]
    fn secret_file_sits_beside_the_sqlite_database() {
        let config = config(&[("MUSTER_DATABASE_URL", "sqlite:///var/lib/muster/muster.db?mode=rwc")]).unwrap();
        assert!(matches!(config.jwt_secret,
            JwtSecretSource::File(ref p) if p == Path::new("/var/lib/muster/muster-jwt-secret")));
    }

    #[test]
    fn generated_secret_is_private_stable_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let source = JwtSecretSource::File(dir.path().join("muster-jwt-secret"));
        let (first, origin) = load_jwt_secret(&source).unwrap();
        assert_eq!(origin, SecretOrigin::FileCreated);
        assert!(first.expose().len() >= 32);
        let (second, origin) = load_jwt_secret(&source).unwrap();
        assert_eq!(origin, SecretOrigin::FileRead);
        assert_eq!(first.expose(), second.expose());
        assert_eq!(format!("{first:?}"), "JwtSecret(<redacted>)");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("muster-jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
