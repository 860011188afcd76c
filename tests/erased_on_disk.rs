//! Erased means gone from the disk, not only from the tables: after an
//! account is erased, and after the retention purge, the bytes of the
//! SQLite database file and of its write-ahead log hold no trace of the
//! person's email, name or contact details, in any letter case. (A search
//! through the tables, which the privacy tests do, cannot see free pages
//! or the log's old copies of pages.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use chrono::Duration;
use common::{
    Backend, TestDb, graphql_as,
    network::{self, PASSWORD, Persona},
};
use muster::fixtures::RequestBuilder;
use serde_json::json;

/// How often `needle` stands in the database's files (the database and its
/// `-wal`), ignoring ASCII letter case, by file.
fn occurrences_on_disk(db: &TestDb, needle: &str) -> Vec<(String, usize)> {
    let file = muster::config::DatabaseUrl::parse(&db.url)
        .unwrap()
        .sqlite_file()
        .expect("a SQLite file")
        .to_path_buf();
    let needle = needle.to_ascii_lowercase().into_bytes();
    let mut found = Vec::new();
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", file.display());
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let bytes = bytes.to_ascii_lowercase();
        let count = bytes.windows(needle.len()).filter(|w| *w == needle.as_slice()).count();
        found.push((format!("muster.db{suffix}"), count));
    }
    found
}

fn total(found: &[(String, usize)]) -> usize {
    found.iter().map(|(_, n)| n).sum()
}

#[tokio::test]
async fn an_erased_account_leaves_no_bytes_in_the_database_file_or_its_log() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app();
    let member = net.token(Persona::Member);
    let email = net.member.email.clone();
    let name = "Zephyrine Quillfeather";
    let (_, renamed) = graphql_as(
        &client,
        member.as_deref(),
        "mutation($n: String!) { updateProfile(input: { displayName: $n }) { displayName } }",
        json!({ "n": name }),
    )
    .await;
    assert_eq!(renamed["data"]["updateProfile"]["displayName"], name, "{renamed}");
    // The search can fail: beforehand it finds both.
    assert!(
        total(&occurrences_on_disk(&db, &email)) > 0,
        "the email is on disk beforehand"
    );
    assert!(
        total(&occurrences_on_disk(&db, name)) > 0,
        "the name is on disk beforehand"
    );

    let (_, deleted) = graphql_as(
        &client,
        member.as_deref(),
        "mutation($p: String!) { deleteMyAccount(password: $p) }",
        json!({ "p": PASSWORD }),
    )
    .await;
    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");

    for needle in [email.as_str(), &email.to_uppercase(), name] {
        let found = occurrences_on_disk(&db, needle);
        assert_eq!(total(&found), 0, "{needle:?} is still on disk: {found:?}");
    }
}

#[tokio::test]
async fn purged_contact_details_leave_no_bytes_in_the_database_file_or_its_log() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    // `muster purge` runs as a process of its own, on the system clock.
    let now = common::system_now();
    let contact_name = "Ottoline Vexworth";
    let contact_email = "ottoline.vexworth@surgery.example.org";
    let phone = "07700 900987";
    RequestBuilder::new(net.topic, now - Duration::days(400))
        .reference("REQ-DISK-1")
        .group(net.alpha)
        .contact(contact_name, contact_email)
        .notes(format!("Call {phone} after six"))
        .assigned(net.coordinator.id, net.trainer.id)
        .accepted()
        .delivered(net.coordinator.id)
        .at(now - Duration::days(200))
        .insert(&db.conn)
        .await
        .unwrap();
    for needle in [contact_name, contact_email, phone] {
        assert!(
            total(&occurrences_on_disk(&db, needle)) > 0,
            "{needle:?} on disk beforehand"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let mut purge = Command::new(env!("CARGO_BIN_EXE_muster"));
    purge
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MUSTER_DATABASE_URL", &db.url)
        .stdin(Stdio::null())
        .arg("purge");
    let output = tokio::task::spawn_blocking(move || purge.output().unwrap())
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("purged the contact details of 1 ended requests"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    for needle in [contact_name, contact_email, phone] {
        let found = occurrences_on_disk(&db, needle);
        assert_eq!(total(&found), 0, "{needle:?} is still on disk: {found:?}");
    }
}
