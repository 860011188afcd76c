//! The served stack over HTTP: health, GraphiQL, the groups query, limits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, TestDb, error_code, graphql};
use serde_json::{Value, json};

const GROUPS_PAGE: &str = r#"
query Page($first: Int, $after: String, $filter: GroupFilterInput) {
  groups(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id slug name region description contactEmail createdAt } }
  }
}"#;

on_both_databases!(
    seeded_groups_page_through_in_name_order,
    healthz_answers_200_then_503_without_a_database
);

async fn seeded_groups_page_through_in_name_order(db: TestDb) {
    muster::seed::seed_demo(&db.conn, common::now()).await.unwrap();
    let client = db.app();

    let mut slugs = Vec::new();
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = graphql(&client, GROUPS_PAGE, json!({ "first": 5, "after": after })).await;
        assert!(body.get("errors").is_none(), "{body}");
        let groups = &body["data"]["groups"];
        assert_eq!(groups["totalCount"], 16);
        for edge in groups["edges"].as_array().unwrap() {
            slugs.push(edge["node"]["slug"].as_str().unwrap().to_owned());
            names.push(edge["node"]["name"].as_str().unwrap().to_owned());
        }
        if !groups["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = Some(groups["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(slugs.len(), 16, "every group once: {slugs:?}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    // Filters: a region holds fewer groups; search is case-insensitive.
    let first = graphql(&client, GROUPS_PAGE, json!({ "first": 100 })).await;
    let region = first["data"]["groups"]["edges"][0]["node"]["region"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_region = graphql(
        &client,
        GROUPS_PAGE,
        json!({ "filter": { "region": region.to_uppercase() } }),
    )
    .await;
    let count = by_region["data"]["groups"]["totalCount"].as_u64().unwrap();
    assert!((1..16).contains(&count), "{by_region}");
    for edge in by_region["data"]["groups"]["edges"].as_array().unwrap() {
        assert_eq!(edge["node"]["region"], region.as_str());
    }
    let name = &names[3];
    let needle: String = name.chars().skip(1).take(4).collect::<String>().to_uppercase();
    let searched = graphql(&client, GROUPS_PAGE, json!({ "filter": { "search": needle } })).await;
    assert!(
        searched["data"]["groups"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["name"] == name.as_str()),
        "{searched}"
    );

    // group(slug)
    let one = graphql(
        &client,
        "query($s: String!) { group(slug: $s) { slug name } }",
        json!({ "s": slugs[0] }),
    )
    .await;
    assert_eq!(one["data"]["group"]["slug"], slugs[0].as_str());
    let none = graphql(&client, "{ group(slug: \"atlantis\") { slug } }", json!({})).await;
    assert_eq!(none["data"]["group"], Value::Null);
}

async fn healthz_answers_200_then_503_without_a_database(db: TestDb) {
    let client = db.app();
    let response = client.get("/healthz").send().await;
    response.assert_status_is_ok();
    response.assert_json(json!({ "status": "ok", "database": "ok" })).await;

    db.conn.clone().close().await.unwrap();
    let response = client.get("/healthz").send().await;
    response.assert_status(poem::http::StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let response = db.app().get("/graphql").send().await;
    response.assert_status_is_ok();
    response.assert_content_type("text/html; charset=utf-8");
    let csp = response.0.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!csp.contains("http"), "only muster's own origin: {csp}");
    let html = response.0.into_body().into_string().await.unwrap();
    assert!(html.contains("graphiql"), "GraphiQL page");
    assert!(!html.contains("http"), "no address of another site: {html}");

    // Its files, gzipped for clients that take it, plain for one that does
    // not, each with its own validator.
    let mut sources: Vec<&str> = html
        .split("src=\"")
        .skip(1)
        .chain(html.split("href=\"").skip(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|path| path.starts_with("/static/graphiql/"))
        .collect();
    sources.sort_unstable();
    assert_eq!(sources.len(), 5, "{sources:?}");
    for path in sources {
        let gzipped = db.app().get(path).header("accept-encoding", "gzip, br").send().await;
        gzipped.assert_status_is_ok();
        let plain = db.app().get(path).send().await;
        plain.assert_status_is_ok();
        let (gzipped, plain) = (gzipped.0, plain.0);
        let tag = |r: &poem::Response| r.headers()["etag"].to_str().unwrap().to_owned();
        if !path.ends_with("start.js") {
            assert_eq!(gzipped.headers()["content-encoding"], "gzip", "{path}");
            assert!(plain.headers().get("content-encoding").is_none(), "{path}");
            assert_ne!(tag(&gzipped), tag(&plain), "{path}");
        }
        let body = plain.into_body().into_bytes().await.unwrap();
        assert!(body.len() > 100, "{path}");
    }
    let missing = db.app().get("/static/graphiql/other.js").send().await;
    missing.assert_status(poem::http::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn page_size_and_cursor_errors_carry_a_code() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let client = db.app();
    let too_many = graphql(&client, GROUPS_PAGE, json!({ "first": 101 })).await;
    assert_eq!(error_code(&too_many), Some("BAD_USER_INPUT"), "{too_many}");
    assert_eq!(too_many["errors"][0]["extensions"]["field"], "first");
    let bad_cursor = graphql(&client, GROUPS_PAGE, json!({ "after": "not-a-cursor" })).await;
    assert_eq!(error_code(&bad_cursor), Some("BAD_USER_INPUT"), "{bad_cursor}");
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_before_execution() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let client = db.app();
    let huge = format!(
        r#"{{"query":"{{ groups {{ totalCount }} }}","pad":"{}"}}"#,
        "x".repeat(300 * 1024)
    );
    let response = client
        .post("/graphql")
        .content_type("application/json")
        .body(huge)
        .send()
        .await;
    response.assert_status(poem::http::StatusCode::PAYLOAD_TOO_LARGE);

    let response = client
        .post("/graphql")
        .content_type("application/json")
        .body("{not json")
        .send()
        .await;
    response.assert_status(poem::http::StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn standard_introspection_passes_the_limits_and_deep_nesting_does_not() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let client = db.app();
    let introspection = graphql(&client, INTROSPECTION, json!({})).await;
    assert!(introspection.get("errors").is_none(), "{introspection}");
    assert!(introspection["data"]["__schema"]["types"].as_array().unwrap().len() > 10);

    let levels = muster::graphql::MAX_DEPTH + 5;
    let deep = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "ofType { ".repeat(levels),
        " }".repeat(levels)
    );
    let body = graphql(&client, &deep, json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
}

#[tokio::test]
async fn checked_in_schema_is_the_served_schema() {
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        checked_in == muster::graphql::sdl(),
        "schema.graphql differs from the served schema: run `cargo run -- export-schema > schema.graphql`"
    );
}

/// The introspection query GraphiQL sends (nests `ofType` seven deep).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

/// Unpacks a gzipped answer, failing the test if it is not gzip.
async fn gunzip(response: poem::test::TestResponse) -> String {
    response.assert_header("content-encoding", "gzip");
    let bytes = response.0.into_body().into_bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text).unwrap();
    text
}

#[tokio::test]
async fn pages_graphql_and_the_stylesheet_come_gzipped_to_clients_that_take_it() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    muster::seed::seed_demo(&db.conn, common::now()).await.unwrap();
    let client = db.app();

    // A page: the same HTML once unpacked, and caches told it varies.
    let plain = client.get("/groups").send().await;
    plain.assert_header_is_not_exist("content-encoding");
    let plain = plain.0.into_body().into_string().await.unwrap();
    let gzipped = client.get("/groups").header("accept-encoding", "gzip").send().await;
    assert!(
        gzipped
            .0
            .headers()
            .get_all("vary")
            .iter()
            .any(|v| v == "accept-encoding"),
        "{:?}",
        gzipped.0.headers()
    );
    assert_eq!(gunzip(gzipped).await, plain);

    // GraphQL's JSON.
    let body = json!({ "query": GROUPS_PAGE, "variables": { "first": 20 } });
    let answer = client
        .post("/graphql")
        .header("accept-encoding", "gzip")
        .body_json(&body)
        .send()
        .await;
    answer.assert_status_is_ok();
    let answer: Value = serde_json::from_str(&gunzip(answer).await).unwrap();
    assert_eq!(answer["data"]["groups"]["totalCount"], 16, "{answer}");

    // The stylesheet: a weak validator for the gzipped copy, which still
    // revalidates to 304 with nothing in it.
    let css = client
        .get("/static/style.css")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    let tag = css.0.headers()["etag"].to_str().unwrap().to_owned();
    assert!(tag.starts_with("W/\""), "{tag}");
    assert!(gunzip(css).await.contains("body"));
    let again = client
        .get("/static/style.css")
        .header("accept-encoding", "gzip")
        .header("if-none-match", &tag)
        .send()
        .await;
    again.assert_status(poem::http::StatusCode::NOT_MODIFIED);
    again.assert_header_is_not_exist("content-encoding");

    // A feed compresses itself, once: not gzipped twice.
    let feed = client
        .get("/calendar.ics")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(feed.0.headers().get_all("content-encoding").iter().count(), 1);
    assert!(gunzip(feed).await.starts_with("BEGIN:VCALENDAR"));
}
