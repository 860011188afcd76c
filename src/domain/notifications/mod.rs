//! Telling people: what muster sends, to whom, and how each person chose to
//! hear it.
//!
//! The journal is the only trigger. [`plan`] reads the domain events a step
//! recorded (and, for chasers and reminders, the clock) and writes one
//! outbox row per (trigger, subject, recipient) under a unique key, so that
//! planning the same events twice, or on two instances at once, adds
//! nothing. [`outbox`] holds the rows through `PENDING → SENDING → SENT`
//! (or `FAILED` after its retries); the mail worker at the edge claims and
//! sends them. Account links (password reset, verification, a change of
//! address) are in [`links`].
//!
//! What a message may carry is decided in [`letters`]: no one else's
//! address, no notes (they may hold health or immigration details), no
//! venue at all (those going see it on the site), and for a members-only
//! event not even its title.

pub mod letters;
pub mod links;
pub mod outbox;
pub mod plan;
pub mod settings;

use chrono::Duration;

use crate::urls::PublicUrls;

/// A kind of message, as stored in the outbox; stable across releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// To a trainer: a coordinator proposed them for a request.
    TrainerOffer,
    /// To a trainer: the offer is still unanswered.
    OfferChaser,
    /// To a trainer: the engagement is tomorrow.
    EngagementReminder,
    /// To a trainer: an engagement or offer they had was called off.
    EngagementCancelled,
    /// To the requester: the request arrived.
    RequestReceived,
    RequestConfirmed,
    RequestDeclined,
    RequestCancelled,
    /// To coordinators.
    NewRequest,
    TrainerDeclined,
    OfferUnanswered,
    WindowsClosing,
    /// To a supporter: promoted from the waiting list.
    PlaceOffered,
    EventMoved,
    EventCancelled,
    EventReminder,
    /// To a group's organisers.
    JoinRequested,
    /// To a member.
    MembershipApproved,
    /// Account messages: always sent, whatever the settings.
    PasswordReset,
    VerifyEmail,
    AccountExists,
    VerifyNewEmail,
    EmailChangeNotice,
    /// Several held messages in one.
    Digest,
    /// To a letter's signatory: the link that confirms the signature.
    ConfirmSignature,
}

impl MessageKind {
    pub const ALL: [MessageKind; 25] = [
        Self::TrainerOffer,
        Self::OfferChaser,
        Self::EngagementReminder,
        Self::EngagementCancelled,
        Self::RequestReceived,
        Self::RequestConfirmed,
        Self::RequestDeclined,
        Self::RequestCancelled,
        Self::NewRequest,
        Self::TrainerDeclined,
        Self::OfferUnanswered,
        Self::WindowsClosing,
        Self::PlaceOffered,
        Self::EventMoved,
        Self::EventCancelled,
        Self::EventReminder,
        Self::JoinRequested,
        Self::MembershipApproved,
        Self::PasswordReset,
        Self::VerifyEmail,
        Self::AccountExists,
        Self::VerifyNewEmail,
        Self::EmailChangeNotice,
        Self::Digest,
        Self::ConfirmSignature,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrainerOffer => "TRAINER_OFFER",
            Self::OfferChaser => "OFFER_CHASER",
            Self::EngagementReminder => "ENGAGEMENT_REMINDER",
            Self::EngagementCancelled => "ENGAGEMENT_CANCELLED",
            Self::RequestReceived => "REQUEST_RECEIVED",
            Self::RequestConfirmed => "REQUEST_CONFIRMED",
            Self::RequestDeclined => "REQUEST_DECLINED",
            Self::RequestCancelled => "REQUEST_CANCELLED",
            Self::NewRequest => "NEW_REQUEST",
            Self::TrainerDeclined => "TRAINER_DECLINED",
            Self::OfferUnanswered => "OFFER_UNANSWERED",
            Self::WindowsClosing => "WINDOWS_CLOSING",
            Self::PlaceOffered => "PLACE_OFFERED",
            Self::EventMoved => "EVENT_MOVED",
            Self::EventCancelled => "EVENT_CANCELLED",
            Self::EventReminder => "EVENT_REMINDER",
            Self::JoinRequested => "JOIN_REQUESTED",
            Self::MembershipApproved => "MEMBERSHIP_APPROVED",
            Self::PasswordReset => "PASSWORD_RESET",
            Self::VerifyEmail => "VERIFY_EMAIL",
            Self::AccountExists => "ACCOUNT_EXISTS",
            Self::VerifyNewEmail => "VERIFY_NEW_EMAIL",
            Self::EmailChangeNotice => "EMAIL_CHANGE_NOTICE",
            Self::Digest => "DIGEST",
            Self::ConfirmSignature => "CONFIRM_SIGNATURE",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The choice that governs it; `None` for account messages, which an
    /// account needs to work and which cannot be switched off.
    pub fn topic(self) -> Option<NotificationTopic> {
        use NotificationTopic as T;
        Some(match self {
            Self::TrainerOffer | Self::OfferChaser | Self::EngagementCancelled => T::Offers,
            Self::EngagementReminder => T::EngagementReminders,
            Self::RequestReceived | Self::RequestConfirmed | Self::RequestDeclined | Self::RequestCancelled => {
                T::RequestUpdates
            }
            Self::NewRequest => T::NewRequests,
            Self::TrainerDeclined | Self::OfferUnanswered | Self::WindowsClosing => T::QueueAlerts,
            Self::PlaceOffered => T::Places,
            Self::EventMoved | Self::EventCancelled => T::EventChanges,
            Self::EventReminder => T::EventReminders,
            Self::JoinRequested | Self::MembershipApproved => T::Membership,
            Self::PasswordReset
            | Self::VerifyEmail
            | Self::AccountExists
            | Self::VerifyNewEmail
            | Self::EmailChangeNotice
            | Self::Digest
            | Self::ConfirmSignature => return None,
        })
    }

    /// Whether the body holds a single-use secret (a reset or verification
    /// link): such a body is removed as soon as it is sent.
    pub fn carries_secret(self) -> bool {
        matches!(
            self,
            Self::PasswordReset
                | Self::VerifyEmail
                | Self::VerifyNewEmail
                | Self::AccountExists
                | Self::EmailChangeNotice
                | Self::ConfirmSignature
        )
    }
}

/// What a person chooses about, one choice each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotificationTopic {
    /// Trainers: offers, chasers, and offers or engagements called off.
    Offers,
    /// Trainers: the day before an engagement.
    EngagementReminders,
    /// Requesters (a group's organisers): received, confirmed, declined, cancelled.
    RequestUpdates,
    /// Coordinators: a new request arrived.
    NewRequests,
    /// Coordinators: a trainer declined, an offer went unanswered, a
    /// request's windows are about to pass.
    QueueAlerts,
    /// Supporters: a place came free for you.
    Places,
    /// Supporters: an event you are going to moved or was cancelled.
    EventChanges,
    /// Supporters: the day before an event you are going to.
    EventReminders,
    /// Organisers: someone asked to join; members: you were approved.
    Membership,
}

impl NotificationTopic {
    pub const ALL: [NotificationTopic; 9] = [
        Self::Offers,
        Self::EngagementReminders,
        Self::RequestUpdates,
        Self::NewRequests,
        Self::QueueAlerts,
        Self::Places,
        Self::EventChanges,
        Self::EventReminders,
        Self::Membership,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offers => "OFFERS",
            Self::EngagementReminders => "ENGAGEMENT_REMINDERS",
            Self::RequestUpdates => "REQUEST_UPDATES",
            Self::NewRequests => "NEW_REQUESTS",
            Self::QueueAlerts => "QUEUE_ALERTS",
            Self::Places => "PLACES",
            Self::EventChanges => "EVENT_CHANGES",
            Self::EventReminders => "EVENT_REMINDERS",
            Self::Membership => "MEMBERSHIP",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// What a person gets before choosing: coordinators read new requests
    /// once a day, reminders of one's own events are asked for, and
    /// everything else comes when it happens.
    pub fn default_delivery(self) -> Delivery {
        match self {
            Self::NewRequests => Delivery::Daily,
            Self::EventReminders => Delivery::Never,
            _ => Delivery::Immediately,
        }
    }

    /// In plain words, for the settings and the unsubscribe page.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Offers => "offers to deliver a talk or workshop, and engagements called off",
            Self::EngagementReminders => "reminders the day before your engagements",
            Self::RequestUpdates => "news of the requests your group made",
            Self::NewRequests => "new requests for a speaker or workshop",
            Self::QueueAlerts => {
                "requests that need a coordinator: declined or unanswered offers, windows about to pass"
            }
            Self::Places => "a place coming free for you at an event",
            Self::EventChanges => "events you are going to that move or are cancelled",
            Self::EventReminders => "reminders the day before events you are going to",
            Self::Membership => "requests to join your group, and your own membership",
        }
    }
}

/// How a person wants one topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Immediately,
    /// Held and sent together each morning.
    Daily,
    Never,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immediately => "IMMEDIATELY",
            Self::Daily => "DAILY",
            Self::Never => "NEVER",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Immediately, Self::Daily, Self::Never]
            .into_iter()
            .find(|d| d.as_str() == raw)
    }
}

static NUDGE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Tells the mail worker of this process that something was committed.
pub fn nudge() {
    NUDGE.notify_waiters();
}

/// Waits for the next [`nudge`].
pub async fn nudged() {
    NUDGE.notified().await
}

/// What writing a message needs beyond the database: where links point,
/// the key that signs unsubscribe links, and the rules' periods.
#[derive(Debug, Clone)]
pub struct Mailroom {
    pub urls: PublicUrls,
    pub links: links::LinkKey,
    /// An unanswered offer is chased after this long, and the coordinators
    /// told after twice this.
    pub chase_after: Duration,
}
