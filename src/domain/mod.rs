//! muster's rules, free of HTTP and GraphQL: each function takes a
//! connection (so it works inside a transaction), the viewer, the input and,
//! where time matters, `now` from the edge. Functions that act for a viewer
//! ask the policy (`crate::auth::authorize`) before they read or write.

pub mod accounts;
pub mod audit;
pub mod events;
pub mod feeds;
pub mod groups;
pub mod memberships;
pub mod password;
pub mod privacy;
pub mod requests;
pub mod retention;
pub mod rsvps;
pub mod topics;
pub mod trainers;
pub mod workflow;
