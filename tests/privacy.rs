//! The data subject's rights and the promises of the privacy notice, on
//! both databases: the access log, the export (API and command line),
//! erasure that leaves no trace of the old address anywhere, retention,
//! internal errors that say nothing, and the notice itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Output, Stdio};

use chrono::{DateTime, Duration, Utc};
use common::{
    Backend, TestDb, binary, error_code, graphql_as,
    network::{self, Network, PASSWORD, Persona},
    on_disk,
};
use entity::{
    EventKind, RequestState, RsvpStatus, audit_entry, event, request, rsvp, trainer_topic, trainer_unavailability, user,
};
use muster::domain::{
    audit, journal,
    retention::{self, RetentionPolicy},
};
use muster::fixtures::{AuditEntryBuilder, EventBuilder, RequestBuilder, RsvpBuilder, TrainerBuilder};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// The binary on the test's database.
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

struct NewRequest<'a> {
    reference: &'a str,
    state: RequestState,
    ended_at: Option<DateTime<Utc>>,
    submitted_by: Option<Uuid>,
    contact_name: &'a str,
    contact_email: &'a str,
    notes: &'a str,
}

/// Alpha's request, submitted 400 days ago and taken to `new.state` through
/// the workflow (by the network's coordinator, with `trainer` where one is
/// needed), its last step at `new.ended_at`.
fn request(net: &Network, new: NewRequest<'_>, trainer: Uuid) -> RequestBuilder {
    use RequestState::*;
    let coordinator = net.coordinator.id;
    let request = RequestBuilder::new(net.topic, common::now() - Duration::days(400))
        .reference(new.reference)
        .group(net.alpha)
        .contact(new.contact_name, new.contact_email)
        .submitted_by(new.submitted_by)
        .audience(30)
        .notes(new.notes);
    let request = match new.state {
        Submitted => request,
        Assigned => request.assigned(coordinator, trainer),
        Confirmed => request.assigned(coordinator, trainer).accepted(),
        Delivered => request.assigned(coordinator, trainer).accepted().delivered(coordinator),
        Cancelled => request.assigned(coordinator, trainer).accepted().cancelled(coordinator),
        Declined => request.declined(coordinator, "Not something the network can offer"),
        Withdrawn if new.submitted_by.is_some() => request.withdrawn(),
        Withdrawn => request.withdrawn_for_requester(coordinator),
    };
    match new.ended_at {
        Some(at) => request.at(at),
        None => request,
    }
}

async fn add_request(db: &DatabaseConnection, net: &Network, new: NewRequest<'_>) -> request::Model {
    request(net, new, net.trainer.id).insert(db).await.unwrap().request
}

async fn add_audit(db: &DatabaseConnection, subject: Uuid, actor: Uuid, at: DateTime<Utc>) {
    AuditEntryBuilder::new(actor, subject, at).insert(db).await.unwrap();
}

/// An event of Alpha next week with one place.
async fn add_small_event(db: &DatabaseConnection, net: &Network) -> Uuid {
    let now = common::now();
    let event = EventBuilder::new(now)
        .title("Know your rights evening")
        .kind(EventKind::Workshop)
        .starting(now + Duration::days(10))
        .venue(None)
        .group(net.alpha)
        .capacity(1)
        .created_by(net.organiser.id);
    event.insert(db).await.unwrap().id
}

async fn add_rsvp(db: &DatabaseConnection, event_id: Uuid, user_id: Uuid, status: RsvpStatus, at: DateTime<Utc>) {
    let rsvp = RsvpBuilder::new(event_id, user_id, at).status(status);
    rsvp.insert(db).await.unwrap();
}

/// Makes `person` a trainer with coverage and an away period noted
/// `note`.
async fn make_trainer(db: &DatabaseConnection, net: &Network, person: Uuid, note: &str) {
    let now = common::now();
    let trainer = TrainerBuilder::new(person, now)
        .monthly_cap(2)
        .topic(net.topic)
        .region("Wales")
        .away(now + Duration::days(30), now + Duration::days(40), note);
    trainer.insert(db).await.unwrap();
}

/// `request` delivered twenty days ago by `trainer`, whose proposal noted
/// how to reach them (`reachable`).
fn engaged(net: &Network, request: RequestBuilder, trainer: Uuid, reachable: &str) -> RequestBuilder {
    let now = common::now();
    request
        .assigned(net.coordinator.id, trainer)
        .slot(now - Duration::days(20), now - Duration::days(20) + Duration::hours(2))
        .at(now - Duration::days(30))
        .note(format!("Trainer reachable at {reachable}"))
        .accepted()
        .at(now - Duration::days(29))
}

/// Every (table, column, value) in the database whose text contains
/// `needle`, whatever its case: every column of every table, read as text.
async fn find_everywhere(db: &TestDb, needle: &str) -> Vec<String> {
    let backend = db.conn.get_database_backend();
    let columns: Vec<(String, String)> = match db.backend {
        Backend::Sqlite => {
            let tables = common::sql_rows(
                &db.conn,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .await;
            let mut columns = Vec::new();
            for table in tables {
                let table: String = table.try_get("", "name").unwrap();
                let info = common::sql_rows(&db.conn, format!("PRAGMA table_info(\"{table}\")")).await;
                for column in info {
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
    assert!(columns.len() > 50, "read the catalogue: {columns:?}");
    assert!(columns.iter().any(|(t, c)| t == "users" && c == "email"));
    let mut found = Vec::new();
    let pattern = format!("%{}%", needle.to_lowercase());
    for (table, column) in columns {
        let sql = match db.backend {
            Backend::Sqlite => format!(
                "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" WHERE lower(CAST(\"{column}\" AS TEXT)) LIKE ?"
            ),
            Backend::Postgres => format!(
                "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" WHERE lower(CAST(\"{column}\" AS TEXT)) LIKE $1"
            ),
        };
        let rows = db
            .conn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, [pattern.clone().into()]))
            .await
            .unwrap();
        for row in rows {
            let value: String = row.try_get("", "v").unwrap();
            found.push(format!("{table}.{column} = {value}"));
        }
    }
    found
}

on_both_databases!(
    deleting_my_account_leaves_no_trace_of_my_email,
    an_admin_erases_an_account_and_the_trail_says_so,
    reads_of_my_email_and_of_contact_details_are_in_my_access_log,
    my_export_holds_everything_about_me_and_no_secrets,
    retention_purges_what_ended_long_enough_ago,
    a_backlog_is_purged_in_batches_of_their_own,
    muster_purge_keeps_179_days_and_purges_181,
    attendance_is_reduced_to_counts_a_month_after_an_event,
    internal_errors_say_nothing_of_the_database,
    changes_to_my_trainer_profile_by_others_are_in_my_access_log,
);

async fn deleting_my_account_leaves_no_trace_of_my_email(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let member = net.token(Persona::Member);
    let email = net.member.email.clone();
    let name = "Zephyrine Quillfeather";

    // A life in the network: a distinctive name, a feed, a place at a full
    // event with someone waiting, requests made, trainer work, and an
    // organiser who read their email.
    let (_, renamed) = graphql_as(
        &client,
        member.as_deref(),
        "mutation($n: String!) { updateProfile(input: { displayName: $n }) { displayName } }",
        json!({ "n": name }),
    )
    .await;
    assert_eq!(renamed["data"]["updateProfile"]["displayName"], name, "{renamed}");
    let (_, feed) = graphql_as(
        &client,
        member.as_deref(),
        "mutation { createFeedToken(label: \"phone\") { secret } }",
        json!({}),
    )
    .await;
    let feed_secret = feed["data"]["createFeedToken"]["secret"].as_str().unwrap().to_owned();
    let small = add_small_event(&db.conn, &net).await;
    add_rsvp(
        &db.conn,
        small,
        net.member.id,
        RsvpStatus::Going,
        common::now() - Duration::hours(2),
    )
    .await;
    add_rsvp(
        &db.conn,
        small,
        net.supporter.id,
        RsvpStatus::Waitlisted,
        common::now() - Duration::hours(1),
    )
    .await;
    let shouted = email.to_uppercase();
    let made = request(
        &net,
        NewRequest {
            reference: "REQ-ERASE-1",
            state: RequestState::Delivered,
            ended_at: Some(common::now() - Duration::days(3)),
            submitted_by: Some(net.member.id),
            contact_name: name,
            contact_email: &email,
            notes: &format!("Please write to {shouted} rather than phoning."),
        },
        net.trainer.id,
    )
    .note(format!("Delivered; thanks to {email}"));
    let made = made.insert(&db.conn).await.unwrap().request;
    // Someone else's request that mentions the member's address in passing,
    // with the member as its trainer.
    make_trainer(&db.conn, &net, net.member.id, &email).await;
    let other = request(
        &net,
        NewRequest {
            reference: "REQ-ERASE-2",
            state: RequestState::Submitted,
            ended_at: None,
            submitted_by: Some(net.organiser.id),
            contact_name: "Alpha organisers",
            contact_email: "alpha@groups.example.org",
            notes: &format!("Copy in {email} please"),
        },
        net.member.id,
    );
    engaged(&net, other, net.member.id, &email)
        .insert(&db.conn)
        .await
        .unwrap();
    let organiser = net.token(Persona::Organiser);
    let (_, members) = graphql_as(
        &client,
        organiser.as_deref(),
        r#"{ group(slug: "alpha") { members { edges { node { user { email } } } } } }"#,
        json!({}),
    )
    .await;
    assert!(members.to_string().contains(&email), "{members}");
    assert!(
        !find_everywhere(&db, &email).await.is_empty(),
        "the search finds it beforehand"
    );
    if let (Some(email_bytes), Some(name_bytes)) = (on_disk(&db, &email), on_disk(&db, name)) {
        assert!(email_bytes > 0 && name_bytes > 0, "the files hold both beforehand");
    }

    // The journal holds what they did: a request to join another group.
    let (_, joined) = graphql_as(
        &client,
        member.as_deref(),
        "mutation { requestToJoin(groupSlug: \"beta\") { status } }",
        json!({}),
    )
    .await;
    assert_eq!(joined["data"]["requestToJoin"]["status"], "PENDING", "{joined}");

    // A wrong password erases nothing.
    let (_, wrong) = graphql_as(
        &client,
        member.as_deref(),
        "mutation { deleteMyAccount(password: \"not my password at all\") }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&wrong), Some("BAD_USER_INPUT"), "{wrong}");

    let (_, deleted) = graphql_as(
        &client,
        member.as_deref(),
        "mutation($p: String!) { deleteMyAccount(password: $p) }",
        json!({ "p": PASSWORD }),
    )
    .await;
    assert_eq!(deleted["data"]["deleteMyAccount"], true, "{deleted}");

    let traces = find_everywhere(&db, &email).await;
    assert!(traces.is_empty(), "the old email survives: {traces:#?}");
    let traces = find_everywhere(&db, name).await;
    assert!(traces.is_empty(), "the old name survives: {traces:#?}");
    // The journal forgets them too: what is left about them is that an
    // account was erased (by themself), and no earlier step is theirs.
    let journal = journal::all(&db.conn).await.unwrap();
    let about_them: Vec<&str> = journal
        .iter()
        .filter(|e| e.user_id == Some(net.member.id))
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(about_them, ["ACCOUNT_ERASED"], "{journal:?}");
    assert!(
        journal
            .iter()
            .all(|e| e.kind == "ACCOUNT_ERASED" || e.actor_id != Some(net.member.id)),
        "{journal:?}"
    );

    // Gone from the files as well: no free page and no old page in the
    // write-ahead log still holds them.
    for needle in [email.as_str(), name] {
        assert!(
            matches!(on_disk(&db, needle), None | Some(0)),
            "{needle} is still on disk"
        );
    }

    // Nothing of theirs works any more.
    let (status, _) = graphql_as(&client, member.as_deref(), "{ me { id } }", json!({})).await;
    assert_eq!(status, 401, "the sign-in token is dead");
    let login = common::login(&client, &email, PASSWORD).await;
    assert_eq!(error_code(&login), Some("UNAUTHENTICATED"), "{login}");
    let feed = client.get(format!("/feeds/{feed_secret}/calendar.ics")).send().await;
    assert_eq!(feed.0.status().as_u16(), 404, "the feed is gone");

    // The freed place went to the waiting list.
    let waiting = rsvp::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.event_id == small && r.user_id == net.supporter.id)
        .unwrap();
    assert_eq!(waiting.status, RsvpStatus::Going);

    // Requests and their history stay, pointing at a former member.
    let kept = request::Entity::find_by_id(made.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.submitted_by, Some(net.member.id));
    assert_eq!((kept.contact_name, kept.contact_email), (None, None));
    assert!(kept.notes.contains("[removed]"), "{}", kept.notes);
    let row = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert!(row.erased_at.is_some() && row.email.is_none() && row.password_hash.is_none());
    let (_, trail) = graphql_as(
        &client,
        net.token(Persona::Admin).as_deref(),
        "query($id: ID!) { auditLog(filter: { subjectId: $id, action: \"ERASE_ACCOUNT\" }) { edges { node { actorName operation subject { displayName } } } } }",
        json!({ "id": net.member.id }),
    )
    .await;
    let node = &trail["data"]["auditLog"]["edges"][0]["node"];
    assert_eq!(node["operation"], "deleteMyAccount", "{trail}");
    assert_eq!(node["actorName"], "former member");
    assert_eq!(node["subject"]["displayName"], "former member");
    // An engaged trainer's profile row stays for the history, empty.
    assert!(
        trainer_topic::Entity::find()
            .filter(trainer_topic::Column::TrainerId.eq(net.member.id))
            .all(&db.conn)
            .await
            .unwrap()
            .is_empty()
            && trainer_unavailability::Entity::find()
                .filter(trainer_unavailability::Column::TrainerId.eq(net.member.id))
                .all(&db.conn)
                .await
                .unwrap()
                .is_empty()
    );
    // The address is free for a new account.
    let (_, again) = graphql_as(
        &client,
        None,
        "mutation($e: String!) { register(input: { email: $e, displayName: \"Someone\", password: \"a long enough password\" }) { message } }",
        json!({ "e": email }),
    )
    .await;
    assert!(again.get("errors").is_none(), "{again}");
}

async fn an_admin_erases_an_account_and_the_trail_says_so(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let admin = net.token(Persona::Admin);
    let erase = "mutation($id: ID!) { eraseUser(userId: $id) }";

    let (_, erased) = graphql_as(&client, admin.as_deref(), erase, json!({ "id": net.member.id })).await;
    assert_eq!(erased["data"]["eraseUser"], true, "{erased}");
    let (status, _) = graphql_as(
        &client,
        net.token(Persona::Member).as_deref(),
        "{ me { id } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 401);
    assert!(find_everywhere(&db, &net.member.email).await.is_empty());

    let (_, twice) = graphql_as(&client, admin.as_deref(), erase, json!({ "id": net.member.id })).await;
    assert_eq!(error_code(&twice), Some("NOT_FOUND"), "{twice}");
    let (_, unknown) = graphql_as(&client, admin.as_deref(), erase, json!({ "id": Uuid::new_v4() })).await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"), "{unknown}");

    // The network keeps an admin.
    let (_, last) = graphql_as(&client, admin.as_deref(), erase, json!({ "id": net.admin.id })).await;
    assert_eq!(error_code(&last), Some("CONFLICT"), "{last}");

    let (_, trail) = graphql_as(
        &client,
        admin.as_deref(),
        "{ auditLog(filter: { action: \"ERASE_ACCOUNT\" }) { totalCount edges { node { actorName operation action } } } }",
        json!({}),
    )
    .await;
    assert_eq!(trail["data"]["auditLog"]["totalCount"], 1, "{trail}");
    let node = &trail["data"]["auditLog"]["edges"][0]["node"];
    assert_eq!(node["actorName"], "admin Example");
    assert_eq!(node["operation"], "eraseUser");

    let (_, bad) = graphql_as(
        &client,
        admin.as_deref(),
        "{ auditLog(filter: { action: \"PEEK\" }) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&bad), Some("BAD_USER_INPUT"), "{bad}");
}

const ACCESS_LOG: &str = "query($first: Int, $after: String) { myDataAccessLog(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { actorName action operation requestId createdAt } } } }";

async fn reads_of_my_email_and_of_contact_details_are_in_my_access_log(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();

    // The organiser reads the member's email in the member list.
    graphql_as(
        &client,
        net.token(Persona::Organiser).as_deref(),
        r#"{ group(slug: "alpha") { members { edges { node { user { email } } } } } }"#,
        json!({}),
    )
    .await;
    // A coordinator is shown the contact details of a request the
    // supporter submitted, giving the member as the contact.
    let made = add_request(
        &db.conn,
        &net,
        NewRequest {
            reference: "REQ-READ-1",
            state: RequestState::Submitted,
            ended_at: None,
            submitted_by: Some(net.supporter.id),
            contact_name: "member Example",
            contact_email: &net.member.email.to_uppercase(),
            notes: "",
        },
    )
    .await;
    audit::record_contact_read(&db.conn, Some(net.coordinator.id), &made, "request", common::now())
        .await
        .unwrap();

    let member = net.token(Persona::Member);
    let (_, log) = graphql_as(&client, member.as_deref(), ACCESS_LOG, json!({})).await;
    let log = &log["data"]["myDataAccessLog"];
    assert_eq!(log["totalCount"], 2, "{log}");
    let newest = &log["edges"][0]["node"];
    assert_eq!(newest["action"], "READ_CONTACT_DETAILS");
    assert_eq!(newest["actorName"], "coordinator Example");
    assert_eq!(newest["requestId"], made.id.to_string());
    let oldest = &log["edges"][1]["node"];
    assert_eq!(oldest["action"], "READ_EMAIL");
    assert_eq!(oldest["actorName"], "organiser Example");
    assert_eq!(oldest["operation"], "group");

    // Page by page.
    let (_, first) = graphql_as(&client, member.as_deref(), ACCESS_LOG, json!({ "first": 1 })).await;
    let first = &first["data"]["myDataAccessLog"];
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let (_, second) = graphql_as(
        &client,
        member.as_deref(),
        ACCESS_LOG,
        json!({ "first": 1, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    let second = &second["data"]["myDataAccessLog"];
    assert_eq!(second["edges"][0]["node"]["action"], "READ_EMAIL", "{second}");
    assert_eq!(second["pageInfo"]["hasNextPage"], false);

    // The submitter sees the read too; the reader's own log does not.
    let (_, submitter) = graphql_as(&client, net.token(Persona::Supporter).as_deref(), ACCESS_LOG, json!({})).await;
    assert_eq!(
        submitter["data"]["myDataAccessLog"]["edges"][0]["node"]["action"], "READ_CONTACT_DETAILS",
        "{submitter}"
    );
    let (_, reader) = graphql_as(
        &client,
        net.token(Persona::Coordinator).as_deref(),
        ACCESS_LOG,
        json!({}),
    )
    .await;
    assert_eq!(reader["data"]["myDataAccessLog"]["totalCount"], 0, "{reader}");

    // Admins filter the whole trail.
    let (_, by_actor) = graphql_as(
        &client,
        net.token(Persona::Admin).as_deref(),
        "query($a: ID!, $s: DateTime!) { auditLog(filter: { actorId: $a, since: $s }) { totalCount edges { node { subject { displayName } } } } }",
        json!({ "a": net.coordinator.id, "s": common::now() - Duration::hours(1) }),
    )
    .await;
    assert_eq!(by_actor["data"]["auditLog"]["totalCount"], 2, "{by_actor}");
    let (_, none_yet) = graphql_as(
        &client,
        net.token(Persona::Admin).as_deref(),
        "query($u: DateTime!) { auditLog(filter: { until: $u }) { totalCount } }",
        json!({ "u": common::now() - Duration::hours(1) }),
    )
    .await;
    assert_eq!(none_yet["data"]["auditLog"]["totalCount"], 0, "{none_yet}");
}

async fn changes_to_my_trainer_profile_by_others_are_in_my_access_log(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let set = "mutation($id: ID, $topic: ID!) { setTrainerProfile(trainerId: $id, input: { topicIds: [$topic], regions: [\"Wales\"], monthlyCap: 3 }) { monthlyCap } }";
    let away = "mutation($id: ID) { addUnavailability(trainerId: $id, input: { startsAt: \"2031-08-01T00:00:00Z\", endsAt: \"2031-08-15T00:00:00Z\" }) { id } }";
    let trainer = net.token(Persona::Trainer);
    let coordinator = net.token(Persona::Coordinator);

    // The trainer's own edits are not someone else's access.
    let (_, own) = graphql_as(&client, trainer.as_deref(), set, json!({ "topic": net.topic })).await;
    assert!(own.get("errors").is_none(), "{own}");
    let (_, log) = graphql_as(&client, trainer.as_deref(), ACCESS_LOG, json!({})).await;
    assert_eq!(log["data"]["myDataAccessLog"]["totalCount"], 0, "{log}");

    let vars = json!({ "id": net.trainer.id, "topic": net.topic });
    let (_, by_staff) = graphql_as(&client, coordinator.as_deref(), set, vars.clone()).await;
    assert!(by_staff.get("errors").is_none(), "{by_staff}");
    let (_, added) = graphql_as(&client, coordinator.as_deref(), away, vars).await;
    let period = added["data"]["addUnavailability"]["id"].clone();
    graphql_as(
        &client,
        coordinator.as_deref(),
        "mutation($id: ID!) { removeUnavailability(id: $id) }",
        json!({ "id": period }),
    )
    .await;
    let (_, log) = graphql_as(&client, trainer.as_deref(), ACCESS_LOG, json!({})).await;
    let operations: Vec<(&str, &str, &str)> = log["data"]["myDataAccessLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let node = &e["node"];
            (
                node["action"].as_str().unwrap(),
                node["operation"].as_str().unwrap(),
                node["actorName"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        operations,
        [
            ("CHANGE_TRAINER_PROFILE", "removeUnavailability", "coordinator Example"),
            ("CHANGE_TRAINER_PROFILE", "addUnavailability", "coordinator Example"),
            ("CHANGE_TRAINER_PROFILE", "setTrainerProfile", "coordinator Example"),
        ],
        "{log}"
    );
}

const EXPORT: &str = "{ exportMyData }";

/// The document without what differs between two exports a moment apart.
fn comparable(mut document: Value) -> Value {
    let object = document.as_object_mut().unwrap();
    object.remove("exportedAt");
    object.remove("auditEntries");
    // The retention boundaries are "now minus the period", so two exports
    // either side of a second's turn differ in them and in nothing else.
    if let Some(retention) = object.get_mut("removedByRetention").and_then(Value::as_object_mut) {
        retention.retain(|name, _| !name.ends_with("Before"));
    }
    document
}

async fn my_export_holds_everything_about_me_and_no_secrets(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let member = net.token(Persona::Member);
    graphql_as(
        &client,
        member.as_deref(),
        "mutation { createFeedToken(label: \"work laptop\") { secret } }",
        json!({}),
    )
    .await;
    make_trainer(&db.conn, &net, net.member.id, "at a conference").await;
    let made = request(
        &net,
        NewRequest {
            reference: "REQ-EXPORT-1",
            state: RequestState::Submitted,
            ended_at: None,
            submitted_by: Some(net.member.id),
            contact_name: "member Example",
            contact_email: &net.member.email,
            notes: "Step-free access please",
        },
        net.member.id,
    );
    let made = engaged(&net, made, net.member.id, "at a conference")
        .delivered(net.coordinator.id)
        .at(common::now() - Duration::days(1));
    made.insert(&db.conn).await.unwrap();
    add_request(
        &db.conn,
        &net,
        NewRequest {
            reference: "REQ-EXPORT-2",
            state: RequestState::Submitted,
            ended_at: None,
            submitted_by: Some(net.organiser.id),
            contact_name: "member Example",
            contact_email: &net.member.email.to_uppercase(),
            notes: "",
        },
    )
    .await;
    add_audit(
        &db.conn,
        net.member.id,
        net.organiser.id,
        common::now() - Duration::days(2),
    )
    .await;

    let (_, body) = graphql_as(&client, member.as_deref(), EXPORT, json!({})).await;
    let document = body["data"]["exportMyData"].clone();
    assert_eq!(document["format"], "muster-export/1", "{body}");
    assert_eq!(document["profile"]["email"], net.member.email.as_str());
    assert_eq!(document["memberships"][0]["group"]["slug"], "alpha");
    assert_eq!(document["memberships"][0]["status"], "ACTIVE");
    assert_eq!(document["rsvps"][0]["event"]["title"], "Alpha open meeting");
    assert_eq!(document["requestsMade"][0]["reference"], "REQ-EXPORT-1");
    assert_eq!(document["requestsMade"][0]["notes"], "Step-free access please");
    assert_eq!(document["assignments"][0]["request"], "REQ-EXPORT-1");
    assert_eq!(document["requestsMade"].as_array().unwrap().len(), 1);
    assert_eq!(document["requestsAsContact"][0]["reference"], "REQ-EXPORT-2");
    assert_eq!(document["trainerProfile"]["regions"], json!(["Wales"]));
    assert_eq!(
        document["trainerProfile"]["unavailablePeriods"][0]["note"],
        "at a conference"
    );
    assert_eq!(
        document["feedTokens"],
        json!([{
            "label": "work laptop",
            "createdAt": document["feedTokens"][0]["createdAt"],
            "lastUsedAt": null,
            "revokedAt": null,
        }])
    );
    assert_eq!(document["auditEntries"][0]["actor"], "organiser Example");
    let text = document.to_string();
    let hash = entity::feed_token::Entity::find()
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap()
        .token_hash;
    assert!(!text.contains(&hash), "no token hash");
    let password_hash = user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(!text.contains(&password_hash.unwrap()), "no password hash");
    for other in [&net.supporter.email, &net.organiser.email, &net.coordinator.email] {
        assert!(!text.contains(other.as_str()), "no one else's email: {other}");
    }

    // The same document from the command line, for a request by post; the
    // export itself shows up in the person's trail.
    let dir = tempfile::tempdir().unwrap();
    let mut command = muster(&db, dir.path());
    command.args(["export-user", "--email", &net.member.email.to_uppercase()]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(comparable(printed.clone()), comparable(document));
    let entries = printed["auditEntries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "EXPORT_DATA" && e["actor"] == "operator (command line)")
    );

    let mut command = muster(&db, dir.path());
    command.args(["export-user", "--email", "nobody@people.example.org"]);
    let output = run(command).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no account") && !stderr.contains("nobody@"), "{stderr}");
}

/// The default periods: 180 days for contacts, 365 for audit entries, 30
/// for RSVPs and message bodies, 180 for signatures.
const DEFAULT_POLICY: RetentionPolicy = RetentionPolicy {
    retention_days: 180,
    audit_retention_days: 365,
    rsvp_retention_days: 30,
    outbox_retention_days: 30,
    signature_retention_days: 180,
};

/// One retention purge at `at`, with the default periods (180 days for
/// contacts, 365 for audit entries, 30 for RSVPs), in a unit of work of its
/// own.
async fn purge_at(db: &TestDb, at: DateTime<Utc>) -> retention::PurgeReport {
    retention::purge(&db.conn, DEFAULT_POLICY, at).await.unwrap()
}

async fn retention_purges_what_ended_long_enough_ago(db: TestDb) {
    let net = network::build(&db.conn).await;
    let now = common::now();
    let mut requests = Vec::new();
    for (i, (state, ended_days_ago)) in [
        (RequestState::Delivered, Some(181)),
        (RequestState::Declined, Some(400)),
        (RequestState::Withdrawn, Some(179)),
        (RequestState::Cancelled, Some(180)),
        (RequestState::Confirmed, None),
    ]
    .into_iter()
    .enumerate()
    {
        let reference = format!("REQ-RET-{i}");
        let made = add_request(
            &db.conn,
            &net,
            NewRequest {
                reference: &reference,
                state,
                ended_at: ended_days_ago.map(|d| now - Duration::days(d)),
                submitted_by: Some(net.organiser.id),
                contact_name: "Dr Contact",
                contact_email: "contact@surgery.example.org",
                notes: "Call 07700 900123",
            },
        )
        .await;
        requests.push(made.id);
    }
    add_audit(&db.conn, net.member.id, net.organiser.id, now - Duration::days(366)).await;
    add_audit(&db.conn, net.member.id, net.organiser.id, now - Duration::days(364)).await;
    // Journal entries say who asked to join which group: kept 30 days.
    for days_ago in [31, 29] {
        let asked = journal::DomainEvent::MembershipRequested {
            group_id: net.beta,
            user_id: net.member.id,
        };
        journal::record(&db.conn, Some(net.member.id), asked, now - Duration::days(days_ago))
            .await
            .unwrap();
    }

    let purge = async |at| purge_at(&db, at).await;
    let report = purge(now).await;
    assert_eq!((report.requests_purged, report.audit_entries_removed), (3, 1));
    assert_eq!(report.journal_entries_removed, 1);
    assert_eq!(journal::all(&db.conn).await.unwrap().len(), 1);
    let purged: Vec<bool> = {
        let mut purged = Vec::new();
        for id in &requests {
            let r = request::Entity::find_by_id(*id).one(&db.conn).await.unwrap().unwrap();
            let cleared = r.contact_name.is_none() && r.contact_email.is_none() && r.notes.is_empty();
            assert_eq!(cleared, r.contact_purged_at.is_some());
            assert_eq!(r.town.as_deref(), Some("Cardiff"), "the request itself stays");
            purged.push(cleared);
        }
        purged
    };
    assert_eq!(purged, [true, true, false, true, false]);
    assert_eq!(audit_entry::Entity::find().all(&db.conn).await.unwrap().len(), 1);

    let again = purge(now).await;
    assert_eq!((again.requests_purged, again.audit_entries_removed), (0, 0));
    assert_eq!(again.journal_entries_removed, 0);
    // Two days on, the one that ended 179 days ago goes too, and the
    // journal entry of 29 days ago.
    let later = purge(now + Duration::days(2)).await;
    assert_eq!((later.requests_purged, later.journal_entries_removed), (1, 1));
}

/// A backlog (after an upgrade or a long stop) is purged a batch at a
/// time, each batch its own unit of work, so no one transaction holds the
/// write lock for all of it; the batches together do what one pass would.
async fn a_backlog_is_purged_in_batches_of_their_own(db: TestDb) {
    let net = network::build(&db.conn).await;
    let now = common::now();
    for i in 0..5 {
        let reference = format!("REQ-BATCH-{i}");
        add_request(
            &db.conn,
            &net,
            NewRequest {
                reference: &reference,
                state: RequestState::Delivered,
                ended_at: Some(now - Duration::days(200 + i)),
                submitted_by: Some(net.organiser.id),
                contact_name: "Dr Contact",
                contact_email: "contact@surgery.example.org",
                notes: "Call 07700 900123",
            },
        )
        .await;
        add_audit(&db.conn, net.member.id, net.organiser.id, now - Duration::days(400 + i)).await;
    }
    let mut ended = Vec::new();
    for i in 0..5 {
        let event = EventBuilder::new(now - Duration::days(60))
            .title(format!("Stall {i} long ago"))
            .group(net.alpha)
            .starting(now - Duration::days(40 + i))
            .lasting(Duration::hours(2))
            .insert(&db.conn)
            .await
            .unwrap();
        add_rsvp(
            &db.conn,
            event.id,
            net.member.id,
            RsvpStatus::Going,
            now - Duration::days(50),
        )
        .await;
        ended.push(event.id);
    }
    let policy = DEFAULT_POLICY;
    let mut total = retention::PurgeReport::default();
    let mut batches = 0;
    loop {
        let (batch, more) = muster::domain::in_work(&db.conn, async |work| {
            retention::purge_batch(work, policy, now, 2).await
        })
        .await
        .unwrap();
        batches += 1;
        assert!(
            batch.requests_purged <= 2 && batch.audit_entries_removed <= 2 && batch.attendance_forgotten <= 2,
            "{batch:?}"
        );
        total.requests_purged += batch.requests_purged;
        total.audit_entries_removed += batch.audit_entries_removed;
        total.attendance_forgotten += batch.attendance_forgotten;
        if !more {
            break;
        }
        assert!(batches < 20, "the batches do not end");
    }
    assert!(batches >= 3, "five of each, two a batch: {batches}");
    assert_eq!((total.requests_purged, total.audit_entries_removed), (5, 5));
    assert!(total.attendance_forgotten >= 5, "{total:?}");
    let left = rsvp::Entity::find()
        .filter(rsvp::Column::EventId.is_in(ended.clone()))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(left, 0, "every ended event's RSVPs are counts now");
    let kept = event::Entity::find()
        .filter(event::Column::Id.is_in(ended.clone()))
        .all(&db.conn)
        .await
        .unwrap();
    assert!(kept.iter().all(|e| e.going_count_kept == Some(1)), "{kept:?}");
    let purged = request::Entity::find()
        .filter(request::Column::Reference.starts_with("REQ-BATCH-"))
        .all(&db.conn)
        .await
        .unwrap();
    assert!(purged.iter().all(|r| r.contact_email.is_none() && r.notes.is_empty()));
    // Nothing is left for a whole purge to find.
    let again = retention::purge(&db.conn, policy, now).await.unwrap();
    assert!(!again.removed_anything(), "{again:?}");

    // An event reduced to counts that holds an RSVP again (moved, taken
    // up, ended again) adds it to its counts at the next purge.
    add_rsvp(
        &db.conn,
        ended[0],
        net.organiser.id,
        RsvpStatus::Going,
        now - Duration::days(45),
    )
    .await;
    let regained = retention::purge(&db.conn, policy, now).await.unwrap();
    assert_eq!(regained.attendance_forgotten, 1, "{regained:?}");
    let counted = event::Entity::find_by_id(ended[0])
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(counted.going_count_kept, Some(2));
    let left = rsvp::Entity::find()
        .filter(rsvp::Column::EventId.eq(ended[0]))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

async fn attendance_is_reduced_to_counts_a_month_after_an_event(db: TestDb) {
    let net = network::build(&db.conn).await;
    let now = common::now();
    let ended = |days_ago: i64| {
        EventBuilder::new(now - Duration::days(days_ago + 10))
            .title(format!("Meeting of {days_ago} days ago"))
            .group(net.alpha)
            .starting(now - Duration::days(days_ago) - Duration::hours(2))
            .lasting(Duration::hours(2))
    };
    let long_ago = ended(31).insert(&db.conn).await.unwrap().id;
    let recent = ended(29).insert(&db.conn).await.unwrap().id;
    let at = now - Duration::days(40);
    add_rsvp(&db.conn, long_ago, net.member.id, RsvpStatus::Going, at).await;
    add_rsvp(&db.conn, long_ago, net.organiser.id, RsvpStatus::Going, at).await;
    add_rsvp(&db.conn, long_ago, net.supporter.id, RsvpStatus::Waitlisted, at).await;
    add_rsvp(&db.conn, recent, net.member.id, RsvpStatus::Going, at).await;
    let going_count = async |id: Uuid| {
        let (_, body) = graphql_as(
            &db.app(),
            net.token(Persona::Coordinator).as_deref(),
            "query($id: ID!) { event(id: $id) { goingCount attendees { status } } }",
            json!({ "id": id }),
        )
        .await;
        let event = &body["data"]["event"];
        (
            event["goingCount"].as_u64().unwrap(),
            event["attendees"].as_array().unwrap().len(),
        )
    };
    assert_eq!(going_count(long_ago).await, (2, 3));

    let purge = async |at| purge_at(&db, at).await;
    let report = purge(now).await;
    assert!(report.attendance_forgotten >= 1, "{report:?}");
    let rsvps_of = async |id: Uuid| {
        rsvp::Entity::find()
            .filter(rsvp::Column::EventId.eq(id))
            .count(&db.conn)
            .await
            .unwrap()
    };
    // Who went is gone; how many went stays.
    assert_eq!(rsvps_of(long_ago).await, 0);
    let kept = event::Entity::find_by_id(long_ago)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((kept.going_count_kept, kept.waitlisted_count_kept), (Some(2), Some(1)));
    // (PostgreSQL keeps microseconds.)
    assert!(
        kept.attendance_forgotten_at
            .is_some_and(|at| (at - now).abs() < Duration::milliseconds(1)),
        "{kept:?}"
    );
    assert_eq!(going_count(long_ago).await, (2, 0));
    // What a calendar shows did not change.
    assert_eq!(kept.sequence, 0);
    // The event of 29 days ago keeps its RSVP, until two days on.
    assert_eq!(rsvps_of(recent).await, 1);
    assert_eq!(purge(now).await.attendance_forgotten, 0, "each event is looked at once");
    assert_eq!(purge(now + Duration::days(2)).await.attendance_forgotten, 1);
    assert_eq!(rsvps_of(recent).await, 0);
    assert_eq!(going_count(recent).await, (1, 0));

    // The member's export no longer lists what went, and says what was
    // removed when, from the policy (nothing is kept to name the events).
    let (_, export) = graphql_as(
        &db.app(),
        net.token(Persona::Member).as_deref(),
        "{ exportMyData }",
        json!({}),
    )
    .await;
    let document = &export["data"]["exportMyData"];
    let listed = document["rsvps"].to_string();
    assert!(
        !listed.contains(&long_ago.to_string()) && !listed.contains(&recent.to_string()),
        "{export}"
    );
    let removed = &document["removedByRetention"];
    assert_eq!(removed["rsvpsKeptDaysAfterEventEnds"], 30, "{removed}");
    let before = removed["attendanceRemovedForEventsEndedBefore"]
        .as_str()
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .unwrap_or_else(|| panic!("{removed}"));
    assert!(
        before > now - Duration::days(31) && before <= db.now() - Duration::days(30),
        "{removed}"
    );
    assert!(
        removed["statement"].as_str().is_some_and(|s| s.contains("30 days")),
        "{removed}"
    );
    assert!(!export.to_string().contains("Meeting of 31 days ago"), "{export}");
}

async fn muster_purge_keeps_179_days_and_purges_181(db: TestDb) {
    let net = network::build(&db.conn).await;
    // `muster purge` runs as a process of its own, on the system clock.
    let now = common::system_now();
    let old = add_request(
        &db.conn,
        &net,
        NewRequest {
            reference: "REQ-CLI-181",
            state: RequestState::Delivered,
            ended_at: Some(now - Duration::days(181)),
            submitted_by: None,
            contact_name: "Old Contact",
            contact_email: "old-contact@union.example.org",
            notes: "ring 07700 900456",
        },
    )
    .await;
    let recent = add_request(
        &db.conn,
        &net,
        NewRequest {
            reference: "REQ-CLI-179",
            state: RequestState::Withdrawn,
            ended_at: Some(now - Duration::days(179)),
            submitted_by: None,
            contact_name: "Recent Contact",
            contact_email: "recent-contact@union.example.org",
            notes: "",
        },
    )
    .await;

    let purged = ["Old Contact", "old-contact@union.example.org", "07700 900456"];
    // The contact's name and address are sealed, never on disk in plain
    // text; the notes are, until the purge.
    assert!(
        on_disk(&db, "07700 900456").is_none_or(|n| n > 0),
        "the notes on disk beforehand"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut command = muster(&db, dir.path());
    command.arg("purge");
    let output = run(command).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        printed.contains("purged the contact details of 1 ended requests"),
        "{printed}"
    );
    for secret in ["Old Contact", "old-contact@", "07700"] {
        assert!(!printed.contains(secret), "{printed}");
    }

    let old = request::Entity::find_by_id(old.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((old.contact_name, old.contact_email), (None, None));
    assert!(old.contact_purged_at.is_some() && old.notes.is_empty());
    for needle in purged {
        assert!(
            matches!(on_disk(&db, needle), None | Some(0)),
            "{needle} is still on disk"
        );
    }
    let recent = request::Entity::find_by_id(recent.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    // Kept, sealed as every contact is.
    let kept = recent.contact_email.as_deref().unwrap();
    assert_eq!(
        muster::domain::sealing::open(muster::domain::sealing::Field::RequestContactEmail, recent.id, kept).unwrap(),
        "recent-contact@union.example.org"
    );
    assert!(recent.contact_purged_at.is_none());

    // A shorter period from the environment reaches the recent one.
    let mut command = muster(&db, dir.path());
    command.env("MUSTER_RETENTION_DAYS", "30").arg("purge");
    let output = run(command).await;
    assert!(String::from_utf8_lossy(&output.stdout).contains("of 1 ended"));
}

async fn internal_errors_say_nothing_of_the_database(db: TestDb) {
    let net = network::build(&db.conn).await;
    db.conn.execute_unprepared("DROP TABLE feed_tokens").await.unwrap();
    let (status, body) = graphql_as(
        &db.app(),
        net.token(Persona::Member).as_deref(),
        "{ feedTokens { label } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body), Some("INTERNAL"), "{body}");
    assert_eq!(body["errors"][0]["message"], "internal error");
    let text = body.to_string().to_lowercase();
    for leak in [
        "feed_tokens",
        "no such table",
        "does not exist",
        "relation",
        "select",
        "sql",
    ] {
        assert!(!text.contains(leak), "{leak}: {body}");
    }
}

#[tokio::test]
async fn the_privacy_notice_is_plain_safe_html_with_the_configured_periods() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let response = db.app().get("/privacy").send().await;
    response.assert_status_is_ok();
    response.assert_content_type("text/html; charset=utf-8");
    response.assert_header("x-content-type-options", "nosniff");
    response.assert_header("referrer-policy", "no-referrer");
    let csp = response
        .0
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert_eq!(response.0.headers().get_all("content-type").iter().count(), 1);
    let html = response.0.into_body().into_string().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("180 days after the request ends"), "retention days");
    assert!(html.contains("deleted after 365 days"), "audit retention days");
    for how in ["exportMyData", "deleteMyAccount", "myDataAccessLog"] {
        assert!(html.contains(how), "{how}");
    }
    assert!(!html.contains("<script") && !html.contains("<style") && !html.contains("src="));
}

/// Sends one HTTP/1.1 request over a real socket; returns the response.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok()?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn graphql_body(query: &str, variables: Value) -> String {
    json!({ "query": query, "variables": variables }).to_string()
}

/// The real server, logging at debug level, is sent failing requests full
/// of personal data and secrets; its whole output is then searched for
/// them. Meanwhile its periodic purge runs once, logs counts, and stops
/// with the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_requests_leave_no_personal_data_in_the_logs() {
    const EMAIL: &str = "leak.check.person@people.example.org";
    const PASSWORD_: &str = "leak-check-password-Zq7";
    const WRONG_PASSWORD: &str = "wrong-password-Xy9-leak";
    const CONTACT_NAME: &str = "Dr Leaky Contactperson";
    const CONTACT_EMAIL: &str = "contact.leak@surgery.example.org";
    const PHONE: &str = "07700 900789";
    const FAKE_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.bGVha3Rva2Vu.c2lnbmF0dXJlLWxlYWs";
    const FEED_SECRET: &str = "feedsecretLEAKLEAKLEAK0123456789abcdefXYZ";

    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    add_request(
        &db.conn,
        &net,
        NewRequest {
            reference: "REQ-LEAK-1",
            state: RequestState::Delivered,
            ended_at: Some(common::system_now() - Duration::days(200)),
            submitted_by: None,
            contact_name: CONTACT_NAME,
            contact_email: CONTACT_EMAIL,
            notes: PHONE,
        },
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let addr = binary::free_addr();
    let mut command = muster(&db, dir.path());
    command
        .env("RUST_LOG", "debug")
        .env("MUSTER_BIND", &addr)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    let started = std::time::Instant::now();

    let conn = db.conn.clone();
    let output = tokio::task::spawn_blocking(move || {
        while http(&addr, "GET", "/healthz", &[], "").is_none() {
            assert!(started.elapsed().as_secs() < 30, "server did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let post = |headers: &[(&str, &str)], body: &str| http(&addr, "POST", "/graphql", headers, body).unwrap();
        let register = "mutation($e: String!, $n: String!, $p: String!) { register(input: { email: $e, displayName: $n, password: $p }) { message } }";
        let registered = post(&[], &graphql_body(register, json!({ "e": EMAIL, "n": CONTACT_NAME, "p": PASSWORD_ })));
        assert!(registered.contains("\"message\""), "registered: {registered}");
        let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
        let signed_up = post(&[], &graphql_body(login, json!({ "e": EMAIL, "p": PASSWORD_ })));
        let token = signed_up
            .split("\"token\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("registered: {signed_up}"))
            .to_owned();
        let bearer = format!("Bearer {token}");
        let fake_bearer = format!("Bearer {FAKE_TOKEN}");
        let failures = [
            // Wrong password, taken email, bad email, short password.
            post(&[], &graphql_body(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({ "e": EMAIL, "p": WRONG_PASSWORD }),
            )),
            post(&[], &graphql_body(register, json!({ "e": EMAIL, "n": CONTACT_NAME, "p": PASSWORD_ }))),
            post(&[], &graphql_body(register, json!({ "e": format!("{CONTACT_NAME} {CONTACT_EMAIL}"), "n": "x", "p": PASSWORD_ }))),
            post(&[], &graphql_body(register, json!({ "e": CONTACT_EMAIL, "n": CONTACT_NAME, "p": "short" }))),
            // A forged token, a malformed body and a syntax error, each
            // carrying contact details.
            post(&[("Authorization", &fake_bearer)], &graphql_body("{ me { id } }", json!({}))),
            post(&[], &format!("{{\"query\": \"{{ me }}\", \"contact\": \"{CONTACT_EMAIL} {PHONE}\"")),
            post(&[], &graphql_body(&format!("{{ me {{ id {} }} }}", CONTACT_NAME.replace(' ', "_")), json!({}))),
            post(&[], &graphql_body("query($x: Int) { me { id } }", json!({ "x": CONTACT_EMAIL }))),
            // Wrong password for erasure.
            post(&[("Authorization", &bearer)], &graphql_body(
                "mutation($p: String!) { deleteMyAccount(password: $p) }",
                json!({ "p": WRONG_PASSWORD }),
            )),
            http(&addr, "GET", &format!("/feeds/{FEED_SECRET}/calendar.ics"), &[], "").unwrap(),
            http(&addr, "GET", &format!("/calendar.ics?group={CONTACT_EMAIL}"), &[], "").unwrap(),
        ];
        for response in &failures {
            // A taken email registers "successfully" on purpose: the answer
            // must not tell that the address has an account.
            let taken_email = response.contains("\"register\":{\"message\"");
            assert!(!response.starts_with("HTTP/1.1 2") || response.contains("\"errors\"") || response.contains("VCALENDAR") || taken_email, "{response}");
        }
        // An internal error while the request carries contact details.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(conn.execute_unprepared("DROP TABLE feed_tokens"))
            .unwrap();
        let internal = post(&[("Authorization", &bearer)], &graphql_body(
            "mutation($l: String!) { createFeedToken(label: $l) { secret } }",
            json!({ "l": format!("{CONTACT_NAME} {PHONE}") }),
        ));
        assert!(internal.contains("\"INTERNAL\""), "{internal}");

        // Let the first periodic purge run, then stop the server.
        while started.elapsed() < jobs_first_run() + std::time::Duration::from_secs(2) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();

    assert!(output.status.success(), "a clean stop");
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        logs.contains("internal error while answering a request"),
        "the internal error is logged: {logs}"
    );
    assert!(
        logs.contains("retention purge") && logs.contains("requests_purged=1"),
        "the periodic purge ran and logged its count: {logs}"
    );
    let mut leaked = Vec::new();
    for secret in [
        EMAIL,
        PASSWORD_,
        WRONG_PASSWORD,
        CONTACT_NAME,
        "Dr_Leaky_Contactperson",
        CONTACT_EMAIL,
        PHONE,
        FAKE_TOKEN,
        FEED_SECRET,
        "bGVha3Rva2Vu",
    ] {
        if logs.to_lowercase().contains(&secret.to_lowercase()) {
            leaked.push(secret);
        }
    }
    assert!(leaked.is_empty(), "leaked {leaked:?} into:\n{logs}");
}

fn jobs_first_run() -> std::time::Duration {
    muster::jobs::FIRST_PURGE_AFTER
}
