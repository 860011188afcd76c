//! `/metrics` for operators: served on its own listener only, in formats
//! the Prometheus project's own parser reads (`tests/metrics/parse.py`),
//! with no personal data in it after a network has been used: every label
//! value is one of a fixed set, and no seeded email, feed secret, sign-in
//! token, id or reference appears anywhere in the body. Also the progress
//! lines of `seed-demo`, `backup` and `restore` when stderr is no terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    net::TcpListener,
    path::Path,
    process::{Command, Output},
};

use common::{
    LOGIN, TestDb,
    binary::{self, Server, free_addr, stderr},
    network::{self, PASSWORD, Persona},
    python::{json_lines, python_module_available, script},
    wire::{self, Reply, request},
};
use entity::{event, group, request, user};
use muster::domain::sealing::Field;
use poem::test::TestClient;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};

const SECRET: &str = "metrics-test-secret-0123456789abcdef0123";

/// Every route template of the route table, and `unmatched`: the only
/// values the `route` label may take.
const ROUTES: [&str; 74] = [
    "/",
    "/groups",
    "/groups/{slug}",
    "/groups/{slug}/manage",
    "/groups/{slug}/manage/members",
    "/groups/{slug}/manage/events",
    "/groups/{slug}/manage/events/new",
    "/groups/{slug}/manage/events/{id}",
    "/groups/{slug}/manage/events/{id}/cancel",
    "/groups/{slug}/manage/import",
    "/groups/{slug}/manage/profile",
    "/groups/{slug}/manage/requests",
    "/groups/{slug}/manage/requests/new",
    "/request",
    "/request/{reference}",
    "/events/{id}",
    "/events/{id}/rsvp",
    "/reset-password",
    "/verify-email",
    "/unsubscribe",
    "/signin",
    "/signout",
    "/register",
    "/me",
    "/me/groups/leave",
    "/me/feeds",
    "/me/feeds/revoke",
    "/me/profile",
    "/me/profile/name",
    "/me/profile/password",
    "/me/profile/email",
    "/me/data",
    "/me/data/download",
    "/me/delete",
    "/offers",
    "/offers/{id}/accept",
    "/offers/{id}/decline",
    "/offers/away",
    "/offers/away/remove",
    "/offers/profile",
    "/admin",
    "/admin/account",
    "/admin/account/role",
    "/admin/account/erase",
    "/groups/{slug}/join",
    "/desk",
    "/desk/letters",
    "/desk/letters/{slug}",
    "/desk/letters/{slug}/export.csv",
    "/letters",
    "/letters/{slug}",
    "/letters/{slug}/confirm",
    "/desk/requests",
    "/desk/requests/bulk",
    "/desk/requests/{id}",
    "/desk/topics",
    "/desk/topics/{id}",
    "/desk/trainers",
    "/desk/trainers/{id}",
    "/admin/outbox/retry",
    "/static/style.css",
    "/static/icon.svg",
    "/static/graphiql/{file}",
    "/favicon.ico",
    "/robots.txt",
    "/sitemap.xml",
    "/graphql",
    "/healthz",
    "/privacy",
    "/calendar.ics",
    "/groups/{slug}/calendar.ics",
    "/feeds/{token}/calendar.ics",
    "/events/{file}.ics",
    "unmatched",
];

/// The closed set each label draws from.
fn allowed_label_values(label: &str) -> Option<Vec<&'static str>> {
    Some(match label {
        "route" => ROUTES.to_vec(),
        "method" => vec!["GET", "HEAD", "POST", "OPTIONS", "OTHER"],
        "status" => vec!["1xx", "2xx", "3xx", "4xx", "5xx"],
        "result" => vec!["hit", "miss", "unchanged", "changed"],
        "state" => vec!["in_use", "idle", "busy"],
        "limit" => vec![
            "login_per_account",
            "login_per_address",
            "register_per_address",
            "anonymous_requests",
            "status_lookups",
            "feed_fetches",
            "account_mail_per_address",
            "account_mail_per_account",
            "password_hashing",
        ],
        "code" => vec![
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
        ],
        "version" => vec![env!("CARGO_PKG_VERSION")],
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// The Prometheus project's parser (Python's prometheus_client)

fn parser_available() -> bool {
    python_module_available("prometheus_client")
}

/// One sample as the parser read it.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: Option<f64>,
}

/// The metric families of `body` in `format` (`prometheus` or
/// `openmetrics`), by family name: (type, samples). Panics with the
/// parser's message on a body it rejects.
fn parse(body: &str, format: &str) -> BTreeMap<String, (String, Vec<Sample>)> {
    let mut command = script("tests/metrics/parse.py");
    command.arg(format);
    json_lines(command, body, &format!("the {format} parser rejects the body\n{body}"))
        .into_iter()
        .map(|family| {
            let samples = family["samples"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| Sample {
                    name: s["name"].as_str().unwrap().to_owned(),
                    labels: s["labels"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                        .collect(),
                    value: s["value"].as_f64(),
                })
                .collect();
            (
                family["name"].as_str().unwrap().to_owned(),
                (family["type"].as_str().unwrap().to_owned(), samples),
            )
        })
        .collect()
}

/// The value of the sample `name` whose labels include `labels`.
fn value(families: &BTreeMap<String, (String, Vec<Sample>)>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    families
        .values()
        .flat_map(|(_, samples)| samples)
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .and_then(|s| s.value)
}

/// Every label of every sample holds a value from its fixed set.
fn assert_labels_are_fixed(families: &BTreeMap<String, (String, Vec<Sample>)>) {
    for (family, (_, samples)) in families {
        for sample in samples {
            for (label, label_value) in &sample.labels {
                if label == "le" {
                    assert!(
                        label_value == "+Inf" || label_value.parse::<f64>().is_ok(),
                        "{family}: le={label_value}"
                    );
                    continue;
                }
                let allowed =
                    allowed_label_values(label).unwrap_or_else(|| panic!("{family}: unexpected label `{label}`"));
                assert!(
                    allowed.contains(&label_value.as_str()),
                    "{family}: {label}={label_value:?} is not one of the fixed values"
                );
            }
        }
    }
}

/// The families every scrape holds, with their types.
fn assert_families_present(families: &BTreeMap<String, (String, Vec<Sample>)>, format: &str) {
    for (name, kind) in [
        ("muster_http_requests", "counter"),
        ("muster_http_request_duration_seconds", "histogram"),
        ("muster_http_requests_in_flight", "gauge"),
        ("muster_db_pool_connections", "gauge"),
        ("muster_db_pool_max_connections", "gauge"),
        ("muster_db_statements", "counter"),
        ("muster_feed_cache_lookups", "counter"),
        ("muster_feed_cache_entries", "gauge"),
        ("muster_feed_cache_bytes", "gauge"),
        ("muster_rate_limit_refusals", "counter"),
        ("muster_password_hash_queue_depth", "gauge"),
        ("muster_password_hash_queue_capacity", "gauge"),
        ("muster_password_hash_workers", "gauge"),
    ] {
        let (found, _) = families
            .get(name)
            .unwrap_or_else(|| panic!("{format}: no family {name}: {:?}", families.keys()));
        assert_eq!(found, kind, "{format}: {name}");
    }
}

// ---------------------------------------------------------------------------
// In process: the app has no /metrics; the metrics app has nothing else

on_both_databases!(metrics_are_served_apart_from_the_app_and_parse);

async fn metrics_are_served_apart_from_the_app_and_parse(db: TestDb) {
    let fixture = network::build(&db.conn).await;
    let state = db.state();
    let app = TestClient::new(muster::app(state.clone()));
    let metrics = TestClient::new(muster::http::metrics_app(state.metrics.clone()));

    for accept in ["text/plain", "text/html", "application/openmetrics-text"] {
        app.get("/metrics")
            .header("accept", accept)
            .send()
            .await
            .assert_status(poem::http::StatusCode::NOT_FOUND);
    }
    metrics
        .get("/")
        .send()
        .await
        .assert_status(poem::http::StatusCode::NOT_FOUND);
    metrics
        .get("/graphql")
        .send()
        .await
        .assert_status(poem::http::StatusCode::NOT_FOUND);

    // A feed twice (the second from the cache), once more with its ETag
    // (the version check answers 304), a group's feed by its slug.
    let first = app.get("/calendar.ics").send().await;
    first.assert_status_is_ok();
    let etag = first.0.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    app.get("/calendar.ics").send().await.assert_status_is_ok();
    app.get("/calendar.ics")
        .header("if-none-match", &etag)
        .send()
        .await
        .assert_status(poem::http::StatusCode::NOT_MODIFIED);
    app.get("/groups/alpha/calendar.ics").send().await.assert_status_is_ok();
    let token = fixture.token(Persona::Member).unwrap();
    let (_, body) = common::graphql_as(&app, Some(&token), "{ nope }", json!({})).await;
    assert_eq!(common::error_code(&body), Some("BAD_USER_INPUT"), "{body}");

    let scraped = metrics.get("/metrics").send().await;
    scraped.assert_status_is_ok();
    scraped.assert_content_type("text/plain; version=0.0.4; charset=utf-8");
    let text = scraped.0.into_body().into_string().await.unwrap();
    assert!(text.contains("route=\"/groups/{slug}/calendar.ics\""), "{text}");
    assert!(!text.contains("alpha"), "no slug in the metrics: {text}");
    assert!(
        text.contains("muster_graphql_errors_total{code=\"BAD_USER_INPUT\"} 1"),
        "{text}"
    );

    // Statements are counted: a page that reads the database moves the
    // count (the process's, so other tests running meanwhile only add).
    let statements = |text: &str| -> u64 {
        text.lines()
            .find_map(|line| line.strip_prefix("muster_db_statements_total "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no statement count: {text}"))
    };
    let before = statements(&text);
    app.get("/groups/alpha").send().await.assert_status_is_ok();
    let after = metrics
        .get("/metrics")
        .send()
        .await
        .0
        .into_body()
        .into_string()
        .await
        .unwrap();
    assert!(statements(&after) > before, "{before} then {after}");

    let open = metrics
        .get("/metrics")
        .header("accept", "application/openmetrics-text; version=1.0.0,text/plain;q=0.5")
        .send()
        .await;
    open.assert_status_is_ok();
    open.assert_content_type("application/openmetrics-text; version=1.0.0; charset=utf-8");
    let open_text = open.0.into_body().into_string().await.unwrap();
    assert!(open_text.ends_with("# EOF\n"), "{open_text}");

    if !parser_available() {
        return;
    }
    for (body, format) in [(&text, "prometheus"), (&open_text, "openmetrics")] {
        let families = parse(body, format);
        assert_families_present(&families, format);
        assert_labels_are_fixed(&families);
        let requests = |route: &str, status: &str| {
            value(
                &families,
                "muster_http_requests_total",
                &[("route", route), ("method", "GET"), ("status", status)],
            )
        };
        assert_eq!(requests("/calendar.ics", "2xx"), Some(2.0), "{format}");
        assert_eq!(requests("/calendar.ics", "3xx"), Some(1.0), "{format}");
        assert_eq!(requests("unmatched", "4xx"), Some(3.0), "{format}");
        assert_eq!(
            value(
                &families,
                "muster_feed_version_checks_total",
                &[("result", "unchanged")]
            ),
            Some(1.0)
        );
        assert_eq!(
            value(&families, "muster_feed_version_checks_total", &[("result", "changed")]),
            Some(3.0)
        );
        assert_eq!(
            value(&families, "muster_feed_cache_lookups_total", &[("result", "hit")]),
            Some(1.0)
        );
        assert_eq!(
            value(&families, "muster_feed_cache_lookups_total", &[("result", "miss")]),
            Some(2.0)
        );
        assert_eq!(value(&families, "muster_feed_cache_entries", &[]), Some(2.0));
        let max = value(&families, "muster_db_pool_max_connections", &[]).unwrap();
        let in_use = value(&families, "muster_db_pool_connections", &[("state", "in_use")]).unwrap();
        let idle = value(&families, "muster_db_pool_connections", &[("state", "idle")]).unwrap();
        assert!(max >= 1.0 && in_use + idle <= max, "{in_use} + {idle} of {max}");
        let count = value(
            &families,
            "muster_http_request_duration_seconds_count",
            &[("route", "/calendar.ics"), ("method", "GET")],
        );
        assert_eq!(count, Some(3.0), "{format}");
    }
}

// ---------------------------------------------------------------------------
// The real binary on a seeded network

/// The binary on `database_url`.
fn muster(dir: &Path, database_url: &str) -> Command {
    let mut command = binary::muster(dir);
    command
        .env("MUSTER_DATABASE_URL", database_url)
        .env("MUSTER_JWT_SECRET", SECRET);
    command
}

/// A running `muster serve` with metrics on an address of their own.
struct MetricsServer {
    server: Server,
    metrics_addr: String,
}

impl MetricsServer {
    async fn start(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Self {
        let addr = free_addr();
        let metrics_addr = free_addr();
        let mut command = muster(dir, database_url);
        command
            .envs(env.iter().copied())
            .env("MUSTER_PUBLIC_URL", format!("http://{addr}"))
            .env("MUSTER_METRICS_BIND", &metrics_addr);
        let server = Server::start(command, addr, dir.join("server.log")).await;
        Self { server, metrics_addr }
    }
}

async fn get(addr: &str, path: &str) -> Reply {
    request(addr, "GET", path, &[], None).await.unwrap()
}

async fn graphql(addr: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let (status, body) = wire::graphql(addr, token, query, variables).await.unwrap();
    assert!(body.is_object(), "{status}: {body}");
    body
}

/// The path of a feed address the server handed out.
fn path_of(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    parsed.path().to_owned()
}

/// A sealed value as it reads in plain text.
fn opened(field: Field, row: uuid::Uuid, stored: &str) -> String {
    muster::domain::sealing::open(field, row, stored).unwrap()
}

/// Everything in the database that must never reach the metrics: every
/// email (people's, groups', requests' contacts), every id, every group
/// slug and request reference.
async fn secrets_in(db: &DatabaseConnection) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    common::install_test_data_key();
    for person in user::Entity::find().all(db).await.unwrap() {
        found.insert(person.id.to_string());
        found.extend(person.email.map(|e| opened(Field::UserEmail, person.id, &e)));
    }
    for g in group::Entity::find().all(db).await.unwrap() {
        found.insert(g.id.to_string());
        found.insert(format!("/{}", g.slug));
        found.insert(format!("\"{}\"", g.slug));
        found.extend(g.contact_email);
    }
    for r in request::Entity::find().all(db).await.unwrap() {
        found.insert(r.id.to_string());
        found.insert(r.reference);
        found.extend(r.contact_email.map(|e| opened(Field::RequestContactEmail, r.id, &e)));
    }
    for e in event::Entity::find().all(db).await.unwrap() {
        found.insert(e.id.to_string());
    }
    found
}

fn assert_none_in(body: &str, secrets: &BTreeSet<String>, what: &str) {
    let leaked: Vec<&String> = secrets.iter().filter(|s| body.contains(s.as_str())).collect();
    assert!(leaked.is_empty(), "{what} in the metrics: {leaked:?}");
}

on_both_databases!(a_used_network_leaves_no_personal_data_in_the_metrics);

async fn a_used_network_leaves_no_personal_data_in_the_metrics(db: TestDb) {
    let fixture = network::build(&db.conn).await;
    let dir = tempfile::tempdir().unwrap();
    let server = MetricsServer::start(
        dir.path(),
        &db.url,
        &[
            ("MUSTER_FEED_FETCHES_PER_HOUR", "3"),
            ("MUSTER_LOGIN_PER_ADDRESS_PER_HOUR", "1000"),
        ],
    )
    .await;
    let addr = server.server.addr.as_str();

    assert_eq!(get(addr, "/metrics").await.status, 404, "never on the public address");
    assert_eq!(get(&server.metrics_addr, "/graphql").await.status, 404);

    let mut secrets = secrets_in(&db.conn).await;
    secrets.insert(PASSWORD.to_owned());

    // Everyone signs in, makes a private feed and fetches it; a calendar
    // app polls until the per-feed limit refuses it.
    for persona in Persona::ALL.into_iter().filter(|p| *p != Persona::Anonymous) {
        let email = fixture.person(persona).unwrap().email.clone();
        let sign_in = |password: &str| graphql(addr, None, LOGIN, json!({ "email": email, "password": password }));
        let wrong = sign_in("not the password at all").await;
        assert!(wrong["errors"].is_array(), "{wrong}");
        let login = sign_in(PASSWORD).await;
        let token = login["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{login}"))
            .to_owned();
        let created = graphql(
            addr,
            Some(&token),
            "mutation { createFeedToken(label: \"phone\") { secret url } }",
            json!({}),
        )
        .await;
        let secret = created["data"]["createFeedToken"]["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let url = created["data"]["createFeedToken"]["url"].as_str().unwrap().to_owned();
        let feed = path_of(&url);
        assert!(feed.contains(&secret));
        let fetched = get(addr, &feed).await;
        assert_eq!(fetched.status, 200, "{}", fetched.body);
        for _ in 0..3 {
            get(addr, &feed).await;
        }
        assert_eq!(get(addr, &feed).await.status, 429);
        let me = graphql(addr, Some(&token), "{ me { id email } }", json!({})).await;
        assert_eq!(me["data"]["me"]["email"], json!(email), "{me}");
        secrets.insert(token);
        secrets.insert(secret);
    }
    // What anyone may try: an unknown feed, a members-only event's file,
    // a request's status page, the public and group feeds.
    assert_eq!(
        get(addr, "/feeds/not-a-real-feed-secret/calendar.ics").await.status,
        404
    );
    let members_only = format!("/events/{}.ics", fixture.alpha_members_event);
    assert_eq!(get(addr, &members_only).await.status, 404);
    get(addr, &format!("/events/{}", fixture.alpha_public_event)).await;
    get(addr, &format!("/request/{}", fixture.requests.alpha_reference)).await;
    get(addr, "/groups/alpha/calendar.ics").await;
    get(addr, "/groups/beta").await;
    let public = get(addr, "/calendar.ics?group=alpha&region=Wales").await;
    let etag = public.header("etag").unwrap().to_owned();
    let unchanged = request(
        addr,
        "GET",
        "/calendar.ics?group=alpha&region=Wales",
        &[("If-None-Match", &etag)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(unchanged.status, 304);

    let text = get(&server.metrics_addr, "/metrics").await;
    assert_eq!(text.status, 200);
    let open = request(
        &server.metrics_addr,
        "GET",
        "/metrics",
        &[("Accept", "application/openmetrics-text; version=1.0.0")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(open.status, 200);
    for body in [&text.body, &open.body] {
        assert_none_in(body, &secrets, "personal data, a secret or an id");
        for email in fixture.emails() {
            assert!(!body.contains(email), "{email} in the metrics");
        }
        assert!(!body.contains("@"), "nothing like an address: {body}");
        assert!(!body.contains("REQ-"), "no request reference");
        assert!(!body.contains("Wales"), "no filter from a query string");
    }

    if !parser_available() {
        return;
    }
    for (body, format) in [(&text.body, "prometheus"), (&open.body, "openmetrics")] {
        let families = parse(body, format);
        assert_families_present(&families, format);
        assert_labels_are_fixed(&families);
        let feed = |status: &str| {
            value(
                &families,
                "muster_http_requests_total",
                &[("route", "/feeds/{token}/calendar.ics"), ("status", status)],
            )
        };
        // Each of 7 feeds: 3 fetches within the limit, 2 refused; and the
        // unknown feed's 404.
        assert_eq!(feed("2xx"), Some(7.0 * 3.0), "{format}");
        assert_eq!(feed("4xx"), Some(7.0 * 2.0 + 1.0), "{format}");
        assert_eq!(
            value(
                &families,
                "muster_rate_limit_refusals_total",
                &[("limit", "feed_fetches")]
            ),
            Some(14.0)
        );
        assert_eq!(
            value(
                &families,
                "muster_feed_version_checks_total",
                &[("result", "unchanged")]
            ),
            Some(1.0)
        );
        assert!(
            value(&families, "muster_graphql_errors_total", &[("code", "UNAUTHENTICATED")]).unwrap_or(0.0) >= 7.0,
            "{format}: the wrong passwords"
        );
        assert!(value(&families, "process_resident_memory_bytes", &[]).unwrap() > 1e6);
    }
}

// ---------------------------------------------------------------------------
// The demo network through the command line, with progress as log lines

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_demo_backup_and_restore_log_progress_and_the_demo_stays_out_of_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("muster.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());

    // Stderr is a pipe here, as in a service's log: lines, not a bar.
    let seeded = muster(dir.path(), &url)
        .args(["seed-demo", "--scale", "500"])
        .output()
        .unwrap();
    assert_logged(
        &seeded,
        &[
            "seed-demo: planning",
            "seed-demo: planning done in ",
            "seed-demo: writing ",
            "seed-demo: writing done, ",
            "seed-demo: committing done in ",
        ],
    );
    let log = stderr(&seeded);
    assert!(
        !log.contains('\r') && !log.contains("\x1b["),
        "no terminal drawing: {log:?}"
    );
    assert!(String::from_utf8_lossy(&seeded.stdout).contains("500 events"));

    let db = muster::db::connect(&muster::config::DatabaseUrl::parse(&url).unwrap())
        .await
        .unwrap();
    let secrets = secrets_in(&db).await;
    let emails: Vec<String> = user::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|u| u.email.map(|e| opened(Field::UserEmail, u.id, &e)))
        .collect();
    let slugs: Vec<String> = group::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.slug)
        .collect();
    db.close().await.unwrap();
    assert!(emails.len() > 50, "{}", emails.len());

    {
        let server = MetricsServer::start(dir.path(), &url, &[("MUSTER_LOGIN_PER_ADDRESS_PER_HOUR", "1000")]).await;
        let addr = server.server.addr.as_str();
        for slug in &slugs {
            assert_eq!(get(addr, &format!("/groups/{slug}/calendar.ics")).await.status, 200);
            get(addr, &format!("/calendar.ics?group={slug}")).await;
            get(addr, &format!("/groups/{slug}")).await;
        }
        // Demo accounts have no password: every sign-in is refused.
        for email in emails.iter().take(40) {
            let login = graphql(
                addr,
                None,
                "mutation($e: String!) { login(email: $e, password: \"a guess of a password\") { token } }",
                json!({ "e": email }),
            )
            .await;
            assert!(login["errors"].is_array(), "{login}");
        }
        let body = get(&server.metrics_addr, "/metrics").await.body;
        assert_none_in(&body, &secrets, "the demo's data");
        for email in &emails {
            assert!(!body.contains(email.as_str()), "{email} in the metrics");
        }
        assert!(body.contains("route=\"/groups/{slug}/calendar.ics\""), "{body}");
        if parser_available() {
            assert_labels_are_fixed(&parse(&body, "prometheus"));
        }
    }

    let copy = dir.path().join("copy.db");
    let backup = muster(dir.path(), &url).arg("backup").arg(&copy).output().unwrap();
    assert_logged(
        &backup,
        &[
            "backup: copying ",
            "backup: copying done, ",
            "backup: verifying done in ",
        ],
    );

    let restore = muster(dir.path(), &url).arg("restore").arg(&copy).output().unwrap();
    assert_logged(
        &restore,
        &[
            "restore: verifying done in ",
            "restore: copying ",
            "restore: copying done, ",
        ],
    );
}

/// The command succeeded and logged each of `lines` (on stderr).
fn assert_logged(output: &Output, lines: &[&str]) {
    assert!(output.status.success(), "{}", stderr(output));
    let log = stderr(output);
    for line in lines {
        assert!(log.contains(line), "`{line}` in: {log}");
    }
}

#[test]
fn metrics_bind_is_checked_and_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let url = binary::sqlite_url(dir.path());
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let output = muster(dir.path(), &url)
        .env("MUSTER_BIND", free_addr())
        .env("MUSTER_METRICS_BIND", taken.local_addr().unwrap().to_string())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let errors: Vec<String> = stderr(&output)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(str::to_owned)
        .collect();
    assert_eq!(errors.len(), 1, "{}", stderr(&output));
    assert!(errors[0].contains("MUSTER_METRICS_BIND"), "{errors:?}");

    let bind = free_addr();
    let same = muster(dir.path(), &url)
        .env("MUSTER_BIND", &bind)
        .env("MUSTER_METRICS_BIND", &bind)
        .output()
        .unwrap();
    assert!(!same.status.success());
    assert!(stderr(&same).contains("MUSTER_METRICS_BIND"), "{}", stderr(&same));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_off_serves_no_metrics_listener() {
    let dir = tempfile::tempdir().unwrap();
    let url = binary::sqlite_url(dir.path());
    let mut command = muster(dir.path(), &url);
    command.env("MUSTER_METRICS_BIND", "off");
    let mut server = Server::start(command, free_addr(), dir.path().join("server.log")).await;
    assert_eq!(get(&server.addr, "/metrics").await.status, 404);
    server.kill_9();
    let log = server.log();
    assert!(log.contains("metrics are off"), "{log}");
    assert!(!log.contains("metrics at /metrics"), "{log}");
}
