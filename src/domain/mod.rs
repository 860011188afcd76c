//! muster's rules, free of HTTP and GraphQL: each function takes a
//! connection (so it works inside a transaction), the input and, where time
//! matters, `now` from the edge.

pub mod accounts;
pub mod groups;
pub mod password;
