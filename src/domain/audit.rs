//! Audit entries: who read or changed whose personal data, when, and by
//! which API operation. Written in the same transaction as the change they
//! record, so a change never lands without its entry.
//!
//! They are read back by the person they concern (`myDataAccessLog`) and by
//! admins (`auditLog`); the listing here serves both, newest first.

use chrono::{DateTime, Utc};
use entity::{audit_entry, request, user};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::pagination::{Page, keyset_page, two_column_position},
    error::{Error, Result},
};

/// What was read or changed; stored as text, stable across releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    ReadEmail,
    ChangeRole,
    ApproveMembership,
    RemoveMembership,
    ChangeMemberRole,
    /// Someone else changed the person's trainer profile or away periods.
    ChangeTrainerProfile,
    /// A request's contact name and email were shown to someone.
    ReadContactDetails,
    /// Everything held about a person was exported for someone other than
    /// them (an operator's `muster export-user`).
    ExportData,
    /// The account was erased.
    EraseAccount,
    /// Someone else saw the person's answer to an event (an attendee list):
    /// who goes to which meeting is itself personal data.
    ReadAttendance,
    /// A letter's signatories' emails or contact names were shown or
    /// exported (`letter_id` names the letter).
    ReadSignatories,
}

/// The action names a trail can be filtered by, in the order pages list
/// them.
pub fn action_names() -> impl Iterator<Item = &'static str> {
    AuditAction::ALL.iter().map(|action| action.as_str())
}

/// Who reads an entry of the trail: an admin looking at anyone's, or the
/// person the entry is about, looking at their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailReader {
    Admin,
    Subject,
}

/// What an entry of the trail says was done, in words for its reader; an
/// action name no longer in use still reads as something.
pub fn in_words(action: &str, reader: TrailReader) -> &'static str {
    use AuditAction as A;
    use TrailReader::{Admin, Subject};
    match (AuditAction::parse(action), reader) {
        (Some(A::ReadEmail), Admin) => "read the email address",
        (Some(A::ReadEmail), Subject) => "saw your email address",
        (Some(A::ChangeRole), Admin) => "changed the role",
        (Some(A::ChangeRole), Subject) => "changed your role in the network",
        (Some(A::ApproveMembership), Admin) => "approved a membership",
        (Some(A::ApproveMembership), Subject) => "approved your request to join a group",
        (Some(A::RemoveMembership), Admin) => "removed a membership",
        (Some(A::RemoveMembership), Subject) => "removed you from a group, or turned down your request",
        (Some(A::ChangeMemberRole), Admin) => "changed a member's role",
        (Some(A::ChangeMemberRole), Subject) => "changed your role in a group",
        (Some(A::ChangeTrainerProfile), Admin) => "changed the trainer profile",
        (Some(A::ChangeTrainerProfile), Subject) => "changed your trainer profile",
        (Some(A::ReadContactDetails), Admin) => "read a request's contact details",
        (Some(A::ReadContactDetails), Subject) => "saw your contact details on a request",
        (Some(A::ExportData), Admin) => "exported the data",
        (Some(A::ExportData), Subject) => "exported a copy of your data",
        (Some(A::EraseAccount), Admin) => "erased the account",
        (Some(A::EraseAccount), Subject) => "erased your account",
        (Some(A::ReadAttendance), Admin) => "read an attendance",
        (Some(A::ReadAttendance), Subject) => "saw that you answered an event",
        (Some(A::ReadSignatories), Admin) => "read signatories' contact details",
        (Some(A::ReadSignatories), Subject) => "saw your contact details on a letter you signed",
        (None, Admin) => "did something no longer listed",
        (None, Subject) => "read or changed your data",
    }
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadEmail => "READ_EMAIL",
            Self::ChangeRole => "CHANGE_ROLE",
            Self::ApproveMembership => "APPROVE_MEMBERSHIP",
            Self::RemoveMembership => "REMOVE_MEMBERSHIP",
            Self::ChangeMemberRole => "CHANGE_MEMBER_ROLE",
            Self::ChangeTrainerProfile => "CHANGE_TRAINER_PROFILE",
            Self::ReadContactDetails => "READ_CONTACT_DETAILS",
            Self::ExportData => "EXPORT_DATA",
            Self::EraseAccount => "ERASE_ACCOUNT",
            Self::ReadAttendance => "READ_ATTENDANCE",
            Self::ReadSignatories => "READ_SIGNATORIES",
        }
    }

    pub const ALL: [AuditAction; 11] = [
        Self::ReadEmail,
        Self::ChangeRole,
        Self::ApproveMembership,
        Self::RemoveMembership,
        Self::ChangeMemberRole,
        Self::ChangeTrainerProfile,
        Self::ReadContactDetails,
        Self::ExportData,
        Self::EraseAccount,
        Self::ReadAttendance,
        Self::ReadSignatories,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// An action named in a filter, e.g. `READ_EMAIL`; anything else is a
/// `BAD_USER_INPUT` on `action` that lists the known ones.
pub fn action_from_input(raw: &str) -> Result<AuditAction> {
    AuditAction::parse(raw.trim()).ok_or_else(|| {
        let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        Error::validation("action", format!("must be one of {}", known.join(", ")))
    })
}

#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub action: AuditAction,
    /// The API operation that caused it, e.g. `approveMember`.
    pub operation: String,
}

pub async fn record(db: &impl ConnectionTrait, entry: NewAuditEntry, now: DateTime<Utc>) -> Result<()> {
    record_all(db, vec![entry], now).await
}

/// Writes several entries in one statement.
pub async fn record_all(db: &impl ConnectionTrait, entries: Vec<NewAuditEntry>, now: DateTime<Utc>) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries.into_iter().map(|e| audit_entry::ActiveModel {
        id: Set(Uuid::new_v4()),
        actor_id: Set(e.actor_id),
        subject_id: Set(e.subject_id),
        request_id: Set(e.request_id),
        letter_id: Set(None),
        action: Set(e.action.as_str().to_owned()),
        operation: Set(e.operation),
        created_at: Set(now),
    });
    audit_entry::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A read of one request's contact details, as the audit needs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContactRead {
    pub request_id: Uuid,
    pub submitted_by: Option<Uuid>,
    /// The keyed hash of the contact's address, which finds their account.
    pub contact_email_hash: Option<String>,
    /// The API operation (or command) that read them.
    pub operation: String,
}

impl ContactRead {
    pub fn of(request: &request::Model, operation: &str) -> Self {
        Self {
            request_id: request.id,
            submitted_by: request.submitted_by,
            contact_email_hash: request.contact_email_hash.clone(),
            operation: operation.to_owned(),
        }
    }
}

/// Records that `actor_id` was shown one request's contact details: in the
/// log of the account the contact email belongs to, if any, and of the
/// account that submitted it.
pub async fn record_contact_read(
    db: &impl ConnectionTrait,
    actor_id: Option<Uuid>,
    request: &request::Model,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    record_contact_reads(db, actor_id, &[ContactRead::of(request, operation)], now).await
}

/// The same for several reads, in two statements however many there are.
/// Nobody's read of their own details is recorded as an access.
pub async fn record_contact_reads(
    db: &impl ConnectionTrait,
    actor_id: Option<Uuid>,
    reads: &[ContactRead],
    now: DateTime<Utc>,
) -> Result<()> {
    let hashes: Vec<String> = reads.iter().filter_map(|r| r.contact_email_hash.clone()).collect();
    let owners: std::collections::HashMap<String, Uuid> = if hashes.is_empty() {
        Default::default()
    } else {
        user::Entity::find()
            .select_only()
            .column(user::Column::EmailHash)
            .column(user::Column::Id)
            .filter(user::Column::EmailHash.is_in(hashes))
            .filter(user::Column::ErasedAt.is_null())
            .into_tuple::<(Option<String>, Uuid)>()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(hash, id)| hash.map(|h| (h, id)))
            .collect()
    };
    let mut entries = Vec::new();
    for read in reads {
        let mut subjects: Vec<Uuid> = Vec::new();
        if let Some(owner) = read.contact_email_hash.as_ref().and_then(|h| owners.get(h)) {
            subjects.push(*owner);
        }
        if let Some(submitter) = read.submitted_by
            && !subjects.contains(&submitter)
        {
            subjects.push(submitter);
        }
        // Nobody holds an account the read could be shown to (an outside
        // organisation that asked without one): the entry still goes into
        // the trail admins read, tied to the request.
        if subjects.is_empty() {
            entries.push(NewAuditEntry {
                actor_id,
                subject_id: None,
                request_id: Some(read.request_id),
                action: AuditAction::ReadContactDetails,
                operation: read.operation.clone(),
            });
            continue;
        }
        subjects.retain(|s| Some(*s) != actor_id);
        entries.extend(subjects.into_iter().map(|subject| NewAuditEntry {
            actor_id,
            subject_id: Some(subject),
            request_id: Some(read.request_id),
            action: AuditAction::ReadContactDetails,
            operation: read.operation.clone(),
        }));
    }
    record_all(db, entries, now).await
}

/// Which entries an admin asks for; every field narrows the list.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    pub action: Option<AuditAction>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

two_column_position!(
    /// Position in the newest-first order: time, then id for equal times.
    AuditPosition in audit_entry { created_at: DateTime<Utc> = CreatedAt Descending, id: Uuid = Id Descending }
);

/// The signed-in person's access log: every entry whose subject they are.
pub async fn my_access_log(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    after: Option<&AuditPosition>,
    limit: u64,
) -> Result<Page<audit_entry::Model>> {
    authorize(viewer, Action::UseOwnAccount)?;
    let me = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let filter = AuditFilter {
        subject_id: Some(me),
        ..AuditFilter::default()
    };
    page(db, &filter, after, limit).await
}

/// The whole audit trail, filtered, for admins.
pub async fn audit_log(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &AuditFilter,
    after: Option<&AuditPosition>,
    limit: u64,
) -> Result<Page<audit_entry::Model>> {
    authorize(viewer, Action::ReadAuditLog)?;
    if let (Some(since), Some(until)) = (filter.since, filter.until)
        && until < since
    {
        return Err(Error::validation("until", "must not be before since"));
    }
    page(db, filter, after, limit).await
}

async fn page(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    after: Option<&AuditPosition>,
    limit: u64,
) -> Result<Page<audit_entry::Model>> {
    let mut condition = Condition::all();
    if let Some(actor) = filter.actor_id {
        condition = condition.add(audit_entry::Column::ActorId.eq(actor));
    }
    if let Some(subject) = filter.subject_id {
        condition = condition.add(audit_entry::Column::SubjectId.eq(subject));
    }
    if let Some(action) = filter.action {
        condition = condition.add(audit_entry::Column::Action.eq(action.as_str()));
    }
    if let Some(since) = filter.since {
        condition = condition.add(audit_entry::Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        condition = condition.add(audit_entry::Column::CreatedAt.lt(until));
    }
    keyset_page(db, audit_entry::Entity::find().filter(condition), after, limit).await
}

#[cfg(test)]
mod tests {
    use super::{AuditAction, TrailReader, action_names, in_words};

    #[test]
    fn every_action_reads_as_words_for_both_readers() {
        for name in action_names() {
            assert_ne!(in_words(name, TrailReader::Subject), "read or changed your data");
            assert_ne!(in_words(name, TrailReader::Admin), "did something no longer listed");
        }
        assert_eq!(in_words("GONE", TrailReader::Subject), "read or changed your data");
    }

    #[test]
    fn actions_round_trip_through_their_stored_spelling() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("read_email"), None);
    }
}
