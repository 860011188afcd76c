//! The one authorization policy: may this viewer perform this action?
//!
//! Every resolver that reads or changes data calls [`authorize`] with an
//! [`Action`] naming the resource; no resolver checks roles itself. The
//! decisions follow DESIGN.md's "Who sees what" table. Anonymous viewers get
//! `UNAUTHENTICATED` for anything that needs an account, signed-in viewers
//! without the right get `FORBIDDEN`. A grant says whether the access reads
//! someone else's personal data and so must be audited.

use uuid::Uuid;

use crate::{
    auth::viewer::Viewer,
    error::{Error, Result},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Anything a signed-in person does to their own account and
    /// memberships: `me`, `myGroups`, `updateProfile`, `changePassword`,
    /// `signOutEverywhere`, `requestToJoin`, `leaveGroup`; and the data
    /// subject's rights over their own data: `myDataAccessLog`,
    /// `exportMyData`, `deleteMyAccount`.
    UseOwnAccount,
    /// Change a user's global role (admins only).
    SetUserRole,
    /// Read the whole audit trail, who read or changed whose data (admins
    /// only; each person reads their own part with `UseOwnAccount`).
    ReadAuditLog,
    /// Erase someone else's account (admins only).
    EraseUser,
    /// See what the outbox holds (counts and kinds) and put failed
    /// messages back in the queue (admins only).
    ManageOutbox,
    CreateGroup,
    /// Edit a group's public profile; `network_fields` when the change
    /// touches what the network classifies groups by (the region).
    UpdateGroup {
        group_id: Uuid,
        network_fields: bool,
    },
    ArchiveGroup,
    /// See who the members of a group are.
    ListGroupMembers {
        group_id: Uuid,
    },
    /// Approve, remove, or change the role of a group's members.
    ManageMembers {
        group_id: Uuid,
    },
    /// Read a person's email: `subject_groups` are the groups the subject
    /// belongs to or asked to join.
    ReadEmail {
        subject_id: Uuid,
        subject_groups: &'a [Uuid],
    },
    /// Read a person's global role and trainer status.
    ReadAccountRole {
        subject_id: Uuid,
    },
    /// Add to, change or archive the topic catalogue.
    ManageTopics,
    /// Change a trainer's profile or away periods; `profile_exists` is
    /// false when this would make someone a trainer.
    ManageTrainerProfile {
        trainer_id: Uuid,
        profile_exists: bool,
    },
    /// Search the trainers (coordinators matching requests).
    ListTrainers,
    /// Create an event for a group, or (`None`) for the whole network.
    CreateEvent {
        group_id: Option<Uuid>,
    },
    /// Change or cancel an existing event of a group (or of the network).
    ManageEvent {
        group_id: Option<Uuid>,
    },
    /// Ask for a speaker or a workshop: for a group (`Some`: its organisers
    /// and staff) or for an outside organisation (`None`: anyone, signed in
    /// or not).
    SubmitRequest {
        group_id: Option<Uuid>,
    },
    /// See a request: `requester` when the viewer submitted it or organises
    /// the group it is for, `trainer` when they were ever assigned to it.
    ViewRequest {
        requester: bool,
        trainer: bool,
    },
    /// Read a request's contact details: `assigned_trainer` only while the
    /// viewer's assignment to it is open or accepted.
    ReadRequestContact {
        requester: bool,
        assigned_trainer: bool,
    },
    /// The coordinators' work on requests: the queue, suggestions.
    TriageRequests,
    /// Letters and pledges: write, open, close and deliver them, moderate
    /// their signatures, keep the block list (coordinators and admins).
    ManageLetters,
    /// Read a letter's signatories' emails and contact names, one at a
    /// time (coordinators and admins, audited).
    ReadSignatories,
    /// Export a letter's signatories with their emails (admins, audited).
    ExportSignatoryEmails,
    /// See who is going to an event; `delivered_by_viewer` when the viewer
    /// is the trainer delivering it.
    ListAttendees {
        group_id: Option<Uuid>,
        delivered_by_viewer: bool,
    },
    /// See the exact venue and address of an event that keeps them for
    /// those going: `going` when the viewer has a place (a place on the
    /// waiting list is not one), `delivered_by_viewer` when they are the
    /// trainer delivering it.
    ReadExactVenue {
        group_id: Option<Uuid>,
        going: bool,
        delivered_by_viewer: bool,
    },
}

/// Which events a viewer may see, as a filter the database applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventScope {
    /// Coordinators and admins see every event.
    All,
    /// Public events, and members-only events of these groups.
    PublicAndMembersOf(Vec<Uuid>),
}

/// Members-only events are for the members of their group and for staff.
pub fn event_scope(viewer: &Viewer) -> EventScope {
    if viewer.is_staff() {
        EventScope::All
    } else {
        EventScope::PublicAndMembersOf(viewer.member_group_ids())
    }
}

impl EventScope {
    /// The same rule for one event already loaded.
    pub fn includes(&self, members_only: bool, group_id: Option<Uuid>) -> bool {
        match self {
            Self::All => true,
            Self::PublicAndMembersOf(groups) => !members_only || group_id.is_some_and(|g| groups.contains(&g)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Allowed,
    /// Allowed, and an audit entry must record the read.
    Audited,
}

/// Decides whether `viewer` may perform `action`.
pub fn authorize(viewer: &Viewer, action: Action<'_>) -> Result<Grant> {
    use Action::*;
    let Some(user) = viewer.signed_in() else {
        return Err(match action {
            // Outside organisations need no account to ask.
            SubmitRequest { group_id: None } => return Ok(Grant::Allowed),
            // Field reads are refused as forbidden: the field exists, the
            // viewer may not see it.
            ReadEmail { .. } | ReadAccountRole { .. } => Error::Forbidden,
            _ => Error::Unauthenticated,
        });
    };
    let allowed = match action {
        UseOwnAccount => true,
        SetUserRole | ReadAuditLog | EraseUser | ManageOutbox => viewer.is_admin(),
        CreateGroup | ArchiveGroup | ManageTopics | ListTrainers | TriageRequests | ManageLetters => viewer.is_staff(),
        ReadSignatories if viewer.is_staff() => return Ok(Grant::Audited),
        ExportSignatoryEmails if viewer.is_admin() => return Ok(Grant::Audited),
        ReadSignatories | ExportSignatoryEmails => false,
        SubmitRequest { group_id } => group_id.is_none_or(|g| viewer.is_staff() || viewer.is_organiser_of(g)),
        ViewRequest { requester, trainer } => viewer.is_staff() || requester || trainer,
        ReadRequestContact {
            requester,
            assigned_trainer,
        } => {
            if requester {
                return Ok(Grant::Allowed);
            }
            if viewer.is_staff() || assigned_trainer {
                return Ok(Grant::Audited);
            }
            false
        }
        ManageTrainerProfile {
            trainer_id,
            profile_exists,
        } => viewer.is_staff() || (profile_exists && trainer_id == user.id),
        UpdateGroup {
            group_id,
            network_fields,
        } => viewer.is_staff() || (!network_fields && viewer.is_organiser_of(group_id)),
        ListGroupMembers { group_id } | ManageMembers { group_id } => {
            viewer.is_staff() || viewer.is_organiser_of(group_id)
        }
        ReadEmail {
            subject_id,
            subject_groups,
        } => {
            if subject_id == user.id {
                return Ok(Grant::Allowed);
            }
            if viewer.is_staff() || subject_groups.iter().any(|g| viewer.is_organiser_of(*g)) {
                return Ok(Grant::Audited);
            }
            false
        }
        ReadAccountRole { subject_id } => subject_id == user.id || viewer.is_staff(),
        CreateEvent { group_id } | ManageEvent { group_id } => {
            viewer.is_staff() || group_id.is_some_and(|g| viewer.is_organiser_of(g))
        }
        ListAttendees {
            group_id,
            delivered_by_viewer,
        } => viewer.is_staff() || delivered_by_viewer || group_id.is_some_and(|g| viewer.is_organiser_of(g)),
        ReadExactVenue {
            group_id,
            going,
            delivered_by_viewer,
        } => viewer.is_staff() || going || delivered_by_viewer || group_id.is_some_and(|g| viewer.is_organiser_of(g)),
    };
    if allowed {
        Ok(Grant::Allowed)
    } else {
        Err(Error::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::viewer::{SignedIn, ViewerMembership};
    use entity::{MembershipRole, MembershipStatus, UserRole};

    const GROUP_A: Uuid = Uuid::from_u128(0xA);
    const GROUP_B: Uuid = Uuid::from_u128(0xB);
    const SELF_ID: Uuid = Uuid::from_u128(1);
    const MEMBER_OF_A: Uuid = Uuid::from_u128(2);
    const LONER: Uuid = Uuid::from_u128(3);

    fn person(role: UserRole, trainer: bool, memberships: &[(Uuid, MembershipRole, MembershipStatus)]) -> Viewer {
        Viewer::User(SignedIn {
            id: SELF_ID,
            role,
            is_trainer: trainer,
            memberships: memberships
                .iter()
                .map(|&(group_id, role, status)| ViewerMembership { group_id, role, status })
                .collect(),
        })
    }

    fn personas() -> Vec<(&'static str, Viewer)> {
        use MembershipRole::*;
        use MembershipStatus::*;
        vec![
            ("anonymous", Viewer::Anonymous),
            ("supporter", person(UserRole::Supporter, false, &[])),
            (
                "pending",
                person(UserRole::Supporter, false, &[(GROUP_A, Member, Pending)]),
            ),
            (
                "member",
                person(UserRole::Supporter, false, &[(GROUP_A, Member, Active)]),
            ),
            (
                "organiser",
                person(UserRole::Supporter, false, &[(GROUP_A, Organiser, Active)]),
            ),
            (
                "pending organiser",
                person(UserRole::Supporter, false, &[(GROUP_A, Organiser, Pending)]),
            ),
            (
                "other organiser",
                person(UserRole::Supporter, false, &[(GROUP_B, Organiser, Active)]),
            ),
            ("trainer", person(UserRole::Supporter, true, &[])),
            ("coordinator", person(UserRole::Coordinator, false, &[])),
            ("admin", person(UserRole::Admin, false, &[])),
        ]
    }

    /// One row per action; one column per persona, in `personas()` order:
    /// A = allowed, U = audited, F = forbidden, N = unauthenticated.
    #[test]
    fn role_by_action_table() {
        let groups_of_member = [GROUP_A];
        let rows: Vec<(&str, Action, &str)> = vec![
            //                                                         anon sup pend mem org porg oorg trn coord admin
            ("use own account", Action::UseOwnAccount, "N A A A A A A A A A"),
            ("set user role", Action::SetUserRole, "N F F F F F F F F A"),
            ("read the audit log", Action::ReadAuditLog, "N F F F F F F F F A"),
            ("erase a user", Action::EraseUser, "N F F F F F F F F A"),
            ("manage the outbox", Action::ManageOutbox, "N F F F F F F F F A"),
            ("create group", Action::CreateGroup, "N F F F F F F F A A"),
            ("manage topics", Action::ManageTopics, "N F F F F F F F A A"),
            ("list trainers", Action::ListTrainers, "N F F F F F F F A A"),
            (
                "make oneself a trainer",
                Action::ManageTrainerProfile {
                    trainer_id: SELF_ID,
                    profile_exists: false,
                },
                "N F F F F F F F A A",
            ),
            (
                "edit one's own trainer profile",
                Action::ManageTrainerProfile {
                    trainer_id: SELF_ID,
                    profile_exists: true,
                },
                "N A A A A A A A A A",
            ),
            (
                "edit someone else's trainer profile",
                Action::ManageTrainerProfile {
                    trainer_id: LONER,
                    profile_exists: true,
                },
                "N F F F F F F F A A",
            ),
            ("archive group", Action::ArchiveGroup, "N F F F F F F F A A"),
            ("triage requests", Action::TriageRequests, "N F F F F F F F A A"),
            ("manage letters", Action::ManageLetters, "N F F F F F F F A A"),
            ("read signatories", Action::ReadSignatories, "N F F F F F F F U U"),
            (
                "export signatories' emails",
                Action::ExportSignatoryEmails,
                "N F F F F F F F F U",
            ),
            (
                "request for an outside organisation",
                Action::SubmitRequest { group_id: None },
                "A A A A A A A A A A",
            ),
            (
                "request for a group",
                Action::SubmitRequest {
                    group_id: Some(GROUP_A),
                },
                "N F F F A F F F A A",
            ),
            (
                "see a request one has nothing to do with",
                Action::ViewRequest {
                    requester: false,
                    trainer: false,
                },
                "N F F F F F F F A A",
            ),
            (
                "see one's own request",
                Action::ViewRequest {
                    requester: true,
                    trainer: false,
                },
                "N A A A A A A A A A",
            ),
            (
                "see a request one was assigned to",
                Action::ViewRequest {
                    requester: false,
                    trainer: true,
                },
                "N A A A A A A A A A",
            ),
            (
                "read a stranger's request contact",
                Action::ReadRequestContact {
                    requester: false,
                    assigned_trainer: false,
                },
                "N F F F F F F F U U",
            ),
            (
                "read one's own request contact",
                Action::ReadRequestContact {
                    requester: true,
                    assigned_trainer: false,
                },
                "N A A A A A A A A A",
            ),
            (
                "read the contact of one's engagement",
                Action::ReadRequestContact {
                    requester: false,
                    assigned_trainer: true,
                },
                "N U U U U U U U U U",
            ),
            (
                "update group profile",
                Action::UpdateGroup {
                    group_id: GROUP_A,
                    network_fields: false,
                },
                "N F F F A F F F A A",
            ),
            (
                "update group region",
                Action::UpdateGroup {
                    group_id: GROUP_A,
                    network_fields: true,
                },
                "N F F F F F F F A A",
            ),
            (
                "list members",
                Action::ListGroupMembers { group_id: GROUP_A },
                "N F F F A F F F A A",
            ),
            (
                "manage members",
                Action::ManageMembers { group_id: GROUP_A },
                "N F F F A F F F A A",
            ),
            (
                "read a member's email",
                Action::ReadEmail {
                    subject_id: MEMBER_OF_A,
                    subject_groups: &groups_of_member,
                },
                "F F F F U F F F U U",
            ),
            (
                "read a loner's email",
                Action::ReadEmail {
                    subject_id: LONER,
                    subject_groups: &[],
                },
                "F F F F F F F F U U",
            ),
            (
                "read own email",
                Action::ReadEmail {
                    subject_id: SELF_ID,
                    subject_groups: &[],
                },
                "F A A A A A A A A A",
            ),
            (
                "read someone's role",
                Action::ReadAccountRole { subject_id: LONER },
                "F F F F F F F F A A",
            ),
            (
                "read own role",
                Action::ReadAccountRole { subject_id: SELF_ID },
                "F A A A A A A A A A",
            ),
            (
                "create a group event",
                Action::CreateEvent {
                    group_id: Some(GROUP_A),
                },
                "N F F F A F F F A A",
            ),
            (
                "create a network event",
                Action::CreateEvent { group_id: None },
                "N F F F F F F F A A",
            ),
            (
                "manage a group event",
                Action::ManageEvent {
                    group_id: Some(GROUP_A),
                },
                "N F F F A F F F A A",
            ),
            (
                "manage a network event",
                Action::ManageEvent { group_id: None },
                "N F F F F F F F A A",
            ),
            (
                "list attendees",
                Action::ListAttendees {
                    group_id: Some(GROUP_A),
                    delivered_by_viewer: false,
                },
                "N F F F A F F F A A",
            ),
            (
                "list attendees of one's engagement",
                Action::ListAttendees {
                    group_id: Some(GROUP_B),
                    delivered_by_viewer: true,
                },
                "N A A A A A A A A A",
            ),
            (
                "exact venue, not going",
                Action::ReadExactVenue {
                    group_id: Some(GROUP_A),
                    going: false,
                    delivered_by_viewer: false,
                },
                "N F F F A F F F A A",
            ),
            (
                "exact venue, going",
                Action::ReadExactVenue {
                    group_id: Some(GROUP_A),
                    going: true,
                    delivered_by_viewer: false,
                },
                "N A A A A A A A A A",
            ),
            (
                "exact venue of one's engagement",
                Action::ReadExactVenue {
                    group_id: Some(GROUP_B),
                    going: false,
                    delivered_by_viewer: true,
                },
                "N A A A A A A A A A",
            ),
            (
                "exact venue of a network event, not going",
                Action::ReadExactVenue {
                    group_id: None,
                    going: false,
                    delivered_by_viewer: false,
                },
                "N F F F F F F F A A",
            ),
        ];
        for (name, action, expected) in rows {
            let expected: Vec<&str> = expected.split(' ').collect();
            for ((persona, viewer), want) in personas().iter().zip(&expected) {
                let got = match authorize(viewer, action) {
                    Ok(Grant::Allowed) => "A",
                    Ok(Grant::Audited) => "U",
                    Err(Error::Forbidden) => "F",
                    Err(Error::Unauthenticated) => "N",
                    Err(other) => panic!("{name} as {persona}: unexpected {other:?}"),
                };
                assert_eq!(got, *want, "{name} as {persona}");
            }
        }
    }

    #[test]
    fn members_only_events_are_for_members_and_staff() {
        // (persona, sees A's members-only event, sees B's, sees public)
        let expected = [
            ("anonymous", false, false),
            ("supporter", false, false),
            ("pending", false, false),
            ("member", true, false),
            ("organiser", true, false),
            ("pending organiser", false, false),
            ("other organiser", false, true),
            ("trainer", false, false),
            ("coordinator", true, true),
            ("admin", true, true),
        ];
        for ((persona, viewer), (name, sees_a, sees_b)) in personas().iter().zip(expected) {
            assert_eq!(*persona, name);
            let scope = event_scope(viewer);
            assert_eq!(scope.includes(true, Some(GROUP_A)), sees_a, "{persona} A");
            assert_eq!(scope.includes(true, Some(GROUP_B)), sees_b, "{persona} B");
            assert!(
                scope.includes(false, Some(GROUP_A)) && scope.includes(false, None),
                "{persona} public"
            );
        }
    }
}
