//! The public web pages over HTTP: what each shows (and never shows), the
//! escaping of what people typed, filters carried into feed addresses, and
//! the request form's validation, forgery protection and rate limit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::{Backend, TestDb, error_code, graphql_as, network};
use entity::{EventKind, EventStatus, EventVisibility, event, request};
use muster::fixtures::EventBuilder;
use poem::{
    Endpoint,
    http::{HeaderMap, StatusCode, header},
    test::TestClient,
};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::json;
use uuid::Uuid;

on_both_databases!(
    events_page_lists_public_events_escaped_with_filters_in_the_feed,
    group_pages_show_the_directory_a_group_and_its_calendar,
    request_form_validates_then_submits_and_shows_the_status,
    request_form_refuses_forged_posts_and_writes_nothing,
    request_form_shares_the_anonymous_limit_with_the_api,
    an_event_page_shows_a_public_event_and_hides_a_members_only_one,
    the_sitemap_lists_exactly_the_public_upcoming_events_and_the_groups,
);

const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn get<E: Endpoint>(client: &TestClient<E>, path: &str) -> Page {
    let response = client.get(path).send().await.0;
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.into_body().into_string().await.unwrap(),
    }
}

fn assert_html_page(page: &Page) {
    assert_eq!(
        page.headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8",
        "{}",
        page.body
    );
    assert_eq!(page.headers[header::CONTENT_SECURITY_POLICY], CSP);
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(page.headers[header::REFERRER_POLICY], "no-referrer");
    assert!(page.body.starts_with("<!doctype html>\n<html lang=\"en-GB\">"));
    assert!(page.body.contains("<meta name=\"viewport\""));
    assert!(page.body.contains("href=\"/privacy\""), "footer links the privacy page");
    assert!(page.body.contains("href=\"/graphql\""), "footer links the API");
    assert!(page.body.contains("<a class=\"skip\" href=\"#main\">"));
    assert!(
        page.body
            .contains("<link rel=\"icon\" href=\"/favicon.ico\" sizes=\"32x32\">")
    );
    assert!(
        page.body
            .contains("<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">")
    );
    let description = page
        .body
        .split_once("<meta name=\"description\" content=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(content, _)| content)
        .expect("a description");
    assert!(!description.trim().is_empty(), "every page describes itself");
    // Nothing from another host: every stylesheet and script is our own.
    assert!(!page.body.contains("<script"), "no script on any page");
    assert!(!page.body.contains("src=\"http"), "no external assets");
    assert!(!page.body.contains("style=\""), "no inline style (the CSP refuses it)");
}

/// A public event of `group`, `days` ahead, written straight to the database.
async fn add_event(db: &TestDb, title: &str, group: Uuid, kind: EventKind, days: i64) -> Uuid {
    let now = common::now();
    let event = EventBuilder::new(now)
        .title(title)
        .description("Bring a friend & a flask.\nSecond line.")
        .starting(now + Duration::days(days))
        .venue("St Mark's Hall".to_owned())
        .address("1 High Street".to_owned())
        .online_url("https://meet.example.org/room?a=1&b=2".to_owned())
        .kind(kind)
        .group(group);
    event.insert(&db.conn).await.unwrap().id
}

async fn events_page_lists_public_events_escaped_with_filters_in_the_feed(db: TestDb) {
    let net = network::build(&db.conn).await;
    let hostile = add_event(
        &db,
        "<script>alert('x')</script> Rights & wrongs",
        net.alpha,
        EventKind::Workshop,
        3,
    )
    .await;
    add_event(&db, "Beyond the horizon", net.alpha, EventKind::Talk, 90).await;
    add_event(&db, "Beta day of action", net.beta, EventKind::Action, 5).await;
    let client = db.app();

    let page = get(&client, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_html_page(&page);
    let body = &page.body;
    assert!(body.contains("Alpha open meeting"), "{body}");
    assert!(body.contains("Beta day of action"));
    assert!(!body.contains("Alpha planning"), "members-only events stay off");
    assert!(!body.contains("Beta planning"));
    assert!(!body.contains("Beyond the horizon"), "only the next 60 days");
    // What people typed is escaped.
    assert!(
        body.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; Rights &#38; wrongs"),
        "{body}"
    );
    assert!(body.contains("https://meet.example.org/room?a=1&#38;b=2"));
    assert!(body.contains("St Mark&#39;s Hall, 1 High Street"));
    // Add to calendar: the single event's file, and its group's page.
    assert!(body.contains(&format!("/events/{hostile}.ics\"")));
    assert!(body.contains("href=\"/groups/alpha\""));
    assert!(body.contains("UK time"));
    // The unfiltered subscription is the whole public feed.
    assert!(body.contains("value=\"http://127.0.0.1:8080/calendar.ics\""), "{body}");
    assert!(body.contains("href=\"webcal://127.0.0.1:8080/calendar.ics\""));
    for app in ["Google Calendar", "Apple Calendar", "Outlook", "Thunderbird"] {
        assert!(body.contains(app), "{app}");
    }
    // No one's personal data on a public page.
    for email in net.emails() {
        assert!(!body.contains(email), "{email}");
    }

    // Filters narrow the list, stay selected, and carry into the feed.
    let page = get(&client, "/?region=Wales&group=alpha&kind=WORKSHOP").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("Rights &#38; wrongs"));
    assert!(!body.contains("Alpha open meeting"), "a meeting is not a workshop");
    assert!(!body.contains("Beta day of action"));
    assert!(body.contains("<option value=\"Wales\" selected>"));
    assert!(body.contains("<option value=\"alpha\" selected>"));
    assert!(body.contains("<option value=\"WORKSHOP\" selected>"));
    let feed = "127.0.0.1:8080/calendar.ics?group=alpha&#38;region=Wales&#38;kind=WORKSHOP";
    assert!(body.contains(&format!("value=\"http://{feed}\"")), "{body}");
    assert!(body.contains(&format!("href=\"webcal://{feed}\"")));
    // The address shown is one the feed route serves, with the same events.
    let shown = feed.replace("&#38;", "&");
    let path = shown.trim_start_matches("127.0.0.1:8080");
    let calendar = get(&client, path).await;
    assert_eq!(calendar.status, StatusCode::OK);
    assert!(calendar.body.contains("Rights"));
    assert!(!calendar.body.contains("Alpha open meeting"));

    let page = get(&client, "/?region=Scotland").await;
    assert!(page.body.contains("Beta day of action"));
    assert!(!page.body.contains("Alpha open meeting"));
    // Unknown values are no filter rather than an error.
    let page = get(&client, "/?kind=PARTY&region=").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Alpha open meeting"));
}

async fn group_pages_show_the_directory_a_group_and_its_calendar(db: TestDb) {
    let net = network::build(&db.conn).await;
    add_event(&db, "Alpha <b>stall</b>", net.alpha, EventKind::Action, 4).await;
    let client = db.app();

    let page = get(&client, "/groups").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_html_page(&page);
    let scotland = page.body.find(">Scotland</h2>").expect("a region heading");
    let wales = page.body.find(">Wales</h2>").expect("a region heading");
    assert!(scotland < wales, "regions in order");
    let beta = page.body.find("href=\"/groups/beta\"").unwrap();
    let alpha = page.body.find("href=\"/groups/alpha\"").unwrap();
    assert!(
        scotland < beta && beta < wales && wales < alpha,
        "each group under its region"
    );

    let page = get(&client, "/groups/alpha").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_html_page(&page);
    let body = &page.body;
    assert!(body.contains("<h1>alpha group</h1>"), "{body}");
    assert!(body.contains("A local group"));
    assert!(body.contains("href=\"mailto:alpha@groups.example.org\""));
    assert!(body.contains("Alpha open meeting"));
    assert!(body.contains("Alpha &#60;b&#62;stall&#60;/b&#62;"));
    assert!(!body.contains("Alpha planning"), "members-only events stay off");
    assert!(body.contains("value=\"http://127.0.0.1:8080/groups/alpha/calendar.ics\""));
    assert!(body.contains("href=\"webcal://127.0.0.1:8080/groups/alpha/calendar.ics\""));
    for email in net.emails() {
        assert!(!body.contains(email), "{email}");
    }

    // The group's feed still answers beside its page.
    let calendar = client.get("/groups/alpha/calendar.ics").send().await;
    calendar.assert_status_is_ok();
    calendar.assert_content_type("text/calendar; charset=utf-8");

    let missing = get(&client, "/groups/atlantis").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_html_page(&missing);
}

/// The form's anti-forgery token: the cookie's value and the field's.
async fn open_form<E: Endpoint>(client: &TestClient<E>) -> (String, Page) {
    let page = get(client, "/request").await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = page.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("muster_csrf=")
        .unwrap()
        .to_owned();
    assert!(page.body.contains(&format!("name=\"csrf\" value=\"{token}\"")));
    (token, page)
}

fn window(days: i64, hour: u32) -> String {
    (common::now() + Duration::days(days))
        .format(&format!("%Y-%m-%dT{hour:02}:00"))
        .to_string()
}

fn valid_form(topic: Uuid) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "SPEAKER".into()),
        ("topicId", topic.to_string()),
        ("organisationName", "Riverside UNISON branch".into()),
        ("contactName", "Branch Secretary Person".into()),
        ("contactEmail", "secretary@riverside-unison.example.org".into()),
        ("window1From", window(20, 17)),
        ("window1To", window(20, 21)),
        ("window2From", String::new()),
        ("window2To", String::new()),
        ("town", "Swansea".into()),
        ("postcodeArea", "SA1".into()),
        ("region", "Wales".into()),
        ("expectedAudience", "30".into()),
        ("notes", "Members from the hospital's estates team.".into()),
        ("publicEvent", "on".into()),
    ]
}

async fn post_form<E: Endpoint>(
    client: &TestClient<E>,
    cookie: Option<&str>,
    fields: &[(&str, String)],
    origin: Option<&str>,
) -> Page {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let mut request = client
        .post("/request")
        .content_type("application/x-www-form-urlencoded")
        .body(body);
    if let Some(token) = cookie {
        request = request.header(header::COOKIE, format!("muster_csrf={token}"));
    }
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let response = request.send().await.0;
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.into_body().into_string().await.unwrap(),
    }
}

/// The valid form with `token` as its cookie and its field, as a browser
/// that loaded the form sends it.
async fn post_valid_form<E: Endpoint>(client: &TestClient<E>, topic: Uuid, token: &str, origin: Option<&str>) -> Page {
    post_form(client, Some(token), &with_token(valid_form(topic), token), origin).await
}

fn with_token(mut fields: Vec<(&'static str, String)>, token: &str) -> Vec<(&'static str, String)> {
    fields.push(("csrf", token.to_owned()));
    fields
}

async fn requests_written(db: &TestDb) -> u64 {
    request::Entity::find().count(&db.conn).await.unwrap()
}

async fn request_form_validates_then_submits_and_shows_the_status(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();

    let (token, page) = open_form(&client).await;
    assert_html_page(&page);
    let body = &page.body;
    assert!(
        body.contains("immigration status or health details"),
        "the notice is shown"
    );
    assert!(body.contains(&format!(
        "<option value=\"{}\">Introduction to NHS charging</option>",
        net.topic
    )));
    assert!(body.contains("<label for=\"contactEmail\">"));
    assert!(body.contains("id=\"contactEmail\" name=\"contactEmail\""));
    assert!(body.contains("outside organisations"));

    // Invalid: the form comes back with the messages and what was typed.
    let before = requests_written(&db).await;
    let mut fields = valid_form(net.topic);
    fields[2].1 = "Riverside <UNISON> branch".into();
    fields[4].1 = "not an address".into();
    fields[5].1 = "next Tuesday".into();
    let page = post_form(&client, Some(&token), &with_token(fields, &token), None).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_html_page(&page);
    let body = &page.body;
    assert!(body.contains("<title>Error: "), "the title says so for screen readers");
    assert!(body.contains("id=\"preferredWindows-error\"") || body.contains("id=\"windows-error\""));
    assert!(
        body.contains("give both the earliest start") || body.contains("as on a calendar"),
        "{body}"
    );
    assert!(
        body.contains("value=\"Riverside &#60;UNISON&#62; branch\""),
        "entered values are kept"
    );
    assert!(body.contains("value=\"not an address\""));
    assert!(body.contains("value=\"Swansea\""));
    assert!(body.contains("Members from the hospital&#39;s estates team.</textarea>"));
    assert!(body.contains(&format!("<option value=\"{}\" selected>", net.topic)));
    assert!(body.contains("id=\"kind-speaker\" name=\"kind\" value=\"SPEAKER\" checked"));
    assert_eq!(requests_written(&db).await, before, "nothing written");

    // The domain's own rules come back next to their field.
    let mut fields = valid_form(net.topic);
    fields[4].1 = "not an address".into();
    let page = post_form(&client, Some(&token), &with_token(fields, &token), None).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body
            .contains("<p class=\"error\" id=\"contactEmail-error\">is not a valid email address</p>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("aria-invalid=\"true\""));
    assert!(
        page.body.contains("href=\"#contactEmail\""),
        "the summary links the field"
    );
    let mut fields = valid_form(net.topic);
    fields[10].1 = "LS6 3HN".into();
    let page = post_form(&client, Some(&token), &with_token(fields, &token), None).await;
    assert!(
        page.body.contains("id=\"postcodeArea-error\">give only the first part"),
        "{}",
        page.body
    );
    assert_eq!(requests_written(&db).await, before);

    // Valid: 303 to the status page.
    let page = post_valid_form(&client, net.topic, &token, Some("http://127.0.0.1:8080")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.headers[header::LOCATION].to_str().unwrap().to_owned();
    let reference = location.strip_prefix("/request/REQ-").expect("a reference");
    assert_eq!(reference.len(), 6);
    assert_eq!(requests_written(&db).await, before + 1);

    let page = get(&client, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_html_page(&page);
    let body = &page.body;
    assert!(body.contains(&format!("REQ-{reference}")));
    assert!(body.contains("A speaker on “Introduction to NHS charging”"), "{body}");
    assert!(body.contains("<strong class=\"state\">Submitted</strong>"));
    assert!(body.contains("<ol class=\"history\">\n<li><span class=\"state\">Submitted</span>"));
    for private in ["secretary@", "Branch Secretary", "Riverside", "estates team", "SA1"] {
        assert!(!body.contains(private), "{private} is not public");
    }
    // The same request as the API's requestStatus sees it.
    let (_, status) = graphql_as(
        &client,
        None,
        "query($r: String!) { requestStatus(reference: $r) { state kind } }",
        json!({ "r": format!("REQ-{reference}") }),
    )
    .await;
    assert_eq!(status["data"]["requestStatus"]["state"], "SUBMITTED", "{status}");
    assert_eq!(status["data"]["requestStatus"]["kind"], "SPEAKER");
    // The coordinators see it in their queue, with the contact.
    let (_, queue) = graphql_as(
        &client,
        net.token(network::Persona::Coordinator).as_deref(),
        "{ requests(first: 100) { edges { node { reference contact { email } } } } }",
        json!({}),
    )
    .await;
    let found = queue["data"]["requests"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["reference"] == format!("REQ-{reference}").as_str())
        .expect("in the queue");
    assert_eq!(
        found["node"]["contact"]["email"],
        "secretary@riverside-unison.example.org"
    );

    let missing = get(&client, "/request/REQ-ZZZZZZ").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_html_page(&missing);
}

async fn request_form_refuses_forged_posts_and_writes_nothing(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let before = requests_written(&db).await;
    let (token, _) = open_form(&client).await;
    let (other_token, _) = open_form(&client).await;

    type Form = Vec<(&'static str, String)>;
    let cases: [(&str, Option<&str>, Form, Option<&str>); 6] = [
        ("no token at all", None, valid_form(net.topic), None),
        (
            "a field without its cookie",
            None,
            with_token(valid_form(net.topic), &token),
            None,
        ),
        ("a cookie without the field", Some(&token), valid_form(net.topic), None),
        (
            "a field from another form",
            Some(&token),
            with_token(valid_form(net.topic), &other_token),
            None,
        ),
        (
            "a made-up token",
            Some("AAAA.1.AAAA"),
            with_token(valid_form(net.topic), "AAAA.1.AAAA"),
            None,
        ),
        (
            "another site's page",
            Some(&token),
            with_token(valid_form(net.topic), &token),
            Some("https://evil.example.net"),
        ),
    ];
    for (case, cookie, fields, origin) in cases {
        let page = post_form(&client, cookie, &fields, origin).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{case}");
        assert_html_page(&page);
        assert!(page.body.contains("nothing was saved"), "{case}");
    }
    let cross_site = client
        .post("/request")
        .content_type("application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("muster_csrf={token}"))
        .header("Sec-Fetch-Site", "cross-site")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(
                    with_token(valid_form(net.topic), &token)
                        .iter()
                        .map(|(k, v)| (*k, v.as_str())),
                )
                .finish(),
        )
        .send()
        .await;
    cross_site.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(requests_written(&db).await, before, "a refused form writes nothing");

    // The browser's own form (Origin: null under no-referrer) is taken.
    let page = post_valid_form(&client, net.topic, &token, Some("null")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

async fn request_form_shares_the_anonymous_limit_with_the_api(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let (token, _) = open_form(&client).await;
    for n in 1..=5 {
        let page = post_valid_form(&client, net.topic, &token, None).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "submission {n}: {}", page.body);
    }
    let before = requests_written(&db).await;
    let page = post_valid_form(&client, net.topic, &token, None).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_html_page(&page);
    let retry: u64 = page.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert!(
        page.body
            .contains("Too many requests have been sent from your connection"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"Riverside UNISON branch\""),
        "what was typed is kept"
    );
    assert_eq!(requests_written(&db).await, before, "nothing written");

    // The API spends from the same budget.
    let (_, body) = graphql_as(
        &client,
        None,
        "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }",
        json!({ "input": {
            "kind": "WORKSHOP",
            "topicId": net.topic,
            "organisationName": "Larkspur Lane Surgery",
            "contactName": "Practice Manager Person",
            "contactEmail": "practice.manager@larkspur.example.org",
            "preferredWindows": [{ "startsAt": common::now() + Duration::days(9), "endsAt": common::now() + Duration::days(9) + Duration::hours(3) }],
            "online": true,
        }}),
    )
    .await;
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
}

#[tokio::test]
async fn the_stylesheet_is_served_cached_and_revalidated() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let client = db.app();
    let response = client.get("/static/style.css").send().await;
    response.assert_status_is_ok();
    response.assert_content_type("text/css; charset=utf-8");
    let headers = response.0.headers().clone();
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=86400");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let css = response.0.into_body().into_string().await.unwrap();
    assert!(css.contains(":focus-visible"), "focus is visible");
    assert!(!css.contains("url("), "nothing loaded from anywhere");
    let again = client
        .get("/static/style.css")
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await;
    again.assert_status(StatusCode::NOT_MODIFIED);
}

async fn get_html<E: Endpoint>(client: &TestClient<E>, method: poem::http::Method, path: &str) -> Page {
    let response = client
        .request(method, path)
        .header(
            header::ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .send()
        .await
        .0;
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.into_body().into_string().await.unwrap(),
    }
}

fn description_of(page: &Page) -> &str {
    page.body
        .split_once("<meta name=\"description\" content=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(content, _)| content)
        .unwrap()
}

#[tokio::test]
async fn browsers_get_a_page_for_a_wrong_address_and_the_rest_a_short_answer() {
    use poem::http::Method;
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let client = db.app();

    for path in ["/nope", "/groups/leeds/old-page", "/events", "/request/REQ-1/x"] {
        let page = get_html(&client, Method::GET, path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert_html_page(&page);
        assert!(page.body.contains("<title>Page not found · muster</title>"), "{path}");
        assert!(page.body.contains("<h1>Page not found</h1>"));
        assert!(page.body.contains("<a href=\"/\">See upcoming events</a>"));
        assert!(page.body.contains("<a href=\"/groups\">find a local group</a>"));
        assert_eq!(page.headers[header::X_FRAME_OPTIONS], "DENY");
    }
    // A form sent where none is taken: the page says so, in the site's look.
    let page = get_html(&client, Method::POST, "/groups").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_html_page(&page);
    assert!(page.body.contains("<h1>This page cannot do that</h1>"));

    // Clients that do not ask for HTML, and the API, feed and asset paths,
    // keep their short answers even when a browser asks.
    let plain = get(&client, "/nope").await;
    assert_eq!(plain.status, StatusCode::NOT_FOUND);
    assert!(!plain.body.contains("<html"), "{}", plain.body);
    for path in [
        "/graphql/nope",
        "/feeds/nope",
        "/feeds/nope/other.ics",
        "/static/nope.css",
        "/nope.png",
        "/healthz/x",
    ] {
        let page = get_html(&client, Method::GET, path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("<html"), "{path}: {}", page.body);
    }
    let page = get_html(&client, Method::POST, "/calendar.ics").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(!page.body.contains("<html"));
}

async fn an_event_page_shows_a_public_event_and_hides_a_members_only_one(db: TestDb) {
    let net = network::build(&db.conn).await;
    let public = add_event(&db, "Alpha <i>stall</i>", net.alpha, EventKind::Action, 4).await;
    let client = db.app();

    let page = get(&client, &format!("/events/{public}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_html_page(&page);
    assert!(
        page.body.contains("<h1>Alpha &#60;i&#62;stall&#60;/i&#62;</h1>"),
        "{}",
        page.body
    );
    // The description is the event's own first line.
    assert_eq!(description_of(&page), "Bring a friend &#38; a flask.");
    assert!(page.body.contains("Second line."));
    assert!(
        page.body
            .contains(&format!("href=\"http://127.0.0.1:8080/events/{public}.ics\""))
    );
    assert!(page.body.contains("href=\"/groups/alpha\""));
    // The listings link to it.
    let listing = get(&client, "/").await;
    assert!(listing.body.contains(&format!("<a href=\"/events/{public}\">")));

    // A members-only event is the same page as an address with no event.
    let hidden = get_html(
        &client,
        poem::http::Method::GET,
        &format!("/events/{}", net.alpha_members_event),
    )
    .await;
    let unknown = get_html(&client, poem::http::Method::GET, &format!("/events/{}", Uuid::new_v4())).await;
    let garbage = get_html(&client, poem::http::Method::GET, "/events/not-an-id").await;
    let nowhere = get_html(&client, poem::http::Method::GET, "/nope").await;
    for page in [&hidden, &unknown, &garbage] {
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert_html_page(page);
        assert_eq!(page.body, nowhere.body);
        assert_eq!(page.headers, nowhere.headers);
    }
    assert!(!hidden.body.contains("Alpha planning"));
    // Its calendar file stays a short 404 too.
    let file = get_html(
        &client,
        poem::http::Method::GET,
        &format!("/events/{}.ics", net.alpha_members_event),
    )
    .await;
    assert_eq!(file.status, StatusCode::NOT_FOUND);
    assert!(!file.body.contains("<html"));

    // A group's description is its own first line, too.
    let group = get(&client, "/groups/alpha").await;
    assert_eq!(description_of(&group), "A local group");
}

#[tokio::test]
async fn the_icon_and_robots_txt_answer_with_their_types_and_caching() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let client = db.app();
    for (path, content_type) in [("/favicon.ico", "image/x-icon"), ("/static/icon.svg", "image/svg+xml")] {
        let response = client.get(path).send().await;
        response.assert_status_is_ok();
        response.assert_content_type(content_type);
        let headers = response.0.headers().clone();
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=86400", "{path}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let body = response.0.into_body().into_vec().await.unwrap();
        if path.ends_with(".ico") {
            // An ICO directory of one 32×32 image.
            assert_eq!(&body[..6], &[0, 0, 1, 0, 1, 0]);
            assert_eq!((body[6], body[7]), (32, 32));
        } else {
            assert!(body.starts_with(b"<svg xmlns=\"http://www.w3.org/2000/svg\""));
        }
        let again = client
            .get(path)
            .header(header::IF_NONE_MATCH, headers[header::ETAG].clone())
            .send()
            .await;
        again.assert_status(StatusCode::NOT_MODIFIED);
    }

    let response = client.get("/robots.txt").send().await;
    response.assert_status_is_ok();
    response.assert_content_type("text/plain; charset=utf-8");
    let robots = response.0.into_body().into_string().await.unwrap();
    let disallowed: Vec<&str> = robots.lines().filter_map(|l| l.strip_prefix("Disallow: ")).collect();
    for path in [
        "/request/",
        "/feeds/",
        "/graphql",
        "/me$",
        "/me/",
        "/desk",
        "/admin",
        "/signin",
    ] {
        assert!(disallowed.contains(&path), "{path}: {robots}");
    }
    // Events, groups, letters and the form stay open to search engines.
    for open in ["/", "/groups", "/events/", "/letters/", "/request", "/privacy"] {
        assert!(
            !disallowed
                .iter()
                .any(|d| open.starts_with(d.trim_end_matches('$'))
                    && (!d.ends_with('$') || open == d.trim_end_matches('$'))),
            "{open}"
        );
    }
    assert!(robots.contains("Allow: /\n"));
    assert!(
        robots.contains("Sitemap: http://127.0.0.1:8080/sitemap.xml\n"),
        "{robots}"
    );
}

fn sitemap_locations(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .map(|rest| rest.split_once("</loc>").unwrap().0.to_owned())
        .collect()
}

async fn the_sitemap_lists_exactly_the_public_upcoming_events_and_the_groups(db: TestDb) {
    use sea_orm::{ColumnTrait, QueryFilter};
    let net = network::build(&db.conn).await;
    let soon = add_event(&db, "Soon", net.beta, EventKind::Talk, 3).await;
    let far = add_event(&db, "Far ahead", net.alpha, EventKind::Talk, 200).await;
    let past = add_event(&db, "Over", net.alpha, EventKind::Talk, -3).await;
    let cancelled = add_event(&db, "Called off", net.alpha, EventKind::Talk, 6).await;
    let mut change: event::ActiveModel = event::Entity::find_by_id(cancelled)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap()
        .into();
    change.status = Set(EventStatus::Cancelled);
    change.update(&db.conn).await.unwrap();
    // A private feed exists; its address must not leak.
    let client = db.app();
    let (_, token) = graphql_as(
        &client,
        net.token(network::Persona::Member).as_deref(),
        "mutation { createFeedToken(label: \"phone\") { url } }",
        json!({}),
    )
    .await;
    let feed_url = token["data"]["createFeedToken"]["url"].as_str().unwrap().to_owned();

    let response = client.get("/sitemap.xml").send().await;
    response.assert_status_is_ok();
    response.assert_content_type("application/xml; charset=utf-8");
    let xml = response.0.into_body().into_string().await.unwrap();
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
    ));
    assert!(xml.ends_with("</urlset>\n"));
    let locations = sitemap_locations(&xml);
    let base = "http://127.0.0.1:8080";

    // The events: exactly the public, scheduled ones that have not ended,
    // however far ahead.
    let now = common::now();
    let expected_events: std::collections::BTreeSet<String> = event::Entity::find()
        .filter(event::Column::Visibility.eq(EventVisibility::Public))
        .filter(event::Column::Status.eq(EventStatus::Scheduled))
        .filter(event::Column::EndsAt.gte(now))
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{base}/events/{}", e.id))
        .collect();
    let listed_events: std::collections::BTreeSet<String> =
        locations.iter().filter(|l| l.contains("/events/")).cloned().collect();
    assert_eq!(listed_events, expected_events);
    for id in [soon, far, net.alpha_public_event] {
        assert!(listed_events.contains(&format!("{base}/events/{id}")), "{id}");
    }
    for id in [past, cancelled, net.alpha_members_event, net.beta_members_event] {
        assert!(!xml.contains(&id.to_string()), "{id}");
    }

    // The groups: every one in the directory.
    let expected_groups: std::collections::BTreeSet<String> = entity::group::Entity::find()
        .filter(entity::group::Column::ArchivedAt.is_null())
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|g| format!("{base}/groups/{}", g.slug))
        .collect();
    let listed_groups: std::collections::BTreeSet<String> = locations
        .iter()
        .filter(|l| l.starts_with(&format!("{base}/groups/")))
        .cloned()
        .collect();
    assert_eq!(listed_groups, expected_groups);
    assert!(listed_groups.contains(&format!("{base}/groups/alpha")));

    // The fixed pages, and nothing else: no feed, status page or API.
    let rest: Vec<&String> = locations
        .iter()
        .filter(|l| !l.contains("/events/") && !l.starts_with(&format!("{base}/groups/")))
        .collect();
    assert_eq!(
        rest,
        [
            &format!("{base}/"),
            &format!("{base}/groups"),
            &format!("{base}/request"),
            &format!("{base}/privacy")
        ]
    );
    assert!(!xml.contains("/feeds/") && !xml.contains(&feed_url), "{xml}");
    assert!(!xml.contains("REQ-") && !xml.contains(".ics") && !xml.contains("/graphql"));
    // Every address it names is a page that answers.
    for location in &locations {
        let path = location.strip_prefix(base).unwrap();
        let page = get(&client, path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
    }
}
