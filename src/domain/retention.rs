//! Retention: personal data that has served its purpose is removed on a
//! schedule, by the server's periodic task and by `muster purge`.
//!
//! - A request's contact details (contact name, contact email, and the
//!   requester's free-text notes, which often carry a phone number or a
//!   name) go `retention_days` after the request ended (delivered,
//!   declined, withdrawn or cancelled). The request itself, its topic,
//!   place, dates and history stay: they are the network's record of its
//!   work and name no one.
//! - Audit entries go `audit_retention_days` after they were written: they
//!   link a person to whoever read their data, which is personal data too.
//!
//! - Journal entries (`domain_events`) go [`JOURNAL_RETENTION_DAYS`] after
//!   they were recorded: they say who joined which group or took a place
//!   at which event, and have served their purpose once their consumers
//!   (notifications, caches) have read them, which takes minutes, or a day
//!   for a daily digest. Erasure removes a person's at once.
//!
//! - An event's RSVPs go `rsvp_retention_days` after it ended: their counts
//!   (going, waiting) stay on the event, who it was does not.
//!
//! - A message's subject and body go `outbox_retention_days` after it was
//!   sent (or given up on); its kind, recipient id and times stay, as the
//!   record of what was sent. Reset and verification links are removed at
//!   sending, and their rows a day after they expired.
//!
//! Only counts are reported, never what was removed.
//!
//! A purge works in batches, each its own unit of work ([`purge`]): after
//! an upgrade, a long stop or a first import, the backlog can be years of
//! ended events and requests, and done in one transaction it held SQLite's
//! write lock for seconds (8.5 s for a seeded network of 200,000 events),
//! long enough for sign-ins waiting behind it to fail. Between batches
//! other writers take their turn.

use chrono::{DateTime, Duration, Utc};
use entity::{RsvpStatus, audit_entry, domain_event, event, request, rsvp};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, Func, Query},
};
use uuid::Uuid;

use crate::{
    domain::{Work, in_work, workflow::ENDED},
    error::Result,
};

/// Rows each batched part of a purge touches in one unit of work: small
/// enough that a batch holds the write lock for milliseconds, large enough
/// that an hour's worth is one batch.
pub const PURGE_BATCH: u64 = 500;

/// Days a journal entry is kept (fixed: no consumer needs more, and a
/// setting can come with the first that does).
pub const JOURNAL_RETENTION_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub retention_days: u32,
    pub audit_retention_days: u32,
    pub rsvp_retention_days: u32,
    pub outbox_retention_days: u32,
    /// Days a letter's signatories' names and emails are kept after it is
    /// delivered or closed.
    pub signature_retention_days: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Requests whose contact details were removed.
    pub requests_purged: u64,
    /// Audit entries removed.
    pub audit_entries_removed: u64,
    /// Journal entries removed.
    pub journal_entries_removed: u64,
    /// Events whose RSVPs were reduced to counts.
    pub attendance_forgotten: u64,
    /// Sent messages whose bodies were removed.
    pub message_bodies_removed: u64,
    /// Expired account links removed.
    pub account_links_removed: u64,
    /// Web sessions past their end removed.
    pub sessions_removed: u64,
    /// Signatures whose names and emails were removed.
    pub signatures_purged: u64,
}

impl PurgeReport {
    /// Whether anything at all was removed.
    pub fn removed_anything(&self) -> bool {
        self.requests_purged
            + self.audit_entries_removed
            + self.journal_entries_removed
            + self.attendance_forgotten
            + self.message_bodies_removed
            + self.account_links_removed
            + self.sessions_removed
            + self.signatures_purged
            > 0
    }
}

impl PurgeReport {
    fn add(&mut self, batch: &Self) {
        self.requests_purged += batch.requests_purged;
        self.audit_entries_removed += batch.audit_entries_removed;
        self.journal_entries_removed += batch.journal_entries_removed;
        self.attendance_forgotten += batch.attendance_forgotten;
        self.message_bodies_removed += batch.message_bodies_removed;
        self.account_links_removed += batch.account_links_removed;
        self.sessions_removed += batch.sessions_removed;
        self.signatures_purged += batch.signatures_purged;
    }
}

/// Removes what has outlived its retention period as of `now`, batch
/// after batch, each batch its own unit of work, until one finds nothing
/// left. Running it again at once removes nothing. Should a batch fail,
/// the ones before it stay done, and the next purge goes on from there.
pub async fn purge(db: &DatabaseConnection, policy: RetentionPolicy, now: DateTime<Utc>) -> Result<PurgeReport> {
    let mut report = PurgeReport::default();
    loop {
        let (batch, more) = in_work(db, async |work| purge_batch(work, policy, now, PURGE_BATCH).await).await?;
        report.add(&batch);
        if !more {
            return Ok(report);
        }
    }
}

/// One batch of [`purge`] in the caller's unit of work: at most `batch`
/// rows of each of the parts a backlog can make large (requests' contact
/// details, audit and journal entries, ended events' RSVPs), and all of
/// the rest. Says whether a part filled its batch, so more may be left.
pub async fn purge_batch(
    work: &Work,
    policy: RetentionPolicy,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<(PurgeReport, bool)> {
    // First: its selection reads the most (every live RSVP, to find ended
    // events holding RSVPs again), and on SQLite a transaction takes the
    // write lock at its first write, so it reads before any part writes.
    let attendance_forgotten = forget_attendance(
        work,
        now - Duration::days(policy.rsvp_retention_days.into()),
        now,
        batch,
    )
    .await?;
    let requests_purged =
        purge_contact_details(work, now - Duration::days(policy.retention_days.into()), now, batch).await?;
    let audit_entries_removed =
        remove_audit_entries(work, now - Duration::days(policy.audit_retention_days.into()), batch).await?;
    let journal_entries_removed =
        remove_journal_entries(work, now - Duration::days(JOURNAL_RETENTION_DAYS), batch).await?;
    let message_bodies_removed =
        crate::domain::notifications::outbox::remove_old_bodies(work, policy.outbox_retention_days, now).await?;
    let account_links_removed = crate::domain::notifications::links::remove_spent(work, now).await?;
    let sessions_removed = crate::domain::sessions::remove_ended(work, now).await?;
    let signatures_purged =
        crate::domain::letters::purge_signatures(work, policy.signature_retention_days, now).await?;
    let more = [
        requests_purged,
        audit_entries_removed,
        journal_entries_removed,
        attendance_forgotten,
    ]
    .iter()
    .any(|&done| done >= batch);
    Ok((
        PurgeReport {
            requests_purged,
            audit_entries_removed,
            journal_entries_removed,
            attendance_forgotten,
            message_bodies_removed,
            account_links_removed,
            sessions_removed,
            signatures_purged,
        },
        more,
    ))
}

/// Clears the contact details of at most `batch` requests that ended at or
/// before `cutoff`.
async fn purge_contact_details(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u64> {
    let due: Vec<Uuid> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::ContactPurgedAt.is_null())
        .filter(request::Column::EndedAt.lte(cutoff))
        .filter(request::Column::State.is_in(ENDED))
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let result = request::Entity::update_many()
        .col_expr(request::Column::ContactName, Expr::value(Option::<String>::None))
        .col_expr(request::Column::ContactEmail, Expr::value(Option::<String>::None))
        .col_expr(request::Column::ContactEmailHash, Expr::value(Option::<String>::None))
        .col_expr(request::Column::Notes, Expr::value(""))
        .col_expr(request::Column::ContactPurgedAt, Expr::value(now))
        .col_expr(request::Column::UpdatedAt, Expr::value(now))
        .filter(request::Column::Id.is_in(due))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Reduces the RSVPs of events that ended at or before `cutoff` to counts
/// kept on the event, and deletes them: afterwards the database says how
/// many came, not who. Each event is marked the first time (with no RSVP,
/// its counts are 0); one that gains RSVPs again (moved to a later date)
/// adds them to its counts when it has ended again. An ended event takes
/// no RSVP, so none can arrive between the count and the delete. Neither
/// `sequence` nor `updated_at` moves: no calendar shows who is going.
///
/// At most `batch` events at a time.
async fn forget_attendance(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u64> {
    // The status is one of the enum's fixed spellings, written into the
    // statement: bound values in custom SQL are numbered per expression,
    // which SQLite would read as one shared parameter.
    let kept_plus_count = |kept: &str, status: RsvpStatus| {
        Expr::cust(format!(
            "COALESCE({kept}, 0) + (SELECT COUNT(*) FROM rsvps WHERE rsvps.event_id = events.id AND rsvps.status = '{}')",
            status.as_str()
        ))
    };
    // Ended and never looked at (found by their index, without reading the
    // events done before) ...
    let mut due: Vec<Uuid> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(event::Column::AttendanceForgottenAt.is_null())
        .filter(event::Column::EndsAt.lte(cutoff))
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    // ... and looked at before but holding RSVPs again: found from the
    // RSVPs, which only events not yet reduced to counts have.
    let room = batch.saturating_sub(due.len() as u64);
    if room > 0 {
        let regained: Vec<Uuid> = rsvp::Entity::find()
            .select_only()
            .column(rsvp::Column::EventId)
            .distinct()
            .inner_join(event::Entity)
            .filter(event::Column::AttendanceForgottenAt.is_not_null())
            .filter(event::Column::EndsAt.lte(cutoff))
            .limit(room)
            .into_tuple()
            .all(db)
            .await?;
        due.extend(regained);
    }
    if due.is_empty() {
        return Ok(0);
    }
    let marked = event::Entity::update_many()
        .col_expr(
            event::Column::GoingCountKept,
            kept_plus_count("going_count_kept", RsvpStatus::Going),
        )
        .col_expr(
            event::Column::WaitlistedCountKept,
            kept_plus_count("waitlisted_count_kept", RsvpStatus::Waitlisted),
        )
        .col_expr(
            event::Column::AttendanceForgottenAt,
            Expr::expr(Func::coalesce([
                Expr::col(event::Column::AttendanceForgottenAt),
                Expr::value(now),
            ])),
        )
        .filter(event::Column::Id.is_in(due.iter().copied()))
        .exec(db)
        .await?;
    rsvp::Entity::delete_many()
        .filter(rsvp::Column::EventId.is_in(due))
        .exec(db)
        .await?;
    Ok(marked.rows_affected)
}

/// Removes at most `batch` audit entries written before `cutoff`.
async fn remove_audit_entries(db: &impl ConnectionTrait, cutoff: DateTime<Utc>, batch: u64) -> Result<u64> {
    let result = audit_entry::Entity::delete_many()
        .filter(
            audit_entry::Column::Id.in_subquery(
                Query::select()
                    .column(audit_entry::Column::Id)
                    .from(audit_entry::Entity)
                    .and_where(audit_entry::Column::CreatedAt.lt(cutoff))
                    .limit(batch)
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Removes at most `batch` journal entries recorded before `cutoff`.
async fn remove_journal_entries(db: &impl ConnectionTrait, cutoff: DateTime<Utc>, batch: u64) -> Result<u64> {
    let result = domain_event::Entity::delete_many()
        .filter(
            domain_event::Column::Id.in_subquery(
                Query::select()
                    .column(domain_event::Column::Id)
                    .from(domain_event::Entity)
                    .and_where(domain_event::Column::CreatedAt.lt(cutoff))
                    .limit(batch)
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
