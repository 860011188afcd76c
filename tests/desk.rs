//! The coordinators' desk over HTTP, on both databases: who gets which
//! answer on each page, that no page shows an email its reader may not see
//! and that reading a request's contact is audited; the queue's filters
//! surviving a bulk decline that writes one step per request in one unit
//! of work and is refused without a reason; the CSV export's formula
//! guard; a stale assign refused in words with nothing written; and the
//! queue and request pages' statement counts at two sizes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pages::{
    Answer, answer, assert_forgeries_refused, assert_no_foreign_email, count_page_statements, get_as, session_of,
};

use chrono::Duration;
use common::{
    TestDb, day,
    network::{self, Network, Persona},
};
use entity::{RequestState, UserRole, assignment, audit_entry, request, request_transition};
use muster::{
    auth::{Viewer, viewer::SignedIn},
    domain::desk::{self, DeskFilter, QueueRow, Urgency, UrgencyFilter},
    fixtures::{RequestBuilder, TrainerBuilder, UserBuilder},
};
use poem::{Endpoint, http::header, test::TestClient};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

on_both_databases!(
    each_desk_page_answers_each_reader_as_the_table_says,
    bulk_decline_keeps_the_filters_writes_a_step_each_and_needs_a_reason,
    the_export_defuses_formulas,
    a_stale_assign_is_refused_in_words_with_nothing_written,
    the_queue_costs_the_same_statements_for_5_and_50_requests,
    the_request_page_costs_the_same_statements_for_2_and_200_trainers,
    delivery_is_recorded_and_the_queue_filters_by_who_assigned,
    forms_without_their_token_are_refused_and_change_nothing,
    the_database_orders_filters_and_pages_the_queue_as_the_rule_says,
);

/// The anti-forgery token of a page the session opened.
async fn csrf_of<E: Endpoint>(client: &TestClient<E>, page: &str, session: &str) -> String {
    let opened = get_as(client, page, Some(session)).await;
    assert_eq!(opened.status, 200, "{page}: {}", opened.body);
    let csrf = opened.cookie("muster_csrf").expect("an anti-forgery cookie");
    assert!(opened.body.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
    csrf
}

async fn post<E: Endpoint>(
    client: &TestClient<E>,
    path: &str,
    csrf: &str,
    session: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().copied().chain([("csrf", csrf)]))
        .finish();
    let request = client
        .post(path)
        .header(header::COOKIE, format!("muster_csrf={csrf}; muster_session={session}"))
        .header(header::ACCEPT, "text/html")
        .content_type("application/x-www-form-urlencoded");
    answer(request.body(body).send().await).await
}

async fn state_of(db: &TestDb, id: Uuid) -> request::Model {
    request::Entity::find_by_id(id).one(&db.conn).await.unwrap().unwrap()
}

/// Anonymous: sent to sign in; signed in but not staff: 403 in words;
/// coordinators and admins: the page, with the outside contact shown and
/// its reading recorded.
async fn each_desk_page_answers_each_reader_as_the_table_says(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let r = &net.requests;
    let pages = [
        "/desk".to_owned(),
        "/desk/requests".to_owned(),
        "/desk/requests?state=CONFIRMED&urgency=passed".to_owned(),
        format!("/desk/requests/{}", r.alpha_request),
        format!("/desk/requests/{}", r.outside_request),
        format!("/desk/requests/{}", r.beta_request),
    ];
    for persona in Persona::ALL {
        let session = match net.person(persona) {
            Some(person) => Some(session_of(&db, person.id).await),
            None => None,
        };
        for page in &pages {
            let got = get_as(&client, page, session.as_deref()).await;
            match persona {
                Persona::Anonymous => {
                    assert_eq!(got.status, 303, "{page}");
                    assert!(got.location().unwrap().starts_with("/signin?next=%2Fdesk"), "{page}");
                }
                Persona::Coordinator | Persona::Admin => {
                    assert_eq!(got.status, 200, "{persona:?} {page}: {}", got.body);
                    assert!(got.body.contains("href=\"/desk\""), "the Desk entry in the navigation");
                }
                _ => {
                    assert_eq!(got.status, 403, "{persona:?} {page}");
                    assert!(
                        got.body.contains("These pages are for the network&#39;s coordinators"),
                        "{}",
                        got.body
                    );
                    assert!(!got.body.contains("href=\"/desk\""), "no Desk entry for {persona:?}");
                }
            }
            assert_no_foreign_email(&net, persona, page, &got.body);
        }
    }
    let coordinator = session_of(&db, net.coordinator.id).await;
    let outside = get_as(
        &client,
        &format!("/desk/requests/{}", r.outside_request),
        Some(&coordinator),
    )
    .await;
    assert!(outside.body.contains(common::requests::OUTSIDE_CONTACT_EMAIL));
    let reads = audit_entry::Entity::find()
        .filter(audit_entry::Column::ActorId.eq(net.coordinator.id))
        .filter(audit_entry::Column::RequestId.eq(r.outside_request))
        .filter(audit_entry::Column::Operation.eq("deskRequestPage"))
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!(reads, 2, "the table's visit and this one, each recorded");
    let home = get_as(&client, "/desk", Some(&coordinator)).await;
    assert!(home.body.contains("/desk/requests?state=SUBMITTED"), "{}", home.body);
    assert!(
        home.body
            .contains("<span class=\"count\">1</span> <span class=\"label\">New, no trainer asked yet"),
        "the alpha request is the one new request: {}",
        home.body
    );
    assert!(
        home.body
            .contains("<span class=\"count\">1</span> <span class=\"label\">Offers waiting"),
        "the outside request's proposal"
    );
    let beta = get_as(
        &client,
        &format!("/desk/requests/{}", r.beta_request),
        Some(&coordinator),
    )
    .await;
    assert!(beta.body.contains("Mark delivered"), "the engagement has ended");
    assert!(home.body.contains("REQ-ALPH2A"), "recent activity names the request");
    // The alpha request is new; the tile says so and links to the queue it counts.
    let queue = get_as(&client, "/desk/requests?state=SUBMITTED", Some(&coordinator)).await;
    assert!(queue.body.contains("Requests (1)"), "{}", queue.body);
    let suggestions = get_as(
        &client,
        &format!("/desk/requests/{}", r.alpha_request),
        Some(&coordinator),
    )
    .await;
    assert!(suggestions.body.contains("trainer Example"), "the trainer is suggested");
    assert!(
        suggestions.body.contains("covers the topic, same region"),
        "{}",
        suggestions.body
    );
}

async fn add_request(db: &TestDb, net: &Network, organisation: &str, days_ahead: i64) -> Uuid {
    let rows = RequestBuilder::new(net.topic, db.now() - Duration::days(1))
        .organisation(organisation)
        .window(day(days_ahead, 0), day(days_ahead + 1, 0))
        .insert(&db.conn)
        .await
        .unwrap();
    rows.request.id
}

async fn declines_of(db: &TestDb, id: Uuid) -> u64 {
    request_transition::Entity::find()
        .filter(request_transition::Column::RequestId.eq(id))
        .filter(request_transition::Column::ToState.eq(RequestState::Declined))
        .count(&db.conn)
        .await
        .unwrap()
}

async fn bulk_decline_keeps_the_filters_writes_a_step_each_and_needs_a_reason(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let one = add_request(&db, &net, "Northside Tenants", 20).await;
    let two = add_request(&db, &net, "Northside Students", 60).await;
    let coordinator = session_of(&db, net.coordinator.id).await;
    let queue = "/desk/requests?state=SUBMITTED&q=northside";
    let listed = get_as(&client, queue, Some(&coordinator)).await;
    assert!(listed.body.contains("Requests (2)"), "{}", listed.body);
    // The nearer window first.
    let (first, second) = (one.to_string(), two.to_string());
    assert!(listed.body.find(&first).unwrap() < listed.body.find(&second).unwrap());
    let csrf = csrf_of(&client, queue, &coordinator).await;
    let action = "/desk/requests/bulk?state=SUBMITTED&q=northside";
    let picked = [("id", first.as_str()), ("id", second.as_str())];

    let refused = post(
        &client,
        action,
        &csrf,
        &coordinator,
        &[picked[0], picked[1], ("action", "decline"), ("reason", "  ")],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("say why"), "{}", refused.body);
    assert_eq!(state_of(&db, one).await.state, RequestState::Submitted);
    assert_eq!(declines_of(&db, one).await, 0);

    // One of three cannot be declined (it is assigned): none is.
    let assigned = net.requests.outside_request.to_string();
    let mixed = post(
        &client,
        action,
        &csrf,
        &coordinator,
        &[
            picked[0],
            ("id", assigned.as_str()),
            ("action", "decline"),
            ("reason", "No trainer"),
        ],
    )
    .await;
    assert_eq!(mixed.status, 409, "{}", mixed.body);
    assert!(mixed.body.contains("Nothing was declined"));
    assert!(
        mixed.body.contains("REQ-QTS2DE: a assigned request cannot be declined"),
        "{}",
        mixed.body
    );
    assert_eq!(state_of(&db, one).await.state, RequestState::Submitted, "rolled back");

    let done = post(
        &client,
        action,
        &csrf,
        &coordinator,
        &[
            picked[0],
            picked[1],
            ("action", "decline"),
            ("reason", "No trainer that month"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some("/desk/requests?state=SUBMITTED&q=northside"));
    for id in [one, two] {
        let declined = state_of(&db, id).await;
        assert_eq!(declined.state, RequestState::Declined);
        assert_eq!(declined.decline_reason.as_deref(), Some("No trainer that month"));
        assert_eq!(declines_of(&db, id).await, 1, "one step per request");
    }
}

async fn the_export_defuses_formulas(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let evil = add_request(&db, &net, "=HYPERLINK(\"http://x.example\",\"y\")", 20).await;
    let minus = add_request(&db, &net, "-2+3", 21).await;
    let coordinator = session_of(&db, net.coordinator.id).await;
    let csrf = csrf_of(&client, "/desk/requests", &coordinator).await;
    let (evil, minus) = (evil.to_string(), minus.to_string());
    let got = post(
        &client,
        "/desk/requests/bulk",
        &csrf,
        &coordinator,
        &[("id", evil.as_str()), ("id", minus.as_str()), ("action", "export")],
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(
        got.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        got.body.contains("\"'=HYPERLINK(\"\"http://x.example\"\",\"\"y\"\")\""),
        "{}",
        got.body
    );
    assert!(got.body.contains("\"'-2+3\""), "{}", got.body);
    assert_eq!(got.body.lines().count(), 3, "a header and the two chosen");
    assert!(
        !got.body.contains("@union.example.org"),
        "no contact details in an export"
    );
}

async fn a_stale_assign_is_refused_in_words_with_nothing_written(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let id = net.requests.alpha_request;
    let page = format!("/desk/requests/{id}?state=SUBMITTED");
    let first = session_of(&db, net.coordinator.id).await;
    let second = session_of(&db, net.admin.id).await;
    let csrf_first = csrf_of(&client, &page, &first).await;
    let csrf_second = csrf_of(&client, &page, &second).await;
    let version = state_of(&db, id).await.version.to_string();
    let trainer = net.trainer.id.to_string();
    let fields = [
        ("action", "assign"),
        ("trainerId", trainer.as_str()),
        ("version", version.as_str()),
        ("note", "Asked by phone too"),
    ];
    let done = post(&client, &page, &csrf_first, &first, &fields).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some(page.as_str()), "the queue's filters kept");
    let (proposals, steps) = common::requests::proposals_and_transitions(&db.conn, id).await;

    let stale = post(&client, &page, &csrf_second, &second, &fields).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale
            .body
            .contains("Someone changed this request while you were looking")
    );
    assert!(stale.body.contains("What changed"));
    assert!(stale.body.contains("Trainer asked"), "the step taken meanwhile");
    assert_eq!(
        common::requests::proposals_and_transitions(&db.conn, id).await,
        (proposals, steps),
        "nothing written"
    );
    let note = request_transition::Entity::find()
        .filter(request_transition::Column::RequestId.eq(id))
        .filter(request_transition::Column::ToState.eq(RequestState::Assigned))
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(note.note.as_deref(), Some("Asked by phone too"));
}

async fn the_queue_costs_the_same_statements_for_5_and_50_requests(db: TestDb) {
    let net = network::build(&db.conn).await;
    let coordinator = session_of(&db, net.coordinator.id).await;
    let page = "/desk/requests?state=SUBMITTED";
    for i in 0..4 {
        add_request(&db, &net, &format!("Branch {i}"), 20 + i).await;
    }
    let (few, small) = count_page_statements(&db, page, &coordinator).await;
    assert!(small.body.contains("Requests (5)"), "{}", small.body);
    for i in 4..49 {
        add_request(&db, &net, &format!("Branch {i}"), 20 + i).await;
    }
    let (many, large) = count_page_statements(&db, page, &coordinator).await;
    assert!(large.body.contains("Requests (50)"));
    assert_eq!(large.body.matches("class=\"queue-row").count(), 50);
    assert!(few > 0);
    assert_eq!(few, many, "5 requests: {few} statements; 50 requests: {many}");
    eprintln!("queue page: {few} statements with 5 requests, {many} with 50");
}

async fn add_trainers(db: &TestDb, net: &Network, how_many: usize) {
    for i in 0..how_many {
        let user = UserBuilder::new(db.now()).insert(&db.conn).await.unwrap();
        let mut trainer = TrainerBuilder::new(user.id, db.now()).topic(net.topic).region("Wales");
        // Every third is away across the windows: ruled out, with the clash.
        if i % 3 == 0 {
            trainer = trainer.away(day(1, 0), day(60, 0), "Travelling");
        }
        trainer.insert(&db.conn).await.unwrap();
    }
}

async fn the_request_page_costs_the_same_statements_for_2_and_200_trainers(db: TestDb) {
    let net = network::build(&db.conn).await;
    let coordinator = session_of(&db, net.coordinator.id).await;
    let page = format!("/desk/requests/{}", net.requests.alpha_request);
    add_trainers(&db, &net, 1).await;
    let (few, small) = count_page_statements(&db, &page, &coordinator).await;
    assert_eq!(small.status, 200, "{}", small.body);
    assert_eq!(small.body.matches("class=\"choice suggestion\"").count(), 1);
    assert!(small.body.contains("Ruled out"), "{}", small.body);
    add_trainers(&db, &net, 198).await;
    let (many, large) = count_page_statements(&db, &page, &coordinator).await;
    assert_eq!(large.status, 200);
    assert_eq!(large.body.matches("class=\"choice suggestion\"").count(), 133);
    let ruled_out = large.body.split("class=\"ruled-out\"").nth(1).unwrap_or_default();
    let ruled_out = ruled_out.split("</ul>").next().unwrap_or_default();
    assert_eq!(
        ruled_out.matches("<li>").count(),
        67,
        "each away trainer, with the clash"
    );
    assert!(ruled_out.contains("away"), "{ruled_out}");
    assert!(few > 0);
    assert_eq!(few, many, "2 trainers: {few} statements; 200 trainers: {many}");
    let assignments = assignment::Entity::find().count(&db.conn).await.unwrap();
    assert_eq!(assignments, 2, "reading the page assigns nobody");
    eprintln!("request page: {few} statements with 2 trainers, {many} with 200");
}

async fn delivery_is_recorded_and_the_queue_filters_by_who_assigned(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = session_of(&db, net.coordinator.id).await;
    let admin = session_of(&db, net.admin.id).await;
    // The coordinator proposed the outside request's trainer; the admin nobody.
    let mine = get_as(&client, "/desk/requests?mine=1", Some(&coordinator)).await;
    assert!(mine.body.contains("REQ-QTS2DE"), "{}", mine.body);
    assert!(!mine.body.contains("REQ-ALPH2A"), "nobody has asked a trainer for it");
    let theirs = get_as(&client, "/desk/requests?mine=1", Some(&admin)).await;
    assert!(theirs.body.contains("Requests (0)"), "{}", theirs.body);

    let id = net.requests.beta_request;
    let page = format!("/desk/requests/{id}?state=CONFIRMED");
    let csrf = csrf_of(&client, &page, &coordinator).await;
    let version = state_of(&db, id).await.version.to_string();
    let done = post(
        &client,
        &page,
        &csrf,
        &coordinator,
        &[
            ("action", "deliver"),
            ("version", version.as_str()),
            ("attendance", "23"),
            ("feedback", "A full room"),
        ],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some(page.as_str()));
    let delivered = state_of(&db, id).await;
    assert_eq!(delivered.state, RequestState::Delivered);
    assert_eq!(delivered.attendance, Some(23));
    assert_eq!(delivered.feedback.as_deref(), Some("A full room"));
    let missing = get_as(
        &client,
        "/desk/requests?state=DELIVERED&attendance=missing",
        Some(&coordinator),
    )
    .await;
    assert!(missing.body.contains("Requests (0)"), "{}", missing.body);
}

/// The desk's forms (bulk decline, and each step on a request's page)
/// posted with a forged anti-forgery token, or from another site, are
/// refused (403) and change nothing.
async fn forms_without_their_token_are_refused_and_change_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let id = add_request(&db, &net, "Forged Tenants", 20).await;
    let coordinator = session_of(&db, net.coordinator.id).await;
    let page = format!("/desk/requests/{id}");
    let token = csrf_of(&client, &page, &coordinator).await;
    let version = state_of(&db, id).await.version.to_string();
    let picked = id.to_string();
    let forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/desk/requests/bulk",
            vec![("id", &picked), ("action", "decline"), ("reason", "forged")],
        ),
        (
            &page,
            vec![("version", &version), ("action", "decline"), ("reason", "forged")],
        ),
        (
            &page,
            vec![("version", &version), ("action", "cancel"), ("note", "forged")],
        ),
    ];
    let cookie = format!("muster_csrf={token}; muster_session={coordinator}");
    for (path, fields) in &forms {
        assert_forgeries_refused(&client, path, &cookie, &token, fields).await;
    }
    assert_eq!(state_of(&db, id).await.state, RequestState::Submitted);
    assert_eq!(declines_of(&db, id).await, 0);
}

/// The queue is ordered, filtered by urgency, counted and paged by SQL;
/// `desk::due` is the rule it is shown by. Requests of every shape the
/// rule tells apart, read every way: the order is passed, then soonest
/// due, then oldest; each urgency filter keeps what `Urgency` says; the
/// tiles count what the filters show; and a page at a time walks the same
/// order.
async fn the_database_orders_filters_and_pages_the_queue_as_the_rule_says(db: TestDb) {
    let net = network::build(&db.conn).await;
    let now = db.now();
    let coordinator = Viewer::User(SignedIn {
        id: net.coordinator.id,
        role: UserRole::Coordinator,
        is_trainer: false,
        memberships: Vec::new(),
    });
    let hours = |h: i64| now + Duration::hours(h);
    let submitted = |name: &str, made_hours_ago: i64| {
        RequestBuilder::new(net.topic, now - Duration::hours(made_hours_ago)).organisation(name)
    };
    let shapes = [
        // Every window over: passed.
        submitted("Every window over", 300).window(hours(-100), hours(-90)),
        // Under way: due now, and tied with the next, older one.
        submitted("Under way", 200).window(hours(-5), hours(40)),
        submitted("Under way, older", 250).window(hours(-2), hours(30)),
        // The first window over, the second ahead: due at the second.
        submitted("Second window", 100)
            .window(hours(-50), hours(-40))
            .window(hours(24 * 5), hours(24 * 5 + 3)),
        submitted("In ten days", 90).window(hours(24 * 10), hours(24 * 10 + 4)),
        submitted("In twenty days", 80).window(hours(24 * 20), hours(24 * 21)),
        submitted("Same start, newer", 10).window(hours(24 * 10), hours(24 * 10 + 2)),
        // Confirmed: due at the engagement, not the window.
        submitted("Engaged in three days", 70)
            .window(hours(24), hours(24 * 9))
            .assigned(net.coordinator.id, net.trainer.id)
            .slot(hours(24 * 3), hours(24 * 3 + 2))
            .accepted(),
        // Confirmed, the engagement begun: passed.
        submitted("Engagement begun", 60)
            .window(hours(-30), hours(30))
            .assigned(net.coordinator.id, net.trainer.id)
            .slot(hours(-1), hours(1))
            .accepted(),
    ];
    let expected = [
        "Every window over",
        "Engagement begun",
        "Under way, older",
        "Under way",
        "Engaged in three days",
        "Second window",
        "In ten days",
        "Same start, newer",
        "In twenty days",
    ];
    let ours: Vec<String> = expected.iter().map(|name| (*name).to_owned()).collect();
    for shape in shapes {
        shape.insert(&db.conn).await.unwrap();
    }
    // The network's own requests are in the queue too; the order is
    // asserted on ours, the counts on all.
    let names = |rows: &[QueueRow]| -> Vec<String> {
        rows.iter()
            .filter_map(|r| r.request.organisation_name.clone())
            .filter(|name| ours.contains(name))
            .collect()
    };
    let open = || DeskFilter {
        base: muster::domain::requests::RequestFilter {
            states: vec![RequestState::Submitted, RequestState::Assigned, RequestState::Confirmed],
            ..Default::default()
        },
        ..DeskFilter::default()
    };
    let read = |urgency: Option<UrgencyFilter>| {
        let (db, coordinator) = (&db, &coordinator);
        async move {
            let filter = DeskFilter { urgency, ..open() };
            desk::queue(&db.conn, coordinator, &filter, None, 100, now)
                .await
                .unwrap()
        }
    };
    let all = read(None).await;
    let mine = names(&all.rows);
    assert_eq!(mine, expected, "passed first, then soonest due, then oldest");
    // The SQL order is the order of the rule's own key.
    let mut by_rule = all.rows.clone();
    by_rule.sort_by_key(|row| {
        (
            row.due.filter(|_| row.urgency != Urgency::Passed),
            row.request.created_at,
            row.request.id,
        )
    });
    assert_eq!(names(&by_rule), mine);
    assert_eq!(all.total_count, all.rows.len());

    for (urgency, keeps) in [
        (UrgencyFilter::Passed, &[Urgency::Passed][..]),
        (UrgencyFilter::Week, &[Urgency::ThisWeek][..]),
        (
            UrgencyFilter::Urgent,
            &[Urgency::Passed, Urgency::ThisWeek, Urgency::Soon][..],
        ),
    ] {
        let filtered = read(Some(urgency)).await;
        let expected: Vec<QueueRow> = all
            .rows
            .iter()
            .filter(|row| keeps.contains(&row.urgency))
            .cloned()
            .collect();
        assert_eq!(names(&filtered.rows), names(&expected), "{urgency:?}");
        assert_eq!(filtered.total_count, expected.len(), "{urgency:?}");
    }

    // The tiles count what the filters show.
    let counts = desk::counts(&db.conn, &coordinator, Duration::days(3), now)
        .await
        .unwrap();
    let of = |state: RequestState, keep: &dyn Fn(Urgency) -> bool| {
        all.rows
            .iter()
            .filter(|r| r.request.state == state && keep(r.urgency))
            .count()
    };
    assert_eq!(counts.new, of(RequestState::Submitted, &|_| true));
    assert_eq!(
        counts.unassigned_urgent,
        of(RequestState::Submitted, &|u| u != Urgency::Later)
    );
    assert_eq!(
        counts.confirmed_this_week,
        of(RequestState::Confirmed, &|u| u == Urgency::ThisWeek)
    );
    assert_eq!(counts.confirmed_this_week, 1, "the engagement in three days");

    // A page at a time, through the cursor as the address carries it.
    let mut walked = Vec::new();
    let mut after: Option<desk::QueueCursor> = None;
    loop {
        let page = desk::queue(&db.conn, &coordinator, &open(), after.as_ref(), 2, now)
            .await
            .unwrap();
        walked.extend(page.rows.iter().map(|r| r.request.id));
        match page.next {
            Some(next) => after = desk::QueueCursor::decode(&next.encode()),
            None => break,
        }
        assert!(walked.len() <= all.rows.len(), "the walk does not end");
    }
    assert_eq!(walked, all.rows.iter().map(|r| r.request.id).collect::<Vec<_>>());
}
