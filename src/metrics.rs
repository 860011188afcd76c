//! What an operator watches: the process's metrics, in the Prometheus text
//! and OpenMetrics formats, for `GET /metrics` on its own listener
//! (`MUSTER_METRICS_BIND`, never the public one).
//!
//! No personal data can reach a label. Every label value is one of a
//! closed set fixed in this code: a route *template* from the route table
//! (`/feeds/{token}/calendar.ics`, never a path that was asked for), a
//! method from a short list, a status class, an error code, the name of a
//! rate limit. Nothing a client sends is ever copied into a label, so an
//! email, a token, an id or a slug cannot appear in the output, and the
//! number of series stays fixed however many addresses are asked for.
//!
//! Counts are kept where each thing happens: requests by the HTTP
//! middleware (`http::instrument`), feed cache hits and misses by the cache,
//! refusals by each rate limiter and the password-hashing queue, version
//! checks where a public feed answers `304`. Gauges (database pool, hashing
//! queue, memory) are read when the metrics are scraped.

use std::{
    borrow::Cow,
    fmt,
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder},
    metrics::{
        MetricType,
        counter::{ConstCounter, Counter},
        family::Family,
        gauge::{ConstGauge, Gauge},
        histogram::Histogram,
    },
    registry::{Registry, Unit},
};
use sea_orm::{DatabaseConnection, DatabaseConnectionType};

use crate::{hashing, http::feed_cache::FeedCache, rate_limit::RateLimits};

/// Statements sent to the database by this process, every connection
/// `db::connect` made. One count for the process, as the hashing pool's:
/// the growth benchmark divides it by the requests answered to show that
/// statements per request do not grow with the network.
static DB_STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// One statement sent (called by the connection's metric callback).
pub fn statement_sent() {
    DB_STATEMENTS.fetch_add(1, Ordering::Relaxed);
}

/// Upper bounds of the request latency buckets, in seconds: a feed from the
/// cache is a millisecond or two, a login tens of milliseconds (argon2), a
/// large feed rendered afresh up to seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// A route template from the route table, such as `/feeds/{token}/calendar.ics`.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct RouteTemplate(Arc<str>);

impl RouteTemplate {
    /// The template for a poem route path: `:token` becomes `{token}`, and
    /// `:file<[^/]+\.ics>` becomes `{file}.ics` (the pattern's fixed ending
    /// kept, the rest of the pattern dropped).
    pub fn of_route(path: &str) -> Self {
        let mut template = String::with_capacity(path.len() + 4);
        let mut rest = path;
        while let Some(at) = rest.find("/:") {
            template.push_str(&rest[..=at]);
            let param = &rest[at + 2..];
            let name_end = param.find(['<', '/']).unwrap_or(param.len());
            template.push('{');
            template.push_str(&param[..name_end]);
            template.push('}');
            rest = &param[name_end..];
            if let Some(pattern) = rest.strip_prefix('<') {
                // The pattern may hold `/` and `<`: it ends at its matching `>`.
                let mut depth = 1;
                let close = pattern
                    .char_indices()
                    .find(|(_, c)| {
                        match c {
                            '<' => depth += 1,
                            '>' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map_or(pattern.len(), |(i, _)| i);
                template.push_str(fixed_ending(&pattern[..close]));
                rest = pattern.get(close + 1..).unwrap_or_default();
            }
        }
        template.push_str(rest);
        Self(template.into())
    }

    /// Requests that matched no route (a 404): one series for all of them,
    /// whatever was asked for.
    pub fn unmatched() -> Self {
        Self(Arc::from("unmatched"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The literal ending of a route pattern such as `[^/]+\.ics`: `.ics`.
fn fixed_ending(pattern: &str) -> &str {
    match pattern.rfind("\\.") {
        Some(at) if pattern[at + 2..].chars().all(|c| c.is_ascii_alphanumeric()) => &pattern[at + 1..],
        _ => "",
    }
}

impl EncodeLabelValue for RouteTemplate {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// The request method, from a closed list so that made-up methods cannot
/// add series.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(clippy::upper_case_acronyms)]
pub enum Method {
    GET,
    HEAD,
    POST,
    OPTIONS,
    OTHER,
}

impl From<&poem::http::Method> for Method {
    fn from(method: &poem::http::Method) -> Self {
        match *method {
            poem::http::Method::GET => Self::GET,
            poem::http::Method::HEAD => Self::HEAD,
            poem::http::Method::POST => Self::POST,
            poem::http::Method::OPTIONS => Self::OPTIONS,
            _ => Self::OTHER,
        }
    }
}

/// `2xx`, `3xx`, `4xx`, `5xx` (and `1xx`, which muster does not send).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct StatusClass(u8);

impl StatusClass {
    pub fn of(status: poem::http::StatusCode) -> Self {
        Self((status.as_u16() / 100).clamp(1, 5) as u8)
    }
}

impl EncodeLabelValue for StatusClass {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        let class = match self.0 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        };
        EncodeLabelValue::encode(&class, encoder)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: RouteTemplate,
    method: Method,
    status: StatusClass,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    route: RouteTemplate,
    method: Method,
}

/// What a public feed's version check found.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum VersionCheck {
    /// The client had this version: `304`, nothing loaded or rendered.
    Unchanged,
    /// The client's copy is older (or it had none): the feed is sent.
    Changed,
}

impl EncodeLabelValue for VersionCheck {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        let result = match self {
            Self::Unchanged => "unchanged",
            Self::Changed => "changed",
        };
        EncodeLabelValue::encode(&result, encoder)
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionCheckLabels {
    result: VersionCheck,
}

/// The error codes of the API: the closed set of `extensions.code`.
const GRAPHQL_CODES: [&str; 10] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "INVALID_TRANSITION",
    "CONFLICT",
    "TRAINER_UNAVAILABLE",
    "RATE_LIMITED",
    "INTERNAL",
    "OTHER",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GraphqlErrorLabels {
    code: &'static str,
}

/// The process's metrics. One per app: tests that build several apps in
/// one process each see their own counts (the password-hashing pool is
/// the process's, and every app reports it).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge<i64, AtomicI64>,
    version_checks: Family<VersionCheckLabels, Counter>,
    graphql_errors: Family<GraphqlErrorLabels, Counter>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Metrics {
    /// Metrics for an app on `db`, reading the feed cache's and the rate
    /// limits' own counts at each scrape.
    pub fn new(db: DatabaseConnection, feed_cache: Arc<FeedCache>, rate_limits: Arc<RateLimits>) -> Self {
        let mut root = Registry::default();
        // The standard process metrics' names, so dashboards made for any
        // exporter show them; the rest is muster's own, under `muster_`.
        root.register_collector(Box::new(Process));
        let registry = root.sub_registry_with_prefix("muster");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status class",
            requests.clone(),
        );
        let latency = Family::<LatencyLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer's headers, by route template and method",
            Unit::Seconds,
            latency.clone(),
        );
        let in_flight = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered now",
            in_flight.clone(),
        );
        let version_checks = Family::<VersionCheckLabels, Counter>::default();
        registry.register(
            "feed_version_checks",
            "Version queries of public feeds: unchanged answered 304 with that one query, changed sent the feed",
            version_checks.clone(),
        );
        let graphql_errors = Family::<GraphqlErrorLabels, Counter>::default();
        registry.register(
            "graphql_errors",
            "Errors in GraphQL answers, by extensions.code",
            graphql_errors.clone(),
        );
        registry.register_collector(Box::new(ReadAtScrape {
            db,
            feed_cache,
            rate_limits,
        }));
        Self {
            registry: root,
            requests,
            latency,
            in_flight,
            version_checks,
            graphql_errors,
        }
    }

    /// A request has arrived; the guard records it when dropped, so a
    /// request whose client goes away is still counted out of `in_flight`.
    pub fn request_started(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// One answered request.
    pub fn request_answered(
        &self,
        route: &RouteTemplate,
        method: Method,
        status: poem::http::StatusCode,
        took: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method,
                status: StatusClass::of(status),
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels {
                route: route.clone(),
                method,
            })
            .observe(took.as_secs_f64());
    }

    pub fn feed_version_checked(&self, result: VersionCheck) {
        self.version_checks.get_or_create(&VersionCheckLabels { result }).inc();
    }

    /// One error of a GraphQL answer, by its `extensions.code`.
    pub fn graphql_error(&self, code: &str) {
        let code = GRAPHQL_CODES
            .iter()
            .find(|known| **known == code)
            .copied()
            .unwrap_or("OTHER");
        self.graphql_errors.get_or_create(&GraphqlErrorLabels { code }).inc();
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    pub fn prometheus_text(&self) -> Result<String, fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    /// The metrics in the OpenMetrics text format (ending in `# EOF`).
    pub fn openmetrics_text(&self) -> Result<String, fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Counts a request out of `muster_http_requests_in_flight` when dropped.
pub struct InFlight<'a>(&'a Gauge<i64, AtomicI64>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What is read when the metrics are scraped rather than counted as it
/// happens: gauges of the pool and queues, and counts kept by the parts
/// that own them (the feed cache, the rate limiters, the hashing pool).
struct ReadAtScrape {
    db: DatabaseConnection,
    feed_cache: Arc<FeedCache>,
    rate_limits: Arc<RateLimits>,
}

impl fmt::Debug for ReadAtScrape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadAtScrape").finish_non_exhaustive()
    }
}

/// A connection pool's size, idle connections and bound.
struct PoolUse {
    open: u32,
    idle: u32,
    max: u32,
}

fn pool_use(db: &DatabaseConnection) -> Option<PoolUse> {
    match &db.inner {
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            Some(PoolUse {
                open: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
        }
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            Some(PoolUse {
                open: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            })
        }
        _ => None,
    }
}

/// The process's resident memory, from `/proc/self/status` (Linux only).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, unit: Option<&Unit>, value: i64) -> fmt::Result {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, unit, metric.metric_type())?)
}

/// A family read at scrape time: one label, one value per label value.
fn family(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric_type: MetricType,
    label: &'static str,
    values: &[(&'static str, u64)],
) -> fmt::Result {
    let mut metric_encoder = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (value_label, value) in values {
        let labels = [(label, Cow::Borrowed(*value_label))];
        let sample = metric_encoder.encode_family(&labels)?;
        match metric_type {
            MetricType::Counter => ConstCounter::new(*value).encode(sample)?,
            _ => ConstGauge::new(i64::try_from(*value).unwrap_or(i64::MAX)).encode(sample)?,
        }
    }
    Ok(())
}

impl Collector for ReadAtScrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        if let Some(pool) = pool_use(&self.db) {
            let in_use = pool.open.saturating_sub(pool.idle);
            family(
                &mut encoder,
                "db_pool_connections",
                "Database connections open, by state: in_use (running a statement or a transaction) or idle.",
                MetricType::Gauge,
                "state",
                &[("in_use", in_use.into()), ("idle", pool.idle.into())],
            )?;
            gauge(
                &mut encoder,
                "db_pool_max_connections",
                "The most database connections the pool opens; requests wait when all are in use.",
                None,
                pool.max.into(),
            )?;
        }

        let statements = ConstCounter::new(DB_STATEMENTS.load(Ordering::Relaxed));
        statements.encode(encoder.encode_descriptor(
            "db_statements",
            "Statements sent to the database by this process, by every app in it.",
            None,
            statements.metric_type(),
        )?)?;

        let cache = self.feed_cache.stats();
        family(
            &mut encoder,
            "feed_cache_lookups",
            "Public feed renders looked up in the cache: hit (served as kept) or miss (rendered).",
            MetricType::Counter,
            "result",
            &[("hit", cache.hits), ("miss", cache.misses)],
        )?;
        gauge(
            &mut encoder,
            "feed_cache_entries",
            "Public feeds kept rendered in memory.",
            None,
            i64::try_from(cache.entries).unwrap_or(i64::MAX),
        )?;
        gauge(
            &mut encoder,
            "feed_cache",
            "Memory held by kept feeds (bodies and their gzips).",
            Some(&Unit::Bytes),
            i64::try_from(cache.bytes).unwrap_or(i64::MAX),
        )?;

        let hashing = hashing::stats();
        let mut refusals: Vec<(&'static str, u64)> = self.rate_limits.refusals().to_vec();
        refusals.push(("password_hashing", hashing.refused));
        family(
            &mut encoder,
            "rate_limit_refusals",
            "Attempts refused with RATE_LIMITED or 429, by limit (password_hashing: the hashing queue was full).",
            MetricType::Counter,
            "limit",
            &refusals,
        )?;
        gauge(
            &mut encoder,
            "password_hash_queue_depth",
            "Password hashes (logins, registrations) waiting for a hashing thread.",
            None,
            i64::try_from(hashing.queued).unwrap_or(i64::MAX),
        )?;
        gauge(
            &mut encoder,
            "password_hash_queue_capacity",
            "Password hashes that may wait before more are refused.",
            None,
            i64::try_from(hashing.capacity).unwrap_or(i64::MAX),
        )?;
        family(
            &mut encoder,
            "password_hash_workers",
            "Password hashing threads, by state: busy (hashing) or idle.",
            MetricType::Gauge,
            "state",
            &[
                ("busy", hashing.busy as u64),
                ("idle", hashing.workers.saturating_sub(hashing.busy) as u64),
            ],
        )?;

        let mut info = encoder.encode_descriptor("build", "The running muster's version.", None, MetricType::Info)?;
        info.encode_info(&[("version", env!("CARGO_PKG_VERSION"))])?;
        Ok(())
    }
}

/// The process as any exporter reports it.
#[derive(Debug)]
struct Process;

impl Collector for Process {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        if let Some(bytes) = resident_bytes() {
            gauge(
                &mut encoder,
                "process_resident_memory",
                "Resident memory of the muster process.",
                Some(&Unit::Bytes),
                i64::try_from(bytes).unwrap_or(i64::MAX),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_templates_come_from_the_route_table() {
        for (route, template) in [
            ("/", "/"),
            ("/groups/:slug", "/groups/{slug}"),
            ("/feeds/:token/calendar.ics", "/feeds/{token}/calendar.ics"),
            ("/events/:file<[^/]+\\.ics>", "/events/{file}.ics"),
            ("/request/:reference", "/request/{reference}"),
            ("/x/:rest<.+>", "/x/{rest}"),
            ("/a/:b<[^/]+>/c/:d", "/a/{b}/c/{d}"),
        ] {
            assert_eq!(RouteTemplate::of_route(route).as_str(), template);
        }
    }

    #[test]
    fn unknown_error_codes_share_one_series() {
        assert_eq!(GRAPHQL_CODES.iter().filter(|c| **c == "OTHER").count(), 1);
    }
}
