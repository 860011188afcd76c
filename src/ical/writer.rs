//! A small streaming RFC 5545 writer.
//!
//! Feeds of tens of thousands of events are rendered on every calendar poll,
//! so everything is written straight into one growing `String`: values are
//! escaped and folded as they are copied (runs that need no escaping in one
//! copy; a fold looks back at most one line), never re-scanned afterwards,
//! and nothing is allocated per event beyond the output's own growth.
//! About 1 ms per thousand typical events in a release build.
//!
//! What it guarantees, whatever the input strings contain:
//! - every line ends with CRLF and no physical line is longer than 75 octets
//!   (RFC 5545 3.1); folds never split a UTF-8 character, a `\x` escape or
//!   a `%XX` in a URI;
//! - a value cannot start a new line, property or component: CR and LF become
//!   the TEXT escape `\n` and other control characters are dropped;
//! - single events' times are UTC (`…Z`); a recurring event's are local
//!   with `TZID`, and the caller writes that zone's VTIMEZONE
//!   ([`CalendarWriter::timezone`]).
//!
//! Folds are placed between two non-whitespace characters where the line
//! allows it: some parsers (the `ical` crate among them) trim whitespace at
//! the end of each physical line, others swallow all whitespace after a line
//! break, and either would otherwise eat a space of a title that happens to
//! sit at a fold. Only a line with no such place (some 70 octets without two
//! adjacent non-whitespace characters) is folded next to whitespace.

use std::time::Duration;

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding CRLF.
const MAX_LINE_OCTETS: usize = 75;
/// A fold is CRLF followed by one space; the space starts the next line and
/// counts toward its 75 octets.
const FOLD: &str = "\r\n ";
/// Rough size of one rendered event, so `with_capacity` avoids regrowing the
/// output for a typical feed.
const EVENT_SIZE_HINT: usize = 640;
const HEADER_SIZE_HINT: usize = 256;
/// SEQUENCE is an RFC 5545 INTEGER, a signed 32-bit number: Python's
/// `icalendar` rejects anything larger, so a (never expected) larger value
/// is written as the maximum rather than breaking the feed.
const MAX_SEQUENCE: u32 = i32::MAX.unsigned_abs();
/// Never let a caller's count turn into an absurd up-front allocation.
const MAX_CAPACITY_HINT: usize = 64 * 1024 * 1024;

/// Calendar-level properties, written once before the events.
#[derive(Clone, Copy, Debug)]
pub struct CalendarMeta<'a> {
    /// Shown by clients as the calendar's name (`X-WR-CALNAME`).
    pub name: &'a str,
    /// Identifies the software that wrote the file, e.g. `-//muster//muster 0.1//EN`.
    pub prodid: &'a str,
    /// How often clients should poll, as both `REFRESH-INTERVAL` (RFC 7986)
    /// and `X-PUBLISHED-TTL` (what Outlook and Google read). Whole seconds.
    pub refresh: Duration,
}

/// Only the two states a published event can be in: clients remove or strike
/// through a `CANCELLED` event they already have, which a deleted one would
/// not achieve.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EventStatus {
    Confirmed,
    Cancelled,
}

impl EventStatus {
    fn as_ical(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// One VEVENT. Borrowed so that a feed can be rendered straight from the rows
/// it loaded, without copying every string.
#[derive(Clone, Copy, Debug)]
pub struct EventEntry<'a> {
    /// Must already be globally unique and stable across renders (clients key
    /// updates on it), e.g. `<uuid>@muster.example.org`.
    pub uid: &'a str,
    pub dtstamp: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: &'a str,
    /// Empty means no `DESCRIPTION` property at all.
    pub description: &'a str,
    pub location: Option<&'a str>,
    /// A URI, not TEXT: written unescaped, but control characters are dropped
    /// so it cannot break the line, and `\` becomes `%5C` (it is not allowed
    /// in a URI, and some parsers unescape `\n`, `\,` … even in URIs).
    pub url: Option<&'a str>,
    pub status: EventStatus,
    /// Bumped on every change a calendar shows; clients ignore an update whose
    /// sequence did not go up. Values above `i32::MAX` are written as `i32::MAX`.
    pub sequence: u32,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    /// Empty strings are skipped; no property when nothing is left.
    pub categories: &'a [&'a str],
    /// The event's IANA zone, for information only (`X-MUSTER-TIMEZONE`):
    /// times are always written in UTC so that no VTIMEZONE is needed.
    pub timezone: Option<&'a str>,
}

/// How a recurring event is written: its first occurrence's local times in
/// its zone, its rule (already checked and canonical, so plain ASCII with
/// no character that needs escaping) and its removed occurrences.
#[derive(Clone, Copy, Debug)]
pub struct SeriesTimes<'a> {
    pub tzid: &'a str,
    pub local_start: NaiveDateTime,
    pub local_end: NaiveDateTime,
    pub rrule: &'a str,
    pub exdates: &'a [NaiveDateTime],
}

enum Timing<'a> {
    Utc,
    Series(&'a SeriesTimes<'a>),
    Occurrence {
        tzid: &'a str,
        recurrence_id: NaiveDateTime,
    },
}

/// `YYYYMMDDTHHMMSS`, a local (floating or zoned) date-time.
fn push_local(out: &mut String, value: NaiveDateTime) {
    let _ = write!(out, "{}", value.format("%Y%m%dT%H%M%S"));
}

/// `+HHMM` or `-HHMM` (with seconds when there are any).
fn push_offset(out: &mut String, seconds: i32) {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let _ = write!(out, "{sign}{:02}{:02}", s / 3600, s / 60 % 60);
    if !s.is_multiple_of(60) {
        let _ = write!(out, "{:02}", s % 60);
    }
}

/// Builds one calendar file in a single `String`.
///
/// Call [`CalendarWriter::event`] for each event, then
/// [`CalendarWriter::finish`]; the result is a complete, valid file.
#[derive(Debug)]
pub struct CalendarWriter {
    out: String,
    /// Byte offset where the current physical line starts.
    line_start: usize,
    /// Byte offset where the current property's value starts: no fold goes
    /// before it, so a reader always finds `NAME:` and a first character on
    /// one line.
    value_start: usize,
}

impl CalendarWriter {
    pub fn new(meta: &CalendarMeta<'_>) -> Self {
        Self::with_capacity(meta, 0)
    }

    /// Like [`CalendarWriter::new`], reserving room for about `events` events
    /// so a large feed is not copied over and over as it grows.
    pub fn with_capacity(meta: &CalendarMeta<'_>, events: usize) -> Self {
        let capacity = events
            .saturating_mul(EVENT_SIZE_HINT)
            .saturating_add(HEADER_SIZE_HINT)
            .min(MAX_CAPACITY_HINT);
        let mut writer = Self {
            out: String::with_capacity(capacity),
            line_start: 0,
            value_start: 0,
        };
        writer.fixed_line("BEGIN:VCALENDAR");
        writer.fixed_line("VERSION:2.0");
        writer.text_property("PRODID", meta.prodid);
        writer.fixed_line("CALSCALE:GREGORIAN");
        writer.fixed_line("METHOD:PUBLISH");
        writer.text_property("X-WR-CALNAME", meta.name);
        writer.duration_property("REFRESH-INTERVAL;VALUE=DURATION", meta.refresh);
        writer.duration_property("X-PUBLISHED-TTL", meta.refresh);
        writer
    }

    pub fn event(&mut self, event: &EventEntry<'_>) {
        self.event_timed(event, &Timing::Utc);
    }

    /// A recurring event's own VEVENT: its first occurrence's local times
    /// with `TZID` (the zone's VTIMEZONE must be in the file: see
    /// [`CalendarWriter::timezone`]), its `RRULE` and the `EXDATE`s of
    /// occurrences it no longer has.
    pub fn series_event(&mut self, event: &EventEntry<'_>, series: &SeriesTimes<'_>) {
        self.event_timed(event, &Timing::Series(series));
    }

    /// One occurrence of a series that differs from the rule (cancelled,
    /// moved, renamed): same UID as the series, named by the local start
    /// the rule gave it (`RECURRENCE-ID` with `TZID`); its own times in UTC.
    pub fn occurrence_event(&mut self, event: &EventEntry<'_>, tzid: &str, recurrence_id: NaiveDateTime) {
        self.event_timed(event, &Timing::Occurrence { tzid, recurrence_id });
    }

    fn event_timed(&mut self, event: &EventEntry<'_>, timing: &Timing<'_>) {
        self.fixed_line("BEGIN:VEVENT");
        self.text_property("UID", event.uid);
        self.datetime_property("DTSTAMP", &event.dtstamp);
        match timing {
            Timing::Utc | Timing::Occurrence { .. } => {
                self.datetime_property("DTSTART", &event.starts_at);
                self.datetime_property("DTEND", &event.ends_at);
            }
            Timing::Series(series) => {
                self.local_property("DTSTART", series.tzid, series.local_start);
                self.local_property("DTEND", series.tzid, series.local_end);
                self.begin_property("RRULE");
                self.push_run(series.rrule);
                self.end_line();
                for exdate in series.exdates {
                    self.local_property("EXDATE", series.tzid, *exdate);
                }
            }
        }
        if let Timing::Occurrence { tzid, recurrence_id } = timing {
            self.local_property("RECURRENCE-ID", tzid, *recurrence_id);
        }
        self.text_property("SUMMARY", event.summary);
        if !event.description.is_empty() {
            self.text_property("DESCRIPTION", event.description);
        }
        if let Some(location) = event.location {
            self.text_property("LOCATION", location);
        }
        if let Some(url) = event.url {
            self.begin_property("URL");
            self.uri_value(url);
            self.end_line();
        }
        self.begin_property("STATUS");
        self.out.push_str(event.status.as_ical());
        self.end_line();
        self.begin_property("SEQUENCE");
        push_u64(&mut self.out, u64::from(event.sequence.min(MAX_SEQUENCE)));
        self.end_line();
        self.datetime_property("CREATED", &event.created);
        self.datetime_property("LAST-MODIFIED", &event.last_modified);
        if event.categories.iter().any(|c| !c.is_empty()) {
            self.begin_property("CATEGORIES");
            let mut first = true;
            for category in event.categories.iter().filter(|c| !c.is_empty()) {
                if !first {
                    // The list separator is the one comma that stays unescaped.
                    self.push_atom(",", true);
                }
                first = false;
                self.text_value(category);
            }
            self.end_line();
        }
        if let Some(timezone) = event.timezone {
            self.text_property("X-MUSTER-TIMEZONE", timezone);
        }
        self.fixed_line("END:VEVENT");
    }

    /// A VTIMEZONE for `zone` covering `from`..`to`: the offset in force at
    /// `from`, then every change up to `to`, read from chrono-tz's tables.
    /// Parsers that map a TZID to their own zone database ignore it; those
    /// that do not (Outlook, ical.js) need it.
    pub fn timezone(&mut self, zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) {
        self.fixed_line("BEGIN:VTIMEZONE");
        self.text_property("TZID", zone.name());
        let offset_at = |at: DateTime<Utc>| zone.offset_from_utc_datetime(&at.naive_utc());
        let first = offset_at(from);
        self.observance(first, first, from);
        let mut at = from;
        while at < to {
            let next = (at + chrono::Duration::days(1)).min(to);
            let before = offset_at(at);
            if offset_at(next).fix() != before.fix() {
                // The change lies in (at, next]: narrow it to the second.
                let (mut low, mut high) = (at, next);
                while high - low > chrono::Duration::seconds(1) {
                    let middle = low + (high - low) / 2;
                    if offset_at(middle).fix() == before.fix() {
                        low = middle;
                    } else {
                        high = middle;
                    }
                }
                self.observance(before, offset_at(high), high);
            }
            at = next;
        }
        self.fixed_line("END:VTIMEZONE");
    }

    /// One observance: from `start` (an instant) on, `to` is in force.
    fn observance(&mut self, from: chrono_tz::TzOffset, to: chrono_tz::TzOffset, start: DateTime<Utc>) {
        let daylight = to.dst_offset() != chrono::Duration::zero();
        self.fixed_line(if daylight { "BEGIN:DAYLIGHT" } else { "BEGIN:STANDARD" });
        // DTSTART is the local time just before the change, in the old offset.
        let local = start.naive_utc() + chrono::Duration::seconds(i64::from(from.fix().local_minus_utc()));
        self.begin_property("DTSTART");
        push_local(&mut self.out, local);
        self.end_line();
        self.begin_property("TZOFFSETFROM");
        push_offset(&mut self.out, from.fix().local_minus_utc());
        self.end_line();
        self.begin_property("TZOFFSETTO");
        push_offset(&mut self.out, to.fix().local_minus_utc());
        self.end_line();
        if let Some(name) = to.abbreviation() {
            self.text_property("TZNAME", name);
        }
        self.fixed_line(if daylight { "END:DAYLIGHT" } else { "END:STANDARD" });
    }

    /// `NAME;TZID=zone:YYYYMMDDTHHMMSS`. IANA names hold only letters,
    /// digits, `/`, `_`, `-` and `+`: a parameter value needing no quotes.
    fn local_property(&mut self, name: &str, tzid: &str, value: NaiveDateTime) {
        self.out.push_str(name);
        self.out.push_str(";TZID=");
        self.out.push_str(tzid);
        self.out.push(':');
        self.value_start = self.out.len();
        push_local(&mut self.out, value);
        self.end_line();
    }

    /// Closes the calendar and hands over the text; consuming `self` makes an
    /// unterminated file unrepresentable.
    pub fn finish(mut self) -> String {
        self.fixed_line("END:VCALENDAR");
        self.out
    }

    /// For lines we spell out ourselves: all far shorter than 75 octets.
    fn fixed_line(&mut self, line: &str) {
        self.out.push_str(line);
        self.end_line();
    }

    /// `name` is one of our constants (with parameters, if any), all well
    /// under 75 octets, so the value always starts on the first line.
    fn begin_property(&mut self, name: &str) {
        self.out.push_str(name);
        self.out.push(':');
        self.value_start = self.out.len();
    }

    fn end_line(&mut self) {
        self.out.push_str("\r\n");
        self.line_start = self.out.len();
    }

    fn text_property(&mut self, name: &str, value: &str) {
        self.begin_property(name);
        self.text_value(value);
        self.end_line();
    }

    /// Date-times and durations are short enough (name + at most 30 octets)
    /// never to need folding.
    fn datetime_property(&mut self, name: &str, value: &DateTime<Utc>) {
        self.begin_property(name);
        push_datetime(&mut self.out, value);
        self.end_line();
    }

    fn duration_property(&mut self, name: &str, value: Duration) {
        self.begin_property(name);
        push_duration(&mut self.out, value);
        self.end_line();
    }

    fn text_value(&mut self, value: &str) {
        text_pieces(value, |piece| match piece {
            Piece::Plain(run) => self.push_run(run),
            Piece::Atom(atom, solid) => self.push_atom(atom, solid),
        });
    }

    fn uri_value(&mut self, value: &str) {
        let mut rest = value;
        while !rest.is_empty() {
            // Tab, CR and LF included: none of them belongs in a URI.
            let run = rest
                .bytes()
                .position(|b| b.is_ascii_control() || b == b'\\')
                .unwrap_or(rest.len());
            let (head, tail) = rest.split_at_checked(run).unwrap_or((rest, ""));
            self.push_run(head);
            if tail.starts_with('\\') {
                self.push_atom("%5C", true);
            }
            rest = tail.get(1..).unwrap_or_default();
        }
    }

    /// Appends text that needs no escaping, folding wherever a line fills up.
    fn push_run(&mut self, mut run: &str) {
        while !run.is_empty() {
            let room = MAX_LINE_OCTETS.saturating_sub(self.out.len() - self.line_start);
            if run.len() <= room {
                self.out.push_str(run);
                return;
            }
            let mut take = room;
            while !run.is_char_boundary(take) {
                take -= 1;
            }
            let (head, tail) = run.split_at_checked(take).unwrap_or(("", run));
            self.out.push_str(head);
            if let Some(next) = tail.chars().next() {
                self.fold(next.len_utf8(), !next.is_whitespace());
            }
            run = tail;
        }
    }

    /// Appends an indivisible piece (an escape, a tab, `%5C`, a list comma).
    fn push_atom(&mut self, atom: &str, solid: bool) {
        if self.out.len() - self.line_start + atom.len() > MAX_LINE_OCTETS {
            self.fold(atom.len(), solid);
        }
        self.out.push_str(atom);
    }

    /// Ends the current physical line so that the next piece (`next_len`
    /// octets) starts a continuation line.
    fn fold(&mut self, next_len: usize, next_solid: bool) {
        let len = self.out.len();
        let cut = self.fold_point(next_len, next_solid).unwrap_or(len);
        let cut = if self.out.is_char_boundary(cut) { cut } else { len };
        self.out.insert_str(cut, FOLD);
        self.line_start = cut + 2;
    }

    /// The latest offset on the current line that lies between two
    /// non-whitespace characters, outside an escape pair, and late enough
    /// that what moves to the next line still fits there; `None` if there is
    /// no such place (a long run of whitespace), and then we fold at the end.
    /// Only runs when a line is full, so it scans at most 75 octets.
    fn fold_point(&self, next_len: usize, next_solid: bool) -> Option<usize> {
        let len = self.out.len();
        // Never before the value, and never right after a fold's own space.
        let floor = self.value_start.max(self.line_start + 1);
        let line = self.out.get(floor..len)?;
        let mut right_solid = next_solid;
        for (i, c) in line.char_indices().rev() {
            let at = floor + i + c.len_utf8();
            if 1 + (len - at) + next_len > MAX_LINE_OCTETS {
                return None;
            }
            let left_solid = !c.is_whitespace();
            let before = line.as_bytes().get(..at - floor).unwrap_or_default();
            if left_solid && right_solid && !splits_escape(before) {
                return Some(at);
            }
            right_solid = left_solid;
        }
        None
    }
}

/// Whether a fold right after `before` would split `\x` or `%XX`.
///
/// Escapes are written whole and every line starts at a piece boundary, so an
/// odd run of backslashes at the end means the last one starts an escape
/// (URI values carry no raw backslash). Percent-encodings in a URI are kept
/// whole for readers that decode before unfolding; in TEXT this only rules
/// out a few harmless places.
fn splits_escape(before: &[u8]) -> bool {
    let backslashes = before.iter().rev().take_while(|&&b| b == b'\\').count();
    let percent = before.iter().rev().take(2).any(|&b| b == b'%');
    backslashes % 2 == 1 || percent
}

/// TEXT escaping per RFC 5545 3.3.11, appended to `out`.
///
/// Normalises as well as escapes, so that no input can produce a file that a
/// parser reads differently from what we meant: CRLF, lone CR and LF each
/// become one `\n` escape; other control characters (U+0000–U+001F except
/// tab, and U+007F) are removed, since RFC 5545 forbids them in values and
/// parsers disagree about what they mean.
pub fn escape_text(input: &str, out: &mut String) {
    out.reserve(input.len());
    text_pieces(input, |piece| match piece {
        Piece::Plain(text) | Piece::Atom(text, _) => out.push_str(text),
    });
}

/// What TEXT is made of once escaped: runs copied as they are, and atoms
/// that stand for one input character and must not be split by a fold.
enum Piece<'a> {
    Plain(&'a str),
    /// The text, and whether it is non-whitespace.
    Atom(&'static str, bool),
}

/// Splits `input` into [`Piece`]s. Shared by [`escape_text`] and the folding
/// writer so both normalise identically. Everything that needs attention is
/// ASCII, so runs between such bytes are copied whole and are always valid
/// `str` slices.
fn text_pieces<'a>(input: &'a str, mut emit: impl FnMut(Piece<'a>)) {
    let mut rest = input;
    while !rest.is_empty() {
        let run = rest
            .bytes()
            .position(|b| b < 0x20 || b == 0x7f || b == b'\\' || b == b';' || b == b',')
            .unwrap_or(rest.len());
        let (plain, tail) = rest.split_at_checked(run).unwrap_or((rest, ""));
        if !plain.is_empty() {
            emit(Piece::Plain(plain));
        }
        let bytes = tail.as_bytes();
        let Some(&special) = bytes.first() else { break };
        let mut used = 1;
        match special {
            b'\\' => emit(Piece::Atom("\\\\", true)),
            b';' => emit(Piece::Atom("\\;", true)),
            b',' => emit(Piece::Atom("\\,", true)),
            b'\t' => emit(Piece::Atom("\t", false)),
            b'\r' | b'\n' => {
                // CRLF is one newline, like a lone CR or LF.
                if special == b'\r' && bytes.get(1) == Some(&b'\n') {
                    used = 2;
                }
                emit(Piece::Atom("\\n", true));
            }
            _ => {} // other control characters are dropped
        }
        rest = tail.get(used..).unwrap_or_default();
    }
}

/// `YYYYMMDDTHHMMSSZ`. The format has four year digits and parsers (Python's
/// among them) reject year 0, so instants outside years 1–9999 are clamped
/// rather than written as an unreadable file.
fn push_datetime(out: &mut String, value: &DateTime<Utc>) {
    let year = value.year();
    let (y, mo, d, h, mi, s) = if year > 9999 {
        (9999, 12, 31, 23, 59, 59)
    } else if year < 1 {
        (1, 1, 1, 0, 0, 0)
    } else {
        (
            year.unsigned_abs(),
            value.month(),
            value.day(),
            value.hour(),
            value.minute(),
            value.second(),
        )
    };
    push_padded(out, y, 4);
    push_padded(out, mo, 2);
    push_padded(out, d, 2);
    out.push('T');
    push_padded(out, h, 2);
    push_padded(out, mi, 2);
    push_padded(out, s, 2);
    out.push('Z');
}

/// RFC 5545 3.3.6 duration in whole seconds (sub-second parts are dropped).
/// Its grammar lets a time unit follow only the next larger one, so one hour
/// and five seconds must be `PT1H0M5S`, not the ISO-acceptable `PT1H5S`.
fn push_duration(out: &mut String, value: Duration) {
    let total = value.as_secs();
    if total == 0 {
        out.push_str("PT0S");
        return;
    }
    let days = total / 86_400;
    let rest = total % 86_400;
    let (hours, minutes, seconds) = (rest / 3600, rest % 3600 / 60, rest % 60);
    out.push('P');
    if days > 0 {
        push_u64(out, days);
        out.push('D');
    }
    if rest > 0 {
        out.push('T');
        if hours > 0 {
            push_u64(out, hours);
            out.push('H');
        }
        if minutes > 0 || (hours > 0 && seconds > 0) {
            push_u64(out, minutes);
            out.push('M');
        }
        if seconds > 0 {
            push_u64(out, seconds);
            out.push('S');
        }
    }
}

fn push_u64(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

fn push_padded(out: &mut String, value: u32, width: u32) {
    let mut divisor = 10u32.pow(width.saturating_sub(1));
    while divisor > 0 {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn meta() -> CalendarMeta<'static> {
        CalendarMeta {
            name: "Test",
            prodid: "-//muster//test//EN",
            refresh: Duration::from_secs(3600),
        }
    }

    fn entry<'a>(summary: &'a str) -> EventEntry<'a> {
        EventEntry {
            uid: "u1@example.org",
            dtstamp: at(2025, 1, 2, 3, 4, 5),
            starts_at: at(2025, 3, 1, 18, 30, 0),
            ends_at: at(2025, 3, 1, 20, 0, 0),
            summary,
            description: "",
            location: None,
            url: None,
            status: EventStatus::Confirmed,
            sequence: 0,
            created: at(2024, 12, 1, 0, 0, 0),
            last_modified: at(2025, 1, 2, 3, 4, 5),
            categories: &[],
            timezone: None,
        }
    }

    fn render(event: &EventEntry<'_>) -> String {
        let mut writer = CalendarWriter::new(&meta());
        writer.event(event);
        writer.finish()
    }

    fn escaped(input: &str) -> String {
        let mut out = String::new();
        escape_text(input, &mut out);
        out
    }

    /// Physical lines, checked for the invariants every output must meet.
    fn physical_lines(text: &str) -> Vec<&str> {
        assert!(text.ends_with("\r\n"), "output must end with CRLF");
        let body = &text[..text.len() - 2];
        let lines: Vec<&str> = body.split("\r\n").collect();
        for line in &lines {
            assert!(line.len() <= MAX_LINE_OCTETS, "line of {} octets: {line:?}", line.len());
            assert!(
                !line.contains('\r') && !line.contains('\n'),
                "bare CR or LF in {line:?}"
            );
        }
        lines
    }

    /// RFC 5545 unfolding: remove every CRLF followed by one space.
    fn unfolded_lines(text: &str) -> Vec<String> {
        physical_lines(text);
        text.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn property<'a>(lines: &'a [String], name: &str) -> Vec<&'a str> {
        let prefix = format!("{name}:");
        lines.iter().filter_map(|l| l.strip_prefix(prefix.as_str())).collect()
    }

    #[test]
    fn escapes_each_special_character() {
        assert_eq!(escaped(r"a\b"), r"a\\b");
        assert_eq!(escaped("a;b"), r"a\;b");
        assert_eq!(escaped("a,b"), r"a\,b");
        assert_eq!(escaped("a:b"), "a:b");
        assert_eq!(escaped("a\"b"), "a\"b");
        assert_eq!(escaped("tab\there"), "tab\there");
        assert_eq!(escaped(r"\n is not a newline"), r"\\n is not a newline");
        assert_eq!(escaped(r"\\;,"), r"\\\\\;\,");
    }

    #[test]
    fn normalises_every_newline_form_to_one_escape() {
        assert_eq!(escaped("a\nb"), r"a\nb");
        assert_eq!(escaped("a\r\nb"), r"a\nb");
        assert_eq!(escaped("a\rb"), r"a\nb");
        assert_eq!(escaped("a\n\rb"), r"a\n\nb");
        assert_eq!(escaped("a\r\r\nb"), r"a\n\nb");
        assert_eq!(escaped("\r\n\r\n"), r"\n\n");
        // A dropped control character between CR and LF separates them.
        assert_eq!(escaped("a\r\u{0}\nb"), r"a\n\nb");
    }

    #[test]
    fn drops_other_control_characters() {
        assert_eq!(
            escaped("a\u{0}b\u{1}c\u{8}d\u{b}e\u{c}f\u{1b}g\u{1f}h\u{7f}i"),
            "abcdefghi"
        );
        // Not ASCII control characters: kept.
        assert_eq!(escaped("\u{85}\u{a0}\u{2028}\u{202e}"), "\u{85}\u{a0}\u{2028}\u{202e}");
    }

    #[test]
    fn a_line_of_exactly_75_octets_is_not_folded() {
        let summary = "a".repeat(MAX_LINE_OCTETS - "SUMMARY:".len());
        let text = render(&entry(&summary));
        assert!(text.contains(&format!("\r\nSUMMARY:{summary}\r\nSTATUS")), "{text}");
    }

    #[test]
    fn a_line_of_76_octets_is_folded_after_75() {
        let summary = "a".repeat(MAX_LINE_OCTETS - "SUMMARY:".len() + 1);
        let text = render(&entry(&summary));
        let expected = format!("\r\nSUMMARY:{}\r\n a\r\nSTATUS", &summary[1..]);
        assert!(text.contains(&expected), "{text}");
        // Continuation lines also hold 75 octets, the leading space included.
        let summary = "b".repeat(67 + 74 + 1);
        let text = render(&entry(&summary));
        let expected = format!("\r\nSUMMARY:{}\r\n {}\r\n b\r\nSTATUS", "b".repeat(67), "b".repeat(74));
        assert!(text.contains(&expected), "{text}");
    }

    #[test]
    fn multibyte_characters_are_never_split() {
        for ch in ['é', '€', '😀', '𝄞', 'ש'] {
            for pad in 60..=75 {
                let summary = format!("{}{}", "a".repeat(pad), ch.to_string().repeat(40));
                let text = render(&entry(&summary));
                // Every line is a `&str`, so a split character would not even
                // have survived `split`; check the bytes independently too.
                for line in text.as_bytes().split(|&b| b == b'\n') {
                    assert!(std::str::from_utf8(line).is_ok());
                }
                let lines = unfolded_lines(&text);
                assert_eq!(property(&lines, "SUMMARY"), [summary.as_str()], "{ch} after {pad}");
            }
        }
    }

    #[test]
    fn a_character_that_does_not_fit_moves_whole_to_the_next_line() {
        // 8 + 66 = 74 octets: a 2-, 3- or 4-byte character would overflow.
        for ch in ['é', '€', '😀'] {
            let summary = format!("{}{ch}", "a".repeat(66));
            let text = render(&entry(&summary));
            assert!(
                text.contains(&format!("SUMMARY:{}\r\n {ch}\r\n", "a".repeat(66))),
                "{text}"
            );
        }
        // Emoji sequences (ZWJ, skin tone) may be folded between their code
        // points, never inside one.
        let family = "👩\u{200d}👩\u{200d}👧\u{200d}👦".repeat(20);
        let text = render(&entry(&family));
        assert_eq!(property(&unfolded_lines(&text), "SUMMARY"), [family.as_str()]);
    }

    #[test]
    fn escapes_are_not_split_by_a_fold() {
        for pad in 60..=75 {
            let summary = format!("{}{}", "a".repeat(pad), r"\;,".repeat(30));
            let text = render(&entry(&summary));
            for line in physical_lines(&text) {
                let trailing = line.len() - line.trim_end_matches('\\').len();
                assert!(trailing % 2 == 0, "fold after a lone backslash: {line:?}");
            }
            let lines = unfolded_lines(&text);
            assert_eq!(property(&lines, "SUMMARY"), [escaped(&summary).as_str()]);
        }
    }

    #[test]
    fn folds_between_words_keep_spaces_away_from_line_ends() {
        let summary = "Workshop on door knocking and phone banking for new volunteers in the North West region";
        let description = "one two three four five six seven eight nine ten ".repeat(20);
        let mut event = entry(summary);
        event.description = &description;
        let text = render(&event);
        let physical = physical_lines(&text);
        for pair in physical.windows(2) {
            if let Some(continuation) = pair[1].strip_prefix(' ') {
                assert!(
                    !pair[0].ends_with(char::is_whitespace),
                    "folded after a space: {pair:?}"
                );
                assert!(
                    !continuation.starts_with(char::is_whitespace),
                    "folded before a space: {pair:?}"
                );
            }
        }
        let lines = unfolded_lines(&text);
        assert_eq!(property(&lines, "SUMMARY"), [summary]);
        assert_eq!(property(&lines, "DESCRIPTION"), [description.as_str()]);
    }

    #[test]
    fn long_whitespace_runs_still_fold_within_limits() {
        let summary = format!("a{}b{}", " ".repeat(200), "\u{3000}".repeat(100));
        let text = render(&entry(&summary));
        let lines = unfolded_lines(&text);
        assert_eq!(property(&lines, "SUMMARY"), [summary.as_str()]);
    }

    #[test]
    fn values_cannot_inject_properties_or_components() {
        let attack = "x\r\nBEGIN:VEVENT\r\nUID:evil\nEND:VEVENT\rSUMMARY:y;z,w:v";
        let categories = [attack, "ok"];
        let event = EventEntry {
            uid: attack,
            description: attack,
            location: Some(attack),
            url: Some("https://example.org/\r\nBEGIN:VEVENT\n\u{0}x"),
            categories: &categories,
            timezone: Some(attack),
            ..entry(attack)
        };
        let meta = CalendarMeta {
            name: attack,
            prodid: attack,
            ..meta()
        };
        let mut writer = CalendarWriter::new(&meta);
        writer.event(&event);
        let text = writer.finish();
        let lines = unfolded_lines(&text);
        let names: Vec<&str> = lines
            .iter()
            .map(|l| l.split([':', ';']).next().unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            [
                "BEGIN",
                "VERSION",
                "PRODID",
                "CALSCALE",
                "METHOD",
                "X-WR-CALNAME",
                "REFRESH-INTERVAL",
                "X-PUBLISHED-TTL",
                "BEGIN",
                "UID",
                "DTSTAMP",
                "DTSTART",
                "DTEND",
                "SUMMARY",
                "DESCRIPTION",
                "LOCATION",
                "URL",
                "STATUS",
                "SEQUENCE",
                "CREATED",
                "LAST-MODIFIED",
                "CATEGORIES",
                "X-MUSTER-TIMEZONE",
                "END",
                "END",
            ]
        );
        let expected = r"x\nBEGIN:VEVENT\nUID:evil\nEND:VEVENT\nSUMMARY:y\;z\,w:v";
        assert_eq!(property(&lines, "SUMMARY"), [expected]);
        assert_eq!(property(&lines, "UID"), [expected]);
        assert_eq!(property(&lines, "CATEGORIES"), [format!("{expected},ok").as_str()]);
        assert_eq!(property(&lines, "URL"), ["https://example.org/BEGIN:VEVENTx"]);
        assert_eq!(lines.iter().filter(|l| l.starts_with("BEGIN:")).count(), 2);
    }

    #[test]
    fn percent_encodings_are_not_split_by_a_fold() {
        for pad in 50..=75 {
            let url = format!("https://example.org/{}{}", "a".repeat(pad), "%20\\%C3%A9".repeat(10));
            let mut event = entry("x");
            event.url = Some(&url);
            let text = render(&event);
            for pair in physical_lines(&text).windows(2) {
                if pair[1].starts_with(' ') {
                    let end = pair[0].len().saturating_sub(2);
                    assert!(!pair[0][end..].contains('%'), "fold inside %XX: {pair:?}");
                }
            }
            let lines = unfolded_lines(&text);
            assert_eq!(property(&lines, "URL"), [url.replace('\\', "%5C").as_str()]);
        }
    }

    #[test]
    fn url_is_not_text_escaped() {
        let mut event = entry("x");
        event.url = Some("https://example.org/e?a=1;b=2,3&c=\\n\tz");
        let lines = unfolded_lines(&render(&event));
        assert_eq!(property(&lines, "URL"), ["https://example.org/e?a=1;b=2,3&c=%5Cnz"]);
    }

    #[test]
    fn optional_properties_are_omitted_when_empty() {
        let event = EventEntry {
            categories: &["", ""],
            ..entry("x")
        };
        let text = render(&event);
        for name in ["DESCRIPTION", "LOCATION", "URL", "CATEGORIES", "X-MUSTER-TIMEZONE"] {
            assert!(!text.contains(&format!("\r\n{name}")), "{name} in {text}");
        }
        let event = EventEntry {
            categories: &["", "a", "", "b"],
            ..entry("x")
        };
        assert!(render(&event).contains("\r\nCATEGORIES:a,b\r\n"));
    }

    #[test]
    fn durations_follow_the_rfc_5545_grammar() {
        let cases = [
            (0, "PT0S"),
            (1, "PT1S"),
            (59, "PT59S"),
            (60, "PT1M"),
            (90, "PT1M30S"),
            (1800, "PT30M"),
            (3600, "PT1H"),
            (3605, "PT1H0M5S"),
            (3660, "PT1H1M"),
            (5400, "PT1H30M"),
            (86_400, "P1D"),
            (86_401, "P1DT1S"),
            (90_000, "P1DT1H"),
            (7 * 86_400, "P7D"),
            (2 * 86_400 + 3 * 3600 + 4 * 60 + 5, "P2DT3H4M5S"),
        ];
        for (secs, expected) in cases {
            let mut out = String::new();
            push_duration(&mut out, Duration::from_secs(secs));
            assert_eq!(out, expected, "{secs} s");
        }
        let mut out = String::new();
        push_duration(&mut out, Duration::from_millis(1999));
        assert_eq!(out, "PT1S");
        let mut out = String::new();
        push_duration(&mut out, Duration::MAX);
        assert!(out.starts_with('P') && out.len() < 40, "{out}");
    }

    #[test]
    fn date_times_are_utc_whole_seconds_and_clamped() {
        let mut out = String::new();
        push_datetime(
            &mut out,
            &(at(2025, 7, 4, 9, 5, 7) + chrono::Duration::milliseconds(999)),
        );
        assert_eq!(out, "20250704T090507Z");
        let mut out = String::new();
        push_datetime(&mut out, &at(12_345, 1, 1, 0, 0, 0));
        assert_eq!(out, "99991231T235959Z");
        let mut out = String::new();
        push_datetime(&mut out, &at(-5, 1, 1, 0, 0, 0));
        assert_eq!(out, "00010101T000000Z");
        let mut out = String::new();
        push_datetime(&mut out, &at(33, 2, 3, 4, 5, 6));
        assert_eq!(out, "00330203T040506Z");
    }

    #[test]
    fn numbers_are_written_in_full() {
        for n in [0, 7, 10, 4_294_967_295, u64::MAX] {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn golden_calendar() {
        let meta = CalendarMeta {
            name: "Muster: Leeds, public",
            prodid: "-//muster//muster 0.1//EN",
            refresh: Duration::from_secs(30 * 60),
        };
        let categories = ["Workshop", "Leeds; West Yorkshire"];
        let event = EventEntry {
            uid: "0190c1a2-0000-7000-8000-000000000001@muster.example.org",
            dtstamp: at(2025, 1, 2, 3, 4, 5),
            starts_at: at(2025, 3, 1, 18, 30, 0),
            ends_at: at(2025, 3, 1, 20, 0, 0),
            summary: "Door-knocking 101, with tea; biscuits",
            description: "Bring:\n- a pen\r\n- comfy shoes \\o/",
            location: Some("Chapeltown Community Centre, 12 Reginald Terrace, Leeds LS7 3EZ, UK"),
            url: Some("https://muster.example.org/events/door-knocking-101"),
            status: EventStatus::Confirmed,
            sequence: 3,
            created: at(2024, 12, 1, 10, 0, 0),
            last_modified: at(2025, 1, 2, 3, 4, 5),
            categories: &categories,
            timezone: Some("Europe/London"),
        };
        let cancelled = EventEntry {
            uid: "0190c1a2-0000-7000-8000-000000000002@muster.example.org",
            summary: "Café social ☕",
            description: "",
            location: None,
            url: None,
            status: EventStatus::Cancelled,
            sequence: 1,
            categories: &[],
            timezone: None,
            ..event
        };
        let mut writer = CalendarWriter::with_capacity(&meta, 2);
        writer.event(&event);
        writer.event(&cancelled);
        let expected = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//muster//muster 0.1//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            r"X-WR-CALNAME:Muster: Leeds\, public",
            "REFRESH-INTERVAL;VALUE=DURATION:PT30M",
            "X-PUBLISHED-TTL:PT30M",
            "BEGIN:VEVENT",
            "UID:0190c1a2-0000-7000-8000-000000000001@muster.example.org",
            "DTSTAMP:20250102T030405Z",
            "DTSTART:20250301T183000Z",
            "DTEND:20250301T200000Z",
            r"SUMMARY:Door-knocking 101\, with tea\; biscuits",
            r"DESCRIPTION:Bring:\n- a pen\n- comfy shoes \\o/",
            r"LOCATION:Chapeltown Community Centre\, 12 Reginald Terrace\, Leeds LS7 3EZ",
            r" \, UK",
            "URL:https://muster.example.org/events/door-knocking-101",
            "STATUS:CONFIRMED",
            "SEQUENCE:3",
            "CREATED:20241201T100000Z",
            "LAST-MODIFIED:20250102T030405Z",
            r"CATEGORIES:Workshop,Leeds\; West Yorkshire",
            "X-MUSTER-TIMEZONE:Europe/London",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:0190c1a2-0000-7000-8000-000000000002@muster.example.org",
            "DTSTAMP:20250102T030405Z",
            "DTSTART:20250301T183000Z",
            "DTEND:20250301T200000Z",
            "SUMMARY:Café social ☕",
            "STATUS:CANCELLED",
            "SEQUENCE:1",
            "CREATED:20241201T100000Z",
            "LAST-MODIFIED:20250102T030405Z",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
        .join("\r\n");
        assert_eq!(writer.finish(), expected);
    }
}
