//! Reading an `.ics` export into what muster keeps of each entry, with the
//! `ical` crate's parser. Nothing here touches the database: every refusal
//! (not iCalendar, too many entries, a time zone we cannot name, a value we
//! cannot read) is found before anything is written, and each names the
//! entry (its title and UID) and the reason.
//!
//! What is read of a VEVENT: UID, SUMMARY, DESCRIPTION, LOCATION (a place,
//! or the link to join when it is a web address), Google's
//! X-GOOGLE-CONFERENCE link, DTSTART and DTEND or DURATION, RRULE, EXDATE,
//! RECURRENCE-ID, STATUS and CLASS. Attendees, organisers, alarms and
//! attachments are never read: they name people, and muster does not keep
//! people's addresses from someone else's calendar.

use std::{collections::HashMap, io::BufReader, str::FromStr};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use ical::{
    parser::ical::component::{IcalEvent, IcalTimeZone},
    property::Property,
};

use crate::{
    domain::{events::DEFAULT_TIMEZONE, recurrence::resolve_local},
    error::{Error, FieldError, Result},
};

/// The largest file read, in bytes.
pub const MAX_ICS_BYTES: usize = 2 * 1024 * 1024;
/// The most VEVENTs (series, single events and changed occurrences) a file
/// may hold.
pub const MAX_ENTRIES: usize = 2_000;
/// The field every refusal of a file names.
pub const FIELD: &str = "ics";
/// At most this many problems are listed in one refusal.
const MAX_PROBLEMS: usize = 50;
/// An entry with a start and no end or duration lasts this long (RFC 5545
/// would make it an instant, which muster's events cannot be).
const DEFAULT_LENGTH_MINUTES: i64 = 60;

/// A time as the file wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// `TZID=…` with a local time.
    Zoned(NaiveDateTime, Tz),
    /// `…Z`.
    Utc(DateTime<Utc>),
    /// No zone: read as muster's default zone's local time.
    Floating(NaiveDateTime),
    /// `VALUE=DATE`: a whole day, from local midnight.
    Date(NaiveDate),
}

impl When {
    fn default_zone() -> Tz {
        Tz::from_str(DEFAULT_TIMEZONE).unwrap_or(Tz::UTC)
    }

    /// The zone a series written this way repeats in: its own, UTC for UTC
    /// times (as RFC 5545 expands them), else muster's default.
    pub fn zone(&self) -> Tz {
        match self {
            When::Zoned(_, zone) => *zone,
            When::Utc(_) => Tz::UTC,
            When::Floating(_) | When::Date(_) => Self::default_zone(),
        }
    }

    /// The local wall-clock time in [`When::zone`].
    pub fn local(&self) -> NaiveDateTime {
        match self {
            When::Zoned(local, _) | When::Floating(local) => *local,
            When::Utc(at) => at.naive_utc(),
            When::Date(day) => day.and_time(NaiveTime::MIN),
        }
    }

    pub fn instant(&self) -> DateTime<Utc> {
        match self {
            When::Utc(at) => *at,
            other => resolve_local(other.zone(), other.local()),
        }
    }

    pub fn is_date(&self) -> bool {
        matches!(self, When::Date(_))
    }
}

/// A change the file makes to one occurrence of a series (a VEVENT with the
/// series' UID and a RECURRENCE-ID).
#[derive(Debug, Clone)]
pub struct Override {
    /// The occurrence's start by the rule: what names it.
    pub original: When,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub title: String,
    pub description: String,
    pub place: Place,
    pub cancelled: bool,
}

/// Where an entry happens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// LOCATION, on one line.
    pub venue: Option<String>,
    /// LOCATION, when it spans lines.
    pub address: Option<String>,
    /// LOCATION when it is a web address, or the conference link.
    pub online_url: Option<String>,
}

/// One entry of the file: a single event or a series with its exceptions.
#[derive(Debug, Clone)]
pub struct Entry {
    pub uid: String,
    pub title: String,
    pub description: String,
    pub place: Place,
    pub start: When,
    pub end: When,
    /// The rule as written, when the entry repeats.
    pub rrule: Option<String>,
    /// Occurrences the file removes from the rule.
    pub exdates: Vec<When>,
    pub overrides: Vec<Override>,
    pub cancelled: bool,
    /// `CLASS:PRIVATE` or `CONFIDENTIAL`: never imported.
    pub private: bool,
}

impl Entry {
    pub fn starts_at(&self) -> DateTime<Utc> {
        self.start.instant()
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.end.instant()
    }

    /// How the entry is named in refusals and the report.
    pub fn label(&self) -> String {
        format!("\"{}\" ({})", self.title, self.uid)
    }
}

/// Everything read from one file.
#[derive(Debug, Default)]
pub struct Calendar {
    pub entries: Vec<Entry>,
}

/// Refusals gathered while reading, each naming its entry.
#[derive(Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub(crate) fn add(&mut self, about: &str, reason: impl std::fmt::Display) {
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(FieldError {
                field: FIELD.into(),
                message: format!("{about}: {reason}"),
            });
        }
    }

    /// The reasons `error` gives, each said of `about`.
    pub(crate) fn add_error(&mut self, about: &str, error: Error) {
        match error {
            Error::Validation(fields) => {
                for field in fields {
                    if field.field == FIELD {
                        self.add(about, field.message);
                    } else {
                        self.add(about, format!("{} {}", field.field, field.message));
                    }
                }
            }
            other => self.add(about, other),
        }
    }

    pub(crate) fn into_result(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}

fn refuse(message: impl Into<String>) -> Error {
    Error::validation(FIELD, message)
}

/// Reads a whole `.ics` file. Every problem found is listed in one
/// `BAD_USER_INPUT`; nothing is half-read.
pub fn read(text: &str) -> Result<Calendar> {
    if text.len() > MAX_ICS_BYTES {
        return Err(refuse(format!(
            "the file is larger than {} MiB",
            MAX_ICS_BYTES / (1024 * 1024)
        )));
    }
    if !text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("BEGIN:VCALENDAR")
    {
        return Err(refuse(
            "this is not an iCalendar file: it does not begin with BEGIN:VCALENDAR",
        ));
    }
    let mut events = Vec::new();
    let mut zones = Vec::new();
    for calendar in ical::IcalParser::new(BufReader::new(text.as_bytes())) {
        let calendar = calendar.map_err(|e| refuse(format!("this is not a readable iCalendar file: {e}")))?;
        events.extend(calendar.events);
        zones.extend(calendar.timezones);
        if events.len() > MAX_ENTRIES {
            break;
        }
    }
    if events.len() > MAX_ENTRIES {
        return Err(refuse(format!(
            "the file holds more than {MAX_ENTRIES} events; import a shorter span of the calendar"
        )));
    }
    let zones = Zones::new(&zones);
    let mut problems = Problems::default();
    let mut masters: Vec<Entry> = Vec::new();
    let mut by_uid: HashMap<String, usize> = HashMap::new();
    let mut changes: Vec<(String, Override)> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let uid = text_of(event, "UID").unwrap_or_default();
        let title = text_of(event, "SUMMARY").unwrap_or_default();
        let about = if uid.is_empty() {
            format!("event {} (\"{}\")", index + 1, title)
        } else {
            format!("\"{title}\" ({uid})")
        };
        if uid.is_empty() {
            problems.add(&about, "has no UID, so a later import could not find it again");
            continue;
        }
        match read_event(event, &zones) {
            Ok(Read::Entry(entry)) => {
                if by_uid.insert(entry.uid.clone(), masters.len()).is_some() {
                    problems.add(&about, "the UID is used by two events");
                    continue;
                }
                masters.push(*entry);
            }
            Ok(Read::Change(uid, change)) => changes.push((uid, change)),
            Err(error) => problems.add_error(&about, error),
        }
    }
    for (uid, change) in changes {
        match by_uid.get(&uid) {
            Some(&i) if masters[i].rrule.is_some() => masters[i].overrides.push(change),
            // A changed occurrence of a series the file does not hold (as
            // when one was invited to a single meeting): a single event.
            _ => {
                let key = format!("{uid}/{}", change.original.instant().format("%Y%m%dT%H%M%SZ"));
                if by_uid.insert(key.clone(), masters.len()).is_some() {
                    problems.add(
                        &format!("\"{}\" ({uid})", change.title),
                        "the occurrence is changed twice",
                    );
                    continue;
                }
                masters.push(Entry {
                    uid: key,
                    title: change.title,
                    description: change.description,
                    place: change.place,
                    start: When::Utc(change.starts_at),
                    end: When::Utc(change.ends_at),
                    rrule: None,
                    exdates: Vec::new(),
                    overrides: Vec::new(),
                    cancelled: change.cancelled,
                    private: false,
                });
            }
        }
    }
    problems.into_result()?;
    Ok(Calendar { entries: masters })
}

/// Properties that name people; never read, and dropped by [`without_personal_parts`].
const PEOPLE: [&str; 3] = ["ATTENDEE", "ORGANIZER", "CONTACT"];

/// The file without what names people: the properties that do (attendees,
/// organisers, contacts, folded lines and all) and the entries marked
/// private. It imports exactly as the whole file does (neither is ever
/// imported), and is what a preview may send back to the browser.
pub fn without_personal_parts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The lines of the VEVENT being read, kept back until its end says
    // whether it is private.
    let mut event: Option<(String, bool)> = None;
    let mut dropping = false;
    for line in text.split_inclusive('\n') {
        let continued = line.starts_with(' ') || line.starts_with('\t');
        if !continued {
            let name_end = line.find([';', ':']).unwrap_or(line.len());
            let name = line[..name_end].trim().to_ascii_uppercase();
            let value = line[name_end..]
                .trim_start_matches([';', ':'])
                .trim()
                .to_ascii_uppercase();
            dropping = PEOPLE.contains(&name.as_str());
            if name == "BEGIN" && value == "VEVENT" {
                event = Some((String::new(), false));
            }
            if name == "CLASS"
                && (value == "PRIVATE" || value == "CONFIDENTIAL")
                && let Some((_, private)) = event.as_mut()
            {
                *private = true;
            }
        }
        if !dropping {
            match event.as_mut() {
                Some((kept, _)) => kept.push_str(line),
                None => out.push_str(line),
            }
        }
        if !continued
            && line.trim().eq_ignore_ascii_case("END:VEVENT")
            && let Some((kept, private)) = event.take()
            && !private
        {
            out.push_str(&kept);
        }
    }
    if let Some((kept, _)) = event {
        out.push_str(&kept);
    }
    out
}

enum Read {
    Entry(Box<Entry>),
    Change(String, Override),
}

fn read_event(event: &IcalEvent, zones: &Zones) -> Result<Read> {
    let uid = text_of(event, "UID").unwrap_or_default();
    let title = text_of(event, "SUMMARY")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "(No title)".to_owned());
    let description = text_of(event, "DESCRIPTION").unwrap_or_default();
    let place = place_of(event);
    let start_property = property(event, "DTSTART").ok_or_else(|| refuse("has no start (DTSTART)"))?;
    let start = read_when(start_property, zones)?;
    let end = match (property(event, "DTEND"), property(event, "DURATION")) {
        (Some(end), _) => read_when(end, zones)?,
        (None, Some(duration)) => {
            let length = read_duration(duration.value.as_deref().unwrap_or_default())?;
            When::Utc(start.instant() + length)
        }
        (None, None) if start.is_date() => match start {
            When::Date(day) => When::Date(day.succ_opt().unwrap_or(day)),
            other => other,
        },
        (None, None) => When::Utc(start.instant() + Duration::minutes(DEFAULT_LENGTH_MINUTES)),
    };
    let end = end_in_start_zone(start, end);
    let status = text_of(event, "STATUS").unwrap_or_default();
    let cancelled = status.eq_ignore_ascii_case("CANCELLED");
    let class = text_of(event, "CLASS").unwrap_or_default().to_ascii_uppercase();
    let private = class == "PRIVATE" || class == "CONFIDENTIAL";
    if let Some(recurrence_id) = property(event, "RECURRENCE-ID") {
        if param(recurrence_id, "RANGE").is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE")) {
            return Err(refuse(
                "RECURRENCE-ID with RANGE=THISANDFUTURE is not supported: split the series in the calendar and export it again",
            ));
        }
        let original = read_when(recurrence_id, zones)?;
        return Ok(Read::Change(
            uid,
            Override {
                original,
                starts_at: start.instant(),
                ends_at: end.instant(),
                title,
                description,
                place,
                cancelled,
            },
        ));
    }
    let rrules: Vec<&Property> = properties(event, "RRULE").collect();
    if rrules.len() > 1 {
        return Err(refuse("has more than one RRULE, which muster does not support"));
    }
    if property(event, "RDATE").is_some() {
        return Err(refuse("RDATE (extra dates added to a rule) is not supported"));
    }
    let rrule = rrules.first().and_then(|p| p.value.clone());
    let mut exdates = Vec::new();
    for exdate in properties(event, "EXDATE") {
        for value in exdate.value.as_deref().unwrap_or_default().split(',') {
            let value = value.trim();
            if !value.is_empty() {
                exdates.push(read_value(value, exdate, zones)?);
            }
        }
    }
    Ok(Read::Entry(Box::new(Entry {
        uid,
        title,
        description,
        place,
        start,
        end,
        rrule,
        exdates,
        overrides: Vec::new(),
        cancelled,
        private,
    })))
}

/// An end written in another zone than its start, kept in the start's
/// zone, so a series' local end is on the start's clock.
fn end_in_start_zone(start: When, end: When) -> When {
    match (start, end) {
        (When::Zoned(_, zone), other) if !matches!(other, When::Zoned(_, z) if z == zone) => {
            When::Zoned(other.instant().with_timezone(&zone).naive_local(), zone)
        }
        (When::Utc(_), When::Zoned(..) | When::Floating(_)) => When::Utc(end.instant()),
        (When::Date(_), When::Date(_)) => end,
        (When::Date(_), other) => When::Floating(other.instant().with_timezone(&When::default_zone()).naive_local()),
        _ => end,
    }
}

fn properties<'e>(event: &'e IcalEvent, name: &'e str) -> impl Iterator<Item = &'e Property> + 'e {
    event
        .properties
        .iter()
        .filter(move |p| p.name.eq_ignore_ascii_case(name))
}

fn property<'e>(event: &'e IcalEvent, name: &'e str) -> Option<&'e Property> {
    properties(event, name).next()
}

fn param<'p>(property: &'p Property, name: &str) -> Option<&'p str> {
    property
        .params
        .as_ref()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .and_then(|(_, values)| values.first())
        .map(String::as_str)
}

fn text_of(event: &IcalEvent, name: &str) -> Option<String> {
    property(event, name).and_then(|p| p.value.as_deref()).map(unescape)
}

/// RFC 5545 3.3.11: `\n` or `\N` is a line break; `\,` `\;` `\\` the
/// character itself.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn is_web_address(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && !text.contains(char::is_whitespace)
}

fn place_of(event: &IcalEvent) -> Place {
    let mut place = Place::default();
    if let Some(location) = text_of(event, "LOCATION")
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
    {
        if is_web_address(&location) {
            place.online_url = Some(location);
        } else if location.contains('\n') {
            place.address = Some(location);
        } else {
            place.venue = Some(location);
        }
    }
    if place.online_url.is_none() {
        place.online_url = text_of(event, "X-GOOGLE-CONFERENCE").filter(|u| is_web_address(u.trim()));
    }
    place
}

fn read_when(property: &Property, zones: &Zones) -> Result<When> {
    let value = property.value.as_deref().unwrap_or_default().trim();
    read_value(value, property, zones)
}

fn read_value(value: &str, property: &Property, zones: &Zones) -> Result<When> {
    let name = &property.name;
    let is_date = param(property, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || (value.len() == 8 && !value.contains('T'));
    if is_date {
        return NaiveDate::parse_from_str(value, "%Y%m%d")
            .map(When::Date)
            .map_err(|_| refuse(format!("{name} {value} is not a date")));
    }
    let bad = || refuse(format!("{name} {value} is not a date-time"));
    if let Some(utc) = value.strip_suffix('Z').or_else(|| value.strip_suffix('z')) {
        let at = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
        return Ok(When::Utc(at.and_utc()));
    }
    let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
    match param(property, "TZID") {
        Some(tzid) => Ok(When::Zoned(local, zones.resolve(tzid)?)),
        None => Ok(When::Floating(local)),
    }
}

/// RFC 5545 3.3.6: `P1W`, `P1D`, `PT1H30M`, `P1DT2H`.
pub fn read_duration(raw: &str) -> Result<Duration> {
    let bad = || refuse(format!("DURATION {raw} is not a length of time such as PT1H30M"));
    let text = raw.trim().to_ascii_uppercase();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, text.trim_start_matches('+').to_owned()),
    };
    let body = text.strip_prefix('P').ok_or_else(bad)?;
    let mut total = Duration::zero();
    let mut number = String::new();
    let mut in_time = false;
    let mut any = false;
    for c in body.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() && !in_time => in_time = true,
            'W' | 'D' | 'H' | 'M' | 'S' => {
                let n: i64 = number.parse().map_err(|_| bad())?;
                if n > 10_000 {
                    return Err(bad());
                }
                number.clear();
                any = true;
                total += match (c, in_time) {
                    ('W', false) => Duration::weeks(n),
                    ('D', false) => Duration::days(n),
                    ('H', true) => Duration::hours(n),
                    ('M', true) => Duration::minutes(n),
                    ('S', true) => Duration::seconds(n),
                    _ => return Err(bad()),
                };
            }
            _ => return Err(bad()),
        }
    }
    if !any || !number.is_empty() || negative {
        return Err(bad());
    }
    Ok(total)
}

/// The file's time zones by TZID: an IANA name is taken as it is; another
/// name (Outlook's "GMT Standard Time", old Lightning's
/// "/mozilla.org/…/Europe/London") through the file's VTIMEZONE
/// (`X-LIC-LOCATION`) or the few Windows names a UK network meets.
struct Zones {
    by_tzid: HashMap<String, String>,
}

/// Windows' names for the zones a UK network's calendars are kept in.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("Eastern Standard Time", "America/New_York"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("UTC", "UTC"),
];

impl Zones {
    fn new(zones: &[IcalTimeZone]) -> Self {
        let mut by_tzid = HashMap::new();
        for zone in zones {
            let find = |name: &str| {
                zone.properties
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name))
                    .and_then(|p| p.value.clone())
            };
            if let (Some(tzid), Some(location)) = (find("TZID"), find("X-LIC-LOCATION")) {
                by_tzid.insert(tzid, location);
            }
        }
        Zones { by_tzid }
    }

    fn resolve(&self, tzid: &str) -> Result<Tz> {
        let tzid = tzid.trim();
        let named = |name: &str| Tz::from_str(name.trim()).ok();
        let windows = || {
            WINDOWS_ZONES
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(tzid))
                .and_then(|(_, iana)| named(iana))
        };
        // "/mozilla.org/20050126_1/Europe/London": the IANA name at its end.
        let suffix = || {
            let parts: Vec<&str> = tzid.trim_end_matches('/').rsplit('/').collect();
            (parts.len() >= 2)
                .then(|| named(&format!("{}/{}", parts[1], parts[0])))
                .flatten()
        };
        named(tzid)
            .or_else(|| self.by_tzid.get(tzid).and_then(|location| named(location)))
            .or_else(windows)
            .or_else(suffix)
            .ok_or_else(|| {
                refuse(format!(
                    "the time zone \"{tzid}\" is not one muster knows: export the calendar with IANA zone names such as Europe/London"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
    }

    #[test]
    fn text_values_are_unescaped() {
        assert_eq!(
            unescape(r"Hall\, upstairs\; side door\nRing twice\\"),
            "Hall, upstairs; side door\nRing twice\\"
        );
    }

    #[test]
    fn durations_are_read() {
        assert_eq!(read_duration("PT1H30M").unwrap(), Duration::minutes(90));
        assert_eq!(read_duration("P1DT2H").unwrap(), Duration::hours(26));
        assert_eq!(read_duration("P2W").unwrap(), Duration::weeks(2));
        for bad in ["1H", "PT", "P1H", "PTX", "-PT1H", "PT1"] {
            assert!(read_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_zoned_start_keeps_its_zone_and_a_floating_one_takes_london() {
        let text = calendar(
            "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Zoned\r\nDTSTART;TZID=Europe/London:20270706T190000\r\nDTEND;TZID=Europe/London:20270706T210000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Floating\r\nDTSTART:20270106T190000\r\nDURATION:PT2H\r\nEND:VEVENT\r\n",
        );
        let read = read(&text).unwrap();
        assert_eq!(read.entries[0].starts_at().to_rfc3339(), "2027-07-06T18:00:00+00:00");
        assert_eq!(read.entries[0].ends_at().to_rfc3339(), "2027-07-06T20:00:00+00:00");
        assert_eq!(read.entries[1].starts_at().to_rfc3339(), "2027-01-06T19:00:00+00:00");
        assert_eq!(read.entries[1].ends_at().to_rfc3339(), "2027-01-06T21:00:00+00:00");
    }

    #[test]
    fn an_outlook_or_lightning_zone_name_is_found() {
        let text = calendar(
            "BEGIN:VTIMEZONE\r\nTZID:Our Office Time\r\nX-LIC-LOCATION:Europe/London\r\nEND:VTIMEZONE\r\n\
             BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=GMT Standard Time:20270706T190000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:b\r\nDTSTART;TZID=Our Office Time:20270706T190000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:c\r\nDTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20270706T190000\r\nEND:VEVENT\r\n",
        );
        let read = read(&text).unwrap();
        for entry in &read.entries {
            assert_eq!(entry.start.zone(), chrono_tz::Europe::London, "{}", entry.uid);
            assert_eq!(entry.starts_at().to_rfc3339(), "2027-07-06T18:00:00+00:00");
            assert_eq!(entry.title, "(No title)");
        }
    }

    #[test]
    fn every_problem_is_named_with_its_event() {
        let text = calendar(
            "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Mars time\r\nDTSTART;TZID=Mars/Olympus:20270706T190000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nSUMMARY:No uid\r\nDTSTART:20270706T190000Z\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:c\r\nSUMMARY:Bad date\r\nDTSTART:2027-07-06\r\nEND:VEVENT\r\n",
        );
        let Err(Error::Validation(problems)) = read(&text) else {
            panic!("refused")
        };
        let said: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(problems.len(), 3, "{said:?}");
        assert!(
            said[0].starts_with("\"Mars time\" (a): the time zone \"Mars/Olympus\""),
            "{said:?}"
        );
        assert!(said[1].contains("No uid") && said[1].contains("has no UID"), "{said:?}");
        assert!(said[2].starts_with("\"Bad date\" (c): DTSTART 2027-07-06"), "{said:?}");
        assert!(problems.iter().all(|p| p.field == FIELD));
    }

    #[test]
    fn other_files_are_refused() {
        for text in ["", "hello", "BEGIN:VCARD\r\nEND:VCARD\r\n", "{\"events\": []}"] {
            let Err(Error::Validation(problems)) = read(text) else {
                panic!("refused: {text}")
            };
            assert!(problems[0].message.contains("not an iCalendar file"), "{text}");
        }
    }

    #[test]
    fn changes_to_occurrences_join_their_series() {
        let text = calendar(
            "BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:Weekly\r\nDTSTART;TZID=Europe/London:20270105T190000\r\nDTEND;TZID=Europe/London:20270105T200000\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\nEXDATE;TZID=Europe/London:20270112T190000,20270119T190000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID;TZID=Europe/London:20270126T190000\r\nSUMMARY:Weekly (moved)\r\nDTSTART;TZID=Europe/London:20270127T190000\r\nDTEND;TZID=Europe/London:20270127T200000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:lonely\r\nRECURRENCE-ID:20270126T190000Z\r\nSUMMARY:One of theirs\r\nDTSTART:20270126T190000Z\r\nDTEND:20270126T200000Z\r\nEND:VEVENT\r\n",
        );
        let read = read(&text).unwrap();
        assert_eq!(read.entries.len(), 2);
        let series = &read.entries[0];
        assert_eq!(series.exdates.len(), 2);
        assert_eq!(series.overrides.len(), 1);
        assert_eq!(series.overrides[0].title, "Weekly (moved)");
        assert_eq!(read.entries[1].uid, "lonely/20270126T190000Z");
        assert!(read.entries[1].rrule.is_none());
    }

    #[test]
    fn people_and_private_entries_are_dropped_with_their_folded_lines() {
        let text = calendar(
            "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Stall\r\nATTENDEE;CN=Jo Example;PARTSTAT=ACCEPTED:mailto:jo@peop\r\n le.example.org\r\norganizer;CN=Sam:mailto:sam@people.example.org\r\nDTSTART:20310301T100000Z\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Jo at the clinic\r\nCLASS:PRIVATE\r\nDTSTART:20310302T100000Z\r\nEND:VEVENT\r\n",
        );
        let kept = without_personal_parts(&text);
        assert!(
            !kept.contains("people.example.org") && !kept.contains("le.example") && !kept.contains("Jo Example"),
            "{kept}"
        );
        assert!(kept.contains("SUMMARY:Stall\r\nDTSTART:20310301T100000Z\r\n"));
        assert_eq!(
            read(&kept).unwrap().entries[0].starts_at(),
            read(&text).unwrap().entries[0].starts_at()
        );
    }

    #[test]
    fn too_many_events_are_refused() {
        let one = "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270706T190000Z\r\nEND:VEVENT\r\n";
        let text = calendar(&one.repeat(MAX_ENTRIES + 1));
        let Err(Error::Validation(problems)) = read(&text) else {
            panic!("refused")
        };
        assert!(problems[0].message.contains("more than 2000 events"), "{problems:?}");
    }
}
