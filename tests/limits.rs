//! Rate limits and the HTTP surface's defences, over HTTP: sign-in and
//! registration budgets, private feed fetches, CORS closed unless
//! configured, security headers on the playground, and plain 404/405.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    LOGIN, TestDb, error_code, graphql_as, login,
    network::{self, PASSWORD, Persona},
};
use poem::{Endpoint, test::TestClient};
use serde_json::json;

on_both_databases!(
    sign_in_and_registration_are_rate_limited,
    private_feed_fetches_are_limited_per_token
);

async fn sign_in_and_registration_are_rate_limited(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    // Ten attempts an hour on one account, right or wrong...
    for k in 0..10 {
        let password = if k == 9 { PASSWORD } else { "wrong password, again" };
        let body = login(&client, &net.member.email, password).await;
        let code = error_code(&body);
        assert!(code.is_none() || code == Some("UNAUTHENTICATED"), "attempt {k}: {body}");
    }
    // ...then a wait, told in the body and in Retry-After, even with the
    // right password and however the address is written.
    let response = client
        .post("/graphql")
        .body_json(
            &json!({ "query": LOGIN, "variables": { "email": net.member.email.to_uppercase(), "password": PASSWORD } }),
        )
        .send()
        .await;
    let retry_after = response
        .0
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: serde_json::Value = response.json().await.value().deserialize();
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    let wait: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!(wait > 0 && wait <= 3600, "{wait}");
    // Another account from the same address still gets in (30 an hour).
    let other = login(&client, &net.organiser.email, PASSWORD).await;
    assert!(other["data"]["login"]["token"].is_string(), "{other}");

    // Ten registrations an hour from one address.
    let register = "mutation($email: String!) { register(input: { email: $email, displayName: \"New Person\", password: \"a long enough password\" }) { message } }";
    for k in 0..10 {
        let (_, body) = graphql_as(
            &client,
            None,
            register,
            json!({ "email": format!("new{k}@example.org") }),
        )
        .await;
        assert!(body.get("errors").is_none(), "registration {k}: {body}");
    }
    let (_, limited) = graphql_as(&client, None, register, json!({ "email": "new10@example.org" })).await;
    assert_eq!(error_code(&limited), Some("RATE_LIMITED"), "{limited}");
}

async fn private_feed_fetches_are_limited_per_token(db: TestDb) {
    let net = network::build(&db.conn).await;
    let client = db.app();
    let (_, created) = graphql_as(
        &client,
        net.token(Persona::Member).as_deref(),
        "mutation { createFeedToken(label: \"phone\") { secret } }",
        json!({}),
    )
    .await;
    let secret = created["data"]["createFeedToken"]["secret"].as_str().unwrap();
    let path = format!("/feeds/{secret}/calendar.ics");
    for k in 0..120 {
        let response = client.get(&path).send().await;
        assert_eq!(response.0.status().as_u16(), 200, "fetch {k}");
    }
    let response = client.get(&path).send().await;
    assert_eq!(response.0.status().as_u16(), 429);
    assert!(response.0.headers().get("retry-after").is_some());
    // The public feed is not limited per token.
    client.get("/calendar.ics").send().await.assert_status_is_ok();
}

#[tokio::test]
async fn the_http_surface_answers_plainly_and_closes_cross_site_reads() {
    let Some(db) = TestDb::new(common::Backend::Sqlite).await else {
        return;
    };
    let client = db.app();

    // The playground: strict headers, and no server banner anywhere.
    let page = client.get("/graphql").send().await;
    page.assert_status_is_ok();
    let headers = page.0.headers();
    let csp = headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer");
    assert!(headers.get("server").is_none());

    // Unknown paths and methods: short plain answers, no trace of the stack.
    let missing = client.get("/admin/../../etc/passwd").send().await;
    assert_eq!(missing.0.status().as_u16(), 404);
    let wrong_method = client.put("/graphql").send().await;
    assert_eq!(wrong_method.0.status().as_u16(), 405);
    for response in [missing, wrong_method] {
        let body = response.0.into_body().into_string().await.unwrap();
        assert!(body.len() < 200 && !body.contains("src/"), "{body}");
    }

    // CORS: no header for another site's page unless configured.
    assert_eq!(allowed_origin(&client, "https://evil.example").await, None);

    let open = db.app_with(&[("MUSTER_CORS_ORIGINS", "https://app.example.org")]);
    assert_eq!(
        allowed_origin(&open, "https://app.example.org").await.as_deref(),
        Some("https://app.example.org")
    );
    assert_eq!(allowed_origin(&open, "https://evil.example").await, None);
}

/// The `Access-Control-Allow-Origin` of the answer to a read sent from a
/// page on `origin`.
async fn allowed_origin<E: Endpoint>(client: &TestClient<E>, origin: &str) -> Option<String> {
    let response = client
        .post("/graphql")
        .header("origin", origin)
        .body_json(&json!({ "query": "{ topics { slug } }" }))
        .send()
        .await;
    let allowed = response.0.headers().get("access-control-allow-origin");
    allowed.map(|v| v.to_str().unwrap().to_owned())
}
