//! The outbox: messages waiting, being sent, sent or given up on.
//!
//! A row is inserted under its dedupe key with `ON CONFLICT DO NOTHING`, so
//! a trigger planned twice (a replay, two instances) yields one message. A
//! sender claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
//! instances never claim the same row; SQLite has one writer), marks them
//! `SENDING`, and reports each as sent or failed. A row left in `SENDING`
//! by a crash is claimed again after [`STUCK_AFTER`]. Failures back off
//! exponentially and give up as `FAILED` after [`MAX_ATTEMPTS`]; an
//! operator can put failed rows back.

use std::collections::BTreeMap;

use askama::Template;
use chrono::{DateTime, Duration, Utc};
use entity::outbox_message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict},
};
use uuid::Uuid;

use super::{Mailroom, MessageKind, letters::Letter};
use crate::{
    auth::{Action, Viewer, authorize},
    domain::Work,
    error::Result,
};

/// A row in `SENDING` this long is taken to be abandoned by a crashed
/// sender and is sent again.
pub const STUCK_AFTER: Duration = Duration::minutes(10);
/// Attempts before a message is `FAILED`: with the backoff below, the last
/// is about two hours after the first.
pub const MAX_ATTEMPTS: i32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Sending,
    Sent,
    Failed,
    /// Nobody to send to any more (erased, purged, unverified).
    Dropped,
}

impl Status {
    pub const ALL: [Status; 5] = [Self::Pending, Self::Sending, Self::Sent, Self::Failed, Self::Dropped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sending => "SENDING",
            Self::Sent => "SENT",
            Self::Failed => "FAILED",
            Self::Dropped => "DROPPED",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Who a message is for, by id; the address is looked up at sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recipient {
    User(Uuid),
    /// The contact of a request (an outside organisation).
    RequestContact(Uuid),
    /// The new address of a pending change, held on the account link.
    NewAddress(Uuid),
    /// A letter's signatory (no account), by signature.
    Signatory(Uuid),
}

impl Recipient {
    /// For dedupe keys.
    pub fn key(&self) -> String {
        match self {
            Self::User(id) => format!("user:{id}"),
            Self::RequestContact(id) => format!("contact:{id}"),
            Self::NewAddress(id) => format!("new-address:{id}"),
            Self::Signatory(id) => format!("signatory:{id}"),
        }
    }
}

/// A message to put in the outbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// What triggered it and what it is about; the recipient is added.
    pub trigger: String,
    pub kind: MessageKind,
    pub to: Recipient,
    /// Held for the daily digest.
    pub digest: bool,
    pub letter: Letter,
}

impl Outgoing {
    pub fn dedupe_key(&self) -> String {
        format!("{}:{}:{}", self.kind.as_str(), self.trigger, self.to.key())
    }
}

#[derive(Template)]
#[template(path = "mail/letter.txt")]
struct TextPart<'a> {
    letter: &'a Letter,
    unsubscribe: Option<&'a str>,
    site: &'a str,
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
struct HtmlPart<'a> {
    letter: &'a Letter,
    unsubscribe: Option<&'a str>,
    site: &'a str,
}

/// The next morning's digest: 08:00 UK time, after `now`.
pub fn next_digest_at(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{NaiveTime, TimeZone};
    let london = chrono_tz::Europe::London;
    let local = now.with_timezone(&london);
    let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default();
    let mut day = local.date_naive();
    if local.time() >= eight {
        day = day.succ_opt().unwrap_or(day);
    }
    london
        .from_local_datetime(&day.and_time(eight))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now + Duration::days(1))
}

/// Puts `message` in the outbox unless its key is there already; whether
/// it was added. Its text and HTML are laid out now, from the templates.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    mailroom: &Mailroom,
    message: Outgoing,
    now: DateTime<Utc>,
) -> Result<bool> {
    let unsubscribe = match (message.kind.topic(), message.to) {
        (Some(topic), Recipient::User(user_id)) => Some(mailroom.links.unsubscribe_url(&mailroom.urls, user_id, topic)),
        _ => None,
    };
    let site = mailroom.urls.page("/");
    let text = TextPart {
        letter: &message.letter,
        unsubscribe: unsubscribe.as_deref(),
        site: &site,
    }
    .render()
    .map_err(|e| crate::error::Error::Internal(anyhow::anyhow!("mail template: {e}")))?;
    let html = HtmlPart {
        letter: &message.letter,
        unsubscribe: unsubscribe.as_deref(),
        site: &site,
    }
    .render()
    .map_err(|e| crate::error::Error::Internal(anyhow::anyhow!("mail template: {e}")))?;
    let (user, request, token, signature) = match message.to {
        Recipient::User(id) => (Some(id), None, None, None),
        Recipient::RequestContact(id) => (None, Some(id), None, None),
        Recipient::NewAddress(id) => (None, None, Some(id), None),
        Recipient::Signatory(id) => (None, None, None, Some(id)),
    };
    let row = outbox_message::ActiveModel {
        id: Set(Uuid::new_v4()),
        dedupe_key: Set(message.dedupe_key()),
        kind: Set(message.kind.as_str().to_owned()),
        recipient_user_id: Set(user),
        recipient_request_id: Set(request),
        recipient_token_id: Set(token),
        recipient_signature_id: Set(signature),
        digest: Set(message.digest),
        subject: Set(Some(message.letter.subject.clone())),
        body_text: Set(Some(text)),
        body_html: Set(Some(html)),
        unsubscribe_url: Set(unsubscribe),
        status: Set(Status::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(if message.digest { next_digest_at(now) } else { now }),
        claimed_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        body_removed_at: Set(None),
    };
    let inserted = outbox_message::Entity::insert(row)
        .on_conflict(
            OnConflict::column(outbox_message::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// Claims up to `limit` due messages for sending, in one unit of work.
pub async fn claim(work: &Work, limit: u64, now: DateTime<Utc>) -> Result<Vec<outbox_message::Model>> {
    let due = Condition::any()
        .add(
            Condition::all()
                .add(outbox_message::Column::Status.eq(Status::Pending.as_str()))
                .add(outbox_message::Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(outbox_message::Column::Status.eq(Status::Sending.as_str()))
                .add(outbox_message::Column::ClaimedAt.lte(now - STUCK_AFTER)),
        );
    // SQLite has no row locks (and needs none: the unit of work is the one
    // writer); PostgreSQL skips rows another instance has just claimed.
    let ids: Vec<Uuid> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Id)
        .filter(due)
        .order_by_asc(outbox_message::Column::NextAttemptAt)
        .order_by_asc(outbox_message::Column::Id)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_tuple()
        .all(work)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value(Status::Sending.as_str()))
        .col_expr(outbox_message::Column::ClaimedAt, Expr::value(now))
        .col_expr(
            outbox_message::Column::Attempts,
            Expr::col(outbox_message::Column::Attempts).add(1),
        )
        .filter(outbox_message::Column::Id.is_in(ids.clone()))
        .exec(work)
        .await?;
    Ok(outbox_message::Entity::find()
        .filter(outbox_message::Column::Id.is_in(ids))
        .order_by_asc(outbox_message::Column::NextAttemptAt)
        .order_by_asc(outbox_message::Column::Id)
        .all(work)
        .await?)
}

/// The message went out.
pub async fn mark_sent(db: &impl ConnectionTrait, message: &outbox_message::Model, now: DateTime<Utc>) -> Result<()> {
    let mut row: outbox_message::ActiveModel = message.clone().into();
    row.status = Set(Status::Sent.as_str().to_owned());
    row.sent_at = Set(Some(now));
    row.last_error = Set(None);
    // A reset or verification link is of no use to anyone once delivered,
    // and of use to a thief until it expires: it is not kept.
    if MessageKind::parse(&message.kind).is_some_and(MessageKind::carries_secret) {
        row.subject = Set(None);
        row.body_text = Set(None);
        row.body_html = Set(None);
        row.body_removed_at = Set(Some(now));
    }
    row.update(db).await?;
    Ok(())
}

/// Nobody to send it to any more; kept as a record, without its body.
pub async fn mark_dropped(
    db: &impl ConnectionTrait,
    message: &outbox_message::Model,
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut row: outbox_message::ActiveModel = message.clone().into();
    row.status = Set(Status::Dropped.as_str().to_owned());
    row.last_error = Set(Some(why.to_owned()));
    row.subject = Set(None);
    row.body_text = Set(None);
    row.body_html = Set(None);
    row.unsubscribe_url = Set(None);
    row.body_removed_at = Set(Some(now));
    row.update(db).await?;
    Ok(())
}

/// How long to wait after the `attempts`-th failure: 1, 2, 4 … minutes.
pub fn backoff(attempts: i32) -> Duration {
    Duration::minutes(1i64 << attempts.clamp(1, 10).saturating_sub(1))
}

/// The attempt failed: try again later, or give up after the last one.
/// `error` is scrubbed of anything that looks like an address.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    message: &outbox_message::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<Status> {
    let given_up = message.attempts >= MAX_ATTEMPTS;
    let status = if given_up { Status::Failed } else { Status::Pending };
    let mut row: outbox_message::ActiveModel = message.clone().into();
    row.status = Set(status.as_str().to_owned());
    row.last_error = Set(Some(scrub(error)));
    row.next_attempt_at = Set(now + backoff(message.attempts));
    row.update(db).await?;
    Ok(status)
}

/// A mail server's message without any address it may quote (a rejected
/// recipient is often named), and bounded.
pub fn scrub(error: &str) -> String {
    let words: Vec<String> = error
        .split_whitespace()
        .map(|word| {
            if word.contains('@') {
                "<address>".to_owned()
            } else {
                word.to_owned()
            }
        })
        .collect();
    let line = words.join(" ");
    line.chars().take(480).collect()
}

/// Counts by status and kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub counts: BTreeMap<(String, String), u64>,
}

impl Summary {
    pub fn total(&self, status: Status) -> u64 {
        self.counts
            .iter()
            .filter(|((s, _), _)| s == status.as_str())
            .map(|(_, n)| n)
            .sum()
    }
}

pub async fn summary(db: &impl ConnectionTrait) -> Result<Summary> {
    let rows: Vec<(String, String, i64)> = outbox_message::Entity::find()
        .select_only()
        .column(outbox_message::Column::Status)
        .column(outbox_message::Column::Kind)
        .column_as(outbox_message::Column::Id.count(), "n")
        .group_by(outbox_message::Column::Status)
        .group_by(outbox_message::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    Ok(Summary {
        counts: rows
            .into_iter()
            .map(|(status, kind, n)| ((status, kind), u64::try_from(n).unwrap_or(0)))
            .collect(),
    })
}

/// The outbox by counts, for an admin.
pub async fn summary_for(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Summary> {
    authorize(viewer, Action::ManageOutbox)?;
    summary(db).await
}

/// [`retry_failed`], for an admin.
pub async fn retry_failed_for(db: &impl ConnectionTrait, viewer: &Viewer, now: DateTime<Utc>) -> Result<u64> {
    authorize(viewer, Action::ManageOutbox)?;
    let retried = retry_failed(db, now).await?;
    super::nudge();
    Ok(retried)
}

/// How many messages were given up on (`FAILED`): a count for the
/// coordinators' desk, which says an admin can retry them; no recipient,
/// subject or error. One statement.
pub async fn failed_count(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    authorize(viewer, Action::TriageRequests)?;
    Ok(outbox_message::Entity::find()
        .filter(outbox_message::Column::Status.eq(Status::Failed.as_str()))
        .count(db)
        .await?)
}

/// Puts every failed message back in the queue; how many.
pub async fn retry_failed(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let done = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Status, Expr::value(Status::Pending.as_str()))
        .col_expr(outbox_message::Column::Attempts, Expr::value(0))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox_message::Column::Status.eq(Status::Failed.as_str()))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// The retention rule: `days` after a message was sent (or given up on),
/// its subject and bodies go; kind, recipient id and times stay.
pub async fn remove_old_bodies(db: &impl ConnectionTrait, days: u32, now: DateTime<Utc>) -> Result<u64> {
    let cutoff = now - Duration::days(days.into());
    let old = Condition::any().add(outbox_message::Column::SentAt.lte(cutoff)).add(
        Condition::all()
            .add(outbox_message::Column::Status.is_in([Status::Failed.as_str(), Status::Dropped.as_str()]))
            .add(outbox_message::Column::CreatedAt.lte(cutoff)),
    );
    let done = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::Subject, Expr::value(Option::<String>::None))
        .col_expr(outbox_message::Column::BodyText, Expr::value(Option::<String>::None))
        .col_expr(outbox_message::Column::BodyHtml, Expr::value(Option::<String>::None))
        .col_expr(
            outbox_message::Column::UnsubscribeUrl,
            Expr::value(Option::<String>::None),
        )
        .col_expr(outbox_message::Column::BodyRemovedAt, Expr::value(now))
        .filter(outbox_message::Column::BodyRemovedAt.is_null())
        .filter(old)
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// On erasure: every message to the person, pending or sent, goes.
pub async fn forget(db: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::RecipientUserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// What was sent (or is to be sent) to a person: kind, status and times.
pub async fn sent_to(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<outbox_message::Model>> {
    Ok(outbox_message::Entity::find()
        .filter(outbox_message::Column::RecipientUserId.eq(user_id))
        .order_by_asc(outbox_message::Column::CreatedAt)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_scrubbed_from_errors() {
        assert_eq!(
            scrub("550 5.1.1 <someone@example.org>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
    }

    #[test]
    fn backoff_doubles_from_a_minute() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(8), Duration::minutes(128));
    }

    #[test]
    fn digests_go_at_eight_uk_time() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        // Winter: 08:00 GMT. Summer: 08:00 BST is 07:00 UTC.
        assert_eq!(next_digest_at(at("2027-01-10T06:00:00Z")), at("2027-01-10T08:00:00Z"));
        assert_eq!(next_digest_at(at("2027-01-10T09:00:00Z")), at("2027-01-11T08:00:00Z"));
        assert_eq!(next_digest_at(at("2027-07-10T06:30:00Z")), at("2027-07-10T07:00:00Z"));
    }
}
