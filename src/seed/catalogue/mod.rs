//! The fixed tables the demo network is made from. Edit these to change the
//! demo; the builder turns them into rows and its tests check that they stay
//! consistent (no trainer double-booked, every history valid). `words` holds
//! the lists a scaled network's generated rows draw from.

mod events;
mod groups;
mod requests;
mod topics;
pub(super) mod words;

pub(super) use events::{EVENTS, Place};
pub(super) use groups::{COORDINATORS, GROUPS, GroupSpec, SUPPORTERS};
pub(crate) use groups::{FIRST_NAMES, SURNAMES};
pub(super) use requests::{ACCEPTED, DELIVERED, PROPOSED, REQUESTS, RequestSpec, Requester, TRAINER_DECLINED};
pub(super) use topics::{AWAY, TOPICS, TRAINERS, TopicSpec};
