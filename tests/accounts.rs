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
