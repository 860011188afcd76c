use sea_orm::entity::prelude::*;

/// A message to send, or sent: one per (trigger, subject, recipient). The
/// recipient is named by id and looked up when sending; the body is removed
/// some days after sending, keeping kind, recipient id and times.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// What triggered it, what it is about and who it is for, as one key.
    pub dedupe_key: String,
    /// e.g. `TRAINER_OFFER`; stable across releases.
    pub kind: String,
    /// An account.
    pub recipient_user_id: Option<Uuid>,
    /// A request's contact (an outside organisation without an account).
    pub recipient_request_id: Option<Uuid>,
    /// The new address of a pending email change.
    pub recipient_token_id: Option<Uuid>,
    /// A letter's signatory (no account): the confirmation link.
    pub recipient_signature_id: Option<Uuid>,
    /// Held for the recipient's daily digest rather than sent alone.
    pub digest: bool,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    /// One-click unsubscribe for an optional message (signed; no address).
    pub unsubscribe_url: Option<String>,
    /// `PENDING`, `SENDING`, `SENT`, `FAILED`, or `DROPPED` (nobody to send to).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub claimed_at: Option<DateTimeUtc>,
    /// Why the last attempt failed, from the mail server; never an address.
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub body_removed_at: Option<DateTimeUtc>,
}

no_relations!();
