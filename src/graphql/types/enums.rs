//! GraphQL enums, mirrored from the stored enums so that the API's names
//! stay fixed whatever the storage does.

use async_graphql::Enum;
use entity::{
    AssignmentStatus, EventKind, EventStatus, EventVisibility, MembershipRole, MembershipStatus, RequestKind,
    RequestState, RsvpStatus, UserRole, VenueVisibility,
};

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $gql:ident as $name:literal <=> $stored:ident {
        $($(#[$variant_meta:meta])* $variant:ident),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        #[graphql(name = $name)]
        pub enum $gql { $($(#[$variant_meta])* $variant),+ }

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
    /// A person's role in the whole network, which decides what they may
    /// see and do beyond their own groups.
    GqlUserRole as "UserRole" <=> UserRole {
        /// Anyone who signed up: joins groups, goes to events, asks for
        /// speakers and workshops.
        Supporter,
        /// Network staff: keeps the groups, topics and trainers, and deals
        /// with the requests; sees contact details, each read recorded.
        Coordinator,
        /// A coordinator who also sets people's roles, erases accounts and
        /// reads the whole audit trail.
        Admin,
    }
);
mirror_enum!(
    /// A member's role in one group.
    GqlMembershipRole as "MembershipRole" <=> MembershipRole {
        /// Belongs to the group: sees its members-only events.
        Member,
        /// Runs the group: approves members, sees the member list, holds
        /// the group's events and asks for speakers and workshops for it.
        Organiser,
    }
);
mirror_enum!(
    /// Whether a membership has been approved by the group's organisers.
    GqlMembershipStatus as "MembershipStatus" <=> MembershipStatus {
        /// Asked to join; waiting for an organiser to approve.
        Pending,
        /// Approved: a member of the group.
        Active,
    }
);
mirror_enum!(
    /// What kind of event it is.
    GqlEventKind as "EventKind" <=> EventKind {
        /// An interactive session on a topic, run by a trainer.
        Workshop,
        /// A speaker on a topic, usually with questions after.
        Talk,
        /// A training course, e.g. Safe Surgeries training for practice
        /// staff.
        Training,
        /// A campaign action: a protest, a stall, a day of action.
        Action,
        /// A meeting of a group or of the network.
        Meeting,
        /// Anything else.
        Other,
    }
);
mirror_enum!(
    /// Who may see an event: everyone, or the members of its group.
    GqlEventVisibility as "EventVisibility" <=> EventVisibility {
        /// Anyone, signed in or not, and the public calendar feeds.
        Public,
        /// Only the members of its group, coordinators and admins (and, by
        /// its id, the trainer delivering it).
        Members,
    }
);
mirror_enum!(
    /// Who is told an event's exact venue and address.
    GqlVenueVisibility as "VenueVisibility" <=> VenueVisibility {
        /// Everyone who may see the event.
        Public,
        /// Those going (a place on the waiting list is not one), the group's
        /// organisers, the trainer delivering it, coordinators and admins;
        /// everyone else, the public feeds and pages included, sees the town
        /// and postcode area.
        Going,
    }
);
mirror_enum!(
    /// Cancelled events stay visible, marked, so calendars can strike them.
    GqlEventStatus as "EventStatus" <=> EventStatus {
        /// Going ahead as listed.
        Scheduled,
        /// Called off; kept in lists and feeds, marked cancelled.
        Cancelled,
    }
);
mirror_enum!(
    /// A place at the event, or a place on its waiting list.
    GqlRsvpStatus as "RsvpStatus" <=> RsvpStatus {
        /// Has a place.
        Going,
        /// On the waiting list; moves up, in order, when a place is given
        /// up.
        Waitlisted,
    }
);
mirror_enum!(
    /// What is asked for: someone to speak at the requester's own event,
    /// or a workshop delivered by a trainer.
    GqlRequestKind as "RequestKind" <=> RequestKind {
        /// Someone to speak at the requester's own event.
        Speaker,
        /// A workshop run by one of the network's trainers.
        Workshop,
    }
);
mirror_enum!(
    /// Where a request is in the workflow.
    GqlRequestState as "RequestState" <=> RequestState {
        /// Sent in; waiting for a coordinator to propose a trainer.
        Submitted,
        /// A trainer has been proposed; waiting for their answer.
        Assigned,
        /// The trainer accepted: the engagement has a date and is in the
        /// calendar.
        Confirmed,
        /// It took place. Final.
        Delivered,
        /// A coordinator turned it down, saying why. Final.
        Declined,
        /// The requester called it off before delivery. Final.
        Withdrawn,
        /// A coordinator called off a confirmed engagement. Final.
        Cancelled,
    }
);
mirror_enum!(
    /// A trainer's answer to being proposed for a request.
    GqlAssignmentStatus as "AssignmentStatus" <=> AssignmentStatus {
        /// Waiting for the trainer's answer.
        Proposed,
        /// The trainer takes it on, in the slot they chose.
        Accepted,
        /// The trainer cannot take it on.
        Declined,
    }
);
