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
    let offer_mail = sink.to(&net.trainer.email);
    assert!(
        offer_mail.iter().any(|m| m.text.contains("/offers")),
        "the offer's link leads to the trainer's offers: {offer_mail:?}"
    );

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

const SUBMIT: &str = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }";

async fn submit(db: &TestDb, net: &Network) -> String {
    let data = ok(db, None, SUBMIT, json!({ "input": outside_request(net) })).await;
    data["submitRequest"]["reference"].as_str().unwrap().to_owned()
}

/// The path and query of a full URL, for the in-process client.
fn path_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

/// Coordinators hear of new requests in one morning mail; choosing
/// "immediately" sends each as it comes; the unsubscribe link in the mail
/// (page and one-click) stops them, without signing in, and a tampered
/// link changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_requests_come_in_a_morning_digest_until_unsubscribed() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    let references = [
        submit(&db, &net).await,
        submit(&db, &net).await,
        submit(&db, &net).await,
    ];
    worker.round(db.now()).await.unwrap();
    assert!(sink.to(&net.coordinator.email).is_empty(), "held for the morning");

    let now = db.now();
    db.clock
        .advance(muster::domain::notifications::outbox::next_digest_at(now) - now + Duration::minutes(1));
    worker.round(db.now()).await.unwrap();
    worker.round(db.now()).await.unwrap();
    let digest = sink.to(&net.coordinator.email);
    assert_eq!(digest.len(), 1, "one digest: {digest:?}");
    for reference in &references {
        assert!(
            digest[0].text.contains(reference.as_str()),
            "{reference} in {}",
            digest[0].text
        );
    }
    let unsubscribe = digest[0]
        .header("List-Unsubscribe")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_owned();
    assert_eq!(
        digest[0].header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let coordinator = token_at(&db, net.coordinator.id);

    ok(
        &db,
        coordinator.as_deref(),
        "mutation { updateNotificationSettings(settings: [{ topic: NEW_REQUESTS, delivery: IMMEDIATELY }]) { topic } }",
        json!({}),
    )
    .await;
    let fourth = submit(&db, &net).await;
    worker.round(db.now()).await.unwrap();
    let now_sent = sink.to(&net.coordinator.email);
    assert_eq!(now_sent.len(), 2, "{now_sent:?}");
    assert!(
        now_sent
            .iter()
            .any(|m| m.text.contains(&fourth) && !m.subject.contains("digest")),
        "{now_sent:?}"
    );

    // The link's page only shows a button (mail scanners follow links);
    // a tampered signature is refused and changes nothing.
    let path = path_of(&unsubscribe);
    let page = db.app().get(&path).send().await.0;
    assert_eq!(page.status(), 200);
    assert!(page.into_body().into_string().await.unwrap().contains("<form"));
    let tampered = format!("{}x", path.trim_end_matches(|c: char| c != '=' && c != '&'));
    let refused = db.app().post(&tampered).send().await.0;
    assert_eq!(refused.status(), 400, "{tampered}");
    let settings = "{ notificationSettings { topic delivery } }";
    let before = ok(&db, coordinator.as_deref(), settings, json!({})).await;
    assert!(before.to_string().contains("IMMEDIATELY"), "{before}");

    // RFC 8058's one-click POST, as a mail client sends it.
    let done = db
        .app()
        .post(&path)
        .content_type("application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .0;
    assert_eq!(done.status(), 200);
    let after = ok(&db, coordinator.as_deref(), settings, json!({})).await;
    let new_requests = after["notificationSettings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["topic"] == "NEW_REQUESTS")
        .unwrap()
        .clone();
    assert_eq!(new_requests["delivery"], "NEVER", "{after}");
    submit(&db, &net).await;
    db.clock.advance(Duration::days(1));
    worker.round(db.now()).await.unwrap();
    // (Other topics still come: the fixtures' old offers are flagged.)
    let about_new: Vec<String> = sink
        .to(&net.coordinator.email)
        .into_iter()
        .map(|m| m.subject)
        .filter(|s| s.starts_with("New request") || s.contains("digest"))
        .collect();
    assert_eq!(about_new.len(), 2, "no more after unsubscribing: {about_new:?}");
}

/// A request whose last preferred date ends within a week, with no
/// trainer: the coordinators are told once, however often the clock runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_about_to_pass_unassigned_is_flagged_once() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    let mut input = outside_request(&net);
    input["preferredWindows"] = json!([{ "startsAt": day(5, 9), "endsAt": day(5, 17) }]);
    let submitted = ok(&db, None, SUBMIT, json!({ "input": input })).await;
    let reference = submitted["submitRequest"]["reference"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        worker.round(db.now()).await.unwrap();
        db.clock.advance(Duration::minutes(2));
    }
    let alerts: Vec<String> = subjects(&sink, &net.coordinator.email, &reference)
        .into_iter()
        .filter(|s| s.starts_with("Running out of time"))
        .collect();
    assert_eq!(alerts.len(), 1, "{:?}", sink.to(&net.coordinator.email));
}

/// `changeEmail`: the new address gets a link and becomes the sign-in
/// address only once it is confirmed; the old one is told, without being
/// shown the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_address_counts_once_confirmed_and_the_old_one_is_told() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    let supporter = token_at(&db, net.supporter.id);
    let change = "mutation($e: String!, $p: String!) { changeEmail(newEmail: $e, currentPassword: $p) { message } }";
    let fresh = "jo.elsewhere@people.example.org";

    let (_, wrong) = graphql_as(
        &db.app(),
        supporter.as_deref(),
        change,
        json!({ "e": fresh, "p": "not my password" }),
    )
    .await;
    assert_eq!(error_code(&wrong), Some("BAD_USER_INPUT"), "{wrong}");
    ok(
        &db,
        supporter.as_deref(),
        change,
        json!({ "e": fresh, "p": network::PASSWORD }),
    )
    .await;
    worker.round(db.now()).await.unwrap();
    let confirm = sink.to(fresh);
    assert_eq!(confirm.len(), 1);
    let notice = sink.to(&net.supporter.email);
    assert_eq!(notice.len(), 1, "{notice:?}");
    assert!(!notice[0].text.contains(fresh) && !notice[0].html.contains(fresh));

    // Not yet: the old address still signs in, the new one does not.
    let early = common::login(&db.app(), fresh, network::PASSWORD).await;
    assert_eq!(error_code(&early), Some("UNAUTHENTICATED"), "{early}");
    let token = confirm[0]
        .link("http")
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    ok(
        &db,
        None,
        "mutation($t: String!) { verifyEmail(token: $t) { id } }",
        json!({ "t": token }),
    )
    .await;
    let moved = common::login(&db.app(), fresh, network::PASSWORD).await;
    assert!(moved["data"]["login"]["token"].is_string(), "{moved}");
    let old = common::login(&db.app(), &net.supporter.email, network::PASSWORD).await;
    assert_eq!(error_code(&old), Some("UNAUTHENTICATED"), "{old}");
}

/// A members-only event moved: those going are told, in words that name
/// neither the event nor its venue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_about_a_members_only_event_names_no_title_or_venue() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    let event = json!(net.alpha_members_event);
    ok(
        &db,
        token_at(&db, net.member.id).as_deref(),
        "mutation($id: ID!) { rsvp(eventId: $id) { status } }",
        json!({ "id": event }),
    )
    .await;
    ok(
        &db,
        token_at(&db, net.organiser.id).as_deref(),
        "mutation($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { id } }",
        json!({ "id": event, "input": {
            "startsAt": day(9, 18), "endsAt": day(9, 20),
            "venue": "Back room, Unity Centre", "address": "12 Harbour Street",
        } }),
    )
    .await;
    worker.round(db.now()).await.unwrap();
    let told = sink.to(&net.member.email);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].subject.starts_with("Changed"), "{}", told[0].subject);
    for secret in ["Alpha planning", "Unity Centre", "Harbour Street"] {
        assert!(!told[0].raw.contains(secret), "{secret} in the mail: {}", told[0].raw);
    }
    assert!(
        told[0].text.contains("members' event of alpha group"),
        "{}",
        told[0].text
    );
    assert!(sink.to(&net.organiser.email).is_empty(), "not told of their own change");
}

/// Bodies go 30 days after sending, keeping kind and time; the export
/// lists what was sent; erasure removes every message to the person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sent_mail_is_kept_briefly_listed_in_the_export_and_erased_with_the_account() {
    use muster::domain::retention;
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    ok(
        &db,
        None,
        "mutation($e: String!) { requestPasswordReset(email: $e) { message } }",
        json!({ "e": net.supporter.email }),
    )
    .await;
    worker.round(db.now()).await.unwrap();
    assert_eq!(sink.to(&net.supporter.email).len(), 1);

    let supporter = token_at(&db, net.supporter.id);
    let export = ok(&db, supporter.as_deref(), "{ exportMyData }", json!({})).await;
    let sent = export["exportMyData"]["messagesSent"].as_array().unwrap().clone();
    assert_eq!(sent.len(), 1, "{export}");
    assert_eq!(sent[0]["kind"], "PASSWORD_RESET", "{export}");

    let submitted = submit(&db, &net).await;
    worker.round(db.now()).await.unwrap();
    let bodies = |db: &TestDb| {
        let conn = db.conn.clone();
        async move {
            common::sql_rows(
                &conn,
                "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NOT NULL \
                 AND (body_text IS NOT NULL OR subject IS NOT NULL OR body_html IS NOT NULL)",
            )
            .await[0]
                .try_get::<i64>("", "n")
                .unwrap()
        }
    };
    assert!(
        bodies(&db).await >= 2,
        "{submitted}: bodies kept while recent (the reset's is removed at sending)"
    );
    let policy = db.config().retention();
    let early = db.now() + Duration::days(29);
    let report = retention::purge(&db.conn, policy, early).await.unwrap();
    assert_eq!(report.message_bodies_removed, 0, "{report:?}");
    let late = db.now() + Duration::days(31);
    let report = retention::purge(&db.conn, policy, late).await.unwrap();
    assert!(report.message_bodies_removed >= 2, "{report:?}");
    assert_eq!(bodies(&db).await, 0);
    let kept = common::sql_rows(&db.conn, "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NOT NULL").await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    assert!(kept >= 2, "kind, recipient and time stay");

    ok(
        &db,
        supporter.as_deref(),
        "mutation($p: String!) { deleteMyAccount(password: $p) }",
        json!({ "p": network::PASSWORD }),
    )
    .await;
    let left = common::sql_rows(
        &db.conn,
        format!(
            "SELECT COUNT(*) AS n FROM outbox WHERE recipient_user_id = '{}'",
            net.supporter.id
        ),
    )
    .await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(left, 0, "erasure leaves no message to the person");
}

/// A plain `muster serve` without a mail server, as a newcomer runs it:
/// it says once where mail goes, writes each message as a private `.eml`
/// file, logs no address, and `muster outbox` counts what was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_mail_server_the_binary_writes_eml_files() {
    use common::binary::{Server, free_addr, muster, sqlite_url};
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    // The seeded demo, as README.md has a newcomer start.
    let seeded = muster(dir.path())
        .env("MUSTER_DATABASE_URL", &url)
        .arg("seed-demo")
        .output()
        .unwrap();
    assert!(seeded.status.success(), "{}", common::binary::stderr(&seeded));
    let mut command = muster(dir.path());
    command.env("MUSTER_DATABASE_URL", &url).arg("serve");
    let server = Server::start(command, free_addr(), dir.path().join("server.log")).await;
    let (_, topics) = common::wire::graphql(&server.addr, None, "{ topics { id } }", json!({}))
        .await
        .unwrap();
    let topic = topics["data"]["topics"][0]["id"].clone();

    let (status, body) = common::wire::graphql(
        &server.addr,
        None,
        SUBMIT,
        json!({ "input": {
            "kind": "WORKSHOP", "topicId": topic,
            "organisationName": "Heron Road Practice", "contactName": "Practice Manager",
            "contactEmail": CONTACT,
            "preferredWindows": [{ "startsAt": day(20, 9), "endsAt": day(20, 17) }],
            "town": "Cardiff", "region": "Wales",
        } }),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let reference = body["data"]["submitRequest"]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();

    let outbox = dir.path().join("outbox");
    let started = std::time::Instant::now();
    let file = loop {
        let found = std::fs::read_dir(&outbox)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .find(|p| std::fs::read_to_string(p).is_ok_and(|raw| raw.contains(&reference)));
        if let Some(file) = found {
            break file;
        }
        assert!(started.elapsed().as_secs() < 20, "no .eml: {}", server.log());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only the server's user may read it");
    let raw = std::fs::read_to_string(&file).unwrap();
    assert!(raw.contains(&format!("To: {CONTACT}")), "{raw}");
    assert!(raw.contains(&reference), "{raw}");

    let log = server.log();
    assert_eq!(log.matches(".eml files").count(), 1, "{log}");
    assert!(!log.contains('@'), "no address in the log: {log}");

    let listed = muster(dir.path())
        .env("MUSTER_DATABASE_URL", &url)
        .arg("outbox")
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let sent: u64 = listed
        .split("sent ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_default();
    assert!(sent >= 1, "{listed}");
    assert!(!listed.contains('@'), "{listed}");
}

/// A chaser says how long the offer has waited, however late the worker
/// first sees it (a restart, an upgrade); an offer whose preferred dates
/// have all passed is not chased at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chasers_tell_the_real_wait_and_skip_offers_past_their_dates() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    let coordinator = token_at(&db, net.coordinator.id);
    let mut offered = Vec::new();
    for days_ahead in [20, 5] {
        let mut input = outside_request(&net);
        input["preferredWindows"] = json!([{ "startsAt": day(days_ahead, 9), "endsAt": day(days_ahead, 17) }]);
        let data = ok(&db, None, SUBMIT, json!({ "input": input })).await;
        let reference = data["submitRequest"]["reference"].as_str().unwrap().to_owned();
        let id = muster::domain::requests::by_reference(&db.conn, &reference)
            .await
            .unwrap()
            .id;
        ok(
            &db,
            coordinator.as_deref(),
            "mutation($id: ID!, $trainer: ID!) { assignTrainer(requestId: $id, trainerId: $trainer, version: 1) { state } }",
            json!({ "id": id, "trainer": net.trainer.id }),
        )
        .await;
        offered.push(reference);
    }
    // The worker first runs ten days later.
    db.clock.advance(Duration::days(10));
    worker.round(db.now()).await.unwrap();
    db.clock.advance(Duration::minutes(2));
    worker.round(db.now()).await.unwrap();
    let chasers: Vec<_> = sink
        .to(&net.trainer.email)
        .into_iter()
        .filter(|m| m.subject.contains("is waiting"))
        .filter(|m| offered.iter().any(|r| m.text.contains(r.as_str())))
        .collect();
    assert_eq!(chasers.len(), 1, "only the offer still open: {chasers:?}");
    assert!(chasers[0].text.contains(&offered[0]), "{}", chasers[0].text);
    assert!(chasers[0].text.contains("10 days ago"), "{}", chasers[0].text);
}
