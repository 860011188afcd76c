//! iCalendar (RFC 5545) output for the event feeds.
//!
//! This module owns only the text format: turning events into a calendar file
//! that independent parsers accept. Deciding which events a feed shows, feed
//! tokens, `ETag`/`304` and the HTTP routes live elsewhere (the HTTP layer).
//!
//! The writer is our own rather than the `ical` crate's generator, which does
//! not escape TEXT, folds at 75 characters instead of octets and writes TZIDs
//! without a VTIMEZONE (see STACK-NOTES). The `ical` crate's parser is still
//! used, in tests, to read our output back.

mod writer;

pub use writer::{CalendarMeta, CalendarWriter, EventEntry, EventStatus, SeriesTimes, escape_text};
