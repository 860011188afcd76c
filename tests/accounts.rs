//! Accounts and membership over HTTP: tokens, sign-in, revocation, the
//! last-organiser rule, and a new member's first steps on the demo network.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use common::{
    Backend, TestDb, graphql_as, login,
    network::{self, PASSWORD, Persona},
    test_secret,
};
use entity::{UserRole, audit_entry};
use muster::{
    auth::jwt::TokenKeys,
    config::JwtSecret,
    domain::accounts::{self, NewUser},
};
use poem::{Endpoint, test::TestClient};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const ME: &str = "{ me { id email displayName role } }";

fn code(body: &Value) -> Option<&str> {
    common::error_code(body)
}

#[tokio::test]
async fn every_kind_of_bad_token_is_401_unauthenticated_never_anonymous() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app();
    let keys = TokenKeys::new(&test_secret(), Duration::hours(12));
    let id = net.member.id;

    let valid = keys.issue(id, 0, common::now()).unwrap().token;
    let expired = keys.issue(id, 0, common::now() - Duration::hours(13)).unwrap().token;
    let other_secret = TokenKeys::new(
        &JwtSecret::from_bytes(b"another-secret-0123456789abcdef-xyz".to_vec()),
        Duration::hours(1),
    )
    .issue(id, 0, common::now())
    .unwrap()
    .token;
    let payload = valid.split('.').nth(1).unwrap().to_owned();
    let alg_none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&payload).unwrap()).unwrap();
    let hs384 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS384),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(common::TEST_SECRET.as_bytes()),
    )
    .unwrap();
    let revoked = keys.issue(id, 0, common::now()).unwrap().token;
    let unknown_user = keys.issue(uuid::Uuid::new_v4(), 0, common::now()).unwrap().token;

    // The valid token works; then revoke by bumping the version.
    let (status, body) = graphql_as(&client, Some(&valid), ME, json!({})).await;
    assert_eq!(
        (status, body["data"]["me"]["email"].as_str()),
        (200, Some(net.member.email.as_str()))
    );
    let member = TokenKeys::new(&test_secret(), Duration::hours(1))
        .issue(id, 0, common::now())
        .unwrap()
        .token;
    let (_, out) = graphql_as(&client, Some(&member), "mutation { signOutEverywhere }", json!({})).await;
    assert_eq!(out["data"]["signOutEverywhere"], true);

    for (case, header) in [
        ("expired", format!("Bearer {expired}")),
        ("wrong signature", format!("Bearer {other_secret}")),
        ("alg none", format!("Bearer {alg_none}")),
        ("other algorithm", format!("Bearer {hs384}")),
        ("malformed", "Bearer not-a-token".to_owned()),
        ("revoked by version", format!("Bearer {revoked}")),
        ("unknown user", format!("Bearer {unknown_user}")),
        ("not bearer", format!("Basic {valid}")),
        ("empty bearer", "Bearer ".to_owned()),
    ] {
        let response = client
            .post("/graphql")
            .header("Authorization", header)
            .body_json(&json!({ "query": ME }))
            .send()
            .await;
        response.assert_status(poem::http::StatusCode::UNAUTHORIZED);
        response.assert_header("www-authenticate", r#"Bearer error="invalid_token""#);
        let body: Value = response.json().await.value().deserialize();
        assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{case}: {body}");
        assert!(body["data"].is_null(), "{case}");
    }

    // No header at all is simply anonymous.
    let (status, body) = graphql_as(&client, None, ME, json!({})).await;
    assert_eq!((status, &body["data"]["me"]), (200, &Value::Null));
}

const REGISTER: &str = "mutation($email: String!, $password: String!) {
  register(input: { email: $email, displayName: \"Jo Newcomer\", password: $password }) { message }
}";

/// `register` as Jo Newcomer: the body.
async fn register<E: Endpoint>(client: &TestClient<E>, email: &str, password: &str) -> Value {
    graphql_as(client, None, REGISTER, json!({ "email": email, "password": password }))
        .await
        .1
}

on_both_databases!(
    register_login_change_password_and_revocation,
    last_organiser_cannot_leave_or_step_down
);

async fn register_login_change_password_and_revocation(db: TestDb) {
    let client = db.app();
    let registered = register(&client, "Jo.Newcomer@Example.org", "first password!").await;
    assert!(registered.get("errors").is_none(), "{registered}");
    let first = login(&client, "jo.newcomer@example.org", "first password!").await;
    assert_eq!(
        first["data"]["login"]["user"]["email"], "jo.newcomer@example.org",
        "{first}"
    );
    assert_eq!(first["data"]["login"]["user"]["role"], "SUPPORTER");
    let first_token = first["data"]["login"]["token"].as_str().unwrap().to_owned();

    // Same address in another case: one account per email, and the answer
    // is the registration's own, so it tells nobody the address is taken.
    let again = register(&client, "JO.NEWCOMER@example.org", "first password!").await;
    assert_eq!(again, registered);
    let short = register(&client, "x@example.org", "short").await;
    assert_eq!(code(&short), Some("BAD_USER_INPUT"));
    assert_eq!(short["errors"][0]["extensions"]["field"], "password");
    assert!(!short.to_string().contains("\"short\""), "the password is not echoed");

    // A wrong password and an unknown email are indistinguishable.
    let wrong_password = login(&client, "jo.newcomer@example.org", "not my password").await;
    let unknown_email = login(&client, "nobody@example.org", "not my password").await;
    assert_eq!(code(&wrong_password), Some("UNAUTHENTICATED"));
    assert_eq!(
        wrong_password["errors"][0]["message"],
        unknown_email["errors"][0]["message"]
    );
    assert_eq!(
        wrong_password["errors"][0]["extensions"],
        unknown_email["errors"][0]["extensions"]
    );

    let logged_in = login(&client, "JO.NEWCOMER@example.org", "first password!").await;
    let second_token = logged_in["data"]["login"]["token"].as_str().unwrap().to_owned();

    // Changing the password revokes both earlier tokens and returns a new one.
    let (_, changed) = graphql_as(
        &client,
        Some(&second_token),
        "mutation { changePassword(currentPassword: \"first password!\", newPassword: \"second password!\") { token } }",
        json!({}),
    )
    .await;
    let third_token = changed["data"]["changePassword"]["token"].as_str().unwrap().to_owned();
    for old in [&first_token, &second_token] {
        let (status, _) = graphql_as(&client, Some(old), ME, json!({})).await;
        assert_eq!(status, 401);
    }
    let (_, me) = graphql_as(&client, Some(&third_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "jo.newcomer@example.org");
    let old_password = login(&client, "jo.newcomer@example.org", "first password!").await;
    assert_eq!(code(&old_password), Some("UNAUTHENTICATED"));

    // A wrong current password changes nothing.
    let (_, refused) = graphql_as(
        &client,
        Some(&third_token),
        "mutation { changePassword(currentPassword: \"guess guess guess\", newPassword: \"third password!!\") { token } }",
        json!({}),
    )
    .await;
    assert_eq!(code(&refused), Some("BAD_USER_INPUT"));
    let (status, _) = graphql_as(&client, Some(&third_token), ME, json!({})).await;
    assert_eq!(status, 200);
}

async fn last_organiser_cannot_leave_or_step_down(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let organiser = net.token(Persona::Organiser).unwrap();
    let admin = net.token(Persona::Admin).unwrap();

    let (_, leave) = graphql_as(
        &client,
        Some(&organiser),
        "mutation { leaveGroup(groupSlug: \"alpha\") }",
        json!({}),
    )
    .await;
    assert_eq!(code(&leave), Some("CONFLICT"), "{leave}");
    assert!(
        leave["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at least one organiser")
    );
    let demote = "mutation($id: ID!) { setMemberRole(groupSlug: \"alpha\", userId: $id, role: MEMBER) { role } }";
    let (_, demoted) = graphql_as(&client, Some(&admin), demote, json!({ "id": net.organiser.id })).await;
    assert_eq!(code(&demoted), Some("CONFLICT"));
    let remove = "mutation($id: ID!) { removeMember(groupSlug: \"alpha\", userId: $id) }";
    let (_, removed) = graphql_as(&client, Some(&admin), remove, json!({ "id": net.organiser.id })).await;
    assert_eq!(code(&removed), Some("CONFLICT"));

    // With a second organiser, both try to leave at the same moment: one
    // may, the other is the last and must stay.
    let promote = "mutation($id: ID!) { setMemberRole(groupSlug: \"alpha\", userId: $id, role: ORGANISER) { role } }";
    let (_, promoted) = graphql_as(&client, Some(&organiser), promote, json!({ "id": net.member.id })).await;
    assert_eq!(promoted["data"]["setMemberRole"]["role"], "ORGANISER", "{promoted}");
    let member = net.token(Persona::Member).unwrap();
    let leave = "mutation { leaveGroup(groupSlug: \"alpha\") }";
    let (a, b) = tokio::join!(
        graphql_as(&client, Some(&organiser), leave, json!({})),
        graphql_as(&client, Some(&member), leave, json!({}))
    );
    let outcomes = [code(&a.1), code(&b.1)];
    assert!(
        outcomes.contains(&None) && outcomes.contains(&Some("CONFLICT")),
        "{a:?} {b:?}"
    );

    let (_, members) = graphql_as(
        &client,
        Some(&admin),
        "{ group(slug: \"alpha\") { members(status: ACTIVE) { edges { node { role } } } } }",
        json!({}),
    )
    .await;
    let roles: Vec<&Value> = members["data"]["group"]["members"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["role"])
        .collect();
    assert_eq!(roles, [&json!("ORGANISER")], "{members}");

    // The last admin cannot give up the role.
    let (_, self_demote) = graphql_as(
        &client,
        Some(&admin),
        "mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORTER) { role } }",
        json!({ "id": net.admin.id }),
    )
    .await;
    assert_eq!(code(&self_demote), Some("CONFLICT"));
}

#[tokio::test]
async fn an_admin_role_change_revokes_the_subjects_tokens_and_is_audited() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app();
    let supporter = net.token(Persona::Supporter).unwrap();
    let (_, changed) = graphql_as(
        &client,
        net.token(Persona::Admin).as_deref(),
        "mutation($id: ID!) { setUserRole(userId: $id, role: COORDINATOR) { role } }",
        json!({ "id": net.supporter.id }),
    )
    .await;
    assert_eq!(changed["data"]["setUserRole"]["role"], "COORDINATOR");
    let (status, _) = graphql_as(&client, Some(&supporter), ME, json!({})).await;
    assert_eq!(status, 401);
    let signed_in = login(&client, &net.supporter.email, PASSWORD).await;
    assert_eq!(signed_in["data"]["login"]["user"]["role"], "COORDINATOR");
    let entries = audit_entry::Entity::find()
        .filter(audit_entry::Column::SubjectId.eq(net.supporter.id))
        .all(&db.conn)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].action.as_str(), entries[0].operation.as_str()),
        ("CHANGE_ROLE", "setUserRole")
    );
    assert_eq!(entries[0].actor_id, Some(net.admin.id));
}

on_both_databases!(a_newcomer_joins_a_seeded_group_and_only_its_organiser_sees_them);

/// As a new user would: register, sign in, ask to join a demo group, be
/// approved by its organiser; strangers see nothing of it.
async fn a_newcomer_joins_a_seeded_group_and_only_its_organiser_sees_them(db: TestDb) {
    muster::seed::seed_demo(&db.conn, common::now()).await.unwrap();
    let now = common::now();
    let new_user = |email: &'static str, role| NewUser {
        email,
        display_name: "Operator Made",
        password: "operator password",
        role,
        trainer: false,
        email_verified: true,
        organiser_of: None,
    };
    accounts::create_user(&db.conn, new_user("admin@ops.example.org", UserRole::Admin), now)
        .await
        .unwrap();
    accounts::create_user(
        &db.conn,
        new_user("organiser@ops.example.org", UserRole::Supporter),
        now,
    )
    .await
    .unwrap();
    accounts::create_user(&db.conn, new_user("stranger@ops.example.org", UserRole::Supporter), now)
        .await
        .unwrap();
    let client = db.app();
    let sign_in = |email: &'static str, password: &'static str| {
        let client = &client;
        async move {
            let body = login(client, email, password).await;
            body["data"]["login"]["token"].as_str().expect("signed in").to_owned()
        }
    };
    let admin = sign_in("admin@ops.example.org", "operator password").await;
    let organiser = sign_in("organiser@ops.example.org", "operator password").await;
    let stranger = sign_in("stranger@ops.example.org", "operator password").await;
    let user_id = |token: String| {
        let client = &client;
        async move {
            graphql_as(client, Some(&token), ME, json!({})).await.1["data"]["me"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let join = |token: String, slug: &'static str| {
        let client = &client;
        async move {
            let query = "mutation($s: String!) { requestToJoin(groupSlug: $s) { status } }";
            graphql_as(client, Some(&token), query, json!({ "s": slug })).await.1
        }
    };
    let approve = |token: &str, slug: &str, id: &str| {
        let query = "mutation($g: String!, $id: ID!) { approveMember(groupSlug: $g, userId: $id) { status } }";
        let variables = json!({ "g": slug, "id": id });
        let (client, token) = (&client, token.to_owned());
        async move { graphql_as(client, Some(&token), query, variables).await.1 }
    };

    // The operator-made organiser joins Leeds, the admin approves and promotes.
    assert_eq!(
        join(organiser.clone(), "leeds").await["data"]["requestToJoin"]["status"],
        "PENDING"
    );
    let organiser_id = user_id(organiser.clone()).await;
    approve(&admin, "leeds", &organiser_id).await;
    let promote = "mutation($id: ID!) { setMemberRole(groupSlug: \"leeds\", userId: $id, role: ORGANISER) { role } }";
    let (_, promoted) = graphql_as(&client, Some(&admin), promote, json!({ "id": organiser_id })).await;
    assert_eq!(promoted["data"]["setMemberRole"]["role"], "ORGANISER", "{promoted}");
    // The stranger belongs to another group.
    let stranger_id = user_id(stranger.clone()).await;
    join(stranger.clone(), "bristol").await;
    approve(&admin, "bristol", &stranger_id).await;

    // The newcomer registers, signs in and asks to join.
    register(&client, "newcomer@people.example.org", "newcomer password").await;
    let signed_in = login(&client, "newcomer@people.example.org", "newcomer password").await;
    let newcomer_id = signed_in["data"]["login"]["user"]["id"].as_str().unwrap().to_owned();
    let newcomer = sign_in("newcomer@people.example.org", "newcomer password").await;
    assert_eq!(
        join(newcomer.clone(), "leeds").await["data"]["requestToJoin"]["status"],
        "PENDING"
    );

    // The organiser finds the request and approves it.
    let pending = "{ group(slug: \"leeds\") { members(status: PENDING) { edges { node { user { id email } } } } } }";
    let (_, requests) = graphql_as(&client, Some(&organiser), pending, json!({})).await;
    let edges = requests["data"]["group"]["members"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let request = edges
        .iter()
        .find(|e| e["node"]["user"]["id"] == newcomer_id.as_str())
        .unwrap_or_else(|| panic!("listed: {requests}"));
    assert_eq!(request["node"]["user"]["email"], "newcomer@people.example.org");
    let approved = approve(&organiser, "leeds", &newcomer_id).await;
    assert_eq!(approved["data"]["approveMember"]["status"], "ACTIVE", "{approved}");

    let (_, mine) = graphql_as(
        &client,
        Some(&newcomer),
        "{ myGroups { status group { slug memberCount } } }",
        json!({}),
    )
    .await;
    assert_eq!(mine["data"]["myGroups"][0]["status"], "ACTIVE");
    assert_eq!(mine["data"]["myGroups"][0]["group"]["slug"], "leeds");

    // The member list: the organiser sees it; strangers and anonymous do not.
    let members = "{ group(slug: \"leeds\") { memberCount members(first: 100) { totalCount edges { node { user { displayName email } } } } } }";
    let (_, seen) = graphql_as(&client, Some(&organiser), members, json!({})).await;
    assert!(seen.to_string().contains("newcomer@people.example.org"), "{seen}");
    for (who, token) in [
        ("anonymous", None),
        ("stranger", Some(stranger.as_str())),
        ("newcomer", Some(newcomer.as_str())),
    ] {
        let (_, body) = graphql_as(&client, token, members, json!({})).await;
        assert!(
            matches!(code(&body), Some("FORBIDDEN" | "UNAUTHENTICATED")),
            "{who}: {body}"
        );
        assert!(
            body["data"]["group"]["memberCount"].as_u64().unwrap() > 0,
            "the count is public"
        );
        assert!(!body.to_string().contains('@'), "{who} sees no address: {body}");
    }

    // The organiser's reads of the newcomer's email are in the audit trail.
    let reads = audit_entry::Entity::find()
        .filter(audit_entry::Column::SubjectId.eq(uuid::Uuid::parse_str(&newcomer_id).unwrap()))
        .filter(audit_entry::Column::Action.eq("READ_EMAIL"))
        .all(&db.conn)
        .await
        .unwrap();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(reads.iter().all(|r| r.operation == "group"));
}

/// One answer as a browser sees it.
struct Answer {
    status: poem::http::StatusCode,
    headers: poem::http::HeaderMap,
    body: String,
}

impl Answer {
    /// The value a `Set-Cookie` of this answer gives `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookie(name)
            .and_then(|c| c.split(';').next().map(str::to_owned))
            .and_then(|pair| pair.split_once('=').map(|(_, v)| v.to_owned()))
    }

    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(poem::http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    fn location(&self) -> Option<&str> {
        self.headers
            .get(poem::http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

async fn answer(response: poem::test::TestResponse) -> Answer {
    let response = response.0;
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.into_body().into_string().await.unwrap(),
    }
}

/// A form page's anti-forgery token (its cookie and its field agree), as
/// a browser holding `session` (the cookie it will post with) loads it.
async fn form_token<E: Endpoint>(client: &TestClient<E>, path: &str, session: Option<&str>) -> String {
    let mut request = client.get(path);
    if let Some(session) = session {
        request = request.header(poem::http::header::COOKIE, format!("muster_session={session}"));
    }
    let page = answer(request.send().await).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    page.cookie("muster_csrf").expect("an anti-forgery cookie")
}

/// A form posted as a browser that loaded it posts it.
async fn post<E: Endpoint>(
    client: &TestClient<E>,
    path: &str,
    csrf: &str,
    session: Option<&str>,
    fields: &[(&str, &str)],
) -> Answer {
    let mut cookies = format!("muster_csrf={csrf}");
    if let Some(session) = session {
        cookies.push_str(&format!("; muster_session={session}"));
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().copied().chain([("csrf", csrf)]))
        .finish();
    answer(
        client
            .post(path)
            .header(poem::http::header::COOKIE, cookies)
            .content_type("application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await,
    )
    .await
}

async fn signed_in_as(db: &TestDb, secret: &str) -> Option<uuid::Uuid> {
    let policy = db.config().sessions;
    muster::domain::sessions::resolve(&db.conn, secret, policy, db.now())
        .await
        .unwrap()
        .map(|u| u.id)
}

/// Signing in on the web: a wrong password keeps what was typed and sets
/// no session; the right one makes a new session (a cookie planted before
/// is worth nothing), stored only as a hash, with the cookie's flags; the
/// person goes back to a path on this site and nowhere else; signing in
/// again rotates the id; signing out ends it; a form without its token,
/// or from another site, is refused.
#[tokio::test]
async fn signing_in_on_the_web_makes_a_fresh_server_side_session() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app();
    let email = net.member.email.as_str();

    let csrf = form_token(&client, "/signin?next=/groups", Some("planted")).await;
    let wrong = post(
        &client,
        "/signin",
        &csrf,
        Some("planted"),
        &[("email", email), ("password", "not the password"), ("next", "/groups")],
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("do not match"), "{}", wrong.body);
    assert!(
        wrong.body.contains(&format!("value=\"{email}\"")),
        "what was typed is kept"
    );
    assert!(wrong.cookie("muster_session").is_none());

    let csrf = form_token(&client, "/signin", Some("planted")).await;
    let right = post(
        &client,
        "/signin",
        &csrf,
        Some("planted"),
        &[("email", email), ("password", PASSWORD), ("next", "/groups")],
    )
    .await;
    assert_eq!(right.status, 303, "{}", right.body);
    assert_eq!(right.location(), Some("/groups"));
    let flags = right.set_cookie("muster_session").unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(flags.contains(flag), "{flags}");
    }
    assert!(!flags.contains("Secure"), "not on plain http: {flags}");
    let first = right.cookie("muster_session").unwrap();
    assert_ne!(first, "planted");
    assert!(first.len() >= 40, "a long random id");
    assert_eq!(signed_in_as(&db, &first).await, Some(net.member.id));
    assert_eq!(signed_in_as(&db, "planted").await, None);
    let stored = common::sql_rows(&db.conn, "SELECT id_hash FROM web_sessions").await;
    assert_eq!(stored.len(), 1);
    let hash: String = stored[0].try_get("", "id_hash").unwrap();
    assert_ne!(hash, first, "the database holds only the id's hash");

    // Again from the same browser: a new id, and the old one ends.
    let csrf = form_token(&client, "/signin", Some(&first)).await;
    let again = post(
        &client,
        "/signin",
        &csrf,
        Some(&first),
        &[("email", email), ("password", PASSWORD), ("next", "//evil.example/")],
    )
    .await;
    assert_eq!(again.location(), Some("/"), "no open redirect");
    let second = again.cookie("muster_session").unwrap();
    assert_ne!(second, first);
    assert_eq!(signed_in_as(&db, &first).await, None);
    assert_eq!(signed_in_as(&db, &second).await, Some(net.member.id));

    // Without the token, or sent from another site: refused, still signed in.
    let forged = post(&client, "/signout", "forged", Some(&second), &[]).await;
    assert_eq!(forged.status, 403);
    let csrf = form_token(&client, "/signout", Some(&second)).await;
    let cross_site = answer(
        client
            .post("/signout")
            .header(
                poem::http::header::COOKIE,
                format!("muster_csrf={csrf}; muster_session={second}"),
            )
            .header("Sec-Fetch-Site", "cross-site")
            .content_type("application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}"))
            .send()
            .await,
    )
    .await;
    assert_eq!(cross_site.status, 403);
    assert_eq!(signed_in_as(&db, &second).await, Some(net.member.id));

    let out = post(&client, "/signout", &csrf, Some(&second), &[]).await;
    assert_eq!(out.status, 303);
    assert!(out.set_cookie("muster_session").unwrap().contains("Max-Age=0"));
    assert_eq!(signed_in_as(&db, &second).await, None);
}

/// Every event that ends the API's tokens ends web sessions too: signing
/// out everywhere, a new password, a role change, erasure.
#[tokio::test]
async fn every_revocation_ends_web_sessions() {
    use muster::domain::sessions;
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app();
    let policy = db.config().sessions;
    let session_of = |id: uuid::Uuid| {
        let conn = db.conn.clone();
        let now = db.now();
        async move {
            let user = entity::user::Entity::find_by_id(id).one(&conn).await.unwrap().unwrap();
            sessions::start(&conn, &user, None, policy, now).await.unwrap()
        }
    };
    let admin = net.token(Persona::Admin);
    let cases: [(&str, &network::Person, Option<String>, &str, Value); 4] = [
        (
            "signOutEverywhere",
            &net.member,
            net.token(Persona::Member),
            "mutation { signOutEverywhere }",
            json!({}),
        ),
        (
            "changePassword",
            &net.organiser,
            net.token(Persona::Organiser),
            "mutation($p: String!) { changePassword(currentPassword: $p, newPassword: \"a brand new passphrase\") { token } }",
            json!({ "p": PASSWORD }),
        ),
        (
            "setUserRole",
            &net.supporter,
            admin.clone(),
            "mutation($id: ID!) { setUserRole(userId: $id, role: COORDINATOR) { id } }",
            json!({ "id": net.supporter.id }),
        ),
        (
            "eraseUser",
            &net.pending,
            admin.clone(),
            "mutation($id: ID!) { eraseUser(userId: $id) }",
            json!({ "id": net.pending.id }),
        ),
    ];
    for (what, person, token, query, variables) in cases {
        let secret = session_of(person.id).await;
        assert_eq!(signed_in_as(&db, &secret).await, Some(person.id), "{what}");
        let (_, body) = graphql_as(&client, token.as_deref(), query, variables).await;
        assert!(body.get("errors").is_none(), "{what}: {body}");
        assert_eq!(signed_in_as(&db, &secret).await, None, "{what} left the session alive");
    }
    let left = common::sql_rows(
        &db.conn,
        format!(
            "SELECT COUNT(*) AS n FROM web_sessions WHERE user_id = '{}'",
            net.pending.id
        ),
    )
    .await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(left, 0, "erasure leaves no session row");
}

/// A session ends after 14 idle days, and after 30 however it is used;
/// the purge removes what has ended.
#[tokio::test]
async fn sessions_end_when_idle_and_at_their_limit() {
    use muster::domain::{retention, sessions};
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let policy = db.config().sessions;
    let member = entity::user::Entity::find_by_id(net.member.id)
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let start = db.now();
    let idle = sessions::start(&db.conn, &member, None, policy, start).await.unwrap();
    let busy = sessions::start(&db.conn, &member, None, policy, start).await.unwrap();
    let at = |days: i64| start + Duration::days(days);
    let resolve = |secret: String, when| {
        let conn = db.conn.clone();
        async move { sessions::resolve(&conn, &secret, policy, when).await.unwrap().is_some() }
    };
    assert!(resolve(busy.clone(), at(13)).await);
    assert!(resolve(busy.clone(), at(26)).await, "used within 14 days, still open");
    assert!(
        !resolve(idle.clone(), at(14) + Duration::minutes(1)).await,
        "idle 14 days"
    );
    assert!(
        !resolve(busy.clone(), at(30) + Duration::minutes(1)).await,
        "30 days at most"
    );

    let third = sessions::start(&db.conn, &member, None, policy, start).await.unwrap();
    let policy_of_purge = db.config().retention();
    let report = retention::purge(&db.conn, policy_of_purge, at(31)).await.unwrap();
    assert_eq!(report.sessions_removed, 1, "{report:?}");
    assert!(!resolve(third, at(1)).await);
}

/// The page and the API share one sign-in budget per account.
#[tokio::test]
async fn web_and_api_sign_in_share_one_budget() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app_with(&[("MUSTER_LOGIN_PER_ACCOUNT_PER_HOUR", "2")]);
    for _ in 0..2 {
        let body = login(&client, &net.member.email, "not the password").await;
        assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    let csrf = form_token(&client, "/signin", None).await;
    let refused = post(
        &client,
        "/signin",
        &csrf,
        None,
        &[("email", &net.member.email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.body.contains("Too many attempts"), "{}", refused.body);
}

/// `/register` answers a new and a taken address alike; a bad password is
/// explained beside what was typed; the new account can sign in.
#[tokio::test]
async fn registering_on_the_web() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app();
    let csrf = form_token(&client, "/register", None).await;
    let short = post(
        &client,
        "/register",
        &csrf,
        None,
        &[
            ("displayName", "Jo"),
            ("email", "jo@people.example.org"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(short.status, 400);
    assert!(short.body.contains("The password"), "{}", short.body);
    assert!(short.body.contains("value=\"jo@people.example.org\""));

    let csrf = form_token(&client, "/register", None).await;
    let fresh = post(
        &client,
        "/register",
        &csrf,
        None,
        &[
            ("displayName", "Jo"),
            ("email", "jo@people.example.org"),
            ("password", "a long enough password"),
        ],
    )
    .await;
    let csrf = form_token(&client, "/register", None).await;
    let taken = post(
        &client,
        "/register",
        &csrf,
        None,
        &[
            ("displayName", "Jo"),
            ("email", &net.member.email),
            ("password", "a long enough password"),
        ],
    )
    .await;
    assert_eq!(fresh.status, 200);
    assert_eq!(
        (fresh.status, &fresh.body),
        (taken.status, &taken.body),
        "the same answer"
    );
    let signed_in = login(&client, "jo@people.example.org", "a long enough password").await;
    assert!(signed_in["data"]["login"]["token"].is_string(), "{signed_in}");
}

/// A browser signs in through the page; its session id.
async fn web_session<E: Endpoint>(client: &TestClient<E>, email: &str) -> String {
    let csrf = form_token(client, "/signin", None).await;
    let signed_in = post(
        client,
        "/signin",
        &csrf,
        None,
        &[("email", email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    signed_in.cookie("muster_session").unwrap()
}

async fn get_as<E: Endpoint>(client: &TestClient<E>, path: &str, session: Option<&str>) -> Answer {
    let mut request = client.get(path);
    if let Some(session) = session {
        request = request.header(poem::http::header::COOKIE, format!("muster_session={session}"));
    }
    answer(request.send().await).await
}

/// The event page through a session: a member sees their group's
/// members-only event and takes and gives up a place on it; others get
/// the same "not found" as anonymous; a page showing someone their place
/// is not cached for anyone else; anonymous visitors are asked to sign in.
#[tokio::test]
async fn a_signed_in_member_takes_a_place_on_the_event_page() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app();
    let path = format!("/events/{}", net.alpha_members_event);

    assert_eq!(get_as(&client, &path, None).await.status, 404);
    let stranger = web_session(&client, &net.supporter.email).await;
    assert_eq!(get_as(&client, &path, Some(&stranger)).await.status, 404);

    let member = web_session(&client, &net.member.email).await;
    let page = get_as(&client, &path, Some(&member)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Alpha planning"));
    assert!(page.body.contains("You have not said you are going"), "{}", page.body);
    assert_eq!(page.headers["cache-control"], "private, no-store");
    let csrf = page.cookie("muster_csrf").unwrap();

    let rsvp = format!("{path}/rsvp");
    let going = post(&client, &rsvp, &csrf, Some(&member), &[("action", "going")]).await;
    assert_eq!(going.status, 303, "{}", going.body);
    assert_eq!(going.location(), Some(path.as_str()));
    let page = get_as(&client, &path, Some(&member)).await;
    assert!(page.body.contains("You are going."), "{}", page.body);
    let held = entity::rsvp::Entity::find()
        .filter(entity::rsvp::Column::EventId.eq(net.alpha_members_event))
        .filter(entity::rsvp::Column::UserId.eq(net.member.id))
        .one(&db.conn)
        .await
        .unwrap();
    assert!(held.is_some(), "the place is taken through the domain");

    let csrf = page.cookie("muster_csrf").unwrap();
    let cancelled = post(&client, &rsvp, &csrf, Some(&member), &[("action", "cancel")]).await;
    assert_eq!(cancelled.status, 303);
    let page = get_as(&client, &path, Some(&member)).await;
    assert!(page.body.contains("You have not said you are going"), "{}", page.body);

    // Anonymous: a public event asks them to sign in, and a post sends them there.
    let public = format!("/events/{}", net.alpha_public_event);
    let open = get_as(&client, &public, None).await;
    assert!(open.body.contains(&format!("/signin?next={public}")), "{}", open.body);
    let csrf = form_token(&client, "/signin", None).await;
    let anonymous = post(&client, &format!("{public}/rsvp"), &csrf, None, &[("action", "going")]).await;
    assert_eq!(anonymous.location(), Some(format!("/signin?next={public}").as_str()));
}

/// A form's anti-forgery token holds only for the session it was issued
/// in: replayed with another person's session, or after signing out and
/// in again, it is refused and nothing changes.
#[tokio::test]
async fn a_form_token_replayed_in_another_session_is_refused() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let net = network::build(&db.conn).await;
    let client = db.app();
    let member = web_session(&client, &net.member.email).await;
    let supporter = web_session(&client, &net.supporter.email).await;
    let public = format!("/events/{}", net.alpha_public_event);

    // The supporter's own token for the sign-out form, posted with the
    // member's session (as if planted beside it): refused, still signed in.
    let theirs = form_token(&client, "/signout", Some(&supporter)).await;
    let replayed = post(&client, "/signout", &theirs, Some(&member), &[]).await;
    assert_eq!(replayed.status, 403, "{}", replayed.body);
    assert_eq!(signed_in_as(&db, &member).await, Some(net.member.id));

    // A token from before signing in again is worth nothing after it.
    let before = form_token(&client, &public, Some(&member)).await;
    let member_again = web_session(&client, &net.member.email).await;
    let stale = post(
        &client,
        &format!("{public}/rsvp"),
        &before,
        Some(&member_again),
        &[("action", "cancel")],
    )
    .await;
    assert_eq!(stale.status, 403, "{}", stale.body);

    // Loaded in this session, the same form works.
    let fresh = form_token(&client, &public, Some(&member_again)).await;
    let done = post(
        &client,
        &format!("{public}/rsvp"),
        &fresh,
        Some(&member_again),
        &[("action", "cancel")],
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
}
