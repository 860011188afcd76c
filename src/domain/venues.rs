//! Venues kept for those going: an event may keep its exact venue and
//! address for the people with a place (`venueVisibility: GOING`), and
//! tell everyone else only its town and postcode area.
//!
//! The one decision, whether this viewer may see this event's exact venue,
//! is [`VenueAccess::may_see_exact`], which asks the policy
//! ([`Action::ReadExactVenue`]) with facts loaded beforehand for a whole
//! page or feed in a constant number of queries: the viewer's `GOING`
//! places and their accepted engagements. Those entitled are: people with a
//! `GOING` RSVP (so a person promoted from the waiting list from the moment
//! of promotion, and one who gives up their place no more), the group's
//! active organisers, the trainer delivering the event, coordinators and
//! admins. A place on the waiting list is not a place.
//!
//! Every writer of an event's place (the GraphQL type, the pages, the
//! calendar feeds) shows what [`VenueAccess::shown`] returns and nothing
//! else. Renders that are shared between people (the public and group
//! feeds, kept in the render cache; the single-event file; public lists)
//! use [`VenueAccess::nobody`], which entitles no one, so no shared render
//! can hold an exact venue whoever caused it to be made.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{AssignmentStatus, RsvpStatus, VenueVisibility, assignment, event, rsvp};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    error::Result,
};

/// Whether the event keeps its exact venue for those going.
pub fn keeps_venue(event: &event::Model) -> bool {
    event.venue_visibility == VenueVisibility::Going
}

/// What of an event the decision needs: enough to batch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventRef {
    pub id: Uuid,
    pub group_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub keeps_venue: bool,
}

impl From<&event::Model> for EventRef {
    fn from(event: &event::Model) -> Self {
        Self {
            id: event.id,
            group_id: event.group_id,
            request_id: event.request_id,
            keeps_venue: keeps_venue(event),
        }
    }
}

/// What a viewer is shown of an event's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownPlace<'a> {
    /// The name of the place; `None` when not given or withheld.
    pub venue: Option<&'a str>,
    /// Where it is; `None` when not given or withheld.
    pub address: Option<&'a str>,
    pub town: Option<&'a str>,
    pub postcode_area: Option<&'a str>,
    /// The event keeps an exact venue or address that this viewer is not
    /// shown (those going are).
    pub withheld: bool,
}

impl<'a> ShownPlace<'a> {
    fn of(event: &'a event::Model, exact: bool) -> Self {
        let kept = keeps_venue(event) && !exact;
        let has_exact = event.venue.is_some() || event.address.is_some();
        Self {
            venue: if kept { None } else { event.venue.as_deref() },
            address: if kept { None } else { event.address.as_deref() },
            town: event.town.as_deref(),
            postcode_area: event.postcode_area.as_deref(),
            withheld: kept && has_exact,
        }
    }

    /// The town and postcode area, e.g. "Cardiff CF10"; `None` when
    /// neither is given.
    pub fn area(&self) -> Option<String> {
        let area = [self.town, self.postcode_area]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!area.is_empty()).then_some(area)
    }

    /// The place on one line, as a list or a calendar's LOCATION shows it:
    /// the venue, its address and the area, each when shown. A withheld
    /// venue leaves the area alone.
    pub fn write_line(&self, out: &mut String) {
        out.clear();
        for part in [self.venue, self.address].into_iter().flatten() {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(part);
        }
        if let Some(area) = self.area() {
            // An address that already ends with its town and postcode area
            // is not followed by them again.
            let already = self.address.is_some_and(|a| a.contains(area.as_str()));
            if !already {
                if !out.is_empty() {
                    out.push_str(", ");
                }
                out.push_str(&area);
            }
        }
    }

    pub fn line(&self) -> Option<String> {
        let mut out = String::new();
        self.write_line(&mut out);
        (!out.is_empty()).then_some(out)
    }
}

/// What one viewer may see of the venues of a set of events: the facts the
/// policy needs, loaded once.
#[derive(Debug, Clone)]
pub struct VenueAccess<'v> {
    viewer: &'v Viewer,
    /// Events where the viewer has a place (not a waiting one).
    going: HashSet<Uuid>,
    /// Requests whose engagement the viewer accepted (as its trainer).
    delivering: HashSet<Uuid>,
}

static NOBODY: Viewer = Viewer::Anonymous;

impl<'v> VenueAccess<'v> {
    /// Entitles no one: for everything rendered for people in general and
    /// shared between them (public and group feeds and their cached
    /// renders, the single-event file, public lists).
    pub fn nobody() -> VenueAccess<'static> {
        VenueAccess {
            viewer: &NOBODY,
            going: HashSet::new(),
            delivering: HashSet::new(),
        }
    }

    /// For these events (a page of a list, or one event): at most two
    /// queries, none when no event keeps its venue, when the viewer is
    /// anonymous, or when they are staff.
    pub async fn for_events(
        db: &impl ConnectionTrait,
        viewer: &'v Viewer,
        events: impl IntoIterator<Item = EventRef>,
    ) -> Result<Self> {
        let mut access = Self {
            viewer,
            going: HashSet::new(),
            delivering: HashSet::new(),
        };
        let Some(user_id) = viewer.user_id() else {
            return Ok(access);
        };
        if viewer.is_staff() {
            return Ok(access);
        }
        let kept: Vec<EventRef> = events.into_iter().filter(|e| e.keeps_venue).collect();
        if kept.is_empty() {
            return Ok(access);
        }
        access.going = rsvp::Entity::find()
            .select_only()
            .column(rsvp::Column::EventId)
            .filter(rsvp::Column::UserId.eq(user_id))
            .filter(rsvp::Column::Status.eq(RsvpStatus::Going))
            .filter(rsvp::Column::EventId.is_in(kept.iter().map(|e| e.id)))
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let requests: HashSet<Uuid> = kept.iter().filter_map(|e| e.request_id).collect();
        if !requests.is_empty() {
            access.delivering = accepted_engagements(user_id)
                .filter(assignment::Column::RequestId.is_in(requests))
                .into_tuple::<Uuid>()
                .all(db)
                .await?
                .into_iter()
                .collect();
        }
        Ok(access)
    }

    /// For a person's own feed of events ending from `since` on: their
    /// places at events that keep their venue and their engagements, two
    /// queries whatever the feed's size.
    pub async fn for_feed(db: &impl ConnectionTrait, viewer: &'v Viewer, since: DateTime<Utc>) -> Result<Self> {
        let mut access = Self {
            viewer,
            going: HashSet::new(),
            delivering: HashSet::new(),
        };
        let Some(user_id) = viewer.user_id() else {
            return Ok(access);
        };
        if viewer.is_staff() {
            return Ok(access);
        }
        let keeping = event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .filter(event::Column::VenueVisibility.eq(VenueVisibility::Going))
            .filter(event::Column::EndsAt.gte(since))
            .into_query();
        access.going = rsvp::Entity::find()
            .select_only()
            .column(rsvp::Column::EventId)
            .filter(rsvp::Column::UserId.eq(user_id))
            .filter(rsvp::Column::Status.eq(RsvpStatus::Going))
            .filter(rsvp::Column::EventId.in_subquery(keeping))
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        access.delivering = accepted_engagements(user_id)
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        Ok(access)
    }

    /// Whether the viewer may see the exact venue of this event: always
    /// when the event does not keep it; otherwise as the policy decides.
    pub fn may_see(&self, event: EventRef) -> bool {
        if !event.keeps_venue {
            return true;
        }
        let action = Action::ReadExactVenue {
            group_id: event.group_id,
            going: self.going.contains(&event.id),
            delivered_by_viewer: event.request_id.is_some_and(|r| self.delivering.contains(&r)),
        };
        authorize(self.viewer, action).is_ok()
    }

    pub fn may_see_exact(&self, event: &event::Model) -> bool {
        self.may_see(EventRef::from(event))
    }

    /// What this viewer is shown of the event's place.
    pub fn shown<'e>(&self, event: &'e event::Model) -> ShownPlace<'e> {
        ShownPlace::of(event, self.may_see_exact(event))
    }
}

/// The request ids of a trainer's accepted engagements, as a query.
fn accepted_engagements(trainer_id: Uuid) -> sea_orm::Select<assignment::Entity> {
    assignment::Entity::find()
        .select_only()
        .column(assignment::Column::RequestId)
        .filter(assignment::Column::TrainerId.eq(trainer_id))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Accepted))
}

/// Whether `viewer` may see this one event's exact venue (its page).
pub async fn may_see_exact(db: &impl ConnectionTrait, viewer: &Viewer, event: &event::Model) -> Result<bool> {
    Ok(VenueAccess::for_events(db, viewer, [EventRef::from(event)])
        .await?
        .may_see_exact(event))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::viewer::{SignedIn, ViewerMembership};
    use entity::{MembershipRole, MembershipStatus, UserRole};

    const GROUP: Uuid = Uuid::from_u128(0xA);
    const OTHER_GROUP: Uuid = Uuid::from_u128(0xB);
    const EVENT: Uuid = Uuid::from_u128(0xE);
    const REQUEST: Uuid = Uuid::from_u128(0xF);

    fn person(role: UserRole, memberships: &[(Uuid, MembershipRole, MembershipStatus)]) -> Viewer {
        Viewer::User(SignedIn {
            id: Uuid::from_u128(1),
            role,
            is_trainer: false,
            memberships: memberships
                .iter()
                .map(|&(group_id, role, status)| ViewerMembership { group_id, role, status })
                .collect(),
        })
    }

    /// The facts as loaded: whether the viewer is going, and whether they
    /// deliver the event.
    fn access(viewer: &Viewer, going: bool, delivering: bool) -> VenueAccess<'_> {
        VenueAccess {
            viewer,
            going: if going { HashSet::from([EVENT]) } else { HashSet::new() },
            delivering: if delivering {
                HashSet::from([REQUEST])
            } else {
                HashSet::new()
            },
        }
    }

    /// Role × case, as DESIGN.md's row "an event's exact venue, when kept
    /// for those going" says: one column per case, Y = sees it.
    #[test]
    fn who_sees_a_kept_venue() {
        use MembershipRole::*;
        use MembershipStatus::*;
        let event = EventRef {
            id: EVENT,
            group_id: Some(GROUP),
            request_id: Some(REQUEST),
            keeps_venue: true,
        };
        // Cases: nothing to do with it, waitlisted (not going), going,
        // delivering it.
        let cases = [(false, false), (false, false), (true, false), (false, true)];
        let rows: Vec<(&str, Viewer, &str)> = vec![
            ("anonymous", Viewer::Anonymous, "- - - -"),
            ("supporter", person(UserRole::Supporter, &[]), "- - Y Y"),
            (
                "member",
                person(UserRole::Supporter, &[(GROUP, Member, Active)]),
                "- - Y Y",
            ),
            (
                "organiser",
                person(UserRole::Supporter, &[(GROUP, Organiser, Active)]),
                "Y Y Y Y",
            ),
            (
                "pending organiser",
                person(UserRole::Supporter, &[(GROUP, Organiser, Pending)]),
                "- - Y Y",
            ),
            (
                "other group's organiser",
                person(UserRole::Supporter, &[(OTHER_GROUP, Organiser, Active)]),
                "- - Y Y",
            ),
            ("coordinator", person(UserRole::Coordinator, &[]), "Y Y Y Y"),
            ("admin", person(UserRole::Admin, &[]), "Y Y Y Y"),
        ];
        for (role, viewer, expected) in &rows {
            for (case, ((going, delivering), want)) in cases.iter().zip(expected.split(' ')).enumerate() {
                let sees = access(viewer, *going, *delivering).may_see(event);
                assert_eq!(sees, want == "Y", "{role}, case {case}");
            }
            // A venue that is not kept is everyone's; nobody() entitles no one.
            let public = EventRef {
                keeps_venue: false,
                ..event
            };
            assert!(access(viewer, false, false).may_see(public), "{role}");
            assert!(!VenueAccess::nobody().may_see(event));
        }
    }

    #[test]
    fn a_withheld_venue_shows_the_area_only() {
        let mut event = crate::fixtures::EventBuilder::new(Utc::now())
            .venue(Some("Quaker Room".into()))
            .address(Some("14 Hidden Lane".into()))
            .build();
        event.town = Some("Cardiff".into());
        event.postcode_area = Some("CF10".into());
        event.venue_visibility = VenueVisibility::Going;
        let hidden = ShownPlace::of(&event, false);
        assert_eq!(hidden.line().as_deref(), Some("Cardiff CF10"));
        assert!(hidden.withheld && hidden.venue.is_none() && hidden.address.is_none());
        let shown = ShownPlace::of(&event, true);
        assert_eq!(
            shown.line().as_deref(),
            Some("Quaker Room, 14 Hidden Lane, Cardiff CF10")
        );
        assert!(!shown.withheld);
        let public = event::Model {
            venue_visibility: VenueVisibility::Public,
            ..event.clone()
        };
        assert_eq!(ShownPlace::of(&public, false), shown);
    }
}
