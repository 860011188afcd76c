//! Joint letters and pledges, as a new signatory and a coordinator meet
//! them: through the API and the pages, with mail through a real SMTP
//! server on loopback and time moved on the test clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::{
    TestDb, error_code, graphql_as,
    network::{self, Network, Persona},
    on_disk,
    smtp::SmtpSink,
};
use muster::{
    config::MailConfig,
    domain::retention,
    mail::{Mailer, worker::Worker},
};
use serde_json::{Value, json};
use uuid::Uuid;

fn worker_for(db: &TestDb, sink: &SmtpSink) -> Worker {
    let state = db.state();
    let config = MailConfig {
        smtp: Some(muster::config::SmtpUrl::parse(&sink.url()).unwrap()),
        from: "Campaign network <network@muster.example.org>".to_owned(),
    };
    let mailer = Mailer::new(&config, std::path::Path::new("."), "muster.example.org").unwrap();
    Worker::new(db.conn.clone(), state.mailroom.clone(), mailer)
}

/// A token for `id` on the app's clock (which the tests move).
fn token_at(db: &TestDb, id: Uuid) -> String {
    let keys = muster::auth::jwt::TokenKeys::new(&common::test_secret(), Duration::hours(1));
    keys.issue(id, 0, db.now()).unwrap().token
}

async fn ok(db: &TestDb, token: Option<&str>, query: &str, variables: Value) -> Value {
    let (_, body) = graphql_as(&db.app(), token, query, variables).await;
    assert!(body.get("errors").is_none(), "{query}: {body}");
    body["data"].clone()
}

async fn refused(db: &TestDb, token: Option<&str>, query: &str, variables: Value) -> (String, Value) {
    let (_, body) = graphql_as(&db.app(), token, query, variables).await;
    (error_code(&body).unwrap_or("none").to_owned(), body)
}

const CREATE: &str = "mutation($input: LetterWriteInput!) { createLetter(input: $input) { slug status } }";
const OPEN: &str = "mutation($slug: String!) { openLetter(slug: $slug) { status } }";
const SIGN: &str = "mutation($input: SignLetterInput!) { signLetter(input: $input) { updated message } }";
const CONFIRM: &str = "mutation($token: String!) { confirmSignature(token: $token) { slug signatureCount } }";
const LETTER: &str = "query($slug: String!, $region: String) { letter(slug: $slug) { title signatureCount \
                      organisations(region: $region) { name town region kind organisationKind } \
                      listedIndividuals { name } regions } }";

/// The coordinator writes and opens a letter (or pledge) of `kind` taking
/// `takes`, organised by the group alpha.
async fn open_letter(db: &TestDb, net: &Network, slug: &str, kind: &str, takes: &str) {
    let coordinator = token_at(db, net.coordinator.id);
    ok(
        db,
        Some(&coordinator),
        CREATE,
        json!({ "input": {
            "slug": slug, "kind": kind, "title": format!("Letter {slug}"),
            "text": "Stop charging.\n\nStop sharing patient data.",
            "addressee": "The Secretary of State for Health and Social Care",
            "signatories": takes, "groupSlugs": ["alpha"],
        }}),
    )
    .await;
    ok(db, Some(&coordinator), OPEN, json!({ "slug": slug })).await;
}

fn individual(slug: &str, name: &str, email: &str, show: bool) -> Value {
    json!({ "input": { "letterSlug": slug, "kind": "INDIVIDUAL", "name": name, "email": email,
                       "postcodeArea": "LS6", "showName": show } })
}

fn practice(slug: &str, name: &str, email: &str, region: &str) -> Value {
    json!({ "input": { "letterSlug": slug, "kind": "ORGANISATION", "name": name,
                       "organisationKind": "GP_PRACTICE", "town": "Cardiff", "region": region,
                       "contactName": "Practice Manager", "email": email } })
}

/// Signs, a minute after the last signature (the burst limit is per minute).
async fn sign(db: &TestDb, variables: Value) -> Value {
    db.clock.advance(Duration::seconds(61));
    ok(db, None, SIGN, variables).await["signLetter"].clone()
}

/// Sends what is due and follows the confirmation link that reached
/// `address` and still works (the maildir does not keep the order mail
/// arrived in; an older link of the same signature no longer works).
async fn confirm_from_mail(db: &TestDb, sink: &SmtpSink, worker: &mut Worker, address: &str) -> Value {
    worker.round(db.now()).await.unwrap();
    let mails = sink.to(address);
    assert!(!mails.is_empty(), "no mail reached {address}");
    let mut answers = Vec::new();
    for mail in mails.iter().rev() {
        assert!(mail.subject.starts_with("Confirm your signature"), "{}", mail.subject);
        let link = mail
            .text
            .split_whitespace()
            .find(|w| w.contains("/confirm?token="))
            .expect("a confirmation link");
        let token = link.rsplit("token=").next().unwrap();
        let (_, body) = graphql_as(&db.app(), None, CONFIRM, json!({ "token": token })).await;
        if body.get("errors").is_none() {
            return body["data"]["confirmSignature"].clone();
        }
        answers.push(body);
    }
    panic!("no link to {address} works: {answers:?}");
}

async fn letter(db: &TestDb, slug: &str, region: Option<&str>) -> Value {
    ok(db, None, LETTER, json!({ "slug": slug, "region": region })).await["letter"].clone()
}

/// Every text value in every table, for scans that nothing was left behind.
async fn every_text(db: &TestDb) -> String {
    let tables = [
        "signatures",
        "letters",
        "outbox",
        "audit_entries",
        "domain_events",
        "users",
        "letter_blocks",
    ];
    let mut all = String::new();
    for table in tables {
        for row in common::sql_rows(&db.conn, format!("SELECT * FROM {table}")).await {
            for column in row.column_names() {
                if let Ok(Some(text)) = row.try_get::<Option<String>>("", &column) {
                    all.push_str(&text);
                    all.push('\n');
                }
            }
        }
    }
    all
}

on_both_databases!(
    an_individual_signs_confirms_and_signs_again_under_the_canonical_address,
    a_practice_pledges_and_is_found_by_region_once_approved,
    formulas_are_refused_and_a_burst_is_limited,
    bulk_invalidation_needs_a_condition_and_takes_exactly_its_matches,
    retention_removes_names_and_emails_and_keeps_the_counts,
    coordinators_alone_moderate_and_admins_alone_export_emails,
    the_pages_sign_confirm_moderate_and_list,
    the_demo_has_a_letter_and_a_directory_by_region,
    export_and_erasure_cover_signatures_made_with_the_address,
    a_page_of_letters_costs_the_same_statements_however_long,
    forms_without_their_token_are_refused_and_change_nothing,
);

async fn an_individual_signs_confirms_and_signs_again_under_the_canonical_address(db: TestDb) {
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    open_letter(&db, &net, "dhsc", "LETTER", "BOTH").await;

    let first = sign(&db, individual("dhsc", "Sam Jones", "sam@example.org", false)).await;
    assert_eq!(first["updated"], false);
    assert_eq!(
        letter(&db, "dhsc", None).await["signatureCount"],
        0,
        "not counted before the link"
    );
    let confirmed = confirm_from_mail(&db, &sink, &mut worker, "sam@example.org").await;
    assert_eq!(confirmed["signatureCount"], 1, "counted once confirmed");
    let shown = letter(&db, "dhsc", None).await;
    assert_eq!(
        shown["listedIndividuals"],
        json!([]),
        "not listed: Sam did not choose to be"
    );
    assert!(!shown.to_string().contains("Sam Jones"));

    sign(
        &db,
        individual("dhsc", "Firstname Lastname", "firstlast@gmail.com", true),
    )
    .await;
    confirm_from_mail(&db, &sink, &mut worker, "firstlast@gmail.com").await;
    assert_eq!(letter(&db, "dhsc", None).await["signatureCount"], 2);

    // The same person under the canonical rule: updated, not counted twice.
    let again = sign(
        &db,
        individual("dhsc", "First Lastname", "First.Last+letters@gmail.com", true),
    )
    .await;
    assert_eq!(again["updated"], true, "{again}");
    assert!(again["message"].as_str().unwrap().contains("updated"));
    let shown = letter(&db, "dhsc", None).await;
    assert_eq!(shown["signatureCount"], 2, "count unchanged");
    assert_eq!(
        shown["listedIndividuals"],
        json!([]),
        "the change waits for its own link before it is shown"
    );
    confirm_from_mail(&db, &sink, &mut worker, "First.Last+letters@gmail.com").await;
    let shown = letter(&db, "dhsc", None).await;
    assert_eq!(shown["signatureCount"], 2);
    assert_eq!(shown["listedIndividuals"], json!([{ "name": "First Lastname" }]));
    let rows = common::sql_rows(
        &db.conn,
        "SELECT s.id FROM signatures s JOIN letters l ON l.id = s.letter_id WHERE l.slug = 'dhsc'",
    )
    .await;
    assert_eq!(rows.len(), 2, "one row per person");
    // Signing again and again within minutes sends one message, whose
    // link confirms the latest details; later, a new one.
    for name in ["Again Once", "Again Twice", "Again Thrice"] {
        sign(&db, individual("dhsc", name, "again@example.org", false)).await;
    }
    worker.round(db.now()).await.unwrap();
    assert_eq!(
        sink.to("again@example.org").len(),
        1,
        "one message for a burst of signing"
    );
    db.clock.advance(Duration::minutes(11));
    sign(&db, individual("dhsc", "Again Later", "again@example.org", false)).await;
    confirm_from_mail(&db, &sink, &mut worker, "again@example.org").await;
    assert_eq!(sink.to("again@example.org").len(), 2);
    assert_eq!(letter(&db, "dhsc", None).await["signatureCount"], 3);
    // Nothing personal in plain text at rest.
    let stored = every_text(&db).await;
    for secret in [
        "sam@example.org",
        "firstlast@gmail.com",
        "Sam Jones",
        "First Lastname",
        "First.Last",
    ] {
        assert!(!stored.contains(secret), "{secret} is stored in plain text");
    }
}

async fn a_practice_pledges_and_is_found_by_region_once_approved(db: TestDb) {
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    open_letter(&db, &net, "safe-surgeries", "PLEDGE", "ORGANISATIONS").await;

    sign(
        &db,
        practice(
            "safe-surgeries",
            "Heron Road Surgery",
            "manager@heron.example.net",
            "Wales",
        ),
    )
    .await;
    confirm_from_mail(&db, &sink, &mut worker, "manager@heron.example.net").await;
    let listed = letter(&db, "safe-surgeries", Some("Wales")).await;
    assert_eq!(listed["organisations"], json!([]), "not listed before approval");
    assert_eq!(listed["signatureCount"], 0);

    let coordinator = token_at(&db, net.coordinator.id);
    let queue = ok(
        &db,
        Some(&coordinator),
        "query { letterSignatures(slug: \"safe-surgeries\", filter: { awaitingApproval: true }) \
         { totalCount edges { node { id name emailMasked } } } }",
        json!({}),
    )
    .await;
    assert_eq!(queue["letterSignatures"]["totalCount"], 1);
    let node = &queue["letterSignatures"]["edges"][0]["node"];
    assert_eq!(node["emailMasked"], "m…@heron.example.net");
    ok(
        &db,
        Some(&coordinator),
        "mutation($ids: [ID!]!) { approveSignatures(slug: \"safe-surgeries\", ids: $ids) }",
        json!({ "ids": [node["id"]] }),
    )
    .await;

    let wales = letter(&db, "safe-surgeries", Some("wales")).await;
    assert_eq!(wales["signatureCount"], 1);
    assert_eq!(
        wales["organisations"],
        json!([{ "name": "Heron Road Surgery", "town": "Cardiff", "region": "Wales",
                  "kind": "ORGANISATION", "organisationKind": "GP_PRACTICE" }])
    );
    assert_eq!(wales["regions"], json!(["Wales"]));
    assert_eq!(
        letter(&db, "safe-surgeries", Some("London")).await["organisations"],
        json!([])
    );
    // A pledge takes no individuals.
    db.clock.advance(Duration::seconds(61));
    let (code, body) = refused(
        &db,
        None,
        SIGN,
        individual("safe-surgeries", "Sam", "sam@example.org", true),
    )
    .await;
    assert_eq!(code, "BAD_USER_INPUT", "{body}");
}

async fn formulas_are_refused_and_a_burst_is_limited(db: TestDb) {
    let net = network::build(&db.conn).await;
    open_letter(&db, &net, "dhsc", "LETTER", "BOTH").await;
    for name in ["=HYPERLINK(\"http://x\")", "@everyone", "Visit www.example.org"] {
        let (code, body) = refused(&db, None, SIGN, individual("dhsc", name, "sam@example.org", true)).await;
        assert_eq!(code, "BAD_USER_INPUT", "{name}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "name");
    }
    // Five in a burst pass; the sixth from the same address does not.
    db.clock.advance(Duration::minutes(5));
    for n in 0..5 {
        ok(
            &db,
            None,
            SIGN,
            individual("dhsc", "Sam", &format!("sam{n}@example.org"), false),
        )
        .await;
    }
    let (code, _) = refused(&db, None, SIGN, individual("dhsc", "Sam", "sam5@example.org", false)).await;
    assert_eq!(code, "RATE_LIMITED");
    // The page and the API spend the same budget.
    let form = common::pages::answer(db.app().get("/letters/dhsc").send().await).await;
    let token = form.cookie("muster_csrf").expect("an anti-forgery cookie");
    assert!(form.body.contains(&token));
    let page = common::pages::answer(
        db.app()
            .post("/letters/dhsc")
            .header("cookie", format!("muster_csrf={token}"))
            .content_type("application/x-www-form-urlencoded")
            .body(format!(
                "csrf={token}&kind=INDIVIDUAL&name=Sam&email=sam6%40example.org"
            ))
            .send()
            .await,
    )
    .await;
    assert_eq!(page.status, poem::http::StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.body.contains("Too many signatures"));
    // A minute on, signing works again.
    db.clock.advance(Duration::seconds(61));
    ok(&db, None, SIGN, individual("dhsc", "Sam", "sam5@example.org", false)).await;
}

async fn bulk_invalidation_needs_a_condition_and_takes_exactly_its_matches(db: TestDb) {
    let net = network::build(&db.conn).await;
    open_letter(&db, &net, "dhsc", "LETTER", "BOTH").await;
    for email in [
        "a@spam.example",
        "b@spam.example",
        "c@good.example",
        "d@notspam.example",
    ] {
        sign(&db, individual("dhsc", "Someone", email, false)).await;
    }
    let coordinator = token_at(&db, net.coordinator.id);
    let invalidate = "mutation($c: InvalidationInput!) { invalidateSignatures(slug: \"dhsc\", condition: $c) }";
    let (code, body) = refused(&db, Some(&coordinator), invalidate, json!({ "c": {} })).await;
    assert_eq!(code, "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "condition");

    let trends = ok(
        &db,
        Some(&coordinator),
        "query { letterModeration(slug: \"dhsc\") { pending trendingDomains { key count } trendingSources { count } } }",
        json!({}),
    )
    .await;
    assert_eq!(trends["letterModeration"]["pending"], 4);
    assert_eq!(
        trends["letterModeration"]["trendingDomains"][0],
        json!({ "key": "spam.example", "count": 2 })
    );
    assert_eq!(trends["letterModeration"]["trendingSources"][0]["count"], 4);

    let done = ok(
        &db,
        Some(&coordinator),
        invalidate,
        json!({ "c": { "domain": "spam.example" } }),
    )
    .await;
    assert_eq!(done["invalidateSignatures"], 2);
    let left = ok(
        &db,
        Some(&coordinator),
        "query { letterSignatures(slug: \"dhsc\", filter: { status: INVALIDATED }) { edges { node { emailDomain } } } }",
        json!({}),
    )
    .await;
    let domains: Vec<&str> = left["letterSignatures"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["emailDomain"].as_str().unwrap())
        .collect();
    assert_eq!(domains, ["spam.example", "spam.example"]);

    // A blocked domain cannot sign at all.
    ok(
        &db,
        Some(&coordinator),
        "mutation { addLetterBlock(value: \"spam.example\") { kind label } }",
        json!({}),
    )
    .await;
    db.clock.advance(Duration::seconds(61));
    let (code, _) = refused(&db, None, SIGN, individual("dhsc", "Someone", "e@spam.example", false)).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

async fn retention_removes_names_and_emails_and_keeps_the_counts(db: TestDb) {
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    open_letter(&db, &net, "dhsc", "LETTER", "BOTH").await;
    sign(&db, individual("dhsc", "Listed Person", "listed@example.org", true)).await;
    confirm_from_mail(&db, &sink, &mut worker, "listed@example.org").await;
    sign(&db, individual("dhsc", "Quiet Person", "quiet@example.org", false)).await;
    confirm_from_mail(&db, &sink, &mut worker, "quiet@example.org").await;
    sign(
        &db,
        practice("dhsc", "Heron Road Surgery", "manager@heron.example.net", "Wales"),
    )
    .await;
    confirm_from_mail(&db, &sink, &mut worker, "manager@heron.example.net").await;
    let coordinator = token_at(&db, net.coordinator.id);
    let queue = ok(
        &db,
        Some(&coordinator),
        "query { letterSignatures(slug: \"dhsc\", filter: { awaitingApproval: true }) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    let id = queue["letterSignatures"]["edges"][0]["node"]["id"].clone();
    ok(
        &db,
        Some(&coordinator),
        "mutation($ids: [ID!]!) { approveSignatures(slug: \"dhsc\", ids: $ids) }",
        json!({ "ids": [id] }),
    )
    .await;
    ok(
        &db,
        Some(&coordinator),
        "mutation { deliverLetter(slug: \"dhsc\") { status } }",
        json!({}),
    )
    .await;
    let before = letter(&db, "dhsc", None).await;
    assert_eq!(before["signatureCount"], 3);

    let policy = db.config().retention();
    let purge = async |db: &TestDb| {
        let now = db.now();
        retention::purge(&db.conn, policy, now).await.unwrap()
    };
    db.clock.advance(Duration::days(179));
    assert_eq!(purge(&db).await.signatures_purged, 0, "not before the period");
    db.clock.advance(Duration::days(2));
    assert_eq!(purge(&db).await.signatures_purged, 3);
    // As the purge job and `muster purge` do after a purge that removed
    // something: freed pages and the write-ahead log are overwritten.
    muster::domain::privacy::wipe_erased(&db.conn).await;
    assert_eq!(purge(&db).await.signatures_purged, 0, "a second run removes nothing");

    let after = letter(&db, "dhsc", None).await;
    assert_eq!(after["signatureCount"], 3, "counts unchanged");
    assert_eq!(
        after["organisations"][0]["name"], "Heron Road Surgery",
        "the public entry stays"
    );
    assert_eq!(after["listedIndividuals"], json!([]), "no individual name remains");
    for row in common::sql_rows(
        &db.conn,
        "SELECT count(*) AS n FROM signatures s JOIN letters l ON l.id = s.letter_id WHERE l.slug = 'dhsc' \
         AND (s.name IS NOT NULL OR s.contact_name IS NOT NULL OR s.email IS NOT NULL OR s.email_hash IS NOT NULL \
         OR s.email_domain IS NOT NULL OR s.source_hash IS NOT NULL OR s.postcode_area IS NOT NULL)",
    )
    .await
    {
        let n: i64 = row.try_get("", "n").unwrap();
        assert_eq!(n, 0, "a personal column is left");
    }
    let stored = every_text(&db).await;
    for secret in [
        "listed@example.org",
        "quiet@example.org",
        "manager@heron.example.net",
        "heron.example.net",
        "Listed Person",
        "Quiet Person",
        "Practice Manager",
    ] {
        assert!(!stored.contains(secret), "{secret} is left in a column");
        // Nor in the SQLite file's bytes: free pages and the log included.
        assert!(
            matches!(on_disk(&db, secret), None | Some(0)),
            "{secret} is left on disk"
        );
    }
}

async fn coordinators_alone_moderate_and_admins_alone_export_emails(db: TestDb) {
    let net = network::build(&db.conn).await;
    open_letter(&db, &net, "dhsc", "LETTER", "BOTH").await;
    let signed = sign(&db, individual("dhsc", "Sam Jones", "sam@example.org", true)).await;
    assert_eq!(signed["updated"], false);
    let id = common::sql_rows(
        &db.conn,
        "SELECT s.id FROM signatures s JOIN letters l ON l.id = s.letter_id WHERE l.slug = 'dhsc'",
    )
    .await;
    let id: Uuid = id[0].try_get("", "id").unwrap();

    let coordinator_only = [
        ("query { letterSignatures(slug: \"dhsc\") { totalCount } }", json!({})),
        ("query { letterModeration(slug: \"dhsc\") { counted } }", json!({})),
        ("query { letterBlocks { label } }", json!({})),
        ("query { letterExport(slug: \"dhsc\") }", json!({})),
        ("mutation { closeLetter(slug: \"dhsc\") { status } }", json!({})),
        ("mutation { addLetterBlock(value: \"x.example\") { label } }", json!({})),
        (
            "mutation { invalidateSignatures(slug: \"dhsc\", condition: { domain: \"x.example\" }) }",
            json!({}),
        ),
        (
            "mutation($ids: [ID!]!) { approveSignatures(slug: \"dhsc\", ids: $ids) }",
            json!({ "ids": [id] }),
        ),
        (
            "query($id: ID!) { signatoryContact(signatureId: $id) { email } }",
            json!({ "id": id }),
        ),
    ];
    for persona in [
        Persona::Anonymous,
        Persona::Supporter,
        Persona::Member,
        Persona::Organiser,
        Persona::Trainer,
    ] {
        let token = net.person(persona).map(|p| token_at(&db, p.id));
        for (query, variables) in &coordinator_only {
            let (code, body) = refused(&db, token.as_deref(), query, variables.clone()).await;
            let expected = if persona == Persona::Anonymous {
                "UNAUTHENTICATED"
            } else {
                "FORBIDDEN"
            };
            assert_eq!(code, expected, "{persona:?} {query}: {body}");
            assert!(!body.to_string().contains("sam@example.org"), "{persona:?} {query}");
        }
    }
    let coordinator = token_at(&db, net.coordinator.id);
    let admin = token_at(&db, net.admin.id);
    let (code, _) = refused(
        &db,
        Some(&coordinator),
        "query { letterExport(slug: \"dhsc\", withEmails: true) }",
        json!({}),
    )
    .await;
    assert_eq!(code, "FORBIDDEN", "emails are exported for admins only");
    let audited = || async {
        common::sql_rows(
            &db.conn,
            "SELECT count(*) AS n FROM audit_entries WHERE action = 'READ_SIGNATORIES'",
        )
        .await[0]
            .try_get::<i64>("", "n")
            .unwrap()
    };
    assert_eq!(audited().await, 0);
    let contact = ok(
        &db,
        Some(&coordinator),
        "query($id: ID!) { signatoryContact(signatureId: $id) { email } }",
        json!({ "id": id }),
    )
    .await;
    assert!(contact["signatoryContact"]["email"].as_str().is_some());
    assert_eq!(audited().await, 1, "a coordinator's read is recorded");
    let csv = ok(
        &db,
        Some(&admin),
        "query { letterExport(slug: \"dhsc\", withEmails: true) }",
        json!({}),
    )
    .await;
    assert_eq!(audited().await, 2, "an admin's export with emails is recorded");
    let csv = csv["letterExport"].as_str().unwrap();
    assert!(csv.starts_with("\"kind\",\"name\""), "{csv}");
    // Nothing is counted before its link, so the export is only the header.
    assert!(!csv.contains("sam@example.org"), "{csv}");
}

/// A form post as a browser that holds `cookie` sends it.
async fn post_form(db: &TestDb, path: &str, cookie: &str, body: String) -> common::pages::Answer {
    common::pages::answer(
        db.app()
            .post(path)
            .header("accept", "text/html")
            .header("cookie", cookie)
            .content_type("application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await,
    )
    .await
}

async fn the_pages_sign_confirm_moderate_and_list(db: TestDb) {
    let Some(sink) = SmtpSink::start() else { return };
    let net = network::build(&db.conn).await;
    let mut worker = worker_for(&db, &sink);
    open_letter(&db, &net, "dhsc", "LETTER", "BOTH").await;
    // Linked from the home page and the organising group's page.
    assert!(
        common::pages::get_as(&db.app(), "/", None)
            .await
            .body
            .contains("href=\"/letters\"")
    );
    assert!(
        common::pages::get_as(&db.app(), "/letters", None)
            .await
            .body
            .contains("href=\"/letters/dhsc\"")
    );
    assert!(
        common::pages::get_as(&db.app(), "/groups/alpha", None)
            .await
            .body
            .contains("href=\"/letters/dhsc\"")
    );

    let form = common::pages::get_as(&db.app(), "/letters/dhsc", None).await;
    assert_eq!(form.status, poem::http::StatusCode::OK);
    assert!(
        form.body.contains("Stop sharing patient data."),
        "the text is on the page"
    );
    let token = form.cookie("muster_csrf").unwrap();
    let cookie = format!("muster_csrf={token}");
    // A formula as a name: the form again, the problem beside the field.
    let refused = post_form(
        &db,
        "/letters/dhsc",
        &cookie,
        format!("csrf={token}&kind=ORGANISATION&name=%3DSUM(A1)&organisationKind=CHARITY&town=Leeds&contactName=Sam&email=sam%40charity.example.org"),
    )
    .await;
    assert_eq!(refused.status, poem::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("may not start with"), "{}", refused.body);
    let signed = post_form(
        &db,
        "/letters/dhsc",
        &cookie,
        format!("csrf={token}&kind=ORGANISATION&name=Leeds+Refugee+Welcome&organisationKind=CHARITY&town=Leeds&contactName=Sam+Contact&email=sam%40charity.example.org"),
    )
    .await;
    assert_eq!(signed.status, poem::http::StatusCode::OK, "{}", signed.body);
    assert!(signed.body.contains("Check your email"));

    worker.round(db.now()).await.unwrap();
    let mail = sink.to("sam@charity.example.org").pop().expect("the confirmation mail");
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.contains("/confirm?token="))
        .unwrap()
        .to_owned();
    let path = link
        .split_once("/letters/")
        .map(|(_, rest)| format!("/letters/{rest}"))
        .unwrap();
    let landing = common::pages::get_as(&db.app(), &path, None).await;
    assert_eq!(landing.status, poem::http::StatusCode::OK);
    assert!(landing.body.contains("Confirm my signature"));
    let secret = link.rsplit("token=").next().unwrap();
    let confirmed = post_form(&db, "/letters/dhsc/confirm", "", format!("token={secret}")).await;
    assert_eq!(confirmed.status, poem::http::StatusCode::OK, "{}", confirmed.body);
    let again = post_form(&db, "/letters/dhsc/confirm", "", format!("token={secret}")).await;
    assert_eq!(again.status, poem::http::StatusCode::NOT_FOUND, "a link works once");
    assert!(
        !common::pages::get_as(&db.app(), "/letters/dhsc", None)
            .await
            .body
            .contains("Leeds Refugee Welcome")
    );

    // The coordinator approves it from the desk.
    let session = common::pages::session_of(&db, net.coordinator.id).await;
    let desk = common::pages::get_as(&db.app(), "/desk/letters/dhsc?awaiting=on", Some(&session)).await;
    assert_eq!(desk.status, poem::http::StatusCode::OK);
    assert!(
        desk.body.contains("Leeds Refugee Welcome") && desk.body.contains("to approve"),
        "{}",
        desk.body
    );
    assert!(
        !desk.body.contains("sam@charity.example.org"),
        "the desk shows the address masked"
    );
    assert!(desk.body.contains("s…@charity.example.org"));
    let id = common::sql_rows(
        &db.conn,
        "SELECT s.id FROM signatures s JOIN letters l ON l.id = s.letter_id WHERE l.slug = 'dhsc'",
    )
    .await;
    let id: Uuid = id[0].try_get("", "id").unwrap();
    let desk_token = desk.cookie("muster_csrf").unwrap();
    let approved = post_form(
        &db,
        "/desk/letters/dhsc",
        &format!("muster_csrf={desk_token}; muster_session={session}"),
        format!("csrf={desk_token}&action=approve&id={id}"),
    )
    .await;
    assert_eq!(approved.status, poem::http::StatusCode::OK, "{}", approved.body);
    assert!(approved.body.contains("1 approved."));
    let public = common::pages::get_as(&db.app(), "/letters/dhsc", None).await;
    assert!(public.body.contains("Leeds Refugee Welcome"));
    assert!(!public.body.contains("Sam Contact") && !public.body.contains("charity.example.org"));
    // Invalidating without a condition is refused in words.
    let refused = post_form(
        &db,
        "/desk/letters/dhsc",
        &format!("muster_csrf={desk_token}; muster_session={session}"),
        format!("csrf={desk_token}&action=invalidate"),
    )
    .await;
    assert_eq!(refused.status, poem::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("at least one condition"));
    // The export: names and towns, no emails for a coordinator.
    let csv = common::pages::get_as(&db.app(), "/desk/letters/dhsc/export.csv", Some(&session)).await;
    assert!(csv.body.contains("\"Leeds Refugee Welcome\""), "{}", csv.body);
    assert!(!csv.body.contains("charity.example.org"));
    let with_emails = common::pages::get_as(&db.app(), "/desk/letters/dhsc/export.csv?emails=on", Some(&session)).await;
    assert_eq!(with_emails.status, poem::http::StatusCode::FORBIDDEN);
}

async fn the_demo_has_a_letter_and_a_directory_by_region(db: TestDb) {
    muster::seed::seed_demo(&db.conn, db.now()).await.unwrap();
    let wales = common::pages::get_as(&db.app(), "/letters/safe-surgeries?region=Wales", None).await;
    assert_eq!(wales.status, poem::http::StatusCode::OK);
    assert!(wales.body.contains("Heron Road Surgery"));
    assert!(
        !wales.body.contains("Canalside Medical Practice"),
        "another region's practice"
    );
    let letter = letter(&db, "stop-charging", None).await;
    assert_eq!(letter["signatureCount"], 14);
    assert_eq!(letter["listedIndividuals"].as_array().unwrap().len(), 4);
}

async fn export_and_erasure_cover_signatures_made_with_the_address(db: TestDb) {
    let net = network::build(&db.conn).await;
    open_letter(&db, &net, "dhsc", "LETTER", "BOTH").await;
    // The supporter signs with their account's address, written otherwise.
    let address = net.supporter.email.replace('@', "+letters@").to_uppercase();
    sign(&db, individual("dhsc", "Supporter Signing", &address, true)).await;
    let token = token_at(&db, net.supporter.id);
    let export = ok(&db, Some(&token), "{ exportMyData }", json!({})).await;
    let signatures = &export["exportMyData"]["signatures"];
    assert_eq!(signatures[0]["letter"]["slug"], "dhsc", "{export}");
    assert_eq!(signatures[0]["name"], "Supporter Signing");
    ok(
        &db,
        Some(&token),
        "mutation($p: String!) { deleteMyAccount(password: $p) }",
        json!({ "p": network::PASSWORD }),
    )
    .await;
    let left = common::sql_rows(
        &db.conn,
        "SELECT s.name, s.email, s.email_hash, s.purged_at FROM signatures s JOIN letters l ON l.id = s.letter_id \
         WHERE l.slug = 'dhsc'",
    )
    .await;
    assert_eq!(left.len(), 1, "the signature keeps its place");
    assert_eq!(left[0].try_get::<Option<String>>("", "name").unwrap(), None);
    assert_eq!(left[0].try_get::<Option<String>>("", "email").unwrap(), None);
    assert_eq!(left[0].try_get::<Option<String>>("", "email_hash").unwrap(), None);
}

async fn a_page_of_letters_costs_the_same_statements_however_long(db: TestDb) {
    let net = network::build(&db.conn).await;
    for slug in ["one", "two", "three"] {
        open_letter(&db, &net, slug, "LETTER", "BOTH").await;
    }
    let query = "query($first: Int) { letters(first: $first) { edges { node { slug signatureCount \
                 organisingGroups { slug } organisations { name } listedIndividuals { name } } } } }";
    let (one, body) = common::count_statements(&db, None, query, json!({ "first": 1 })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let (four, body) = common::count_statements(&db, None, query, json!({ "first": 4 })).await;
    assert_eq!(body["data"]["letters"]["edges"].as_array().unwrap().len(), 4, "{body}");
    assert_eq!(one, four, "statements grow with the page");
}

/// The letters' pages in Chromium against the real binary and the demo's
/// letters, each checked with axe-core at both widths: the list, a letter
/// with its form sent empty, the pledge's directory filtered by region,
/// the confirmation landing, and a coordinator's moderation page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_letter_pages_in_chromium() {
    use common::browser::*;
    let Some(browser) = Browser::start(&[]).await else {
        return;
    };
    let password = "a long enough password for the browser";
    browser.create_user(
        "letters@browser.example.org",
        "Letters Coordinator",
        password,
        &["--role", "coordinator"],
    );
    let (client, base) = (browser.client.clone(), browser.base.clone());
    browser
        .run(async {
            client.goto(&format!("{base}/letters")).await.unwrap();
            shoot_on_phone_and_check(&client, "letters-list", "the open letters").await;
            client.goto(&format!("{base}/letters/stop-charging")).await.unwrap();
            shoot_on_phone_and_check(&client, "letter", "a letter").await;
            click(&client, "main form[method=post] button[type=submit]").await;
            wait_for_text(&client, ".error-summary", "Not signed").await;
            shoot_and_check(&client, "letter-errors").await;
            client
                .goto(&format!("{base}/letters/safe-surgeries?region=Wales"))
                .await
                .unwrap();
            let listed = element(&client, "ul.signatories").await.text().await.unwrap();
            assert!(
                listed.contains("Heron Road Surgery") && !listed.contains("Canalside"),
                "{listed}"
            );
            shoot_on_phone_and_check(&client, "pledge-directory", "the pledge's directory").await;
            client
                .goto(&format!("{base}/letters/stop-charging/confirm?token=x"))
                .await
                .unwrap();
            shoot_and_check(&client, "letter-confirm").await;
            sign_in(
                &client,
                &base,
                "letters@browser.example.org",
                password,
                "/desk/letters/stop-charging",
            )
            .await;
            shoot_and_check(&client, "letter-moderation").await;
        })
        .await;
}

/// The letter's signing form and the coordinators' moderation form,
/// posted with a forged anti-forgery token or from another site, are
/// refused (403) and change nothing.
async fn forms_without_their_token_are_refused_and_change_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    open_letter(&db, &net, "dhsc", "LETTER", "BOTH").await;
    let form = common::pages::get_as(&db.app(), "/letters/dhsc", None).await;
    let public_token = form.cookie("muster_csrf").expect("an anti-forgery cookie");
    let session = common::pages::session_of(&db, net.coordinator.id).await;
    let desk = common::pages::get_as(&db.app(), "/desk/letters/dhsc", Some(&session)).await;
    let desk_token = desk.cookie("muster_csrf").unwrap();
    type Form<'a> = (&'a str, String, &'a str, Vec<(&'a str, &'a str)>);
    let forms: [Form; 2] = [
        (
            "/letters/dhsc",
            format!("muster_csrf={public_token}"),
            public_token.as_str(),
            vec![("kind", "INDIVIDUAL"), ("name", "Sam"), ("email", "sam@example.org")],
        ),
        (
            "/desk/letters/dhsc",
            format!("muster_csrf={desk_token}; muster_session={session}"),
            desk_token.as_str(),
            vec![("action", "close")],
        ),
    ];
    let before = common::sql_rows(&db.conn, "SELECT id FROM signatures").await.len();
    let client = db.app();
    for (path, cookie, token, fields) in &forms {
        common::pages::assert_forgeries_refused(&client, path, cookie, token, fields).await;
    }
    let after = common::sql_rows(&db.conn, "SELECT id FROM signatures").await.len();
    assert_eq!(after, before, "nothing signed");
    let (_, body) = graphql_as(
        &db.app(),
        None,
        "query { letter(slug: \"dhsc\") { status } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["letter"]["status"], "OPEN", "{body}");
}
