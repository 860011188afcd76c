//! The enumerations stored as text columns. The migration guards each column
//! with a CHECK on the same values.

use sea_orm::entity::prelude::*;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name {
            $(#[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            /// The stored (and API) spelling of the value.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }
        }
    };
}

text_enum!(
    /// A user's global role; group roles live on memberships.
    UserRole { Supporter = "SUPPORTER", Coordinator = "COORDINATOR", Admin = "ADMIN" }
);
text_enum!(MembershipRole { Member = "MEMBER", Organiser = "ORGANISER" });
text_enum!(MembershipStatus { Pending = "PENDING", Active = "ACTIVE" });
text_enum!(RequestKind { Speaker = "SPEAKER", Workshop = "WORKSHOP" });
text_enum!(RequestState {
    Submitted = "SUBMITTED",
    Assigned = "ASSIGNED",
    Confirmed = "CONFIRMED",
    Delivered = "DELIVERED",
    Declined = "DECLINED",
    Withdrawn = "WITHDRAWN",
    Cancelled = "CANCELLED",
});
text_enum!(AssignmentStatus { Proposed = "PROPOSED", Accepted = "ACCEPTED", Declined = "DECLINED" });
text_enum!(EventKind {
    Workshop = "WORKSHOP",
    Talk = "TALK",
    Training = "TRAINING",
    Action = "ACTION",
    Meeting = "MEETING",
    Other = "OTHER",
});
text_enum!(EventVisibility { Public = "PUBLIC", Members = "MEMBERS" });
text_enum!(
    /// Who is told an event's exact venue and address: everyone who sees
    /// the event, or only those going (and those who run it); the others
    /// see the town and postcode area.
    VenueVisibility { Public = "PUBLIC", Going = "GOING" }
);
text_enum!(EventStatus { Scheduled = "SCHEDULED", Cancelled = "CANCELLED" });
text_enum!(RsvpStatus { Going = "GOING", Waitlisted = "WAITLISTED" });
