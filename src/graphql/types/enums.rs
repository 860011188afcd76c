//! GraphQL enums, mirrored from the stored enums so that the API's names
//! stay fixed whatever the storage does.

use async_graphql::Enum;
use entity::{
    AssignmentStatus, EventKind, EventStatus, EventVisibility, MembershipRole, MembershipStatus, RequestKind,
    RequestState, RsvpStatus, UserRole,
};

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $gql:ident as $name:literal <=> $stored:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        #[graphql(name = $name)]
        pub enum $gql { $($variant),+ }

        impl From<$stored> for $gql {
            fn from(value: $stored) -> Self {
                match value { $($stored::$variant => Self::$variant),+ }
            }
        }

        impl From<$gql> for $stored {
            fn from(value: $gql) -> Self {
                match value { $($gql::$variant => Self::$variant),+ }
            }
        }
    };
}

mirror_enum!(
    /// A person's role in the whole network.
    GqlUserRole as "UserRole" <=> UserRole { Supporter, Coordinator, Admin }
);
mirror_enum!(
    /// A member's role in one group.
    GqlMembershipRole as "MembershipRole" <=> MembershipRole { Member, Organiser }
);
mirror_enum!(
    /// Whether a membership has been approved by the group's organisers.
    GqlMembershipStatus as "MembershipStatus" <=> MembershipStatus { Pending, Active }
);
mirror_enum!(
    /// What kind of event it is.
    GqlEventKind as "EventKind" <=> EventKind { Workshop, Talk, Training, Action, Meeting, Other }
);
mirror_enum!(
    /// Who may see an event: everyone, or the members of its group.
    GqlEventVisibility as "EventVisibility" <=> EventVisibility { Public, Members }
);
mirror_enum!(
    /// Cancelled events stay visible, marked, so calendars can strike them.
    GqlEventStatus as "EventStatus" <=> EventStatus { Scheduled, Cancelled }
);
mirror_enum!(
    /// A place at the event, or a place on its waiting list.
    GqlRsvpStatus as "RsvpStatus" <=> RsvpStatus { Going, Waitlisted }
);
mirror_enum!(
    /// What is asked for: someone to speak at the requester's own event,
    /// or a workshop delivered by a trainer.
    GqlRequestKind as "RequestKind" <=> RequestKind { Speaker, Workshop }
);
mirror_enum!(
    /// Where a request is in the workflow.
    GqlRequestState as "RequestState" <=> RequestState {
        Submitted, Assigned, Confirmed, Delivered, Declined, Withdrawn, Cancelled
    }
);
mirror_enum!(
    /// A trainer's answer to being proposed for a request.
    GqlAssignmentStatus as "AssignmentStatus" <=> AssignmentStatus { Proposed, Accepted, Declined }
);
