//! Mail, through a real SMTP server on loopback: the workflow's messages
//! arrive once each, a replay sends nothing, a server that is down delays
//! mail without losing it, and account links work once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::{
    Backend, TestDb, day, error_code, graphql_as,
    network::{self, Network},
    smtp::SmtpSink,
};
use muster::{
    config::MailConfig,
    domain::notifications::plan,
    mail::{Mailer, worker::Worker},
};
use serde_json::{Value, json};

fn worker_for(db: &TestDb, sink: &SmtpSink) -> Worker {
    let state = db.state();
    let config = MailConfig {
        smtp: Some(muster::config::SmtpUrl::parse(&sink.url()).unwrap()),
        from: "Campaign network <network@muster.example.org>".to_owned(),
    };
    let mailer = Mailer::new(&config, std::path::Path::new("."), "muster.example.org").unwrap();
    Worker::new(db.conn.clone(), state.mailroom.clone(), mailer)
}

const CONTACT: &str = "bookings@heron.example.net";

fn outside_request(net: &Network) -> Value {
    json!({
        "kind": "WORKSHOP", "topicId": net.topic,
        "organisationName": "Heron Road Practice", "contactName": "Practice Manager",
        "contactEmail": CONTACT,
        "preferredWindows": [{ "startsAt": day(20, 9), "endsAt": day(20, 17) }],
        "town": "Cardiff", "region": "Wales",
    })
}

/// A token for `id` on the app's clock (which the tests move).
fn token_at(db: &TestDb, id: uuid::Uuid) -> Option<String> {
    let keys = muster::auth::jwt::TokenKeys::new(&common::test_secret(), Duration::hours(1));
    Some(keys.issue(id, 0, db.now()).unwrap().token)
}

async fn ok(db: &TestDb, token: Option<&str>, query: &str, variables: Value) -> Value {
    let (_, body) = graphql_as(&db.app(), token, query, variables).await;
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

/// The subjects of the mail about `reference` that reached `address`,
/// sorted (the network's fixtures have requests of their own).
fn subjects(sink: &SmtpSink, address: &str, reference: &str) -> Vec<String> {
    let mut found: Vec<String> = sink
        .to(address)
        .into_iter()
        .filter(|m| m.text.contains(reference) || m.subject.contains(reference))
        .map(|m| m.subject)
        .collect();
    found.sort();
    found
}

on_both_databases!(a_request_mails_each_person_once, two_workers_send_each_message_once);

/// An outside organisation asks, a coordinator assigns, the trainer is
/// offered it, does nothing, is chased (the clock moved, not slept),
/// accepts; the requester hears it is confirmed; the coordinator cancels
/// and the trainer, the requester and the person going hear it, once each.
async fn a_request_mails_each_person_once(db: TestDb) {
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);

    let submitted = ok(
        &db,
        None,
        "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }",
        json!({ "input": outside_request(&net) }),
    )
    .await;
    let reference = submitted["submitRequest"]["reference"].as_str().unwrap().to_owned();
    let request_id = json!(
        muster::domain::requests::by_reference(&db.conn, &reference)
            .await
            .unwrap()
            .id
    );
    worker.round(db.now()).await.unwrap();
    let receipt = sink.to(CONTACT);
    assert_eq!(receipt.len(), 1, "{receipt:?}");
    assert!(receipt[0].subject.contains(&reference));
    assert!(
        receipt[0].text.contains(&format!("/request/{reference}")),
        "{}",
        receipt[0].text
    );
    assert!(!receipt[0].html.is_empty(), "both parts");
    // Coordinators' new-request mail waits for the morning digest.
    assert!(sink.to(&net.coordinator.email).is_empty());

    let assigned = ok(
        &db,
        token_at(&db, net.coordinator.id).as_deref(),
        "mutation($id: ID!, $trainer: ID!) { assignTrainer(requestId: $id, trainerId: $trainer, version: 1) { currentAssignment { id } } }",
        json!({ "id": request_id, "trainer": net.trainer.id }),
    )
    .await;
    let assignment = assigned["assignTrainer"]["currentAssignment"]["id"].clone();
    worker.round(db.now()).await.unwrap();
    let offers = subjects(&sink, &net.trainer.email, &reference);
    assert_eq!(offers.len(), 1, "{offers:?}");
    assert!(offers[0].starts_with("Action needed:"), "{offers:?}");

    // Nothing answered for three days: one chaser, however often the
    // worker runs.
    db.clock.advance(Duration::days(3) + Duration::hours(1));
    worker.round(db.now()).await.unwrap();
    db.clock.advance(Duration::minutes(5));
    worker.round(db.now()).await.unwrap();
    let chased = subjects(&sink, &net.trainer.email, &reference);
    assert_eq!(chased.len(), 2, "{chased:?}");
    assert!(chased.iter().all(|s| s.starts_with("Action needed:")));

    ok(
        &db,
        token_at(&db, net.trainer.id).as_deref(),
        "mutation($id: ID!, $slot: TimeRangeInput) { respondToAssignment(assignmentId: $id, accept: true, slot: $slot) { status } }",
        json!({ "id": assignment, "slot": { "startsAt": day(20, 10), "endsAt": day(20, 12) } }),
    )
    .await;
    worker.round(db.now()).await.unwrap();
    let to_contact = subjects(&sink, CONTACT, &reference);
    assert_eq!(to_contact.len(), 2, "{to_contact:?}");
    let confirmed = sink
        .to(CONTACT)
        .into_iter()
        .find(|m| m.subject.starts_with("Confirmed"))
        .unwrap();
    assert!(
        confirmed.text.contains("trainer Example"),
        "the trainer's display name: {}",
        confirmed.text
    );

    // Someone is going; then the coordinator cancels.
    let event = ok(
        &db,
        token_at(&db, net.coordinator.id).as_deref(),
        "query($id: ID!) { request(id: $id) { event { id } } }",
        json!({ "id": request_id }),
    )
    .await;
    let event_id = event["request"]["event"]["id"].clone();
    ok(
        &db,
        token_at(&db, net.supporter.id).as_deref(),
        "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
        json!({ "id": event_id }),
    )
    .await;
    ok(
        &db,
        token_at(&db, net.coordinator.id).as_deref(),
        "mutation($id: ID!) { cancelRequest(requestId: $id, reason: \"Venue closed\") { state } }",
        json!({ "id": request_id }),
    )
    .await;
    worker.round(db.now()).await.unwrap();
    assert_eq!(
        subjects(&sink, &net.trainer.email, &reference).len(),
        3,
        "one cancellation for the trainer"
    );
    assert_eq!(subjects(&sink, CONTACT, &reference).len(), 3);
    let going: Vec<String> = sink.to(&net.supporter.email).into_iter().map(|m| m.subject).collect();
    assert_eq!(going.len(), 1, "{going:?}");
    assert!(going[0].starts_with("Cancelled"));

    // Replaying the whole journal with a fresh worker sends nothing again.
    let before = sink.messages().len();
    plan::rewind(&db.conn, 0, db.now()).await.unwrap();
    let mut replay = worker_for(&db, &sink);
    replay.round(db.now()).await.unwrap();
    worker.round(db.now()).await.unwrap();
    assert_eq!(sink.messages().len(), before, "a replay sent mail again");

    // No message names anyone's address but in its To:.
    for mail in sink.messages() {
        for address in net.emails().into_iter().chain([CONTACT]) {
            assert!(
                !mail.text.contains(address) && !mail.html.contains(address),
                "{address} in {}",
                mail.subject
            );
        }
    }
}

/// Two workers on one database at once (two instances): every message
/// once.
async fn two_workers_send_each_message_once(db: TestDb) {
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut first = worker_for(&db, &sink);
    let mut second = worker_for(&db, &sink);
    for _ in 0..8 {
        ok(
            &db,
            None,
            "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }",
            json!({ "input": outside_request(&net) }),
        )
        .await;
    }
    let now = db.now();
    let (a, b) = tokio::join!(first.round(now), second.round(now));
    a.unwrap();
    b.unwrap();
    let (a, b) = tokio::join!(first.round(now), second.round(now));
    a.unwrap();
    b.unwrap();
    assert_eq!(sink.to(CONTACT).len(), 8, "eight receipts, one each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_server_that_is_down_delays_mail_without_losing_it() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let Some(mut sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    sink.stop();
    ok(
        &db,
        None,
        "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }",
        json!({ "input": outside_request(&net) }),
    )
    .await;
    let round = worker.round(db.now()).await.unwrap();
    assert!(round.failed >= 1 && round.sent == 0, "{round:?}");
    // The server keeps serving meanwhile.
    ok(&db, None, "{ groups(first: 1) { totalCount } }", json!({})).await;
    let admin = net.token(network::Persona::Admin);
    let outbox = ok(&db, admin.as_deref(), "{ outbox { pending failed } }", json!({})).await;
    assert!(
        outbox["outbox"]["pending"].as_u64().unwrap() >= round.failed as u64,
        "{outbox}"
    );

    sink.restart();
    db.clock.advance(Duration::minutes(2));
    let failed = round.failed;
    let round = worker.round(db.now()).await.unwrap();
    assert_eq!(round.sent, failed, "{round:?}");
    assert_eq!(sink.to(CONTACT).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_and_verification_links_work_once_and_reveal_nothing() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    let register = "mutation($e: String!) { register(input: { email: $e, displayName: \"Jo New\", password: \"a long enough password\" }) { message } }";

    // A new address and a taken one get the same answer; the taken one's
    // owner is told instead.
    let fresh = ok(&db, None, register, json!({ "e": "jo.new@people.example.org" })).await;
    let taken = ok(&db, None, register, json!({ "e": net.member.email })).await;
    assert_eq!(fresh, taken);
    worker.round(db.now()).await.unwrap();
    let welcome = sink.to("jo.new@people.example.org");
    assert_eq!(welcome.len(), 1);
    let exists = sink.to(&net.member.email);
    assert_eq!(exists.len(), 1);
    assert!(exists[0].subject.contains("already have"), "{}", exists[0].subject);

    let verify = "mutation($t: String!) { verifyEmail(token: $t) { id } }";
    let link = welcome[0].link("http").unwrap();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let (_, wrong) = graphql_as(&db.app(), None, verify, json!({ "t": "wrong" })).await;
    assert_eq!(error_code(&wrong), Some("BAD_USER_INPUT"));
    ok(&db, None, verify, json!({ "t": token })).await;
    let (_, again) = graphql_as(&db.app(), None, verify, json!({ "t": token })).await;
    assert!(again.to_string().contains("already been used"), "{again}");

    // A reset for a known and an unknown address: the same answer, one mail.
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) { message } }";
    let known = ok(&db, None, ask, json!({ "e": net.supporter.email })).await;
    let unknown = ok(&db, None, ask, json!({ "e": "nobody@people.example.org" })).await;
    assert_eq!(known, unknown);
    worker.round(db.now()).await.unwrap();
    let reset = sink.to(&net.supporter.email);
    assert_eq!(reset.len(), 1);
    assert!(sink.to("nobody@people.example.org").is_empty());
    let token = reset[0]
        .link("http")
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();

    let old_token = net.token(network::Persona::Supporter);
    let set = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { token } }";
    let (_, short) = graphql_as(&db.app(), None, set, json!({ "t": token, "p": "short" })).await;
    assert_eq!(short["errors"][0]["extensions"]["field"], "newPassword", "{short}");
    let done = ok(&db, None, set, json!({ "t": token, "p": "a brand new passphrase" })).await;
    assert!(done["resetPassword"]["token"].is_string());
    let (_, revoked) = graphql_as(&db.app(), old_token.as_deref(), "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&revoked), Some("UNAUTHENTICATED"), "{revoked}");
    let (_, reused) = graphql_as(
        &db.app(),
        None,
        set,
        json!({ "t": token, "p": "another new passphrase" }),
    )
    .await;
    assert!(reused.to_string().contains("already been used"), "{reused}");

    // A link older than an hour has expired.
    ok(&db, None, ask, json!({ "e": net.supporter.email })).await;
    worker.round(db.now()).await.unwrap();
    let second = sink
        .to(&net.supporter.email)
        .into_iter()
        .map(|m| m.link("http").unwrap())
        .find(|l| !l.contains(&token))
        .unwrap();
    db.clock.advance(Duration::minutes(61));
    let late = second.split("token=").nth(1).unwrap();
    let (_, expired) = graphql_as(
        &db.app(),
        None,
        set,
        json!({ "t": late, "p": "a brand new passphrase" }),
    )
    .await;
    assert!(expired.to_string().contains("expired"), "{expired}");
    let login = common::login(&db.app(), &net.supporter.email, "a brand new passphrase").await;
    assert!(login["data"]["login"]["token"].is_string(), "{login}");
}

#[tokio::test]
async fn a_malformed_smtp_url_stops_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::binary::muster(dir.path())
        .env("MUSTER_SMTP_URL", "mail.example.org:25")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = common::binary::stderr(&output);
    assert!(stderr.contains("MUSTER_SMTP_URL"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
