//! Letters under load, through the whole app in process:
//!
//! - signatures per second sustained through `signLetter` (each one a new
//!   address: sealed, hashed, checked against the block list and the
//!   per-address limits, written with its confirmation message, in one
//!   unit of work), one after another;
//! - the letter's public page (`GET /letters/{slug}`) with 10,000
//!   confirmed signatures and 500 listed organisations, in requests per
//!   second, one after another.
//!
//! SQLite always; PostgreSQL too when `MUSTER_TEST_POSTGRES_URL` names a
//! server. `cargo bench --bench letters` runs it in full; `cargo test`
//! runs it as a smoke test (small data, a couple of iterations) that fails
//! only when something answers wrongly, never on a time.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, ensure};
use chrono::{Duration, Utc};
use entity::{letter, signature};
use muster::{
    AppState,
    config::{Config, JwtSecret},
    domain::sealing::{self, Field},
};
use poem::{
    Endpoint, EndpointExt, Request, Response,
    endpoint::BoxEndpoint,
    http::{Method, StatusCode},
};
use sea_orm::{EntityTrait, Set};
use serde_json::{Value, json};
use support::{Settings, databases::BenchDb};
use uuid::Uuid;

const SECRET: &str = "bench-secret-0123456789abcdef0123456789";
const FULL_SIGNATURES: usize = 10_000;
const FULL_ORGANISATIONS: usize = 500;
const SMOKE_SIGNATURES: usize = 40;
const SMOKE_ORGANISATIONS: usize = 5;

fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args();
    if !settings.selected("letters_bench_smoke") {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(settings))
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let mut lines = Vec::new();
    let sqlite = BenchDb::sqlite().await?;
    let outcome = bench_database(&settings, &sqlite, &mut lines).await;
    sqlite.remove().await?;
    outcome?;
    match BenchDb::postgres().await? {
        Some(postgres) => {
            let outcome = bench_database(&settings, &postgres, &mut lines).await;
            postgres.remove().await?;
            outcome?;
        }
        None => println!("PostgreSQL: skipped ({} is not set)", support::databases::POSTGRES_ENV),
    }
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// The app, with the signing limits out of the way (they are per client
/// address, and every in-process request comes from the same one).
fn app(db: &BenchDb) -> anyhow::Result<BoxEndpoint<'static, Response>> {
    let url = db.url.clone();
    let config = Config::from_lookup(move |name| match name {
        "MUSTER_DATABASE_URL" => Some(url.clone()),
        "MUSTER_SIGNATURES_PER_MINUTE" | "MUSTER_SIGNATURES_PER_HOUR" => Some("100000".to_owned()),
        _ => None,
    })?;
    let secret = JwtSecret::from_bytes(SECRET.as_bytes().to_vec());
    Ok(muster::app(AppState::new(db.conn.clone(), &config, &secret))
        .map_to_response()
        .boxed())
}

async fn open_letter(db: &BenchDb, slug: &str) -> anyhow::Result<Uuid> {
    let now = Utc::now();
    let id = Uuid::new_v4();
    letter::Entity::insert(letter::ActiveModel {
        id: Set(id),
        slug: Set(slug.to_owned()),
        kind: Set("LETTER".into()),
        title: Set("Stop charging, stop sharing".into()),
        body: Set("Stop charging migrants for NHS care.\n\nStop sharing patient data.".into()),
        addressee: Set("The Secretary of State for Health and Social Care".into()),
        takes: Set("BOTH".into()),
        status: Set("OPEN".into()),
        opens_at: Set(None),
        closes_at: Set(None),
        ended_at: Set(None),
        signatures_purged_at: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&db.conn)
    .await?;
    Ok(id)
}

/// `signatures` confirmed signatures of individuals (one in ten listed by
/// name) and `organisations` approved organisations, written directly.
async fn fill(db: &BenchDb, letter_id: Uuid, signatures: usize, organisations: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut rows = Vec::with_capacity(500);
    for n in 0..signatures + organisations {
        let id = Uuid::new_v4();
        let organisation = n >= signatures;
        let at = now - Duration::seconds((signatures + organisations - n) as i64);
        let email = format!("signer{n}@example.org");
        rows.push(signature::ActiveModel {
            id: Set(id),
            letter_id: Set(letter_id),
            kind: Set(if organisation { "ORGANISATION" } else { "INDIVIDUAL" }.into()),
            organisation: Set(organisation.then(|| format!("Organisation number {n}"))),
            organisation_kind: Set(organisation.then(|| "CHARITY".to_owned())),
            town: Set(organisation.then(|| "Leeds".to_owned())),
            region: Set(organisation.then(|| "Yorkshire and the Humber".to_owned())),
            postcode_area: Set(None),
            name: Set((!organisation)
                .then(|| sealing::seal(Field::SignatureName, id, &format!("Signer {n}")))
                .transpose()?),
            contact_name: Set(None),
            show_name: Set(!organisation && n % 10 == 0),
            email: Set(Some(sealing::seal(Field::SignatureEmail, id, &email)?)),
            email_hash: Set(Some(sealing::lookup(&email)?)),
            email_domain: Set(Some("example.org".into())),
            source_hash: Set(None),
            confirm_token_hash: Set(None),
            status: Set("CONFIRMED".into()),
            approved_at: Set(organisation.then_some(at)),
            signed_at: Set(at),
            confirmed_at: Set(Some(at)),
            invalidated_at: Set(None),
            created_at: Set(at),
            purged_at: Set(None),
        });
        if rows.len() == 500 {
            signature::Entity::insert_many(std::mem::take(&mut rows))
                .exec_without_returning(&db.conn)
                .await?;
        }
    }
    if !rows.is_empty() {
        signature::Entity::insert_many(rows)
            .exec_without_returning(&db.conn)
            .await?;
    }
    Ok(())
}

async fn send(app: &BoxEndpoint<'static, Response>, request: Request) -> (StatusCode, Vec<u8>) {
    let response = app.get_response(request).await;
    let status = response.status();
    (status, response.into_body().into_vec().await.unwrap_or_default())
}

fn sign_request(slug: &str, n: usize) -> Request {
    let body = json!({
        "query": "mutation($input: SignLetterInput!) { signLetter(input: $input) { updated } }",
        "variables": { "input": {
            "letterSlug": slug, "kind": "INDIVIDUAL", "name": format!("Bench Signer {n}"),
            "email": format!("bench{n}@example.net"), "postcodeArea": "LS6",
        } },
    });
    Request::builder()
        .method(Method::POST)
        .uri_str("/graphql")
        .content_type("application/json")
        .body(body.to_string())
}

async fn bench_database(settings: &Settings, db: &BenchDb, lines: &mut Vec<String>) -> anyhow::Result<()> {
    let app = app(db)?;

    // Signing, sustained.
    open_letter(db, "signing").await?;
    let signings = settings.pick(2_000, 5);
    let started = Instant::now();
    for n in 0..signings {
        let (status, bytes) = send(&app, sign_request("signing", n)).await;
        let value: Value = serde_json::from_slice(&bytes).context("signLetter's answer")?;
        ensure!(
            status == StatusCode::OK && value.get("errors").is_none(),
            "signLetter: {status} {value}"
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    lines.push(format!(
        "{}: signLetter, one after another: {signings} signatures in {elapsed:.2} s = {:.0} signatures/s",
        db.name,
        signings as f64 / elapsed
    ));

    // The page of a letter with many signatures.
    let letter_id = open_letter(db, "popular").await?;
    let (signatures, organisations) = (
        settings.pick(FULL_SIGNATURES, SMOKE_SIGNATURES),
        settings.pick(FULL_ORGANISATIONS, SMOKE_ORGANISATIONS),
    );
    fill(db, letter_id, signatures, organisations).await?;
    let page = || {
        Request::builder()
            .method(Method::GET)
            .uri_str("/letters/popular")
            .finish()
    };
    let (status, bytes) = send(&app, page()).await;
    let body = String::from_utf8_lossy(&bytes);
    ensure!(status == StatusCode::OK, "the letter's page: {status}");
    let count = signatures + organisations;
    ensure!(
        body.contains(&format!("<strong>{count}</strong>")),
        "the page counts {count} signatures"
    );
    ensure!(
        body.contains(&format!("Organisation number {}", signatures + organisations - 1)),
        "the page lists every organisation"
    );
    let min_time = if settings.full {
        StdDuration::from_secs(5)
    } else {
        StdDuration::ZERO
    };
    let min_runs = settings.pick(50, 2);
    let started = Instant::now();
    let mut runs = 0;
    while runs < min_runs || started.elapsed() < min_time {
        let (status, bytes) = send(&app, page()).await;
        debug_assert_eq!(status, StatusCode::OK);
        std::hint::black_box(bytes);
        runs += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    lines.push(format!(
        "{}: GET /letters/{{slug}} with {signatures} confirmed signatures and {organisations} listed organisations: \
         {runs} pages in {elapsed:.2} s = {:.1} req/s ({} bytes)",
        db.name,
        runs as f64 / elapsed,
        bytes.len()
    ));
    Ok(())
}
