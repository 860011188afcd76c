//! `muster seed-demo [--scale N]`: a realistic demo network, written in one
//! transaction; with `--scale`, grown to exactly N events for benchmarks.
//!
//! This module owns the demo data set: 16 local groups across England,
//! Scotland and Wales, the campaign's topic catalogue, an admin, coordinators,
//! organisers, members and supporters, trainers with their topics, regions and
//! unavailable periods, a calendar of past and coming events with RSVPs, and
//! speaker and workshop requests in every state with consistent histories.
//!
//! How and why:
//! - **Deterministic.** Every choice comes from the tables in `catalogue` or
//!   from a small seeded PRNG (`random`: splitmix64, no `rand`), and every
//!   time is relative to `now`, so two runs on the same day give the same
//!   network; only the UUIDs differ (a scaled network seeds those too, so
//!   two runs compare row for row).
//! - **Through the workflow.** Rows are made with the shared builders of
//!   [`crate::fixtures`]; every request's history is taken step by step
//!   through `workflow::next_state`, so a step the workflow forbids fails
//!   the seed instead of reaching the database, and the events of accepted
//!   requests are named by the workflow's own mapping
//!   (`engagement_kind_and_title`). `checks` replays every history again.
//! - **Planned, then written.** `build::build` makes every row in memory
//!   without a database (so its tests can check the plan's consistency), then
//!   [`seed_demo`] writes it in one transaction: a failure leaves nothing.
//! - **Safe to re-run.** A database that already holds the demo is left alone;
//!   one that holds real groups is refused, so demo rows never mix with a live
//!   network.
//! - **Private by construction.** Invented names only, every email address is
//!   at example.org, no password hashes (demo accounts cannot sign in).
//!
//! Times are UK wall-clock times (Europe/London; British Summer Time is worked
//! out in `calendar` from the last-Sunday rule) stored as UTC instants.
//!
//! Layout: this file holds the public API, the check against what the
//! database already holds and the transactional write; `catalogue` the fixed
//! tables and word lists; `build` the pure in-memory builder; `scale` what
//! grows its plan to N events; `checks` (tests only) the consistency every
//! plan is held to; `calendar` the UK times and days relative to `now`;
//! `random` the PRNG, row ids, request references and names.

mod build;
mod calendar;
pub(crate) mod catalogue;
#[cfg(test)]
mod checks;
mod letters;
mod random;
mod scale;

use std::fmt;

use chrono::{DateTime, Utc};
use entity::{group, topic, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, Statement, TransactionTrait,
};

use self::build::{Plan, build};
use self::catalogue::GROUPS;
use crate::{
    domain::sealing,
    error::Error,
    progress::{Progress, Unit},
};

/// What a call of [`seed_demo`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The demo network was written; what it holds.
    Seeded(SeedSummary),
    /// The demo network was already there; nothing was written.
    AlreadySeeded,
}

/// How many rows of each main kind the demo network holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    pub groups: usize,
    pub users: usize,
    pub topics: usize,
    pub trainers: usize,
    pub events: usize,
    pub requests: usize,
}

impl fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} groups, {} users ({} trainers), {} topics, {} events, {} requests",
            self.groups, self.users, self.trainers, self.topics, self.events, self.requests
        )
    }
}

/// Writes the demo network, or does nothing if it is already there.
///
/// Refused with `CONFLICT` when the database holds groups that are not the
/// demo's, or topics or accounts that would collide with it.
pub async fn seed_demo(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<SeedOutcome, Error> {
    let plan = build(now).map_err(Error::Internal)?;
    write_once(db, plan, &Progress::hidden(), now).await
}

/// Writes the demo network grown to exactly `events` events over a year
/// back and a year ahead of `now` (more groups, members, trainers and
/// requests to match), or does nothing if a demo network is already there.
/// The same `events` on the same day gives the same rows, ids included.
///
/// Refused with `BAD_USER_INPUT` for fewer events than the plain demo holds
/// (about 120, depending on the date) or more than a million, and with
/// `CONFLICT` as [`seed_demo`] is.
pub async fn seed_demo_scaled(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    events: usize,
) -> Result<SeedOutcome, Error> {
    let plan = scale::build(now, events)?;
    write_once(db, plan, &Progress::hidden(), now).await
}

/// [`seed_demo`], or with `scale` [`seed_demo_scaled`], saying how far it
/// is: planning, then rows written of the plan's total, then the commit.
pub async fn seed_demo_with_progress(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    scale: Option<usize>,
    progress: &Progress,
) -> Result<SeedOutcome, Error> {
    progress.stage("planning", None, Unit::Rows);
    let plan = match scale {
        None => build(now).map_err(Error::Internal)?,
        Some(events) => scale::build(now, events)?,
    };
    progress.stage_done();
    write_once(db, plan, progress, now).await
}

/// Writes a plan in one transaction, unless the demo is already there or
/// the database holds something it would clash with.
async fn write_once(
    db: &DatabaseConnection,
    plan: Plan,
    progress: &Progress,
    now: DateTime<Utc>,
) -> Result<SeedOutcome, Error> {
    let txn = db.begin().await?;
    let marker = group::Entity::find()
        .filter(group::Column::Slug.eq(GROUPS[0].slug))
        .one(&txn)
        .await?;
    if marker.is_some() {
        txn.rollback().await?;
        return Ok(SeedOutcome::AlreadySeeded);
    }
    if let Some(reason) = clash(&txn, &plan).await? {
        txn.rollback().await?;
        return Err(Error::Conflict(reason.into()));
    }
    let summary = plan.summary();
    let cache = LargeCache::open(&txn).await?;
    progress.stage("writing", Some(plan.rows()), Unit::Rows);
    plan.write(&txn, progress).await?;
    letters::write(&txn, now).await?;
    progress.stage_done();
    cache.close(&txn).await?;
    progress.stage("committing", None, Unit::Rows);
    txn.commit().await?;
    progress.stage_done();
    Ok(SeedOutcome::Seeded(summary))
}

/// SQLite's page cache, grown for a large write. The default (2 MiB) is
/// soon full of dirty pages, which SQLite then spills to the log page by
/// page: a scaled network of 100,000 events took half as long again.
/// Memory is taken only as pages are used; the connection's own size is
/// restored before the commit (that keeps dirty pages, it drops clean ones).
struct LargeCache(Option<i64>);

impl LargeCache {
    const KIB: i64 = 256 * 1024;

    async fn open(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        if db.get_database_backend() != DbBackend::Sqlite {
            return Ok(Self(None));
        }
        let statement = Statement::from_string(DbBackend::Sqlite, "PRAGMA cache_size");
        let size = match db.query_one_raw(statement).await? {
            Some(row) => row.try_get::<i64>("", "cache_size")?,
            None => return Ok(Self(None)),
        };
        // A negative size is in KiB; PRAGMA takes no bound parameters.
        db.execute_unprepared(&format!("PRAGMA cache_size = -{}", Self::KIB))
            .await?;
        Ok(Self(Some(size)))
    }

    async fn close(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        if let Some(size) = self.0 {
            db.execute_unprepared(&format!("PRAGMA cache_size = {size}")).await?;
        }
        Ok(())
    }
}

/// Why the demo cannot be written beside what the database already holds.
async fn clash(db: &impl ConnectionTrait, plan: &Plan) -> Result<Option<&'static str>, DbErr> {
    if group::Entity::find().count(db).await? > 0 {
        return Ok(Some(
            "the database already holds groups that are not demo data; seed-demo only runs on an \
             empty database or re-runs on its own data",
        ));
    }
    let slugs = plan.topics.iter().map(|t| t.slug.clone());
    if topic::Entity::find()
        .filter(topic::Column::Slug.is_in(slugs))
        .count(db)
        .await?
        > 0
    {
        return Ok(Some("the topic catalogue already holds topics with the demo's slugs"));
    }
    // In batches: a scaled network has more addresses than a statement may
    // carry parameters.
    let hashes = plan
        .users
        .iter()
        .filter_map(|u| u.email.as_deref())
        .map(sealing::lookup)
        .collect::<crate::error::Result<Vec<String>>>()
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    for batch in hashes.chunks(1000) {
        if user::Entity::find()
            .filter(user::Column::EmailHash.is_in(batch.iter().cloned()))
            .count(db)
            .await?
            > 0
        {
            return Ok(Some(
                "the database already holds accounts with the demo's email addresses",
            ));
        }
    }
    Ok(None)
}

/// What the plan holds, and its writing: made by [`build()`], written here.
impl Plan {
    fn summary(&self) -> SeedSummary {
        SeedSummary {
            groups: self.groups.len(),
            users: self.users.len(),
            topics: self.topics.len(),
            trainers: self.trainer_profiles.len(),
            events: self.events.len(),
            requests: self.requests.len(),
        }
    }

    /// Rows [`Plan::write`] inserts.
    fn rows(&self) -> u64 {
        [
            self.users.len(),
            self.groups.len(),
            self.memberships.len(),
            self.topics.len(),
            self.trainer_profiles.len(),
            self.trainer_topics.len(),
            self.trainer_regions.len(),
            self.unavailability.len(),
            self.requests.len(),
            self.windows.len(),
            self.transitions.len(),
            self.assignments.len(),
            self.events.len(),
            self.rsvps.len(),
        ]
        .iter()
        .map(|n| *n as u64)
        .sum()
    }

    /// Inserts every row, parents before children.
    async fn write(self, db: &impl ConnectionTrait, progress: &Progress) -> Result<(), DbErr> {
        // Stored as every account and request is: addresses and contact
        // names sealed, addresses hashed.
        let sealed = |e: crate::error::Error| DbErr::Custom(e.to_string());
        let users = self
            .users
            .into_iter()
            .map(sealing::stored_user)
            .collect::<Result<Vec<_>, _>>();
        insert_all(db, users.map_err(sealed)?, progress).await?;
        insert_all(db, self.groups, progress).await?;
        insert_all(db, self.memberships, progress).await?;
        insert_all(db, self.topics, progress).await?;
        insert_all(db, self.trainer_profiles, progress).await?;
        insert_all(db, self.trainer_topics, progress).await?;
        insert_all(db, self.trainer_regions, progress).await?;
        insert_all(db, self.unavailability, progress).await?;
        let requests = self
            .requests
            .into_iter()
            .map(sealing::stored_request)
            .collect::<Result<Vec<_>, _>>();
        insert_all(db, requests.map_err(sealed)?, progress).await?;
        insert_all(db, self.windows, progress).await?;
        insert_all(db, self.transitions, progress).await?;
        insert_all(db, self.assignments, progress).await?;
        insert_all(db, self.events, progress).await?;
        insert_all(db, self.rsvps, progress).await
    }
}

/// Rows per INSERT: well under SQLite's and PostgreSQL's parameter limits.
const ROWS_PER_INSERT: usize = 100;

async fn insert_all<M, A>(db: &impl ConnectionTrait, rows: Vec<M>, progress: &Progress) -> Result<(), DbErr>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait,
{
    let mut rows = rows.into_iter().map(IntoActiveModel::into_active_model).peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        let written = chunk.len() as u64;
        A::Entity::insert_many(chunk).exec_without_returning(db).await?;
        progress.advance(written);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use sea_orm::DatabaseConnection;

    /// `muster seed-demo` may run inside a spawned task.
    #[allow(dead_code)]
    fn seed_demo_is_send(db: &DatabaseConnection) {
        fn send<T: Send>(_: &T) {}
        send(&super::seed_demo(db, Utc::now()));
        send(&super::seed_demo_scaled(db, Utc::now(), 2_000));
        let progress = crate::progress::Progress::hidden();
        send(&super::seed_demo_with_progress(db, Utc::now(), Some(2_000), &progress));
    }
}
