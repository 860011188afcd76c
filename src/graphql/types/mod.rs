//! The API's own output types, built from entities field by field so that a
//! column change cannot silently change what clients see.

mod audit;
mod enums;
mod event;
mod feed_token;
mod group;
mod membership;
mod request;
mod rsvp;
mod series;
mod topic;
mod trainer;
mod user;

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};

pub use audit::AuditEntry;
pub use enums::{
    GqlAssignmentStatus, GqlEventKind, GqlEventStatus, GqlEventVisibility, GqlMembershipRole, GqlMembershipStatus,
    GqlRequestKind, GqlRequestState, GqlRsvpStatus, GqlUserRole, GqlVenueVisibility,
};
pub use event::Event;
pub use feed_token::{CreatedFeedToken, FeedToken};
pub use group::Group;
pub use membership::Membership;
pub use request::{Assignment, Request, RequestReceipt, RequestStatus, TrainerSuggestion};
pub use rsvp::Rsvp;
pub use series::EventSeries;
pub use topic::Topic;
pub use trainer::{TrainerProfile, UnavailablePeriod};
pub use user::User;

/// Extra fields on every connection.
#[derive(SimpleObject)]
pub struct ConnectionTotal {
    /// How many items match the filter, across all pages.
    pub total_count: u64,
}

/// A sign-in token and the account it is for.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token stops working (12 hours after sign-in unless the operator set
    /// `MUSTER_JWT_TTL_HOURS`); sooner if revoked.
    pub expires_at: DateTime<Utc>,
    /// The account signed in, as it sees itself (its email and role included).
    pub user: User,
}
