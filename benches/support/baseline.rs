//! The hand-written baseline: `events(first: N)` answered with the SQL that
//! muster sends for [`EVENTS_QUERY`] (the same statements, in the same
//! order, captured from sea-orm), run through sqlx directly and written
//! with serde_json, with no GraphQL and no ORM. Its answer is byte for byte
//! what the schema answers, which the bench checks; the difference in time
//! is what our layers cost.
//!
//! Shared by the in-process bench (`benches/graphql.rs`) and the baseline
//! server the HTTP load script runs (`examples/bench_baseline.rs`).

use std::{collections::HashMap, fmt::Write};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use poem::{
    Body, Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler,
    http::StatusCode,
    post,
    web::{Data, Json},
};
use sea_orm::{
    DatabaseConnection, DbBackend,
    sqlx::{self, PgPool, Row, SqlitePool},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The operation the baseline answers, as a client sends it.
pub const EVENTS_QUERY: &str = "query Events($first: Int!) {
  events(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id title startsAt endsAt venue kind
      group { name slug }
      topic { name }
      goingCount
    } }
  }
}";

/// The database behind a sea-orm connection, as sqlx sees it.
#[derive(Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    pub fn of(db: &DatabaseConnection) -> anyhow::Result<Self> {
        match db.get_database_backend() {
            DbBackend::Sqlite => Ok(Self::Sqlite(db.get_sqlite_connection_pool().clone())),
            DbBackend::Postgres => Ok(Self::Postgres(db.get_postgres_connection_pool().clone())),
            other => anyhow::bail!("no baseline for {other:?}"),
        }
    }
}

/// `POST /graphql` answers `events(first: $first)` whatever the query text
/// says (it parses no GraphQL); `GET /trivial` answers a constant: what the
/// HTTP stack allows.
pub fn endpoint(pool: Pool) -> impl Endpoint {
    Route::new()
        .at("/graphql", post(answer_events))
        .at("/trivial", get(trivial))
        .data(pool)
}

#[handler]
fn trivial() -> &'static str {
    "ok"
}

#[derive(Deserialize)]
struct GraphqlBody {
    #[serde(default)]
    variables: Variables,
}

#[derive(Deserialize, Default)]
struct Variables {
    first: Option<u64>,
}

#[handler]
async fn answer_events(Data(pool): Data<&Pool>, Json(body): Json<GraphqlBody>) -> Response {
    let first = body.variables.first.unwrap_or(20).clamp(1, 100);
    match events_json(pool, first, Utc::now()).await {
        Ok(json) => Response::builder()
            .content_type("application/json")
            .body(Body::from(json)),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}

/// The answer to [`EVENTS_QUERY`] for an anonymous viewer, as JSON.
pub async fn events_json(pool: &Pool, first: u64, now: DateTime<Utc>) -> Result<Vec<u8>, sqlx::Error> {
    let page = match pool {
        Pool::Sqlite(pool) => page_sqlite(pool, first, now).await?,
        Pool::Postgres(pool) => page_postgres(pool, first, now).await?,
    };
    Ok(page.to_json())
}

struct EventRow {
    id: Uuid,
    title: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    venue: Option<String>,
    kind: String,
    group_id: Option<Uuid>,
    topic_id: Option<Uuid>,
}

struct Page {
    total: i64,
    events: Vec<EventRow>,
    has_next_page: bool,
    groups: HashMap<Uuid, (String, String)>,
    topics: HashMap<Uuid, String>,
    going: HashMap<Uuid, i64>,
}

/// SQL text with the backend's placeholders (`?` or `$n`).
struct Sql {
    numbered: bool,
    params: usize,
    text: String,
}

impl Sql {
    fn new(numbered: bool) -> Self {
        Self {
            numbered,
            params: 0,
            text: String::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn param(&mut self) -> &mut Self {
        self.params += 1;
        if self.numbered {
            let _ = write!(self.text, "${}", self.params);
        } else {
            self.text.push('?');
        }
        self
    }

    /// `(p, p, …)` for `n` values.
    fn list(&mut self, n: usize) -> &mut Self {
        self.text.push('(');
        for i in 0..n {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.param();
        }
        self.text.push(')');
        self
    }

    fn take(&mut self) -> sqlx::AssertSqlSafe<String> {
        sqlx::AssertSqlSafe(std::mem::take(&mut self.text))
    }
}

const EVENT_COLUMNS: &str = r#""events"."id", "events"."title", "events"."description", "events"."starts_at", "events"."ends_at", "events"."timezone", "events"."venue", "events"."address", "events"."online_url", "events"."kind", "events"."group_id", "events"."topic_id", "events"."visibility", "events"."status", "events"."sequence", "events"."capacity", "events"."request_id", "events"."created_by", "events"."cancelled_at", "events"."created_at", "events"."updated_at""#;
const GROUP_COLUMNS: &str = r#""groups"."id", "groups"."slug", "groups"."name", "groups"."region", "groups"."description", "groups"."contact_email", "groups"."archived_at", "groups"."created_at", "groups"."updated_at""#;
const TOPIC_COLUMNS: &str = r#""topics"."id", "topics"."slug", "topics"."name", "topics"."description", "topics"."typical_duration_minutes", "topics"."archived_at", "topics"."created_at", "topics"."updated_at""#;

/// The visibility rule for an anonymous viewer and the default filter
/// (still running, so begun at most an event's longest before now; not
/// cancelled), as sea-orm writes it: the empty group and topic filters are
/// its two `TRUE`s.
fn event_filter(sql: &mut Sql) {
    sql.push(r#" WHERE ("events"."visibility" = "#)
        .param()
        .push(r#" OR ("events"."visibility" = "#)
        .param()
        .push(r#" AND 1 = 2)) AND "events"."ends_at" >= "#)
        .param()
        .push(r#" AND TRUE AND "events"."starts_at" >= "#)
        .param()
        .push(r#" AND TRUE AND "events"."status" = "#)
        .param();
}

/// The earliest start the list reads from: `domain::events` bounds it by
/// the longest an event may last, and a day more.
fn earliest_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::days(muster::domain::events::MAX_DURATION_DAYS + 1)
}

/// The same function for each driver: the statements are the same, only
/// the pool's type differs.
macro_rules! page_on {
    ($name:ident, $pool:ty, $numbered:expr) => {
        async fn $name(pool: &$pool, first: u64, now: DateTime<Utc>) -> Result<Page, sqlx::Error> {
            let mut sql = Sql::new($numbered);

            sql.push(r#"SELECT COUNT(*) AS num_items FROM (SELECT "#)
                .push(EVENT_COLUMNS)
                .push(r#" FROM "events""#);
            event_filter(&mut sql);
            sql.push(r#") AS "sub_query""#);
            let total: i64 = sqlx::query_scalar(sql.take())
                .bind("PUBLIC")
                .bind("MEMBERS")
                .bind(now)
                .bind(earliest_start(now))
                .bind("SCHEDULED")
                .fetch_one(pool)
                .await?;

            let mut sql = Sql::new($numbered);
            sql.push("SELECT ").push(EVENT_COLUMNS).push(r#" FROM "events""#);
            event_filter(&mut sql);
            sql.push(r#" ORDER BY "events"."starts_at" ASC, "events"."id" ASC LIMIT "#)
                .param();
            let rows = sqlx::query(sql.take())
                .bind("PUBLIC")
                .bind("MEMBERS")
                .bind(now)
                .bind(earliest_start(now))
                .bind("SCHEDULED")
                .bind((first + 1) as i64)
                .fetch_all(pool)
                .await?;
            let mut events = rows
                .iter()
                .map(|row| {
                    Ok(EventRow {
                        id: row.try_get("id")?,
                        title: row.try_get("title")?,
                        starts_at: row.try_get("starts_at")?,
                        ends_at: row.try_get("ends_at")?,
                        venue: row.try_get("venue")?,
                        kind: row.try_get("kind")?,
                        group_id: row.try_get("group_id")?,
                        topic_id: row.try_get("topic_id")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            let has_next_page = events.len() as u64 > first;
            events.truncate(first as usize);

            let group_ids = unique(events.iter().filter_map(|e| e.group_id));
            let mut groups = HashMap::new();
            if !group_ids.is_empty() {
                let mut sql = Sql::new($numbered);
                sql.push("SELECT ")
                    .push(GROUP_COLUMNS)
                    .push(r#" FROM "groups" WHERE "groups"."id" IN "#)
                    .list(group_ids.len());
                let mut query = sqlx::query(sql.take());
                for id in &group_ids {
                    query = query.bind(*id);
                }
                for row in query.fetch_all(pool).await? {
                    groups.insert(row.try_get("id")?, (row.try_get("name")?, row.try_get("slug")?));
                }
            }

            let topic_ids = unique(events.iter().filter_map(|e| e.topic_id));
            let mut topics = HashMap::new();
            if !topic_ids.is_empty() {
                let mut sql = Sql::new($numbered);
                sql.push("SELECT ")
                    .push(TOPIC_COLUMNS)
                    .push(r#" FROM "topics" WHERE "topics"."id" IN "#)
                    .list(topic_ids.len());
                let mut query = sqlx::query(sql.take());
                for id in &topic_ids {
                    query = query.bind(*id);
                }
                for row in query.fetch_all(pool).await? {
                    topics.insert(row.try_get("id")?, row.try_get("name")?);
                }
            }

            let mut going = HashMap::new();
            if !events.is_empty() {
                let mut sql = Sql::new($numbered);
                sql.push(r#"SELECT "rsvps"."event_id", COUNT("rsvps"."id") AS "count" FROM "rsvps" WHERE "rsvps"."event_id" IN "#)
                    .list(events.len())
                    .push(r#" AND "rsvps"."status" = "#)
                    .param()
                    .push(r#" GROUP BY "rsvps"."event_id""#);
                let mut query = sqlx::query(sql.take());
                for event in &events {
                    query = query.bind(event.id);
                }
                for row in query.bind("GOING").fetch_all(pool).await? {
                    going.insert(row.try_get("event_id")?, row.try_get("count")?);
                }
            }

            Ok(Page {
                total,
                events,
                has_next_page,
                groups,
                topics,
                going,
            })
        }
    };
}

page_on!(page_sqlite, SqlitePool, false);
page_on!(page_postgres, PgPool, true);

fn unique(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[derive(Serialize)]
struct Answer<'a> {
    data: AnswerData<'a>,
}

#[derive(Serialize)]
struct AnswerData<'a> {
    events: Events<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Events<'a> {
    total_count: i64,
    page_info: PageInfo,
    edges: Vec<Edge<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Serialize)]
struct Edge<'a> {
    node: Node<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Node<'a> {
    id: String,
    title: &'a str,
    starts_at: String,
    ends_at: String,
    venue: Option<&'a str>,
    kind: &'a str,
    group: Option<GroupNode<'a>>,
    topic: Option<TopicNode<'a>>,
    going_count: i64,
}

#[derive(Serialize)]
struct GroupNode<'a> {
    name: &'a str,
    slug: &'a str,
}

#[derive(Serialize)]
struct TopicNode<'a> {
    name: &'a str,
}

impl Page {
    fn to_json(&self) -> Vec<u8> {
        let end_cursor = self.events.last().map(|e| {
            // The connection's cursor: base64url of the JSON position.
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&(e.starts_at, e.id)).unwrap_or_default())
        });
        let edges = self
            .events
            .iter()
            .map(|e| Edge {
                node: Node {
                    id: e.id.to_string(),
                    title: &e.title,
                    starts_at: e.starts_at.to_rfc3339(),
                    ends_at: e.ends_at.to_rfc3339(),
                    venue: e.venue.as_deref(),
                    kind: &e.kind,
                    group: e
                        .group_id
                        .and_then(|id| self.groups.get(&id))
                        .map(|(name, slug)| GroupNode { name, slug }),
                    topic: e
                        .topic_id
                        .and_then(|id| self.topics.get(&id))
                        .map(|name| TopicNode { name }),
                    going_count: self.going.get(&e.id).copied().unwrap_or(0),
                },
            })
            .collect();
        let answer = Answer {
            data: AnswerData {
                events: Events {
                    total_count: self.total,
                    page_info: PageInfo {
                        has_next_page: self.has_next_page,
                        end_cursor,
                    },
                    edges,
                },
            },
        };
        serde_json::to_vec(&answer).unwrap_or_default()
    }
}
