//! How long GraphQL operations take through the real app (HTTP handler,
//! schema, DataLoaders, sea-orm), in process, against baselines timed in the
//! same run:
//!
//! - `events(first: 50)` with each event's group, topic and places taken,
//!   against a hand-written handler that sends the same SQL through sqlx and
//!   writes the same JSON with serde (`support::baseline`): what our layers
//!   cost on top of the database work;
//! - `{ __typename }` against the same handler's constant answer: the fixed
//!   cost of a GraphQL request;
//! - the coordinators' request queue (`requests(first: 50)` with topics,
//!   windows and assignments) against `{ __typename }` sent with the same
//!   token (a signed-in request that does nothing);
//! - `suggestTrainers` over 200 trainers who cover the request's topic,
//!   against the domain function that works the suggestions out, called
//!   directly (its SQL and rules without GraphQL).
//!
//! SQLite always; PostgreSQL too when `MUSTER_TEST_POSTGRES_URL` names a
//! server (a database is created for the run and dropped after it).
//!
//! `cargo bench --bench graphql` runs it in full on the demo network scaled
//! to 2,000 events. `cargo test` runs it as a smoke test (small data, two
//! iterations) that fails only when something answers wrongly, never on a
//! time. `MUSTER_BENCH_SHOW_SQL=1` prints the statements of one
//! `events(first: 50)`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use anyhow::{Context, anyhow, ensure};
use chrono::{DateTime, Duration, Utc};
use entity::{RequestState, UserRole, request, request_window, trainer_topic, user};
use muster::{
    AppState,
    auth::{Viewer, jwt::TokenKeys, viewer::load_signed_in},
    config::{Config, JwtSecret},
    domain::{
        requests::matching,
        trainers::{self, ProfileInput},
    },
    fixtures::UserBuilder,
};
use poem::{
    Endpoint, EndpointExt, Request, Response,
    endpoint::BoxEndpoint,
    http::{Method, StatusCode, header},
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use support::{Row, Settings, baseline, compare, databases::BenchDb, print_table};
use uuid::Uuid;

/// What a calendar page or app asks for: a page of events with what each
/// item shows.
pub const EVENTS_QUERY: &str = baseline::EVENTS_QUERY;

const QUEUE_QUERY: &str = "query Queue($first: Int!, $states: [RequestState!]!) {
  requests(first: $first, filter: { states: $states }) {
    totalCount
    edges { node {
      id reference kind state version submittedAt organisationName region expectedAudience
      topic { name }
      group { name }
      preferredWindows { startsAt endsAt }
      assignments { status startsAt endsAt trainer { displayName } }
    } }
  }
}";

const SUGGEST_QUERY: &str = "query Suggest($id: ID!) {
  suggestTrainers(requestId: $id) {
    trainer { user { id displayName } monthlyCap }
    sameRegion
    freeWindows { startsAt endsAt }
    recentLoad
  }
}";

const FLOOR_QUERY: &str = "{ __typename }";

const SECRET: &str = "bench-secret-0123456789abcdef0123456789";

/// Events in the full run's network, and trainers covering the topic of the
/// request `suggestTrainers` is asked about.
const FULL_EVENTS: usize = 2_000;
const FULL_TRAINERS: usize = 200;
const SMOKE_EVENTS: usize = 200;
const SMOKE_TRAINERS: usize = 12;

fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args();
    if !settings.selected("graphql_bench_smoke") {
        return Ok(());
    }
    // As the server runs on the 2-core machine the targets speak of.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(settings))
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    let sqlite = BenchDb::sqlite().await?;
    let outcome = bench_database(&settings, &sqlite, &mut rows).await;
    sqlite.remove().await?;
    outcome?;
    match BenchDb::postgres().await? {
        Some(postgres) => {
            let outcome = bench_database(&settings, &postgres, &mut rows).await;
            postgres.remove().await?;
            outcome?;
        }
        None => println!("PostgreSQL: skipped ({} is not set)", support::databases::POSTGRES_ENV),
    }
    print_table(&rows);
    Ok(())
}

/// The demo network grown to `events` events.
async fn seed(db: &DatabaseConnection, now: DateTime<Utc>, events: usize) -> anyhow::Result<()> {
    muster::seed::seed_demo_scaled(db, now, events).await?;
    Ok(())
}

async fn bench_database(settings: &Settings, db: &BenchDb, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let now = Utc::now();
    let started = std::time::Instant::now();
    seed(&db.conn, now, settings.pick(FULL_EVENTS, SMOKE_EVENTS)).await?;
    let coordinator = coordinator(&db.conn).await?;
    let keys = TokenKeys::new(&secret(), Duration::hours(2));
    let token = keys.issue(coordinator.id, coordinator.token_version, now)?.token;
    let (request_id, trainers) = request_with_trainers(
        &db.conn,
        &coordinator,
        settings.pick(FULL_TRAINERS, SMOKE_TRAINERS),
        now,
    )
    .await?;
    println!(
        "{}: seeded in {:.1} s; {} events, {trainers} trainers cover the topic of request {request_id}",
        db.name,
        started.elapsed().as_secs_f64(),
        entity::event::Entity::find().count(&db.conn).await?
    );

    let app = app(db, db.conn.clone())?;
    let base = baseline::endpoint(baseline::Pool::of(&db.conn)?)
        .map_to_response()
        .boxed();
    let events = body(EVENTS_QUERY, json!({ "first": 50 }));
    let floor = body(FLOOR_QUERY, json!({}));
    let queue = body(
        QUEUE_QUERY,
        json!({ "first": 50, "states": ["SUBMITTED", "ASSIGNED", "CONFIRMED", "DELIVERED", "DECLINED", "WITHDRAWN", "CANCELLED"] }),
    );
    let suggest = body(SUGGEST_QUERY, json!({ "id": request_id }));

    let counting = CountingApp::new(db)?;
    let mut counts = Vec::new();
    for n in [1, 10, 50, 100] {
        let statements = counting
            .statements(None, &body(EVENTS_QUERY, json!({ "first": n })))
            .await?;
        counts.push((n, statements));
    }
    println!(
        "{}: SQL statements per request: events(first: N), anonymous: {}; requests(first: 50): {}; \
         suggestTrainers: {} (each signed-in request: 3 of them check the token)",
        db.name,
        counts
            .iter()
            .map(|(n, c)| format!("N={n}: {c}"))
            .collect::<Vec<_>>()
            .join(", "),
        counting.statements(Some(&token), &queue).await?,
        counting.statements(Some(&token), &suggest).await?,
    );
    ensure!(
        counts.iter().all(|(_, c)| *c == counts[0].1),
        "the statements grow with the page size: {counts:?}"
    );
    // The baseline must answer exactly what the schema answers.
    let ours = answer(&app, None, &events).await?;
    let theirs = answer(&base, None, &events).await?;
    ensure!(
        ours == theirs,
        "the baseline's answer differs from the schema's:\n{ours}\n{theirs}"
    );
    let items = ours["data"]["events"]["edges"].as_array().map_or(0, Vec::len);
    let total = ours["data"]["events"]["totalCount"].as_u64().unwrap_or(0) as usize;
    ensure!(
        items == total.min(50),
        "events(first: 50) gave {items} of {total} events"
    );
    let queue_answer = answer(&app, Some(&token), &queue).await?;
    let queue_items = queue_answer["data"]["requests"]["edges"].as_array().map_or(0, Vec::len);
    ensure!(queue_items > 0, "the request queue is empty: {queue_answer}");
    let suggestions = answer(&app, Some(&token), &suggest).await?;
    let suggested = suggestions["data"]["suggestTrainers"].as_array().map_or(0, Vec::len);
    ensure!(suggested > 0, "no trainer suggested: {suggestions}");
    answer(&app, Some(&token), &floor).await?;

    let measured = compare(
        settings,
        || async { call(&app, None, &floor).await },
        || async { call_get(&base, "/trivial").await },
    )
    .await;
    rows.push(Row::new(db.name, "{ __typename }", "hand-written: constant", measured));
    let measured = compare(
        settings,
        || async { call(&app, None, &events).await },
        || async { call(&base, None, &events).await },
    )
    .await;
    rows.push(Row::new(
        db.name,
        "events(first: 50) + group, topic, goingCount",
        "hand-written: sqlx + serde",
        measured,
    ));
    let measured = compare(
        settings,
        || async { call(&app, Some(&token), &queue).await },
        || async { call(&app, Some(&token), &floor).await },
    )
    .await;
    rows.push(Row::new(
        db.name,
        format!("requests(first: 50): {queue_items} with relations"),
        "{ __typename } signed in",
        measured,
    ));
    let viewer = Viewer::User(load_signed_in(&db.conn, coordinator.clone()).await?);
    let measured = compare(
        settings,
        || async { call(&app, Some(&token), &suggest).await },
        || async {
            let suggestions = matching::suggest(&db.conn, &viewer, request_id, Utc::now()).await;
            std::hint::black_box(suggestions.map(|s| s.len()).unwrap_or_default());
        },
    )
    .await;
    rows.push(Row::new(
        db.name,
        format!("suggestTrainers: {trainers} cover, {suggested} free"),
        "domain suggest(), no GraphQL",
        measured,
    ));
    Ok(())
}

fn secret() -> JwtSecret {
    JwtSecret::from_bytes(SECRET.as_bytes().to_vec())
}

/// The whole app, as the server serves it, over `conn`.
fn app(db: &BenchDb, conn: DatabaseConnection) -> anyhow::Result<BoxEndpoint<'static, Response>> {
    let url = db.url.clone();
    let config = Config::from_lookup(move |name| (name == "MUSTER_DATABASE_URL").then(|| url.clone()))?;
    Ok(muster::app(AppState::new(conn, &config, &secret()))
        .map_to_response()
        .boxed())
}

fn body(query: &str, variables: Value) -> Vec<u8> {
    json!({ "query": query, "variables": variables })
        .to_string()
        .into_bytes()
}

async fn send(endpoint: &BoxEndpoint<'static, Response>, token: Option<&str>, body: &[u8]) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri_str("/graphql")
        .content_type("application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = endpoint.get_response(request.body(body.to_vec())).await;
    let status = response.status();
    let bytes = response.into_body().into_vec().await.unwrap_or_default();
    (status, bytes)
}

/// One timed operation: the answer is read in full and dropped.
async fn call(endpoint: &BoxEndpoint<'static, Response>, token: Option<&str>, body: &[u8]) {
    let (status, bytes) = send(endpoint, token, body).await;
    debug_assert_eq!(status, StatusCode::OK);
    std::hint::black_box(bytes);
}

async fn call_get(endpoint: &BoxEndpoint<'static, Response>, path: &str) {
    let response = endpoint.get_response(Request::builder().uri_str(path).finish()).await;
    debug_assert_eq!(response.status(), StatusCode::OK);
    std::hint::black_box(response.into_body().into_vec().await.unwrap_or_default());
}

/// An answer that must be a success without errors.
async fn answer(endpoint: &BoxEndpoint<'static, Response>, token: Option<&str>, body: &[u8]) -> anyhow::Result<Value> {
    let (status, bytes) = send(endpoint, token, body).await;
    let value: Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{status}: {}", String::from_utf8_lossy(&bytes)))?;
    ensure!(
        status == StatusCode::OK && value.get("errors").is_none(),
        "{status}: {value}"
    );
    Ok(value)
}

/// An app over a connection that counts the SQL statements it sends (and
/// prints them with `MUSTER_BENCH_SHOW_SQL=1`).
struct CountingApp {
    app: BoxEndpoint<'static, Response>,
    counter: Arc<AtomicUsize>,
}

impl CountingApp {
    fn new(db: &BenchDb) -> anyhow::Result<Self> {
        let counter = Arc::new(AtomicUsize::new(0));
        let show = std::env::var_os("MUSTER_BENCH_SHOW_SQL").is_some();
        let mut conn = db.conn.clone();
        let counting = counter.clone();
        conn.set_metric_callback(move |info| {
            counting.fetch_add(1, Ordering::SeqCst);
            if show {
                println!("SQL: {}", info.statement);
            }
        });
        Ok(Self {
            app: app(db, conn)?,
            counter,
        })
    }

    /// The statements one operation sends.
    async fn statements(&self, token: Option<&str>, body: &[u8]) -> anyhow::Result<usize> {
        self.counter.store(0, Ordering::SeqCst);
        answer(&self.app, token, body).await?;
        Ok(self.counter.load(Ordering::SeqCst))
    }
}

async fn coordinator(db: &DatabaseConnection) -> anyhow::Result<user::Model> {
    user::Entity::find()
        .filter(user::Column::Role.eq(UserRole::Coordinator))
        .filter(user::Column::ErasedAt.is_null())
        .order_by_asc(user::Column::CreatedAt)
        .one(db)
        .await?
        .ok_or_else(|| anyhow!("the demo network has no coordinator"))
}

/// A submitted request with a preferred window still to come, and `wanted`
/// trainers covering its topic: trainers are added (through the domain, as
/// a coordinator would) when the network has fewer. Returns the request and
/// how many trainers cover its topic.
async fn request_with_trainers(
    db: &DatabaseConnection,
    coordinator: &user::Model,
    wanted: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<(Uuid, usize)> {
    let submitted: Vec<Uuid> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::State.eq(RequestState::Submitted))
        .into_tuple()
        .all(db)
        .await?;
    let window = request_window::Entity::find()
        .filter(request_window::Column::RequestId.is_in(submitted))
        .filter(request_window::Column::StartsAt.gt(now + Duration::days(1)))
        .order_by_asc(request_window::Column::StartsAt)
        .one(db)
        .await?
        .ok_or_else(|| anyhow!("no submitted request with a window to come"))?;
    let request = request::Entity::find_by_id(window.request_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow!("request {} vanished", window.request_id))?;
    let covering = trainer_topic::Entity::find()
        .filter(trainer_topic::Column::TopicId.eq(request.topic_id))
        .count(db)
        .await? as usize;
    if covering >= wanted {
        return Ok((request.id, covering));
    }

    let regions: Vec<String> = entity::group::Entity::find()
        .select_only()
        .column(entity::group::Column::Region)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let viewer = Viewer::User(load_signed_in(db, coordinator.clone()).await?);
    let people: Vec<user::Model> = (covering..wanted)
        .map(|i| {
            let person = UserBuilder::new(now)
                .name(format!("Bench Trainer {i:03}"))
                .email(format!("bench-trainer-{i}@example.org"));
            person.build()
        })
        .collect();
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    for chunk in people.chunks(100) {
        user::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(db)
            .await?;
    }
    for (i, id) in ids.into_iter().enumerate() {
        // A third in the request's region, the rest spread over the others.
        let region = match (&request.region, i % 3) {
            (Some(region), 0) => region.clone(),
            _ => regions.get(i % regions.len().max(1)).cloned().unwrap_or_default(),
        };
        let input = ProfileInput {
            topic_ids: vec![request.topic_id],
            regions: vec![region].into_iter().filter(|r| !r.is_empty()).collect(),
            monthly_cap: 4,
        };
        muster::domain::in_work(db, async |work| {
            trainers::set_profile(work, &viewer, Some(id), input, "benchSetup", now).await
        })
        .await?;
    }
    Ok((request.id, wanted))
}
