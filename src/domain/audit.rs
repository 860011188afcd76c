//! Audit entries: who read or changed whose personal data, when, and by
//! which API operation. Written in the same transaction as the change they
//! record, so a change never lands without its entry.

use chrono::{DateTime, Utc};
use entity::audit_entry;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use crate::error::Result;

/// What was read or changed; stored as text, stable across releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    ReadEmail,
    ChangeRole,
    ApproveMembership,
    RemoveMembership,
    ChangeMemberRole,
    ReadRequestContact,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadEmail => "READ_EMAIL",
            Self::ChangeRole => "CHANGE_ROLE",
            Self::ApproveMembership => "APPROVE_MEMBERSHIP",
            Self::RemoveMembership => "REMOVE_MEMBERSHIP",
            Self::ChangeMemberRole => "CHANGE_MEMBER_ROLE",
            Self::ReadRequestContact => "READ_REQUEST_CONTACT",
        }
    }
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
        action: Set(e.action.as_str().to_owned()),
        operation: Set(e.operation),
        created_at: Set(now),
    });
    audit_entry::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
