//! sea-orm entities: one module per table of the initial migration. These are
//! storage types only; the API has its own types so that a column change
//! cannot silently change what clients see.

pub mod enums;

pub mod assignment;
pub mod audit_entry;
pub mod domain_event;
pub mod event;
pub mod feed_token;
pub mod group;
pub mod membership;
pub mod request;
pub mod request_transition;
pub mod request_window;
pub mod rsvp;
pub mod topic;
pub mod trainer_profile;
pub mod trainer_region;
pub mod trainer_topic;
pub mod trainer_unavailability;
pub mod user;

pub use enums::*;
