//! Who is asking, and what they may do.
//!
//! - `jwt`: sign-in tokens (HS256, revocable by a per-user version).
//! - `viewer`: the request's identity, read from the database per request.
//! - `policy`: the one place that decides whether a viewer may perform an
//!   action; every resolver asks it.

pub mod jwt;
pub mod policy;
pub mod viewer;

pub use policy::{Action, EventScope, Grant, authorize, event_scope};
pub use viewer::{Viewer, ViewerMembership};
