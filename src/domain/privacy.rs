//! The data subject's rights over what muster holds about them: a copy of
//! all of it ([`export_user_data`]) and erasure ([`delete_my_account`],
//! [`erase_user`]). Retention (purging old contact details and audit
//! entries) lives in `domain::retention`.
//!
//! Erasure keeps the user row (its id holds requests, transitions and audit
//! entries together) but clears every personal field, so that everywhere
//! the person appeared now reads "former member". The migration made those
//! fields nullable for this reason, so no placeholder address is needed.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{
    RsvpStatus, UserRole, assignment, audit_entry, event, feed_token, group, membership, request, request_transition,
    rsvp, topic, trainer_profile, trainer_region, trainer_topic, trainer_unavailability, user,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Query},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work, accounts,
        audit::{self, AuditAction, NewAuditEntry},
        events,
        groups::escape_like,
        in_work,
        journal::{self, DomainEvent},
        notifications,
        retention::{JOURNAL_RETENTION_DAYS, RetentionPolicy},
        rsvps,
        sealing::{self, Field},
    },
    error::{Error, Result},
};

/// How an erased person (or an actor with no account, such as the command
/// line) is shown.
pub const FORMER_MEMBER: &str = "former member";
/// The actor of audit entries written with no signed-in person: an
/// operator at the command line.
pub const COMMAND_LINE: &str = "operator (command line)";
/// What an erased email address is replaced with inside free text.
pub const REMOVED: &str = "[removed]";
/// Version of the export document's shape; bumped when it changes.
pub const EXPORT_FORMAT: &str = "muster-export/1";

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn maybe_instant(at: Option<DateTime<Utc>>) -> Value {
    at.map(instant).map_or(Value::Null, Value::String)
}

/// Display names of several people, "former member" for the erased.
pub async fn names_of(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(users
        .into_iter()
        .map(|u| (u.id, u.display_name.unwrap_or_else(|| FORMER_MEMBER.to_owned())))
        .collect())
}

/// How an audit entry's actor is shown to the person it concerns.
pub fn actor_name(names: &HashMap<Uuid, String>, actor_id: Option<Uuid>) -> String {
    match actor_id {
        None => COMMAND_LINE.to_owned(),
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| FORMER_MEMBER.to_owned()),
    }
}

/// The signed-in person's copy of everything muster holds about them.
pub async fn export_my_data(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    policy: RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<Value> {
    authorize(viewer, Action::UseOwnAccount)?;
    let me = viewer.user_id().ok_or(Error::Unauthenticated)?;
    export_user_data(db, me, policy, now).await
}

/// A subject access request made outside the API (by post, to an
/// operator): the same document as [`export_my_data`], for the account with
/// this email. The export is recorded in the person's access log.
pub async fn export_for_operator(
    txn: &Work,
    email: &str,
    policy: RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<Value> {
    let subject = accounts::find_by_email(txn, email)
        .await?
        .filter(|u| u.erased_at.is_none())
        .ok_or(Error::NotFound)?;
    audit::record(
        txn,
        NewAuditEntry {
            actor_id: None,
            subject_id: Some(subject.id),
            request_id: None,
            action: AuditAction::ExportData,
            operation: "export-user".to_owned(),
        },
        now,
    )
    .await?;
    let document = export_user_data(txn, subject.id, policy, now).await?;
    Ok(document)
}

/// Everything held about one person, as one JSON document. Each section is
/// a table (or part of one) that names them, including requests that give
/// their address as the contact; feed tokens are listed by label only,
/// since their hashes are secrets' stand-ins, not data about anyone.
pub async fn export_user_data(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    policy: RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<Value> {
    let person = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    // The owner's copy: every sealed value in it opened.
    let email = sealing::open_optional(Field::UserEmail, person.id, person.email.as_deref())?;
    let contact_of = |r: &request::Model| -> Result<(Option<String>, Option<String>)> {
        Ok((
            sealing::open_optional(Field::RequestContactName, r.id, r.contact_name.as_deref())?,
            sealing::open_optional(Field::RequestContactEmail, r.id, r.contact_email.as_deref())?,
        ))
    };

    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(group::Entity)
        .order_by_asc(membership::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|(m, g)| {
            json!({
                "group": g.map(|g| json!({ "slug": g.slug, "name": g.name })),
                "role": m.role.as_str(),
                "status": m.status.as_str(),
                "requestedAt": instant(m.created_at),
                "approvedAt": maybe_instant(m.approved_at),
            })
        })
        .collect::<Vec<_>>();

    let rsvps = rsvp::Entity::find()
        .filter(rsvp::Column::UserId.eq(user_id))
        .find_also_related(event::Entity)
        .order_by_asc(rsvp::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|(r, e)| {
            json!({
                "event": e.map(|e| json!({ "id": e.id, "title": e.title, "startsAt": instant(e.starts_at) })),
                "status": r.status.as_str(),
                "createdAt": instant(r.created_at),
            })
        })
        .collect::<Vec<_>>();

    let requests_made = request::Entity::find()
        .filter(request::Column::SubmittedBy.eq(user_id))
        .order_by_asc(request::Column::CreatedAt)
        .all(db)
        .await?;
    let request_ids: Vec<Uuid> = requests_made.iter().map(|r| r.id).collect();
    let mut transitions: HashMap<Uuid, Vec<Value>> = HashMap::new();
    for t in request_transition::Entity::find()
        .filter(request_transition::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(request_transition::Column::CreatedAt)
        .all(db)
        .await?
    {
        transitions.entry(t.request_id).or_default().push(json!({
            "from": t.from_state.map(|s| s.as_str()),
            "to": t.to_state.as_str(),
            "note": t.note,
            "at": instant(t.created_at),
        }));
    }
    let topic_names: HashMap<Uuid, String> = topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let requests_made = requests_made
        .into_iter()
        .map(|r| {
            let (contact_name, contact_email) = contact_of(&r)?;
            Ok(json!({
                "reference": r.reference,
                "kind": r.kind.as_str(),
                "topic": topic_names.get(&r.topic_id),
                "state": r.state.as_str(),
                "organisationName": r.organisation_name,
                "contactName": contact_name,
                "contactEmail": contact_email,
                "online": r.online,
                "town": r.town,
                "postcodeArea": r.postcode_area,
                "expectedAudience": r.expected_audience,
                "notes": r.notes,
                "declineReason": r.decline_reason,
                "createdAt": instant(r.created_at),
                "endedAt": maybe_instant(r.ended_at),
                "contactPurgedAt": maybe_instant(r.contact_purged_at),
                "history": transitions.remove(&r.id).unwrap_or_default(),
            }))
        })
        .collect::<Result<Vec<_>>>()?;

    // Requests someone else submitted that give this person as the contact.
    let as_contact = match email.as_deref() {
        None => Vec::new(),
        Some(email) => request::Entity::find()
            .filter(request::Column::ContactEmailHash.is_in(sealing::lookups(email)?))
            .filter(
                Condition::any()
                    .add(request::Column::SubmittedBy.is_null())
                    .add(request::Column::SubmittedBy.ne(user_id)),
            )
            .order_by_asc(request::Column::CreatedAt)
            .all(db)
            .await?
            .into_iter()
            .map(|r| {
                let (contact_name, contact_email) = contact_of(&r)?;
                Ok(json!({
                    "reference": r.reference,
                    "state": r.state.as_str(),
                    "organisationName": r.organisation_name,
                    "contactName": contact_name,
                    "contactEmail": contact_email,
                    "createdAt": instant(r.created_at),
                    "endedAt": maybe_instant(r.ended_at),
                }))
            })
            .collect::<Result<Vec<_>>>()?,
    };

    let assignments = assignment::Entity::find()
        .filter(assignment::Column::TrainerId.eq(user_id))
        .find_also_related(request::Entity)
        .order_by_asc(assignment::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|(a, r)| {
            json!({
                "request": r.map(|r| r.reference),
                "status": a.status.as_str(),
                "startsAt": instant(a.starts_at),
                "endsAt": instant(a.ends_at),
                "note": a.note,
                "createdAt": instant(a.created_at),
                "respondedAt": maybe_instant(a.responded_at),
            })
        })
        .collect::<Vec<_>>();

    let trainer_profile = match trainer_profile::Entity::find_by_id(user_id).one(db).await? {
        None => Value::Null,
        Some(profile) => {
            let topics: Vec<&String> = trainer_topic::Entity::find()
                .filter(trainer_topic::Column::TrainerId.eq(user_id))
                .all(db)
                .await?
                .iter()
                .filter_map(|t| topic_names.get(&t.topic_id))
                .collect();
            let regions: Vec<String> = trainer_region::Entity::find()
                .filter(trainer_region::Column::TrainerId.eq(user_id))
                .all(db)
                .await?
                .into_iter()
                .map(|r| r.region)
                .collect();
            let away: Vec<Value> = trainer_unavailability::Entity::find()
                .filter(trainer_unavailability::Column::TrainerId.eq(user_id))
                .order_by_asc(trainer_unavailability::Column::StartsAt)
                .all(db)
                .await?
                .into_iter()
                .map(|u| json!({ "startsAt": instant(u.starts_at), "endsAt": instant(u.ends_at), "note": u.note }))
                .collect();
            json!({
                "monthlyCap": profile.monthly_cap,
                "topics": topics,
                "regions": regions,
                "unavailablePeriods": away,
                "createdAt": instant(profile.created_at),
            })
        }
    };

    let feed_tokens = feed_token::Entity::find()
        .filter(feed_token::Column::UserId.eq(user_id))
        .order_by_asc(feed_token::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            json!({
                "label": t.label,
                "createdAt": instant(t.created_at),
                "lastUsedAt": maybe_instant(t.last_used_at),
                "revokedAt": maybe_instant(t.revoked_at),
            })
        })
        .collect::<Vec<_>>();

    let entries = audit_entry::Entity::find()
        .filter(audit_entry::Column::SubjectId.eq(user_id))
        .order_by_asc(audit_entry::Column::CreatedAt)
        .all(db)
        .await?;
    let actors: Vec<Uuid> = entries.iter().filter_map(|e| e.actor_id).collect();
    let names = names_of(db, &actors).await?;
    let audit_entries = entries
        .into_iter()
        .map(|e| {
            json!({
                "actor": actor_name(&names, e.actor_id),
                "action": e.action,
                "operation": e.operation,
                "at": instant(e.created_at),
            })
        })
        .collect::<Vec<_>>();

    // What was sent to them: the kind and when, never the body again.
    let messages = notifications::outbox::sent_to(db, user_id)
        .await?
        .into_iter()
        .map(|m| {
            json!({
                "kind": m.kind,
                "status": m.status,
                "queuedAt": instant(m.created_at),
                "sentAt": maybe_instant(m.sent_at),
            })
        })
        .collect::<Vec<_>>();
    let notification_settings = entity::notification_setting::Entity::find()
        .filter(entity::notification_setting::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| json!({ "topic": s.kind, "delivery": s.delivery }))
        .collect::<Vec<_>>();

    Ok(json!({
        "format": EXPORT_FORMAT,
        "exportedAt": instant(now),
        "profile": {
            "id": person.id,
            "email": email,
            "displayName": person.display_name,
            "role": person.role.as_str(),
            "createdAt": instant(person.created_at),
            "updatedAt": instant(person.updated_at),
            "erasedAt": maybe_instant(person.erased_at),
            "emailVerifiedAt": maybe_instant(person.email_verified_at),
        },
        "memberships": memberships,
        "rsvps": rsvps,
        "requestsMade": requests_made,
        "requestsAsContact": as_contact,
        "assignments": assignments,
        "trainerProfile": trainer_profile,
        "feedTokens": feed_tokens,
        "auditEntries": audit_entries,
        "messagesSent": messages,
        "notificationSettings": notification_settings,
        "signatures": match email.as_deref() {
            Some(email) => super::letters::export_for(db, email).await?,
            None => Value::Array(Vec::new()),
        },
        "removedByRetention": removed_by_retention(policy, now),
    }))
}

/// What the retention purge has removed, said from the policy in force
/// rather than from a record of each deletion: keeping who was at which
/// forgotten event, just to report that it was forgotten, would keep the
/// very thing the purge exists to remove. So the statement is general
/// ("attendance of events ended before this instant"), true for everyone.
fn removed_by_retention(policy: RetentionPolicy, now: DateTime<Utc>) -> Value {
    let before = |days: u32| instant(now - chrono::Duration::days(days.into()));
    json!({
        "rsvpsKeptDaysAfterEventEnds": policy.rsvp_retention_days,
        "attendanceRemovedForEventsEndedBefore": before(policy.rsvp_retention_days),
        "requestContactsKeptDaysAfterRequestEnds": policy.retention_days,
        "requestContactsRemovedForRequestsEndedBefore": before(policy.retention_days),
        "accessLogKeptDays": policy.audit_retention_days,
        "accessLogRemovedBefore": before(policy.audit_retention_days),
        "journalKeptDays": JOURNAL_RETENTION_DAYS,
        "statement": format!(
            "Your RSVPs to events that ended more than {} days ago have been removed: muster keeps only how many were \
             going and waiting, not who. Contact details given on requests are removed {} days after the request \
             ends, and entries of your access log after {} days.",
            policy.rsvp_retention_days, policy.retention_days, policy.audit_retention_days
        ),
    })
}

/// The signed-in person erases their own account; the password proves it
/// is them and not someone at an unlocked screen. The one write step that
/// opens its own unit of work: the password is checked first, outside it,
/// so that a slow hash never holds a transaction (and SQLite's write lock)
/// open.
pub async fn delete_my_account(
    db: &DatabaseConnection,
    viewer: &Viewer,
    password: &str,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    authorize(viewer, Action::UseOwnAccount)?;
    let me = viewer.user_id().ok_or(Error::Unauthenticated)?;
    if !accounts::password_matches(db, me, password).await? {
        return Err(Error::validation("password", "is not your password"));
    }
    in_work(db, async |work| erase(work, me, Some(me), operation, now).await).await?;
    wipe_erased(db).await;
    Ok(())
}

/// The edge calls this once a unit of work that erased an account or
/// purged personal data has committed, so that the removed bytes are gone
/// from the database's files too ([`crate::db::wipe_freed`]). The erasure
/// stands either way: a wipe that could not finish (a long read held the
/// log) is logged, and the next one, or SQLite's own checkpoints as the
/// log fills, overwrite the old pages.
pub async fn wipe_erased(db: &DatabaseConnection) {
    match crate::db::wipe_freed(db).await {
        Ok(Some(true) | None) => {}
        Ok(Some(false)) => tracing::warn!("a long read kept the write-ahead log from being emptied after an erasure"),
        Err(err) => tracing::warn!(error = %err, "could not empty the write-ahead log after an erasure"),
    }
}

/// An admin erases someone's account (for example on a request by post).
pub async fn erase_user(
    db: &Work,
    viewer: &Viewer,
    subject_id: Uuid,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    authorize(viewer, Action::EraseUser)?;
    erase(db, subject_id, viewer.user_id(), operation, now).await
}

/// Free-text columns that might quote someone's email address; on erasure
/// it is replaced by [`REMOVED`] wherever it appears in them.
/// Events' free text is listed apart ([`EVENT_TEXT`]): it is rewritten
/// through the one function that changes what calendars show. The third
/// field says whether the table has an `updated_at` to move on.
const FREE_TEXT: &[(&str, &str, bool)] = &[
    ("requests", "notes", true),
    ("requests", "decline_reason", true),
    ("requests", "organisation_name", true),
    ("request_transitions", "note", false),
    ("assignments", "note", false),
    ("groups", "description", true),
    ("topics", "description", true),
    ("trainer_unavailability", "note", false),
    // A recurring event's shared text and its single occurrences' changes:
    // its occurrences are regenerated from these.
    ("event_series", "title", true),
    ("event_series", "description", true),
    ("event_series", "venue", true),
    ("event_series", "address", true),
    ("event_series", "online_url", true),
    ("event_series", "town", true),
    ("event_series_exceptions", "title", true),
    ("event_series_exceptions", "description", true),
    ("event_series_exceptions", "venue", true),
    ("event_series_exceptions", "address", true),
    ("event_series_exceptions", "online_url", true),
];

/// The columns of an event that might quote an address.
const EVENT_TEXT: &[&str] = &["title", "description", "venue", "address", "online_url", "town"];

/// Erases one account inside the caller's transaction: personal fields
/// cleared, sign-in and feed tokens dead, memberships and RSVPs gone (each
/// freed place going to the waiting list), the trainer profile's coverage
/// and away periods gone, the email scrubbed from free text and from the
/// contact details of requests, and an audit entry written.
pub async fn erase(
    db: &impl ConnectionTrait,
    subject_id: Uuid,
    actor_id: Option<Uuid>,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let subject = user::Entity::find_by_id(subject_id)
        .one(db)
        .await?
        .filter(|u| u.erased_at.is_none())
        .ok_or(Error::NotFound)?;
    if subject.role == UserRole::Admin {
        let admins = user::Entity::find()
            .filter(user::Column::Role.eq(UserRole::Admin))
            .filter(user::Column::ErasedAt.is_null())
            .count(db)
            .await?;
        if admins <= 1 {
            return Err(Error::Conflict("the network must keep at least one admin".into()));
        }
    }

    // RSVPs: a freed place goes to the first on the waiting list, as when
    // the person cancels it themself.
    let held = rsvp::Entity::find()
        .filter(rsvp::Column::UserId.eq(subject_id))
        .order_by_asc(rsvp::Column::EventId)
        .all(db)
        .await?;
    for place in held {
        rsvps::lock_event(db, place.event_id).await?;
        rsvp::Entity::delete_by_id(place.id).exec(db).await?;
        if place.status == RsvpStatus::Going
            && let Some(event) = event::Entity::find_by_id(place.event_id).one(db).await?
        {
            rsvps::fill_free_places(db, actor_id, &event, now).await?;
        }
    }

    // Memberships go even when the person is a group's last organiser: the
    // right to leave outweighs the rule; staff can appoint a new one.
    membership::Entity::delete_many()
        .filter(membership::Column::UserId.eq(subject_id))
        .exec(db)
        .await?;
    feed_token::Entity::delete_many()
        .filter(feed_token::Column::UserId.eq(subject_id))
        .exec(db)
        .await?;

    trainer_topic::Entity::delete_many()
        .filter(trainer_topic::Column::TrainerId.eq(subject_id))
        .exec(db)
        .await?;
    trainer_region::Entity::delete_many()
        .filter(trainer_region::Column::TrainerId.eq(subject_id))
        .exec(db)
        .await?;
    trainer_unavailability::Entity::delete_many()
        .filter(trainer_unavailability::Column::TrainerId.eq(subject_id))
        .exec(db)
        .await?;
    // Assignments keep their trainer (the history of who delivered what);
    // a profile they point to stays as an empty row holding only the cap.
    let engaged = assignment::Entity::find()
        .filter(assignment::Column::TrainerId.eq(subject_id))
        .count(db)
        .await?
        > 0;
    if !engaged {
        trainer_profile::Entity::delete_by_id(subject_id).exec(db).await?;
    }

    let email = sealing::open_optional(Field::UserEmail, subject.id, subject.email.as_deref())?;
    if let Some(email) = email.as_deref() {
        // Contact details on requests that are this person's: submitted by
        // them, or giving their address. `contact_purged_at` stays unset so
        // that retention still clears the notes when the request has ended.
        request::Entity::update_many()
            .col_expr(request::Column::ContactName, Expr::value(Option::<String>::None))
            .col_expr(request::Column::ContactEmail, Expr::value(Option::<String>::None))
            .col_expr(request::Column::ContactEmailHash, Expr::value(Option::<String>::None))
            .col_expr(request::Column::UpdatedAt, Expr::value(now))
            .filter(
                Condition::any()
                    .add(request::Column::SubmittedBy.eq(subject_id))
                    .add(request::Column::ContactEmailHash.is_in(sealing::lookups(email)?)),
            )
            .exec(db)
            .await?;
        group::Entity::update_many()
            .col_expr(group::Column::ContactEmail, Expr::value(Option::<String>::None))
            .col_expr(group::Column::UpdatedAt, Expr::value(now))
            .filter(ExprTrait::eq(
                Func::lower(Expr::col(group::Column::ContactEmail)),
                email,
            ))
            .exec(db)
            .await?;
        scrub_free_text(db, email, actor_id, now).await?;
        // Signatures made with the address keep their place in the counts.
        super::letters::forget_signatory(db, email, now).await?;
    }

    let version = subject.token_version;
    let mut erased = subject.into_active_model();
    erased.email = Set(None);
    erased.email_hash = Set(None);
    erased.display_name = Set(None);
    erased.password_hash = Set(None);
    // An erased account holds no rights, and no token of it works again.
    erased.role = Set(UserRole::Supporter);
    erased.token_version = Set(version + 1);
    erased.erased_at = Set(Some(now));
    erased.email_verified_at = Set(None);
    erased.updated_at = Set(now);
    erased.update(db).await?;
    // Messages to them, sent or waiting, their choices and their links.
    notifications::outbox::forget(db, subject_id).await?;
    notifications::settings::forget(db, subject_id).await?;
    notifications::links::forget(db, subject_id).await?;
    super::sessions::forget(db, subject_id).await?;

    audit::record(
        db,
        NewAuditEntry {
            actor_id,
            subject_id: Some(subject_id),
            request_id: None,
            action: AuditAction::EraseAccount,
            operation: operation.to_owned(),
        },
        now,
    )
    .await?;
    journal::forget(db, subject_id).await?;
    journal::record(db, actor_id, DomainEvent::AccountErased { user_id: subject_id }, now).await
}

/// Replaces `email` (any letter case) with [`REMOVED`] in every free-text
/// column. Rows are found in SQL and rewritten here, since neither database
/// has a case-insensitive REPLACE. A rewritten row's `updated_at` moves on
/// where it has one (feed versions and caches follow it), and events are
/// rewritten through [`events::write_change`], so that every calendar that
/// holds one gets a new version without the address.
async fn scrub_free_text(
    db: &impl ConnectionTrait,
    email: &str,
    actor_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    let pattern = format!("%{}%", escape_like(email));
    let quoting =
        |column: &str| Func::lower(Expr::col(column.to_owned())).like(LikeExpr::new(pattern.clone()).escape('\\'));
    for (table, column, stamped) in FREE_TEXT {
        let select = Query::select()
            .column("id")
            .column(*column)
            .from(*table)
            .and_where(quoting(column))
            .to_owned();
        for row in db.query_all(&select).await? {
            let id: Uuid = row.try_get("", "id")?;
            let text: Option<String> = row.try_get("", column)?;
            let Some(text) = text else { continue };
            let mut update = Query::update()
                .table(*table)
                .value(*column, replace_ignoring_ascii_case(&text, email, REMOVED))
                .and_where(Expr::col("id").eq(id))
                .to_owned();
            if *stamped {
                update.value("updated_at", now);
            }
            db.execute(&update).await?;
        }
    }
    let shown = EVENT_TEXT
        .iter()
        .fold(Condition::any(), |any, column| any.add(quoting(column)));
    for old in event::Entity::find().filter(shown).all(db).await? {
        let scrub = |text: &str| replace_ignoring_ascii_case(text, email, REMOVED);
        let mut changed = old.clone().into_active_model();
        changed.title = Set(scrub(&old.title));
        changed.description = Set(scrub(&old.description));
        changed.venue = Set(old.venue.as_deref().map(scrub));
        changed.address = Set(old.address.as_deref().map(scrub));
        changed.online_url = Set(old.online_url.as_deref().map(scrub));
        changed.town = Set(old.town.as_deref().map(scrub));
        events::write_change(db, actor_id, &old, changed, now).await?;
    }
    Ok(())
}

/// `text` with every occurrence of `needle` (ASCII letters in any case)
/// replaced. Emails are stored lowercased, so ASCII folding finds them
/// however someone typed them.
fn replace_ignoring_ascii_case(text: &str, needle: &str, replacement: &str) -> String {
    if needle.is_empty() {
        return text.to_owned();
    }
    let (haystack, needle_bytes) = (text.as_bytes(), needle.as_bytes());
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at + needle_bytes.len() <= haystack.len() {
        if haystack[at..at + needle_bytes.len()].eq_ignore_ascii_case(needle_bytes)
            && text.is_char_boundary(at)
            && text.is_char_boundary(at + needle_bytes.len())
        {
            out.push_str(&text[copied..at]);
            out.push_str(replacement);
            at += needle_bytes.len();
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::replace_ignoring_ascii_case;

    #[test]
    fn emails_are_replaced_in_any_case() {
        assert_eq!(
            replace_ignoring_ascii_case(
                "Mail Sam@Example.org or sam@example.org.",
                "sam@example.org",
                "[removed]"
            ),
            "Mail [removed] or [removed]."
        );
        assert_eq!(
            replace_ignoring_ascii_case("nothing here", "sam@example.org", "x"),
            "nothing here"
        );
        assert_eq!(
            replace_ignoring_ascii_case("é sam@example.org é", "sam@example.org", "x"),
            "é x é"
        );
    }
}
