//! Crash, fault and load tests against the real `muster` binary over real
//! sockets:
//!
//! - `sqlite_kill_9_under_write_load_loses_no_acknowledged_write`: five
//!   rounds of SIGKILL during a steady load of eight writers (events, RSVPs,
//!   requests, groups and memberships); after each, every write acknowledged
//!   so far is there and `PRAGMA integrity_check` says `ok`.
//! - `postgres_stopped_under_load_then_started_again_recovers_without_restart`:
//!   a throwaway PostgreSQL cluster of its own (never the shared one) is
//!   stopped under load: `/healthz` answers 503 and GraphQL `INTERNAL` with no
//!   database text; started again, the same server process recovers.
//! - `postgres_server_killed_mid_transaction_leaves_nothing_half_written`:
//!   the server is killed while one of its connections is inside a
//!   transaction; every acknowledged write is there and no request, event
//!   or journal entry is left without the rows written with it.
//! - `bursts_of_password_work_and_exports_keep_memory_bounded`: ten rounds
//!   of 50 simultaneous logins, 50 registrations and 20 exports grow the
//!   server's memory by less than 64 MiB, and `/healthz` answers throughout.
//! - `soak_mixed_reads_writes_and_feeds`: a bounded loopback soak
//!   (`MUSTER_SOAK_SECS`, default 5) reporting requests, errors by kind and
//!   the server's memory before and after. `scripts/soak.sh` runs it longer.
//! - `sqlite_backup_under_write_load_...`: `muster backup` while four writers
//!   run; every write acknowledged before it began is in the copy, which passes
//!   `PRAGMA integrity_check`; `muster restore` refuses while the server runs
//!   and restores once it is stopped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU8, Ordering},
    },
    time::{Duration, Instant},
};

mod common;

use common::{
    binary::{self, Server, free_addr, rss_of},
    error_code,
    wire::{graphql, request},
};
use sea_orm::{ConnectionTrait, Database, EntityTrait, QuerySelect};
use serde_json::{Value, json};

const SECRET: &str = "faults-test-secret-0123456789abcdef0123";
const EMAIL: &str = "coordinator@example.org";
const PASSWORD: &str = "a long enough passphrase";

// ---------------------------------------------------------------------------
// The binary

/// The binary on `database_url`, logging warnings only: the load tests'
/// logs stay small.
fn muster(dir: &Path, database_url: &str) -> Command {
    let mut command = binary::muster(dir);
    command
        .env("RUST_LOG", "warn")
        .env("MUSTER_DATABASE_URL", database_url)
        .env("MUSTER_JWT_SECRET", SECRET);
    command
}

fn run_ok(mut command: Command) -> Output {
    let output = command.stdout(Stdio::piped()).stderr(Stdio::piped()).output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn create_coordinator(dir: &Path, database_url: &str) {
    let output = binary::create_coordinator(muster(dir, database_url), EMAIL, "Sam Fault", PASSWORD, &[]);
    assert!(output.status.success(), "{}", binary::stderr(&output));
}

/// `muster serve` on a free address, with `env` added to its environment.
async fn serve(dir: &Path, database_url: &str, log_name: &str, env: &[(&str, &str)]) -> Server {
    let mut command = muster(dir, database_url);
    command.envs(env.iter().copied());
    Server::start(command, free_addr(), dir.join(log_name)).await
}

/// The coordinator created, the server started and the coordinator signed
/// in: the server and the token.
async fn serve_signed_in(dir: &Path, database_url: &str, log_name: &str, env: &[(&str, &str)]) -> (Server, String) {
    create_coordinator(dir, database_url);
    let server = serve(dir, database_url, log_name, env).await;
    let token = login(&server.addr).await;
    (server, token)
}

async fn login(addr: &str) -> String {
    let (status, body) = graphql(
        addr,
        None,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        json!({ "e": EMAIL, "p": PASSWORD }),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    body["data"]["login"]["token"].as_str().expect("a token").to_owned()
}

const CREATE_EVENT: &str = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }";

fn event_input(title: &str) -> Value {
    let starts = chrono::Utc::now() + chrono::Duration::days(30);
    let ends = starts + chrono::Duration::hours(2);
    json!({ "input": {
        "title": title,
        "startsAt": starts.to_rfc3339(),
        "endsAt": ends.to_rfc3339(),
        "kind": "MEETING",
    }})
}

/// The id of a created event, when the write was acknowledged: HTTP 200, no
/// errors, an id.
async fn create_event(addr: &str, token: &str, title: &str) -> Result<String, String> {
    match graphql(addr, Some(token), CREATE_EVENT, event_input(title)).await {
        Ok((200, body)) if body["errors"].is_null() => body["data"]["createEvent"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no id in {body}")),
        Ok((status, body)) => Err(error_code(&body).map_or_else(|| format!("HTTP {status}"), str::to_owned)),
        Err(err) => Err(format!("transport: {err}")),
    }
}

// ---------------------------------------------------------------------------
// 1. SIGKILL under write load on SQLite

/// One write the server acknowledged (HTTP 200, no errors), by what it
/// wrote, so that it can be looked for after a crash.
#[derive(Debug, Clone)]
enum Written {
    Event(uuid::Uuid),
    /// The coordinator's RSVP to this event.
    Rsvp(uuid::Uuid),
    Request(String),
    /// The coordinator's request to join the group with this slug.
    Membership(String),
}

/// A mutation's answer at `path` (`createEvent.id`) when acknowledged.
async fn acknowledged_at(addr: &str, token: &str, query: &str, variables: Value, path: &[&str]) -> Option<String> {
    match graphql(addr, Some(token), query, variables).await {
        Ok((200, body)) if body["errors"].is_null() => {
            let mut value = &body["data"];
            for part in path {
                value = &value[*part];
            }
            value.as_str().map(str::to_owned)
        }
        _ => None,
    }
}

const RSVP: &str = "mutation($id: ID!) { rsvp(eventId: $id) { status } }";
const SUBMIT_REQUEST: &str = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }";
const CREATE_GROUP: &str = "mutation($input: CreateGroupInput!) { createGroup(input: $input) { slug } }";
const REQUEST_TO_JOIN: &str = "mutation($slug: String!) { requestToJoin(groupSlug: $slug) { status } }";

/// One writer's cycle: an event, an RSVP to it, a request from an outside
/// organisation, a group and a request to join it. Each acknowledged step
/// is recorded before the next begins.
async fn mixed_writes(
    addr: String,
    token: String,
    topic: String,
    tag: String,
    log: Arc<Mutex<Vec<Written>>>,
    stop: Arc<AtomicBool>,
) {
    let acknowledged = |query: &'static str, variables: Value, path: &'static [&'static str]| {
        acknowledged_at(&addr, &token, query, variables, path)
    };
    let record = |written: Written| log.lock().unwrap().push(written);
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let Some(event) = create_event(&addr, &token, &format!("{tag} event {n}")).await.ok() else {
            continue;
        };
        let event: uuid::Uuid = event.parse().expect("event ids are UUIDs");
        record(Written::Event(event));
        if acknowledged(RSVP, json!({ "id": event }), &["rsvp", "status"])
            .await
            .is_some()
        {
            record(Written::Rsvp(event));
        }
        let windows = json!([{ "startsAt": chrono::Utc::now() + chrono::Duration::days(20), "endsAt": chrono::Utc::now() + chrono::Duration::days(21) }]);
        let request = json!({ "input": {
            "kind": "WORKSHOP", "topicId": topic, "organisationName": format!("{tag} surgery {n}"),
            "contactName": "Practice manager", "contactEmail": format!("{tag}-{n}@surgery.example.org"),
            "preferredWindows": windows, "online": true, "notes": "",
        }});
        if let Some(reference) = acknowledged(SUBMIT_REQUEST, request, &["submitRequest", "reference"]).await {
            record(Written::Request(reference));
        }
        let slug = format!("{tag}-{n}");
        let group = json!({ "input": { "slug": slug, "name": format!("{tag} group {n}"), "region": "Wales" } });
        if acknowledged(CREATE_GROUP, group, &["createGroup", "slug"])
            .await
            .is_some()
            && acknowledged(REQUEST_TO_JOIN, json!({ "slug": slug }), &["requestToJoin", "status"])
                .await
                .is_some()
        {
            record(Written::Membership(slug));
        }
    }
}

/// The topic the writers' requests are about.
async fn create_topic(addr: &str, token: &str) -> String {
    acknowledged_at(
        addr,
        token,
        "mutation($input: CreateTopicInput!) { createTopic(input: $input) { id } }",
        json!({ "input": { "slug": "safe-surgeries", "name": "Safe Surgeries", "description": "", "typicalDurationMinutes": 90 } }),
        &["createTopic", "id"],
    )
    .await
    .expect("a topic for the requests")
}

/// `WRITERS` writers making mixed writes against one server until stopped,
/// each acknowledged write added to `written`.
struct WriteLoad {
    stop: Arc<AtomicBool>,
    writers: Vec<tokio::task::JoinHandle<()>>,
}

impl WriteLoad {
    fn start(addr: &str, token: &str, topic: &str, tag: &str, written: &Arc<Mutex<Vec<Written>>>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let writers = (0..WRITERS)
            .map(|w| {
                tokio::spawn(mixed_writes(
                    addr.to_owned(),
                    token.to_owned(),
                    topic.to_owned(),
                    format!("{tag}w{w}"),
                    written.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        Self { stop, writers }
    }

    /// Stops the writers (after the server was killed) and waits for them.
    async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for writer in self.writers {
            writer.await.unwrap();
        }
    }
}

/// Every value of one column of a table.
async fn column_values<E, T>(db: &sea_orm::DatabaseConnection, column: E::Column) -> std::collections::HashSet<T>
where
    E: EntityTrait,
    T: sea_orm::TryGetableMany + std::hash::Hash + Eq,
{
    E::find()
        .select_only()
        .column(column)
        .into_tuple()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// Which acknowledged writes are not on disk, and what `PRAGMA
/// integrity_check` says, reading the file directly.
async fn lost_writes(url: &str, written: &[Written]) -> (Vec<Written>, Vec<String>) {
    use sea_orm::{ColumnTrait, QueryFilter};
    let db = Database::connect(url).await.unwrap();
    let events = column_values::<entity::event::Entity, uuid::Uuid>(&db, entity::event::Column::Id).await;
    let rsvps = column_values::<entity::rsvp::Entity, uuid::Uuid>(&db, entity::rsvp::Column::EventId).await;
    let references = column_values::<entity::request::Entity, String>(&db, entity::request::Column::Reference).await;
    let mut lost = Vec::new();
    for write in written {
        let present = match write {
            Written::Event(id) => events.contains(id),
            Written::Rsvp(event) => rsvps.contains(event),
            Written::Request(reference) => references.contains(reference),
            Written::Membership(slug) => {
                let group = entity::group::Entity::find()
                    .filter(entity::group::Column::Slug.eq(slug.as_str()))
                    .one(&db)
                    .await
                    .unwrap();
                match group {
                    Some(group) => entity::membership::Entity::find()
                        .filter(entity::membership::Column::GroupId.eq(group.id))
                        .one(&db)
                        .await
                        .unwrap()
                        .is_some(),
                    None => false,
                }
            }
        };
        if !present {
            lost.push(write.clone());
        }
    }
    let integrity = if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        let rows = common::sql_rows(&db, "PRAGMA integrity_check").await;
        rows.iter().map(|r| r.try_get_by_index(0).unwrap()).collect()
    } else {
        Vec::new()
    };
    db.close().await.unwrap();
    (lost, integrity)
}

const KILL_ROUNDS: usize = 5;
const WRITERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_under_write_load_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("muster.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    create_coordinator(dir.path(), &url);
    let written = Arc::new(Mutex::new(Vec::<Written>::new()));
    let mut topic: Option<String> = None;
    for round in 1..=KILL_ROUNDS {
        // Each round restarts on the file the last one was killed over:
        // it opens (WAL recovery) and answers.
        let mut server = serve(dir.path(), &url, &format!("serve-{round}.log"), &[]).await;
        let token = login(&server.addr).await;
        if topic.is_none() {
            topic = Some(create_topic(&server.addr, &token).await);
        }
        let topic = topic.clone().expect("created in the first round");
        let before = written.lock().unwrap().len();
        let load = WriteLoad::start(&server.addr, &token, &topic, &format!("r{round}"), &written);
        // Let the load settle into a steady state, then pull the plug
        // mid-write.
        let started = Instant::now();
        while written.lock().unwrap().len() < before + 120 && started.elapsed() < Duration::from_secs(15) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.kill_9();
        load.stop().await;
        let written = written.lock().unwrap().clone();
        assert!(
            written.len() >= before + 40,
            "round {round}: the load acknowledged too few writes: {}",
            written.len() - before
        );
        // Every write acknowledged in this round and the ones before is on
        // disk, and the file is sound.
        let (lost, integrity) = lost_writes(&url, &written).await;
        assert!(lost.is_empty(), "round {round}: acknowledged but lost: {lost:?}");
        assert_eq!(integrity, ["ok"], "round {round}");
        println!(
            "kill -9 round {round}: {} writes acknowledged in the round, all {} so far present; integrity_check: ok",
            written.len() - before,
            written.len()
        );
    }
    let kinds = written.lock().unwrap().iter().fold([0usize; 4], |mut kinds, w| {
        kinds[match w {
            Written::Event(_) => 0,
            Written::Rsvp(_) => 1,
            Written::Request(_) => 2,
            Written::Membership(_) => 3,
        }] += 1;
        kinds
    });
    println!(
        "kill -9: {} events, {} RSVPs, {} requests, {} memberships acknowledged over {KILL_ROUNDS} rounds",
        kinds[0], kinds[1], kinds[2], kinds[3]
    );
    assert!(kinds.iter().all(|n| *n > 0), "every kind of write was made: {kinds:?}");
    // After the last crash the server still starts and serves what it holds.
    let restarted = serve(dir.path(), &url, "serve-last.log", &[]).await;
    let token = login(&restarted.addr).await;
    let last_event = written
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find_map(|w| match w {
            Written::Event(id) => Some(*id),
            _ => None,
        })
        .unwrap();
    let (_, body) = graphql(
        &restarted.addr,
        Some(&token),
        "query($id: ID!) { event(id: $id) { id } }",
        json!({ "id": last_event }),
    )
    .await
    .unwrap();
    assert_eq!(body["data"]["event"]["id"], last_event.to_string(), "{body}");
}

// ---------------------------------------------------------------------------
// 2. PostgreSQL stopped under load, then started again

/// A PostgreSQL cluster of this test's own, stopped and deleted on drop (also
/// when the test fails), so the shared CI cluster is never touched.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_root: bool,
}

/// The newest installed PostgreSQL server binaries, if any.
fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("pg_ctl").exists() && bin.join("initdb").exists())
        .map(|bin| {
            let version = bin
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .split('.')
                .filter_map(|p| p.parse().ok())
                .collect();
            (version, bin)
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

impl Cluster {
    fn start(bin: PathBuf) -> Self {
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let dir = tempfile::tempdir().unwrap();
        if as_root {
            // PostgreSQL refuses to run as root: the cluster belongs to `postgres`.
            run_ok({
                let mut c = Command::new("chown");
                c.args(["postgres:postgres", &dir.path().display().to_string()]);
                c
            });
        }
        let port = free_addr().rsplit(':').next().unwrap().parse().unwrap();
        let cluster = Self {
            bin,
            dir,
            port,
            as_root,
        };
        cluster.shell(&format!(
            "'{}/initdb' -D '{}/data' -A trust -U postgres -E UTF8 --no-sync",
            cluster.bin.display(),
            cluster.dir.path().display()
        ));
        cluster.pg_ctl_start();
        cluster
    }

    fn shell(&self, script: &str) -> Output {
        let command = if self.as_root {
            let mut c = Command::new("su");
            c.args(["postgres", "-s", "/bin/sh", "-c", script]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", script]);
            c
        };
        run_ok(command)
    }

    fn pg_ctl_start(&self) {
        let dir = self.dir.path().display();
        self.shell(&format!(
            "'{}/pg_ctl' -D '{dir}/data' -l '{dir}/log' -w -t 30 -o \"-p {} -k '{dir}' -c listen_addresses=127.0.0.1 \
             -c fsync=off\" start",
            self.bin.display(),
            self.port
        ));
    }

    fn pg_ctl_stop(&self) {
        self.shell(&format!(
            "'{}/pg_ctl' -D '{}/data' -m fast -w stop",
            self.bin.display(),
            self.dir.path().display()
        ));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = format!(
            "'{}/pg_ctl' -D '{}/data' -m immediate -w stop",
            self.bin.display(),
            self.dir.path().display()
        );
        let _ = if self.as_root {
            Command::new("su")
                .args(["postgres", "-s", "/bin/sh", "-c", &script])
                .output()
        } else {
            Command::new("sh").args(["-c", &script]).output()
        };
        // The TempDir removes the cluster's files after this.
    }
}

const UP: u8 = 0;
const DOWN: u8 = 1;
const RECOVERED: u8 = 2;

#[derive(Default, Debug)]
struct PhaseTally {
    ok: u64,
    internal: u64,
    other: Vec<String>,
}

/// A cluster of the test's own; `None` (the test is skipped) where the
/// server binaries are not installed, which CI does not allow.
fn own_cluster() -> Option<Cluster> {
    let Some(bin) = postgres_bin() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "the PostgreSQL server binaries (/usr/lib/postgresql/*/bin) must be installed in CI"
        );
        eprintln!("skipping: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin");
        return None;
    };
    Some(Cluster::start(bin))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_then_started_again_recovers_without_restart() {
    let Some(cluster) = own_cluster() else { return };
    let work = tempfile::tempdir().unwrap();
    let url = cluster.url();
    let (mut server, token) = serve_signed_in(work.path(), &url, "serve.log", &[]).await;
    let pid = server.pid();

    // Readers and writers, each answer tallied by the phase it was sent in.
    let phase = Arc::new(AtomicU8::new(UP));
    let tallies: Arc<Mutex<[PhaseTally; 3]>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..3 {
        let (addr, token) = (server.addr.clone(), token.clone());
        let (phase, tallies, stop) = (phase.clone(), tallies.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let sent_in = phase.load(Ordering::SeqCst) as usize;
                let outcome = if worker == 0 {
                    match graphql(&addr, Some(&token), "{ events(first: 50) { nodes { id } } }", json!({})).await {
                        Ok((200, body)) if body["errors"].is_null() => Ok(()),
                        Ok((status, body)) => {
                            Err(error_code(&body).map_or_else(|| format!("HTTP {status}"), str::to_owned))
                        }
                        Err(err) => Err(format!("transport: {err}")),
                    }
                } else {
                    create_event(&addr, &token, &format!("worker {worker} event {n}"))
                        .await
                        .map(drop)
                };
                // A request that straddles a change of phase counts as sent
                // while the database was down, where either answer is right.
                let done_in = phase.load(Ordering::SeqCst) as usize;
                let sent_in = if done_in == sent_in { sent_in } else { DOWN as usize };
                {
                    let mut tallies = tallies.lock().unwrap();
                    match outcome {
                        Ok(()) => tallies[sent_in].ok += 1,
                        Err(code) if code == "INTERNAL" => tallies[sent_in].internal += 1,
                        Err(other) => tallies[sent_in].other.push(other),
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Stop PostgreSQL under the load. While it is down each request that
    // needs a connection waits for the pool's acquire timeout (10 s) before
    // it fails, so the probes run side by side.
    phase.store(DOWN, Ordering::SeqCst);
    let stopped_at = Instant::now();
    cluster.pg_ctl_stop();
    let addr = server.addr.as_str();
    let events = "{ events(first: 5) { nodes { id } } }";
    let (health, anonymous, read, write) = tokio::join!(
        async {
            let reply = request(addr, "GET", "/healthz", &[], None).await.unwrap();
            (reply, stopped_at.elapsed())
        },
        async { graphql(addr, None, events, json!({})).await.unwrap() },
        async { graphql(addr, Some(&token), events, json!({})).await.unwrap() },
        async {
            graphql(
                addr,
                Some(&token),
                CREATE_EVENT,
                event_input("while the database is down"),
            )
            .await
            .unwrap()
        },
    );
    let (health, unhealthy_after) = health;
    assert_eq!(health.status, 503, "{health:?}");
    assert!(health.body.contains("unreachable"), "{}", health.body);

    // GraphQL: INTERNAL, and nothing of the database's own words. Anonymous
    // reads fail inside a resolver (HTTP 200); signed-in requests fail at the
    // token check, before any resolver (HTTP 500); both answer `INTERNAL`.
    assert_eq!(
        (anonymous.0, error_code(&anonymous.1)),
        (200, Some("INTERNAL")),
        "{}",
        anonymous.1
    );
    assert_eq!((read.0, error_code(&read.1)), (500, Some("INTERNAL")), "{}", read.1);
    assert_eq!((write.0, error_code(&write.1)), (500, Some("INTERNAL")), "{}", write.1);
    let internal_after = stopped_at.elapsed();
    for body in [anonymous.1.to_string(), read.1.to_string(), write.1.to_string()] {
        let lower = body.to_lowercase();
        for leak in [
            "postgres",
            "sqlx",
            "connection",
            "refused",
            "os error",
            "pool",
            "5432",
            "127.0.0.1",
        ] {
            assert!(!lower.contains(leak), "database text `{leak}` reached a client: {body}");
        }
    }

    // Start it again: the same process recovers, no restart.
    let restarted_at = Instant::now();
    cluster.pg_ctl_start();
    let started_in = restarted_at.elapsed();
    let healthy_after = loop {
        let reply = request(&server.addr, "GET", "/healthz", &[], None).await.unwrap();
        if reply.status == 200 {
            break restarted_at.elapsed();
        }
        assert!(
            restarted_at.elapsed() < Duration::from_secs(30),
            "healthz still {reply:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let written_after = loop {
        if create_event(&server.addr, &token, "after the restart").await.is_ok() {
            break restarted_at.elapsed();
        }
        assert!(restarted_at.elapsed() < Duration::from_secs(30), "writes still fail");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    phase.store(RECOVERED, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in load {
        worker.await.unwrap();
    }
    assert!(server.still_running(), "the server exited");
    assert_eq!(server.pid(), pid);

    let tallies = tallies.lock().unwrap();
    println!(
        "postgres stop: healthz 503 after {unhealthy_after:?}; GraphQL INTERNAL for reads and writes (all answered \
         {internal_after:?} after the stop); \
         pg_ctl start took {started_in:?}, healthz 200 {healthy_after:?} and a write succeeded {written_after:?} \
         after it was started (same pid {pid}); load while up {:?}, while down {:?}, after recovery {:?}",
        tallies[UP as usize], tallies[DOWN as usize], tallies[RECOVERED as usize]
    );
    for (name, tally) in ["up", "down", "recovered"].iter().zip(tallies.iter()) {
        assert!(
            tally.other.is_empty(),
            "{name}: answers other than success or INTERNAL: {tally:?}"
        );
    }
    assert!(tallies[UP as usize].ok > 0 && tallies[UP as usize].internal == 0);
    assert!(tallies[RECOVERED as usize].ok > 0 && tallies[RECOVERED as usize].internal == 0);
}

/// Server connections to the database inside a statement or an open
/// transaction right now.
async fn busy_backends(admin: &sea_orm::DatabaseConnection) -> i64 {
    let row = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
                .to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_server_killed_mid_transaction_leaves_nothing_half_written() {
    let Some(cluster) = own_cluster() else { return };
    let work = tempfile::tempdir().unwrap();
    let url = cluster.url();
    let (mut server, token) = serve_signed_in(work.path(), &url, "serve.log", &[]).await;
    let topic = create_topic(&server.addr, &token).await;
    let written = Arc::new(Mutex::new(Vec::<Written>::new()));
    let load = WriteLoad::start(&server.addr, &token, &topic, "pg", &written);
    let admin = Database::connect(&url).await.unwrap();
    let started = Instant::now();
    while written.lock().unwrap().len() < 100 && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Kill the server the moment one of its connections is inside a
    // statement or a transaction.
    let mut busy = 0;
    while busy == 0 && started.elapsed() < Duration::from_secs(30) {
        busy = busy_backends(&admin).await;
    }
    server.kill_9();
    load.stop().await;
    assert!(busy > 0, "no transaction was ever caught in flight");

    let written = written.lock().unwrap().clone();
    let (lost, _) = lost_writes(&url, &written).await;
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // What a killed transaction leaves is nothing: every request has its
    // windows, its first history row and its journal entry; every event,
    // group and membership its journal entry where one is written.
    let count = async |sql: &str| -> i64 {
        let row = admin
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    };
    let half_written = [
        (
            "requests without windows",
            "SELECT count(*) FROM requests r WHERE NOT EXISTS (SELECT 1 FROM request_windows w WHERE w.request_id = r.id)",
        ),
        (
            "requests without their first history row",
            "SELECT count(*) FROM requests r WHERE (SELECT count(*) FROM request_transitions t WHERE t.request_id = r.id) <> 1",
        ),
        (
            "requests without their journal entry",
            "SELECT count(*) FROM requests r WHERE NOT EXISTS (SELECT 1 FROM domain_events e WHERE e.request_id = r.id AND e.kind = 'REQUEST_SUBMITTED')",
        ),
        (
            "events without their journal entry",
            "SELECT count(*) FROM events v WHERE NOT EXISTS (SELECT 1 FROM domain_events e WHERE e.event_id = v.id AND e.kind = 'EVENT_CREATED')",
        ),
        (
            "journal entries without their request",
            "SELECT count(*) FROM domain_events e WHERE e.kind = 'REQUEST_SUBMITTED' AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = e.request_id)",
        ),
        (
            "journal entries without their event",
            "SELECT count(*) FROM domain_events e WHERE e.kind = 'EVENT_CREATED' AND NOT EXISTS (SELECT 1 FROM events v WHERE v.id = e.event_id)",
        ),
    ];
    for (what, sql) in half_written {
        assert_eq!(count(sql).await, 0, "{what}");
    }
    let requests = count("SELECT count(*) FROM requests").await;
    println!(
        "PostgreSQL kill -9 with {busy} connection(s) in flight: {} writes acknowledged, all present; \
         {requests} requests, none half-written",
        written.len()
    );
    admin.close().await.unwrap();
}

// ---------------------------------------------------------------------------
// 3. Load soak

#[derive(Default)]
struct SoakStats {
    requests: BTreeMap<&'static str, u64>,
    rate_limited: u64,
    errors: BTreeMap<String, u64>,
}

impl SoakStats {
    fn record(&mut self, kind: &'static str, outcome: Result<(), String>) {
        *self.requests.entry(kind).or_default() += 1;
        match outcome {
            Ok(()) => {}
            Err(e) if e == "RATE_LIMITED" || e == "HTTP 429" => self.rate_limited += 1,
            Err(e) => *self.errors.entry(format!("{kind}: {e}")).or_default() += 1,
        }
    }
}

fn graphql_outcome(result: std::io::Result<(u16, Value)>) -> Result<Value, String> {
    match result {
        Ok((200, body)) if body["errors"].is_null() => Ok(body),
        Ok((status, body)) => Err(error_code(&body).map_or_else(|| format!("HTTP {status}"), str::to_owned)),
        Err(err) => Err(format!("transport: {err}")),
    }
}

/// How many events each soak worker creates before it turns to changing
/// them.
const SOAK_EVENTS_PER_WORKER: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_mixed_reads_writes_and_feeds() {
    let seconds: u64 = std::env::var("MUSTER_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    // `MUSTER_SOAK_WRITES=0` leaves out the writes, so that a long run can
    // tell memory that grows with the data from memory that grows with the
    // requests.
    let writes = std::env::var("MUSTER_SOAK_WRITES").map_or(true, |v| v != "0");
    let dir = tempfile::tempdir().unwrap();
    let url = binary::sqlite_url(dir.path());
    run_ok({
        let mut c = muster(dir.path(), &url);
        c.arg("seed-demo");
        c
    });
    // One coordinator signs in over and over and fetches one private feed
    // all day: the limits meant for people are raised so that what is
    // measured is the server, not the limiter.
    let (server, token) = serve_signed_in(
        dir.path(),
        &url,
        "serve.log",
        &[
            ("MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR", "100000"),
            ("MUSTER_LOGIN_PER_ADDRESS_PER_HOUR", "100000"),
            ("MUSTER_FEED_FETCHES_PER_HOUR", "100000"),
        ],
    )
    .await;
    let (_, feed) = graphql(
        &server.addr,
        Some(&token),
        "mutation { createFeedToken(label: \"soak\") { secret } }",
        json!({}),
    )
    .await
    .unwrap();
    let feed_path = format!(
        "/feeds/{}/calendar.ics",
        feed["data"]["createFeedToken"]["secret"].as_str().unwrap()
    );
    let (_, groups) = graphql(&server.addr, None, "{ groups(first: 1) { nodes { slug } } }", json!({}))
        .await
        .unwrap();
    let group_page = format!(
        "/groups/{}",
        groups["data"]["groups"]["nodes"][0]["slug"].as_str().unwrap()
    );
    let rss_before = server.rss_kib();

    let stats = Arc::new(Mutex::new(SoakStats::default()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    // The server's memory every `MUSTER_SOAK_SAMPLE_SECS` (10) seconds,
    // written to `MUSTER_SOAK_CSV` when it is set (scripts/soak.sh plots it).
    let sample_every = std::env::var("MUSTER_SOAK_SAMPLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10u64);
    let sampler = {
        let (pid, stats) = (server.pid(), stats.clone());
        let csv_path = std::env::var_os("MUSTER_SOAK_CSV");
        tokio::spawn(async move {
            let started = Instant::now();
            let mut samples = vec![(0u64, rss_of(pid), 0u64)];
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_secs(sample_every).min(deadline - Instant::now())).await;
                let total: u64 = stats.lock().unwrap().requests.values().sum();
                samples.push((started.elapsed().as_secs(), rss_of(pid), total));
                if let Some(path) = &csv_path {
                    let mut csv = String::from("seconds,rss_kib,requests\n");
                    for (at, rss, requests) in &samples {
                        csv.push_str(&format!("{at},{rss},{requests}\n"));
                    }
                    std::fs::write(path, csv).unwrap();
                }
            }
            samples
        })
    };
    let mut workers = Vec::new();
    for worker in 0..4usize {
        let (addr, token, stats) = (server.addr.clone(), token.clone(), stats.clone());
        let (feed_path, group_page) = (feed_path.clone(), group_page.clone());
        workers.push(tokio::spawn(async move {
            let mut etag: Option<String> = None;
            let mut token = token;
            let mut last_event: Option<String> = None;
            let mut own_events: Vec<String> = Vec::new();
            let mut holding: Vec<bool> = Vec::new();
            let mut step = worker;
            while Instant::now() < deadline {
                step += 1;
                match step % 10 {
                    0 => {
                        let r = graphql(
                            &addr,
                            Some(&token),
                            "{ events(first: 50) { totalCount nodes { id title startsAt } } }",
                            json!({}),
                        )
                        .await;
                        stats.lock().unwrap().record("events", graphql_outcome(r).map(drop));
                    }
                    1 => {
                        let r = graphql(
                            &addr,
                            None,
                            "{ groups(first: 50) { nodes { slug name memberCount } } }",
                            json!({}),
                        )
                        .await;
                        stats.lock().unwrap().record("groups", graphql_outcome(r).map(drop));
                    }
                    2 if !writes => continue,
                    // Each worker creates its first `SOAK_EVENTS_PER_WORKER`
                    // events, then keeps writing to those: a change of
                    // title (a new sequence, so every feed renders anew)
                    // and a place taken or given up. The data stays the
                    // same size after warm-up, so a line that keeps rising
                    // is the server's, not the data's.
                    2 if own_events.len() < SOAK_EVENTS_PER_WORKER => {
                        let created = create_event(&addr, &token, &format!("soak {worker}/{step}")).await;
                        let id = created.clone().ok();
                        stats.lock().unwrap().record("createEvent", created.map(drop));
                        if let Some(id) = id {
                            let r = graphql(
                                &addr,
                                Some(&token),
                                "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
                                json!({ "id": id }),
                            )
                            .await;
                            stats.lock().unwrap().record("rsvp", graphql_outcome(r).map(drop));
                            last_event = Some(id.clone());
                            own_events.push(id);
                            holding.push(true);
                        }
                    }
                    2 => {
                        let slot = (step / 10) % SOAK_EVENTS_PER_WORKER;
                        let id = own_events[slot].clone();
                        let r = graphql(
                            &addr,
                            Some(&token),
                            "mutation($id: ID!, $title: String!) { updateEvent(id: $id, input: { title: $title }) { sequence } }",
                            json!({ "id": id, "title": format!("soak {worker}/{step}") }),
                        )
                        .await;
                        stats.lock().unwrap().record("updateEvent", graphql_outcome(r).map(drop));
                        // Every event starts with the worker's place taken;
                        // each visit gives it up or takes it again.
                        holding[slot] = !holding[slot];
                        let (kind, mutation) = if holding[slot] {
                            ("rsvp", "mutation($id: ID!) { rsvp(eventId: $id) { status } }")
                        } else {
                            ("cancelRsvp", "mutation($id: ID!) { cancelRsvp(eventId: $id) }")
                        };
                        let r = graphql(&addr, Some(&token), mutation, json!({ "id": id })).await;
                        stats.lock().unwrap().record(kind, graphql_outcome(r).map(drop));
                        last_event = Some(id);
                    }
                    3 => {
                        let r = request(&addr, "GET", "/calendar.ics", &[], None).await;
                        let outcome = match r {
                            Ok(reply) if reply.status == 200 && reply.body.contains("BEGIN:VCALENDAR") => {
                                etag = reply.header("etag").map(str::to_owned);
                                Ok(())
                            }
                            Ok(reply) => Err(format!("HTTP {}", reply.status)),
                            Err(err) => Err(format!("transport: {err}")),
                        };
                        stats.lock().unwrap().record("calendar.ics", outcome);
                    }
                    4 => {
                        let Some(tag) = etag.clone() else { continue };
                        let r = request(&addr, "GET", "/calendar.ics", &[("If-None-Match", &tag)], None).await;
                        // 304 while nothing changed; 200 once a write has
                        // changed the feed.
                        let outcome = match r {
                            Ok(reply) if reply.status == 304 || reply.status == 200 => Ok(()),
                            Ok(reply) => Err(format!("HTTP {}", reply.status)),
                            Err(err) => Err(format!("transport: {err}")),
                        };
                        stats.lock().unwrap().record("calendar.ics If-None-Match", outcome);
                    }
                    5 => {
                        // Signing in: a password hash each time.
                        let r = graphql(&addr, None, LOGIN, json!({ "e": EMAIL, "p": PASSWORD })).await;
                        let outcome = graphql_outcome(r).map(|body| {
                            if let Some(fresh) = body["data"]["login"]["token"].as_str() {
                                token = fresh.to_owned();
                            }
                        });
                        stats.lock().unwrap().record("login", outcome);
                    }
                    6 => {
                        let pages = ["/", "/groups", group_page.as_str(), "/request", "/privacy"];
                        let event_page = last_event.as_ref().map(|id| format!("/events/{id}"));
                        let path = match (step / 10) % 6 {
                            5 => event_page.as_deref().unwrap_or("/"),
                            k => pages[k],
                        };
                        let r = request(&addr, "GET", path, &[], None).await;
                        let outcome = match r {
                            Ok(reply) if reply.status == 200 && reply.body.contains("</html>") => Ok(()),
                            Ok(reply) => Err(format!("HTTP {} for a page", reply.status)),
                            Err(err) => Err(format!("transport: {err}")),
                        };
                        stats.lock().unwrap().record("pages", outcome);
                    }
                    7 => {
                        let r = request(&addr, "GET", &feed_path, &[], None).await;
                        let outcome = match r {
                            Ok(reply) if reply.status == 200 && reply.body.contains("BEGIN:VCALENDAR") => Ok(()),
                            Ok(reply) => Err(format!("HTTP {}", reply.status)),
                            Err(err) => Err(format!("transport: {err}")),
                        };
                        stats.lock().unwrap().record("private feed", outcome);
                    }
                    _ => {
                        let r = graphql(&addr, Some(&token), "{ me { displayName email } }", json!({})).await;
                        stats.lock().unwrap().record("me", graphql_outcome(r).map(drop));
                    }
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let samples = sampler.await.unwrap();
    let rss_after = server.rss_kib();
    let stats = stats.lock().unwrap();
    let total: u64 = stats.requests.values().sum();
    println!(
        "soak: {seconds} s, {total} requests ({:.0}/s) {:?}; rate-limited {}; errors {:?}; RSS {} KiB -> {} KiB \
         ({:+} KiB)",
        total as f64 / seconds.max(1) as f64,
        stats.requests,
        stats.rate_limited,
        stats.errors,
        rss_before,
        rss_after,
        rss_after as i64 - rss_before as i64
    );
    // After warm-up (the first sixth of the run) the memory should stay
    // flat: printed for the long runs' notes, bounded below for all.
    let warm: Vec<u64> = samples
        .iter()
        .filter(|(at, _, _)| *at * 6 >= seconds)
        .map(|(_, rss, _)| *rss)
        .collect();
    if let (Some(low), Some(high)) = (warm.iter().min(), warm.iter().max()) {
        println!(
            "soak: after warm-up, {} samples, RSS between {low} and {high} KiB ({} KiB apart)",
            warm.len(),
            high - low
        );
    }
    assert!(total > 0);
    assert!(
        stats.errors.is_empty(),
        "errors besides rate limiting: {:?}",
        stats.errors
    );
    // Bound: growth under 64 MiB. The server's steady state holds eight
    // SQLite connections, each with its page cache (SQLite's default is
    // about 2 MiB each, so ~16 MiB once warm) plus allocator slack for
    // request buffers; a leak proportional to requests (thousands a run)
    // soon goes past 64 MiB, while warming caches stays well under it.
    assert!(
        rss_after.saturating_sub(rss_before) < 64 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
}

// ---------------------------------------------------------------------------
// 4. Memory under bursts of password work and exports

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { message } }";
const EXPORT: &str = "{ exportMyData }";

/// The error code of an answer, `OK` without errors; a transport failure,
/// a non-200 status or a non-JSON body fails the test.
fn outcome(result: std::io::Result<(u16, Value)>) -> String {
    let (status, body) = result.expect("an answer");
    assert_eq!(status, 200, "{body}");
    assert!(body.is_object(), "not JSON: {body}");
    error_code(&body).unwrap_or("OK").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_password_work_and_exports_keep_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let url = binary::sqlite_url(dir.path());
    // Many clients, each within its own limits, look like this to the
    // server; two hashing threads whatever the machine, so the bound the
    // test checks does not depend on the number of cores.
    let env = [
        ("MUSTER_LOGIN_PER_ADDRESS_PER_HOUR", "100000"),
        ("MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR", "100000"),
        ("MUSTER_REGISTER_PER_ADDRESS_PER_HOUR", "100000"),
        ("MUSTER_PASSWORD_HASHERS", "2"),
    ];
    let (server, token) = serve_signed_in(dir.path(), &url, "serve.log", &env).await;
    let rss_before = server.rss_kib();

    let done = Arc::new(AtomicBool::new(false));
    let health = {
        let (addr, done) = (server.addr.clone(), done.clone());
        tokio::spawn(async move {
            let mut checks = 0u32;
            while !done.load(Ordering::Relaxed) {
                let reply = tokio::time::timeout(Duration::from_secs(5), request(&addr, "GET", "/healthz", &[], None))
                    .await
                    .expect("/healthz within 5 s")
                    .expect("/healthz answers");
                assert_eq!(reply.status, 200, "/healthz: {}", reply.body);
                checks += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            checks
        })
    };

    let mut tally: BTreeMap<String, u32> = BTreeMap::new();
    for round in 0..10 {
        // One burst at a time: all of its requests in flight at once.
        for kind in ["login", "register", "export"] {
            let size = if kind == "export" { 20 } else { 50 };
            let burst: Vec<_> = (0..size)
                .map(|n| {
                    let (addr, token) = (server.addr.clone(), token.clone());
                    tokio::spawn(async move {
                        let answer = match kind {
                            "login" => {
                                let email = format!("nobody-{round}-{n}@example.org");
                                graphql(
                                    &addr,
                                    None,
                                    LOGIN,
                                    json!({ "e": email, "p": "not the password at all" }),
                                )
                                .await
                            }
                            "register" => {
                                let input = json!({ "input": {
                                    "email": format!("new-{round}-{n}@example.org"),
                                    "displayName": format!("New {round} {n}"),
                                    "password": "a long enough passphrase",
                                }});
                                graphql(&addr, None, REGISTER, input).await
                            }
                            _ => graphql(&addr, Some(&token), EXPORT, json!({})).await,
                        };
                        outcome(answer)
                    })
                })
                .collect();
            let expected: &[&str] = match kind {
                "login" => &["UNAUTHENTICATED", "RATE_LIMITED"],
                "register" => &["OK", "RATE_LIMITED"],
                _ => &["OK"],
            };
            for answer in burst {
                let code = answer.await.unwrap();
                assert!(
                    expected.contains(&code.as_str()),
                    "{kind}: {code}; server log: {}",
                    std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default()
                );
                *tally.entry(format!("{kind} {code}")).or_default() += 1;
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let health_checks = health.await.unwrap();
    let rss_after = server.rss_kib();
    println!(
        "bursts: {tally:?}; /healthz answered {health_checks} times; RSS {rss_before} KiB -> {rss_after} KiB ({:+} KiB)",
        rss_after as i64 - rss_before as i64
    );
    // Each hashing thread holds one ~19 MiB block set; two of them, plus
    // the database pages and buffers the bursts touched.
    assert!(
        rss_after.saturating_sub(rss_before) < 64 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    assert!(tally.get("login UNAUTHENTICATED").copied().unwrap_or(0) >= 10 * 18);
    assert!(tally.get("register OK").copied().unwrap_or(0) >= 10 * 18);
}

// ---------------------------------------------------------------------------
// 5. `muster backup` under write load; `muster restore` refuses a live database

fn event_ids(rows: Vec<uuid::Uuid>) -> std::collections::HashSet<uuid::Uuid> {
    rows.into_iter().collect()
}

async fn stored_event_ids(url: &str) -> (std::collections::HashSet<uuid::Uuid>, Vec<String>) {
    let db = Database::connect(url).await.unwrap();
    let ids = entity::event::Entity::find()
        .select_only()
        .column(entity::event::Column::Id)
        .into_tuple::<uuid::Uuid>()
        .all(&db)
        .await
        .unwrap();
    let rows = common::sql_rows(&db, "PRAGMA integrity_check").await;
    let integrity = rows.iter().map(|r| r.try_get_by_index(0).unwrap()).collect();
    db.close().await.unwrap();
    (event_ids(ids), integrity)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_under_write_load_holds_every_earlier_write_and_restore_refuses_a_live_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = binary::sqlite_url(dir.path());
    let (mut server, token) = serve_signed_in(dir.path(), &url, "serve-backup.log", &[]).await;

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (addr, token) = (server.addr.clone(), token.clone());
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                if let Ok(id) = create_event(&addr, &token, &format!("writer {writer} event {n}")).await {
                    acknowledged.lock().unwrap().push(id);
                }
            }
        }));
    }
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 100 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Everything acknowledged by now must be in the backup; the load goes on
    // while it is taken.
    let before: Vec<uuid::Uuid> = acknowledged
        .lock()
        .unwrap()
        .iter()
        .map(|id| id.parse().unwrap())
        .collect();
    let backup = dir.path().join("backup.db");
    let dir_path = dir.path().to_owned();
    let (url_for_backup, backup_path) = (url.clone(), backup.clone());
    let output = tokio::task::spawn_blocking(move || {
        let mut command = muster(&dir_path, &url_for_backup);
        command.arg("backup").arg(&backup_path);
        run_ok(command)
    })
    .await
    .unwrap();
    let during = acknowledged.lock().unwrap().len() - before.len();
    assert!(String::from_utf8_lossy(&output.stdout).contains("integrity_check ok"));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup is readable by its owner alone: {mode:o}");
    }
    assert!(
        before.len() >= 20,
        "the load acknowledged too few writes: {}",
        before.len()
    );

    // While the server runs, a restore is refused and changes nothing.
    let refused = muster(dir.path(), &url)
        .arg("restore")
        .arg(&backup)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("in use"),
        "{refused:?}"
    );
    assert!(server.still_running());

    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let total = acknowledged.lock().unwrap().len();
    drop(server);

    let backup_url = format!("sqlite://{}?mode=ro", backup.display());
    let (in_backup, integrity) = stored_event_ids(&backup_url).await;
    assert_eq!(integrity, ["ok"]);
    let missing: Vec<_> = before.iter().filter(|id| !in_backup.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup but not in it: {missing:?}"
    );

    // Stopped, the database is restored to the backup: later writes are gone.
    let mut command = muster(dir.path(), &url);
    command.arg("restore").arg(&backup);
    run_ok(command);
    let (restored, integrity) = stored_event_ids(&url).await;
    assert_eq!(integrity, ["ok"]);
    assert_eq!(restored, in_backup);
    let server = serve(dir.path(), &url, "serve-restored.log", &[]).await;
    login(&server.addr).await;
    println!(
        "backup under load: {} writes acknowledged before it began, {during} during it, {total} in all; \
         {} events in the backup; integrity_check ok; restore refused while serving, then restored",
        before.len(),
        in_backup.len()
    );
}
