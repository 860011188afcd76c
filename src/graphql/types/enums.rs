//! GraphQL enums, mirrored from the stored enums so that the API's names
//! stay fixed whatever the storage does.

use async_graphql::Enum;
use entity::{MembershipRole, MembershipStatus, UserRole};

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
