//! The `muster` binary as an operator runs it: every failure is one clear
//! line and a non-zero exit; `serve` answers and stops cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

use common::{
    TestDb,
    binary::{self, free_addr, muster, sqlite_url, stderr},
    graphql,
};
use serde_json::json;

fn assert_one_line_failure(output: &Output, needle: &str) {
    assert!(!output.status.success());
    let err = stderr(output);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line: {err}");
    assert!(lines[0].contains(needle), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[test]
fn export_schema_prints_the_checked_in_schema() {
    let dir = tempfile::tempdir().unwrap();
    let output = muster(dir.path()).arg("export-schema").output().unwrap();
    assert!(output.status.success());
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), checked_in);
}

#[test]
fn a_bad_database_url_is_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "mysql://localhost/muster",
        "not a url",
        "sqlite:///nonexistent-dir/sub/muster.db",
    ] {
        let output = muster(dir.path())
            .env("MUSTER_DATABASE_URL", url)
            .arg("migrate")
            .output()
            .unwrap();
        assert_one_line_failure(&output, "MUSTER_DATABASE_URL");
    }
    let output = muster(dir.path())
        .env("MUSTER_DATABASE_URL", "postgres://muster:s3cret-pw@127.0.0.1:1/muster")
        .arg("migrate")
        .output()
        .unwrap();
    assert_one_line_failure(&output, "MUSTER_DATABASE_URL");
    assert!(!stderr(&output).contains("s3cret-pw"), "password redacted");
}

#[test]
fn a_bind_address_in_use_is_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let output = muster(dir.path())
        .env("MUSTER_DATABASE_URL", sqlite_url(dir.path()))
        .env("MUSTER_BIND", taken.local_addr().unwrap().to_string())
        .output()
        .unwrap();
    assert_one_line_failure(&output, "MUSTER_BIND");
}

fn create_user(dir: &std::path::Path, email: &str, password: &str) -> Output {
    let mut command = muster(dir);
    command.env("MUSTER_DATABASE_URL", sqlite_url(dir));
    binary::create_coordinator(command, email, "Rowan Example", password, &["--trainer"])
}

#[test]
fn create_user_reads_the_password_from_stdin_and_never_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let short = create_user(dir.path(), "rowan@example.org", "too-short");
    assert_one_line_failure(&short, "at least 10 characters");

    let created = create_user(dir.path(), "rowan@example.org", "a long enough passphrase");
    assert!(created.status.success(), "{}", stderr(&created));
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert!(
        stdout.contains("created account") && stdout.contains("COORDINATOR"),
        "{stdout}"
    );
    for output in [&stdout.to_string(), &stderr(&created)] {
        assert!(!output.contains("a long enough passphrase") && !output.contains("rowan@example.org"));
    }

    let again = create_user(dir.path(), "ROWAN@example.org", "another long passphrase");
    assert_one_line_failure(&again, "already exists");
}

/// Sends one HTTP/1.1 request over a real socket and returns the response.
fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

#[test]
fn serve_answers_over_tcp_keeps_its_secret_private_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let mut child = muster(dir.path())
        .env("MUSTER_DATABASE_URL", sqlite_url(dir.path()))
        .env("MUSTER_BIND", &addr)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let started = Instant::now();
    let health = loop {
        if let Some(response) = http_get(&addr, "/healthz") {
            break response;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""database":"ok""#));
    let graphiql = http_get(&addr, "/graphql").unwrap();
    assert!(graphiql.starts_with("HTTP/1.1 200") && graphiql.contains("graphiql"));

    let secret_path = dir.path().join("muster-jwt-secret");
    let secret = std::fs::read_to_string(&secret_path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secret_path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "clean exit after SIGTERM: {}", stderr(&output));
    let logs = stderr(&output);
    assert!(logs.contains("generated a new token signing secret"), "{logs}");
    assert!(!logs.contains(secret.trim()), "the secret is never logged");
}

on_both_databases!(seed_demo_from_the_command_line_then_the_groups_query);

async fn seed_demo_from_the_command_line_then_the_groups_query(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let run = move || {
        let mut command = muster(dir.path());
        command.env("MUSTER_DATABASE_URL", &url).arg("seed-demo");
        command.output().unwrap()
    };
    let run = std::sync::Arc::new(run);
    let first = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run()
    })
    .await
    .unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("16 groups"));
    let second = tokio::task::spawn_blocking(move || run()).await.unwrap();
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(String::from_utf8_lossy(&second.stdout).contains("already"));

    let body = graphql(
        &db.app(),
        "{ groups(first: 100) { totalCount edges { node { slug } } } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["groups"]["totalCount"], 16, "{body}");
    assert_eq!(body["data"]["groups"]["edges"].as_array().unwrap().len(), 16);
}

on_both_databases!(create_user_can_make_a_groups_first_organiser_and_writes_nothing_for_an_unknown_group);

/// `create-user --organiser-of SLUG`: the account and its organiser place
/// are one step, so an unknown group leaves no account behind.
async fn create_user_can_make_a_groups_first_organiser_and_writes_nothing_for_an_unknown_group(db: TestDb) {
    let riverside = muster::fixtures::GroupBuilder::new("riverside", common::now())
        .insert(&db.conn)
        .await
        .unwrap()
        .id;
    let dir = tempfile::tempdir().unwrap();
    let create = |email: &str, slug: &str| {
        let mut command = muster(dir.path());
        command.env("MUSTER_DATABASE_URL", &db.url).args([
            "create-user",
            "--email",
            email,
            "--name",
            "First Organiser",
            "--organiser-of",
            slug,
        ]);
        common::run_with_input(command, "a long enough password\n")
    };

    let unknown = create("nobody@example.org", "no-such-group");
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no group has the slug"),
        "{}",
        stderr(&unknown)
    );
    assert!(
        muster::domain::accounts::find_by_email(&db.conn, "nobody@example.org")
            .await
            .unwrap()
            .is_none(),
        "no account without its group"
    );

    let made = create("first@example.org", "riverside");
    assert!(made.status.success(), "{}", stderr(&made));
    let account = muster::domain::accounts::find_by_email(&db.conn, "first@example.org")
        .await
        .unwrap()
        .unwrap();
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let places = entity::membership::Entity::find()
        .filter(entity::membership::Column::UserId.eq(account.id))
        .all(&db.conn)
        .await
        .unwrap();
    assert_eq!(places.len(), 1);
    assert_eq!(
        (places[0].group_id, places[0].role, places[0].status),
        (
            riverside,
            entity::MembershipRole::Organiser,
            entity::MembershipStatus::Active
        )
    );
}
