//! Sealed personal fields, on both databases where it applies: a copy of
//! the database (or of a backup) names no one without the data key; sign-in,
//! the taken-address check, the operator's look-up by email and the export
//! work as before; a database without its key is refused at start; a
//! rotation re-seals every row and resumes after an interruption; a sealed
//! value moved to another row or column does not open; rows an older
//! release left in plain text are sealed at start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Output};

use common::{
    Backend, TEST_DATA_KEY, TestDb, binary, error_code, graphql_as,
    network::{self, Network, PASSWORD, Persona},
    requests::OUTSIDE_CONTACT_EMAIL,
};
use entity::{account_token, request, user};
use muster::domain::sealing::{self, DataKey, Field, Keyring};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, sea_query::Expr};
use serde_json::{Value, json};

const NEW_KEY: &str = "7f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100";
const API_CONTACT_NAME: &str = "Practice Manager Wynford";
const API_CONTACT_EMAIL: &str = "Practice.Manager@Larkspur.example.org";
const NEW_ADDRESS: &str = "Moving.Supporter@elsewhere.example.org";

fn muster(db: &TestDb, dir: &std::path::Path) -> Command {
    let mut command = binary::muster(dir);
    command.env("MUSTER_DATABASE_URL", &db.url);
    command
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// The one line a refused command ends with (log lines may come before).
fn error_line(output: &Output) -> String {
    let stderr = binary::stderr(output);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    errors[0].to_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The network, an outside request through the API (a contact name and
/// email), and a pending change of the supporter's address.
async fn seed(db: &TestDb) -> Network {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let starts_at = common::now() + chrono::Duration::days(60);
    let (_, body) = graphql_as(
        &client,
        None,
        "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }",
        json!({ "input": {
            "kind": "WORKSHOP",
            "topicId": net.topic,
            "organisationName": "Larkspur Lane Surgery",
            "contactName": API_CONTACT_NAME,
            "contactEmail": API_CONTACT_EMAIL,
            "preferredWindows": [{ "startsAt": starts_at, "endsAt": starts_at + chrono::Duration::hours(3) }],
            "town": "Cardiff",
            "postcodeArea": "cf10",
        }}),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = graphql_as(
        &client,
        net.token(Persona::Supporter).as_deref(),
        "mutation($e: String!, $p: String!) { changeEmail(newEmail: $e, currentPassword: $p) { message } }",
        json!({ "e": NEW_ADDRESS, "p": PASSWORD }),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    net
}

/// Every address and contact name the seeded database holds.
fn personal(net: &Network) -> Vec<String> {
    let mut all: Vec<String> = net.emails().into_iter().map(str::to_owned).collect();
    all.extend(
        [
            OUTSIDE_CONTACT_EMAIL,
            "Outside Contact",
            API_CONTACT_NAME,
            API_CONTACT_EMAIL,
            NEW_ADDRESS,
        ]
        .map(str::to_owned),
    );
    all
}

/// Every (table.column = value) holding `needle` in any letter case, read
/// as a plain SQL client reads the tables: every column of every table as
/// text.
async fn in_any_column(db: &TestDb, needle: &str) -> Vec<String> {
    let columns: Vec<(String, String)> = match db.backend {
        Backend::Sqlite => {
            let mut columns = Vec::new();
            for table in common::sql_rows(
                &db.conn,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .await
            {
                let table: String = table.try_get("", "name").unwrap();
                for column in common::sql_rows(&db.conn, format!("PRAGMA table_info(\"{table}\")")).await {
                    columns.push((table.clone(), column.try_get("", "name").unwrap()));
                }
            }
            columns
        }
        Backend::Postgres => common::sql_rows(
            &db.conn,
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = 'public'",
        )
        .await
        .into_iter()
        .map(|row| (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap()))
        .collect(),
    };
    assert!(columns.iter().any(|(t, c)| t == "users" && c == "email_hash"));
    let mut found = Vec::new();
    for (table, column) in columns {
        let sql = format!(
            "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" WHERE lower(CAST(\"{column}\" AS TEXT)) LIKE {}",
            if db.backend == Backend::Sqlite { "?" } else { "$1" }
        );
        let pattern = format!("%{}%", needle.to_lowercase());
        for row in db
            .conn
            .query_all_raw(Statement::from_sql_and_values(
                db.conn.get_database_backend(),
                sql,
                [pattern.into()],
            ))
            .await
            .unwrap()
        {
            found.push(format!(
                "{table}.{column} = {}",
                row.try_get::<String>("", "v").unwrap()
            ));
        }
    }
    found
}

/// How often `needle` stands in the raw bytes of `files`, any ASCII case.
fn in_bytes(files: &[std::path::PathBuf], needle: &str) -> usize {
    let needle = needle.to_ascii_lowercase().into_bytes();
    files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .map(|bytes| {
            let bytes = bytes.to_ascii_lowercase();
            bytes.windows(needle.len()).filter(|w| *w == needle.as_slice()).count()
        })
        .sum()
}

fn sqlite_files(db: &TestDb) -> Vec<std::path::PathBuf> {
    let file = muster::config::DatabaseUrl::parse(&db.url)
        .unwrap()
        .sqlite_file()
        .unwrap()
        .to_path_buf();
    ["", "-wal"]
        .iter()
        .map(|suffix| format!("{}{suffix}", file.display()).into())
        .collect()
}

on_both_databases!(
    a_copy_of_the_database_names_no_one,
    sign_in_uniqueness_look_up_and_export_work_on_sealed_fields,
    rotation_reseals_every_row_and_resumes_after_an_interruption,
    a_sealed_value_moved_to_another_row_or_column_does_not_open,
    plain_rows_left_by_an_older_release_are_sealed_at_start,
);

async fn a_copy_of_the_database_names_no_one(db: TestDb) {
    let net = seed(&db).await;
    // The seed holds what the test looks for, sealed.
    let pending = account_token::Entity::find().all(&db.conn).await.unwrap();
    assert!(
        pending
            .iter()
            .any(|t| t.new_email.as_deref().is_some_and(sealing::is_sealed))
    );
    let requests = request::Entity::find().all(&db.conn).await.unwrap();
    assert!(requests.len() >= 2, "the fixture's requests and the API's");
    for needle in personal(&net) {
        let found = in_any_column(&db, &needle).await;
        assert!(found.is_empty(), "{needle} in plain text: {found:?}");
    }
    if db.backend != Backend::Sqlite {
        return;
    }
    let files = sqlite_files(&db);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let backed_up = run({
        let mut command = muster(&db, dir.path());
        command.arg("backup").arg(&copy);
        command
    })
    .await;
    assert!(backed_up.status.success(), "{}", binary::stderr(&backed_up));
    for needle in personal(&net) {
        assert_eq!(in_bytes(&files, &needle), 0, "{needle} in the database's files");
        assert_eq!(
            in_bytes(std::slice::from_ref(&copy), &needle),
            0,
            "{needle} in the backup"
        );
    }
    // The copy is the database (the check would pass on an empty file).
    assert!(in_bytes(std::slice::from_ref(&copy), sealing::PREFIX) >= 10);
}

async fn sign_in_uniqueness_look_up_and_export_work_on_sealed_fields(db: TestDb) {
    let net = seed(&db).await;
    let client = db.app();
    // Sign-in by any case of the address.
    for email in [net.member.email.clone(), net.member.email.to_uppercase()] {
        let body = common::login(&client, &format!("  {email} "), PASSWORD).await;
        assert!(body["data"]["login"]["token"].is_string(), "{email}: {body}");
    }
    let wrong = common::login(&client, &net.member.email, "not the password at all").await;
    assert_eq!(error_code(&wrong), Some("UNAUTHENTICATED"));

    // Registering, then the same address in another case: still one account.
    const REGISTER: &str = "mutation($e: String!) { register(input: { email: $e, displayName: \"Ffion\", \
                            password: \"a long enough passphrase\" }) { message } }";
    for email in ["ffion@newcomers.example.org", "FFION@Newcomers.Example.org"] {
        let (_, body) = graphql_as(&client, None, REGISTER, json!({ "e": email })).await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let hashes = sealing::lookups("ffion@newcomers.example.org").unwrap();
    let accounts = user::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.email_hash.as_ref().is_some_and(|h| hashes.contains(h)))
        .count();
    assert_eq!(accounts, 1, "the second registration is treated as taken");
    let body = common::login(&client, "Ffion@newcomers.example.org", "a long enough passphrase").await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
    // The operator's look-up by email, in any case, opens the address.
    let document = muster::domain::in_work(&db.conn, async |work| {
        muster::domain::privacy::export_for_operator(
            work,
            &net.trainer.email.to_uppercase(),
            db.config().retention(),
            db.now(),
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(document["profile"]["email"], json!(net.trainer.email));
    // The person's own export shows their email and the requests naming
    // them as the contact, opened.
    let (_, body) = graphql_as(
        &client,
        net.token(Persona::Supporter).as_deref(),
        "{ exportMyData }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["exportMyData"]["profile"]["email"],
        json!(net.supporter.email),
        "{body}"
    );
    // Staff see a request's contact opened.
    let (_, body) = graphql_as(
        &client,
        net.token(Persona::Coordinator).as_deref(),
        "{ requests(first: 50) { edges { node { contact { name email } } } } }",
        json!({}),
    )
    .await;
    let contacts = body["data"]["requests"]["edges"].to_string();
    assert!(contacts.contains(API_CONTACT_NAME), "{body}");
    assert!(
        contacts.contains(&API_CONTACT_EMAIL.to_lowercase()) || contacts.contains(API_CONTACT_EMAIL),
        "{body}"
    );
    assert!(!contacts.contains(sealing::PREFIX), "{body}");
}

/// Every sealed value in the database with the id of the key it is under.
async fn key_ids(db: &TestDb) -> Vec<String> {
    let mut ids = Vec::new();
    for (table, column) in [
        ("users", "email"),
        ("requests", "contact_name"),
        ("requests", "contact_email"),
        ("account_tokens", "new_email"),
    ] {
        for row in common::sql_rows(
            &db.conn,
            format!("SELECT {column} AS v FROM {table} WHERE {column} IS NOT NULL"),
        )
        .await
        {
            let value: String = row.try_get("", "v").unwrap();
            let (id, _) = sealing::split(&value).unwrap_or_else(|| panic!("{table}.{column} not sealed: {value}"));
            ids.push(id.to_owned());
        }
    }
    ids
}

async fn rotation_reseals_every_row_and_resumes_after_an_interruption(db: TestDb) {
    let net = seed(&db).await;
    let old = DataKey::parse(TEST_DATA_KEY).unwrap();
    let new = DataKey::parse(NEW_KEY).unwrap();
    let (old_id, new_id) = (old.id().to_owned(), new.id().to_owned());
    let before = key_ids(&db).await;
    assert!(
        before.len() >= 12 && before.iter().all(|id| *id == old_id),
        "{before:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let rotate = |batches: Option<&str>| {
        let mut command = muster(&db, dir.path());
        command
            .env("MUSTER_DATA_KEY", NEW_KEY)
            .env("MUSTER_DATA_KEY_PREVIOUS", TEST_DATA_KEY)
            .args(["rotate-data-key", "--batch-size", "3"]);
        if let Some(n) = batches {
            command.args(["--max-batches", n]);
        }
        command
    };

    // Interrupted after two batches: six rows re-sealed, the rest still
    // under the old key, and every row whole.
    let stopped = run(rotate(Some("2"))).await;
    assert!(stopped.status.success(), "{}", binary::stderr(&stopped));
    assert!(stdout(&stopped).contains("run it again"), "{}", stdout(&stopped));
    let halfway = key_ids(&db).await;
    assert_eq!(halfway.iter().filter(|id| **id == new_id).count(), 6, "{halfway:?}");
    assert!(halfway.contains(&old_id));

    // Resumed: every value under the new key.
    let resumed = run(rotate(None)).await;
    assert!(resumed.status.success(), "{}", binary::stderr(&resumed));
    assert!(stdout(&resumed).contains("users:"), "progress: {}", stdout(&resumed));
    assert!(
        stdout(&resumed).contains("the previous key can go"),
        "{}",
        stdout(&resumed)
    );
    let after = key_ids(&db).await;
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|id| *id == new_id), "{after:?}");

    // Reads work with the new key alone, the sign-in hash included.
    let export = |key: &str| {
        let mut command = muster(&db, dir.path());
        command
            .env("MUSTER_DATA_KEY", key)
            .args(["export-user", "--email", &net.member.email.to_uppercase()]);
        command
    };
    let read = run(export(NEW_KEY)).await;
    assert!(read.status.success(), "{}", binary::stderr(&read));
    let document: Value = serde_json::from_str(&stdout(&read)).unwrap();
    assert_eq!(document["profile"]["email"], json!(net.member.email));
    let ring = Keyring::new(DataKey::parse(NEW_KEY).unwrap(), None);
    let member = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ring.open(Field::UserEmail, member.id, member.email.as_deref().unwrap())
            .unwrap(),
        net.member.email
    );
    assert_eq!(
        member.email_hash.as_deref(),
        Some(ring.lookup(&net.member.email).as_str())
    );

    // The old key alone opens nothing: start-up refuses, in one line.
    let refused = run(export(TEST_DATA_KEY)).await;
    assert!(!refused.status.success());
    let line = error_line(&refused);
    assert!(line.contains(&new_id) && line.contains("does not hold"), "{line}");
    let old_ring = Keyring::new(old, None);
    assert!(
        old_ring
            .open(Field::UserEmail, member.id, member.email.as_deref().unwrap())
            .is_err()
    );
}

async fn a_sealed_value_moved_to_another_row_or_column_does_not_open(db: TestDb) {
    let net = seed(&db).await;
    let supporter = user::Entity::find_by_id(net.supporter.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let sealed = supporter.email.clone().unwrap();
    // As stored, it opens for its own row and column only.
    assert_eq!(
        sealing::open(Field::UserEmail, supporter.id, &sealed).unwrap(),
        net.supporter.email
    );
    assert!(sealing::open(Field::UserEmail, net.member.id, &sealed).is_err());
    assert!(sealing::open(Field::RequestContactEmail, supporter.id, &sealed).is_err());

    // Someone with write access to the file copies the supporter's sealed
    // address into the member's row: the member's address is not shown as
    // the supporter's, it is refused as an internal error.
    user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value(sealed.clone()))
        .filter(user::Column::Id.eq(net.member.id))
        .exec(&db.conn)
        .await
        .unwrap();
    let (_, body) = graphql_as(
        &db.app(),
        net.token(Persona::Member).as_deref(),
        "{ me { email } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&body), Some("INTERNAL"), "{body}");
    assert!(!body.to_string().contains(&net.supporter.email), "{body}");
}

async fn plain_rows_left_by_an_older_release_are_sealed_at_start(db: TestDb) {
    let net = network::build(&db.conn).await;
    // As an older release wrote them: plain text, no hashes.
    let member = net.member.id;
    user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value(net.member.email.clone()))
        .col_expr(user::Column::EmailHash, Expr::value(Option::<String>::None))
        .filter(user::Column::Id.eq(member))
        .exec(&db.conn)
        .await
        .unwrap();
    request::Entity::update_many()
        .col_expr(request::Column::ContactName, Expr::value("Outside Contact"))
        .col_expr(request::Column::ContactEmail, Expr::value(OUTSIDE_CONTACT_EMAIL))
        .col_expr(request::Column::ContactEmailHash, Expr::value(Option::<String>::None))
        .filter(request::Column::ContactEmail.is_not_null())
        .exec(&db.conn)
        .await
        .unwrap();
    assert!(!in_any_column(&db, &net.member.email).await.is_empty());

    let config = db.config_with(&[("MUSTER_DATA_KEY", TEST_DATA_KEY)]);
    muster::data_key::prepare(&config, &db.conn).await.unwrap();

    for needle in [net.member.email.as_str(), OUTSIDE_CONTACT_EMAIL, "Outside Contact"] {
        let found = in_any_column(&db, needle).await;
        assert!(found.is_empty(), "{needle}: {found:?}");
        if db.backend == Backend::Sqlite {
            assert_eq!(in_bytes(&sqlite_files(&db), needle), 0, "{needle} on disk");
        }
    }
    let body = common::login(&db.app(), &net.member.email.to_uppercase(), PASSWORD).await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
    // Again: nothing left to seal, nothing changes.
    let before = key_ids(&db).await;
    muster::data_key::prepare(&config, &db.conn).await.unwrap();
    assert_eq!(key_ids(&db).await.len(), before.len());
}

/// Start-up refuses a database whose key it does not hold, in one line,
/// and generates a key (mode 0600) only for a database that has none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_without_its_key_opens_no_one() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = seed(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let bare = || {
        let mut command = binary::muster(dir.path());
        command
            .env_remove("MUSTER_DATA_KEY")
            .env("MUSTER_DATABASE_URL", &db.url);
        command
    };
    // No key at all: the key file is missing and is not made up.
    let mut command = bare();
    command
        .env("MUSTER_DATA_KEY_FILE", dir.path().join("muster.data-key"))
        .arg("migrate");
    let refused = run(command).await;
    assert!(!refused.status.success());
    let line = error_line(&refused);
    assert!(line.contains("no data key"), "{line}");
    assert!(
        !dir.path().join("muster.data-key").exists(),
        "no new key for sealed rows"
    );

    // Another key: refused, naming the key it would need.
    let mut command = bare();
    command.env("MUSTER_DATA_KEY", NEW_KEY).arg("migrate");
    let refused = run(command).await;
    assert!(!refused.status.success());
    let line = error_line(&refused);
    assert!(
        line.contains("sealed under data key") && line.contains("nothing is served"),
        "{line}"
    );
    assert!(!line.contains(&net.member.email));

    // Values do not open under another key.
    let other = Keyring::new(DataKey::parse(NEW_KEY).unwrap(), None);
    let member = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert!(
        other
            .open(Field::UserEmail, member.id, member.email.as_deref().unwrap())
            .is_err()
    );

    // A new database gets a key file of its own, private to its owner.
    let fresh = tempfile::tempdir().unwrap();
    let mut command = binary::muster(fresh.path());
    command
        .env_remove("MUSTER_DATA_KEY")
        .env("MUSTER_DATABASE_URL", binary::sqlite_url(fresh.path()))
        .arg("migrate");
    let made = run(command).await;
    assert!(made.status.success(), "{}", binary::stderr(&made));
    let key_file = fresh.path().join("muster.data-key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(DataKey::parse(&key).is_some());
    assert!(!binary::stderr(&made).contains(key.trim()), "the key is never logged");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
