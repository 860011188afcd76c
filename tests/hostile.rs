//! Hostile input over HTTP on both databases: malformed and oversized
//! requests, abusive queries, and text built to break SQL, iCalendar or a
//! reader's screen. Each answers a clear error with a code, or is stored and
//! served back escaped; nothing is half-written and the server stays up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    TestDb,
    calendar::parse,
    error_code, graphql_as,
    network::{self, Persona},
};
use entity::{event, request};
use poem::{Endpoint, test::TestClient};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const CREATE: &str =
    "mutation($input: CreateEventInput!) { createEvent(input: $input) { id title description venue } }";

fn event_input(title: &str) -> Value {
    json!({
        "title": title,
        "startsAt": "2031-03-28T18:00:00Z",
        "endsAt": "2031-03-28T20:00:00Z",
        "kind": "WORKSHOP",
        "groupSlug": "alpha",
    })
}

async fn post_raw<E: Endpoint>(client: &TestClient<E>, body: Vec<u8>) -> (u16, String) {
    let response = client
        .post("/graphql")
        .content_type("application/json")
        .body(body)
        .send()
        .await;
    let status = response.0.status().as_u16();
    (status, response.0.into_body().into_string().await.unwrap_or_default())
}

async fn still_up<E: Endpoint>(client: &TestClient<E>) {
    client.get("/healthz").send().await.assert_status_is_ok();
    let (status, body) = post_raw(client, br#"{"query":"{ topics { slug } }"}"#.to_vec()).await;
    assert_eq!(status, 200, "{body}");
}

on_both_databases!(
    malformed_requests_get_clear_refusals,
    abusive_queries_are_refused_before_execution,
    text_that_looks_like_code_is_stored_and_served_escaped,
    failed_writes_leave_nothing_behind,
);

async fn malformed_requests_get_clear_refusals(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("truncated JSON", br#"{"query": "{ topics { slug } "#.to_vec(), 400),
        ("not JSON", b"query { topics { slug } }".to_vec(), 400),
        (
            "invalid UTF-8",
            b"{\"query\": \"{ topics { \xff\xfe } }\"}".to_vec(),
            400,
        ),
        ("wrong shape", br#"{"query": 42}"#.to_vec(), 400),
        // Parsed as a request with no query: a GraphQL error with a code.
        ("empty batch", b"[]".to_vec(), 200),
        ("a body over the limit", vec![b' '; 3 * 1024 * 1024], 413),
    ];
    for (name, body, expected) in cases {
        let (status, text) = post_raw(&client, body).await;
        assert_eq!(status, expected, "{name}: {text}");
        assert!(!text.to_lowercase().contains("panic"), "{name}: {text}");
    }
    // Type errors and unknown values are GraphQL errors with a code.
    let token = net.token(Persona::Coordinator);
    for (name, query, variables) in [
        ("a number for a string", CREATE, json!({ "input": { "title": 5 } })),
        (
            "an unknown enum value",
            CREATE,
            json!({ "input": { "title": "x", "startsAt": "2031-03-28T18:00:00Z", "endsAt": "2031-03-28T20:00:00Z", "kind": "PARTY" } }),
        ),
        (
            "a bad date",
            "{ events(filter: { from: \"yesterday\" }) { totalCount } }",
            json!({}),
        ),
        ("an unknown field", "{ topics { slug password } }", json!({})),
        ("a syntax error", "{ topics { slug ", json!({})),
        (
            "a bad id",
            "query { event(id: \"../../etc/passwd\") { id } }",
            json!({}),
        ),
    ] {
        let (status, body) = graphql_as(&client, token.as_deref(), query, variables).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{name}: {body}");
    }
    still_up(&client).await;
}

async fn abusive_queries_are_refused_before_execution(db: TestDb) {
    let _net = network::build(&db.conn).await;
    let client = db.app();
    let nested = format!(
        "{{ events(first: 100) {{ edges {{ node {{ group {{ members(first: 100) {{ edges {{ node {{ user {{ {} }} }} }} }} }} }} }} }} }}",
        "id ".repeat(3)
    );
    let aliases = format!(
        "{{ me {{ {} }} }}",
        (0..200).map(|k| format!("a{k}: id")).collect::<Vec<_>>().join(" ")
    );
    let mut bomb = String::from("{ ...f0 } fragment f30 on Query { topics { slug } }");
    for level in 0..30 {
        bomb.push_str(&format!(
            " fragment f{level} on Query {{ ...f{n} ...f{n} }}",
            n = level + 1
        ));
    }
    let cycle = "{ ...a } fragment a on Query { ...b } fragment b on Query { ...a }".to_owned();
    let too_deep = format!(
        "{{ {} slug {} }}",
        "groups { edges { node { ".repeat(6),
        "} } } ".repeat(6)
    );
    let nested_connections =
        "{ groups(first: 100) { edges { node { members(first: 100) { edges { node { role } } } } } } }".to_owned();
    let batch = Value::Array((0..11).map(|_| json!({ "query": "{ topics { slug } }" })).collect());
    for (name, query) in [
        ("many aliases", aliases),
        ("a fragment bomb", bomb),
        ("a fragment cycle", cycle),
        ("deep nesting", too_deep),
        ("nested connections", nested_connections),
        ("a members list under every event", nested),
        (
            "an endless query",
            format!("{{ topics {{ slug }} }} #{}", "x".repeat(20_000)),
        ),
    ] {
        let (status, body) = graphql_as(&client, None, &query, json!({})).await;
        assert!(status == 200 || status == 400, "{name}: {status}");
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{name}: {body}");
        assert!(body["data"].is_null(), "{name}: nothing executed: {body}");
    }
    let (status, body) = post_raw(&client, serde_json::to_vec(&batch).unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("batchSize"), "{body}");
    still_up(&client).await;
}

/// Text that would break a careless SQL string, iCalendar file or screen.
const HOSTILE: [&str; 6] = [
    "'; DROP TABLE events; --",
    "Robert\"); DELETE FROM users WHERE (\"1\"=\"1",
    "Talk\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Injected\r\nUID:evil",
    "Rally 🏳️‍🌈✊🏽 against charging — النظام الصحي للجميع",
    "\u{202e}gnippahs\u{202c} right-to-left override, and a bell\u{7} character",
    "<script>alert(1)</script> & ; , \\ : \"quoted\"",
];

/// The text as one line: what a person would type in a title.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The text as paragraphs: line breaks kept, other control characters gone.
fn paragraphs(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\r' && c != '\n' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

async fn text_that_looks_like_code_is_stored_and_served_escaped(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let coordinator = net.token(Persona::Coordinator);
    let before = event::Entity::find().count(&db.conn).await.unwrap();
    let mut stored: Vec<(String, String, String)> = Vec::new();
    for (k, text) in HOSTILE.iter().enumerate() {
        let title = one_line(text);
        if title != *text {
            // Where one line belongs, a line break or a control character
            // is refused, not dropped: every such field named at once, and
            // nothing stored.
            let mut input = event_input(text);
            input["venue"] = json!(text);
            let (_, refused) = graphql_as(&client, coordinator.as_deref(), CREATE, json!({ "input": input })).await;
            let error = &refused["errors"][0]["extensions"];
            assert_eq!(error["code"], "BAD_USER_INPUT", "{text:?}: {refused}");
            assert_eq!(error["field"], "title", "{text:?}: {refused}");
            let fields: Vec<&str> = error["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["field"].as_str().unwrap())
                .collect();
            assert_eq!(fields, ["title", "venue"], "{refused}");
        }
        let mut input = event_input(&title);
        input["description"] = json!(format!("{}\nsecond line {k}", paragraphs(text)));
        input["venue"] = json!(title);
        input["address"] = json!(paragraphs(text));
        input["startsAt"] = json!(format!("2031-04-{:02}T18:00:00Z", k + 1));
        input["endsAt"] = json!(format!("2031-04-{:02}T20:00:00Z", k + 1));
        let (_, body) = graphql_as(&client, coordinator.as_deref(), CREATE, json!({ "input": input })).await;
        let created = &body["data"]["createEvent"];
        assert!(!created.is_null(), "{text:?}: {body}");
        stored.push((
            created["title"].as_str().unwrap().to_owned(),
            created["description"].as_str().unwrap().to_owned(),
            created["venue"].as_str().unwrap().to_owned(),
        ));
        // Searching with it is a search, not a statement.
        let (_, found) = graphql_as(
            &client,
            None,
            "query($q: String) { events(filter: { search: $q, from: \"2031-01-01T00:00:00Z\" }) { totalCount } }",
            json!({ "q": text }),
        )
        .await;
        assert!(found.get("errors").is_none(), "{text:?}: {found}");
    }
    // PostgreSQL cannot hold a NUL in text: refused up front, anywhere; in
    // a variable it is that field's bad input, answered like any other.
    let (status, refused) = graphql_as(
        &client,
        coordinator.as_deref(),
        CREATE,
        json!({ "input": event_input("a null\u{0} byte") }),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["limit"], "text", "{refused}");
    assert_eq!(status, 200, "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{refused}"
    );
    assert_eq!(refused["errors"][0]["extensions"]["field"], "input.title", "{refused}");
    assert_eq!(
        event::Entity::find().count(&db.conn).await.unwrap(),
        before + HOSTILE.len() as u64,
        "the tables are intact"
    );
    for (title, description, _) in &stored {
        assert!(!title.chars().any(char::is_control), "one line, as sent: {title:?}");
        assert!(
            !description.contains('\r'),
            "line endings are stored as LF: {description:?}"
        );
    }

    // The feed parses into exactly these events (no injected one), with
    // each text as stored.
    let response = client.get("/groups/alpha/calendar.ics").send().await;
    response.assert_status_is_ok();
    let body = response.0.into_body().into_string().await.unwrap();
    let events = parse(&body);
    assert!(!events.iter().any(|e| e["SUMMARY"] == "Injected"), "no injected event");
    assert!(
        !events.iter().any(|e| e.get("UID").is_some_and(|u| u == "evil")),
        "no injected UID"
    );
    for (title, description, venue) in &stored {
        let entry = events
            .iter()
            .find(|e| unescape(&e["SUMMARY"]) == *title)
            .unwrap_or_else(|| panic!("{title:?} in the feed:\n{body}"));
        // The feed adds who holds it after the description.
        assert!(
            unescape(&entry["DESCRIPTION"]).starts_with(description.as_str()),
            "{entry:?}"
        );
        assert!(unescape(&entry["LOCATION"]).starts_with(venue.as_str()), "{entry:?}");
    }
    // A group's name reaches the feed too (in the description): a line
    // break in it is refused, the rest is kept and escaped.
    let create_group = "mutation($input: CreateGroupInput!) { createGroup(input: $input) { slug name } }";
    let (_, refused) = graphql_as(
        &client,
        coordinator.as_deref(),
        create_group,
        json!({ "input": { "slug": "crlf", "name": HOSTILE[2], "region": "Wales" } }),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["field"], "name", "{refused}");
    let group_name = format!("{} {}", HOSTILE[5], HOSTILE[3]);
    let (_, group) = graphql_as(
        &client,
        coordinator.as_deref(),
        create_group,
        json!({ "input": { "slug": "hostile", "name": group_name, "region": HOSTILE[3] } }),
    )
    .await;
    let stored_name = group["data"]["createGroup"]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("{group}"))
        .to_owned();
    let mut input = event_input("In the hostile group");
    input["groupSlug"] = json!("hostile");
    let (_, created) = graphql_as(&client, coordinator.as_deref(), CREATE, json!({ "input": input })).await;
    assert!(created.get("errors").is_none(), "{created}");
    let response = client.get("/groups/hostile/calendar.ics").send().await;
    response.assert_status_is_ok();
    let events = parse(&response.0.into_body().into_string().await.unwrap());
    assert_eq!(events.len(), 1, "no injected event: {events:?}");
    assert!(
        unescape(&events[0]["DESCRIPTION"]).ends_with(&format!("Held by {stored_name}")),
        "{:?}",
        events[0]
    );

    // A NUL in an address is refused before it reaches a query.
    for path in [
        "/calendar.ics?group=%00",
        "/groups/al%00pha/calendar.ics",
        "/calendar.ics?region=a%00",
    ] {
        let response = client.get(path).send().await;
        assert_eq!(response.0.status().as_u16(), 400, "{path}");
    }
    // At /graphql, in the shape of every other refused GraphQL request.
    let response = client
        .get("/graphql?query=%7B%20events%20%7B%20totalCount%20%7D%20%7D%00")
        .send()
        .await;
    assert_eq!(response.0.status().as_u16(), 400);
    let body: serde_json::Value = serde_json::from_str(&response.0.into_body().into_string().await.unwrap()).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "text", "{body}");
    // The GraphQL answer is JSON-escaped, never markup.
    let (_, listed) = graphql_as(
        &client,
        None,
        "{ events(filter: { from: \"2031-01-01T00:00:00Z\" }, first: 50) { edges { node { title } } } }",
        json!({}),
    )
    .await;
    assert!(listed.to_string().contains("\\u003cscript") || listed.to_string().contains("<script>"));
    still_up(&client).await;
}

/// RFC 5545 TEXT unescaping, as a calendar app reads the values.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

async fn failed_writes_leave_nothing_behind(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let requests_before = request::Entity::find().count(&db.conn).await.unwrap();
    // The fourth window is refused after the first three were read: no
    // request, window or history row is written.
    let windows: Vec<Value> = (0..4)
        .map(|k| {
            let start = chrono::Utc::now() + chrono::Duration::days(20 + k);
            json!({ "startsAt": start, "endsAt": start + chrono::Duration::hours(2) })
        })
        .collect();
    let input = json!({
        "kind": "WORKSHOP", "topicId": net.topic, "organisationName": "Org", "contactName": "Person",
        "contactEmail": "person@org.example", "preferredWindows": windows, "online": true,
    });
    let (_, body) = graphql_as(
        &client,
        None,
        "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { reference } }",
        json!({ "input": input }),
    )
    .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(request::Entity::find().count(&db.conn).await.unwrap(), requests_before);
    let windows_stored = entity::request_window::Entity::find().count(&db.conn).await.unwrap();
    let transitions = entity::request_transition::Entity::find()
        .count(&db.conn)
        .await
        .unwrap();
    assert_eq!((windows_stored, transitions), (3, 6), "the fixture's rows only");

    // A trainer profile with one unknown topic changes nothing.
    let coordinator = net.token(Persona::Coordinator);
    let (_, refused) = graphql_as(
        &client,
        coordinator.as_deref(),
        "mutation($id: ID, $input: TrainerProfileInput!) { setTrainerProfile(trainerId: $id, input: $input) { monthlyCap } }",
        json!({ "id": net.trainer.id, "input": { "topicIds": [net.topic, uuid::Uuid::new_v4()], "regions": ["Mars"], "monthlyCap": 9 } }),
    )
    .await;
    assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
    let (_, profile) = graphql_as(
        &client,
        coordinator.as_deref(),
        "query($id: ID) { trainerProfile(trainerId: $id) { monthlyCap regions } }",
        json!({ "id": net.trainer.id }),
    )
    .await;
    assert_eq!(
        profile["data"]["trainerProfile"],
        json!({ "monthlyCap": 4, "regions": ["Wales"] })
    );
    still_up(&client).await;
}
