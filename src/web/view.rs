//! What the templates show, built from domain rows: events with their
//! times in UK time, and the calendar subscription panel. Only public
//! fields are copied into a view, so a template cannot show anything else.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use entity::{EventKind, event, group};
use uuid::Uuid;

use crate::{
    domain::venues::{ShownPlace, VenueAccess},
    urls::PublicUrls,
};

/// Descriptions on a list are cut to about this many characters.
const EXCERPT_CHARS: usize = 400;
/// A page's `<meta name="description">` is cut to about this many
/// characters, about what search engines show.
const SUMMARY_CHARS: usize = 160;

pub struct EventView {
    /// The event's own page.
    pub path: String,
    pub title: String,
    pub kind: &'static str,
    pub when: String,
    /// RFC 3339, for `<time datetime>`.
    pub starts_at: String,
    /// The place on one line, as far as the reader is told it.
    pub venue: Option<String>,
    /// The event keeps its exact venue for those going and this reader is
    /// not told it (the town and postcode area are in `venue`).
    pub venue_withheld: bool,
    pub online_url: Option<String>,
    pub group_name: Option<String>,
    pub group_slug: Option<String>,
    pub description: String,
    /// The single-event calendar file ("add to calendar").
    pub ics_url: String,
}

impl EventView {
    /// The event as everyone is shown it: a venue kept for those going is
    /// left out (its town and postcode area stay).
    pub fn new(event: &event::Model, groups: &HashMap<Uuid, group::Model>, urls: &PublicUrls) -> Self {
        Self::showing(event, VenueAccess::nobody().shown(event), groups, urls)
    }

    /// The event with as much of its place as `shown` (the domain's answer
    /// for this reader) tells.
    pub fn showing(
        event: &event::Model,
        shown: ShownPlace<'_>,
        groups: &HashMap<Uuid, group::Model>,
        urls: &PublicUrls,
    ) -> Self {
        let group = event.group_id.and_then(|id| groups.get(&id));
        let venue = shown.line().unwrap_or_default();
        Self {
            path: format!("/events/{}", event.id.hyphenated()),
            title: event.title.clone(),
            kind: kind_label(event.kind),
            when: when(event.starts_at, event.ends_at),
            starts_at: event.starts_at.to_rfc3339(),
            venue: (!venue.trim().is_empty()).then_some(venue),
            venue_withheld: shown.withheld,
            online_url: event.online_url.clone(),
            group_name: group.map(|g| g.name.clone()),
            group_slug: group.map(|g| g.slug.clone()),
            description: excerpt(&event.description),
            ics_url: urls.event_ics(event.id),
        }
    }
}

pub use crate::domain::events::kind_label;

/// The kinds in the order the filter lists them, with their values.
pub const KINDS: [(&str, EventKind); 6] = [
    ("WORKSHOP", EventKind::Workshop),
    ("TALK", EventKind::Talk),
    ("TRAINING", EventKind::Training),
    ("ACTION", EventKind::Action),
    ("MEETING", EventKind::Meeting),
    ("OTHER", EventKind::Other),
];

/// A moment in UK time, e.g. "Tue 14 Jul 2026, 18:30".
pub fn uk_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&London).format("%a %-d %b %Y, %H:%M").to_string()
}

/// "Tue 14 Jul 2026, 18:30–20:30", or both dates when it spans days.
pub fn when(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> String {
    when_in(starts_at, ends_at, London)
}

/// [`when`] on the clocks of `zone`.
pub fn when_in(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    const DAY_AND_TIME: &str = "%a %-d %b %Y, %H:%M";
    let start = starts_at.with_timezone(&zone);
    let end = ends_at.with_timezone(&zone);
    if start.date_naive() == end.date_naive() {
        format!("{}–{}", start.format(DAY_AND_TIME), end.format("%H:%M"))
    } else {
        format!("{} – {}", start.format(DAY_AND_TIME), end.format(DAY_AND_TIME))
    }
}

/// The event's times on its own zone's clocks, with the zone's name, when
/// those clocks differ from the UK's (an event in Madrid, or online from
/// New York); `None` when they read the same, or the zone is unknown.
pub fn local_when(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, timezone: &str) -> Option<(String, String)> {
    let zone: chrono_tz::Tz = timezone.parse().ok()?;
    let local = when_in(starts_at, ends_at, zone);
    (local != when(starts_at, ends_at)).then(|| (local, zone.name().replace('_', " ")))
}

fn excerpt(text: &str) -> String {
    cut_at_word(text, EXCERPT_CHARS)
}

fn cut_at_word(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}

/// A description's first line, for a page's `<meta name="description">`;
/// `None` when there is no text.
pub fn summary(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(|line| cut_at_word(line, SUMMARY_CHARS))
}

/// A description's paragraphs (separated by a blank line).
pub fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The "subscribe" panel: a link that opens calendar apps, and the address
/// to paste into those that ask for one.
pub struct Subscribe {
    pub https_url: String,
    pub webcal_url: String,
    /// What the feed holds, e.g. "Leeds group's public events".
    pub what: String,
}

impl Subscribe {
    pub fn new(feed_url: String, what: String) -> Self {
        Self {
            webcal_url: PublicUrls::webcal(&feed_url),
            https_url: feed_url,
            what,
        }
    }
}

/// A `datetime-local` value (or one typed by hand) read as UK time. In the
/// hour the clocks skip in March there is no such time, which is said; in
/// the hour they repeat in October, the first (still summer time) is taken,
/// as the form's hint says.
pub fn uk_time_entered(raw: &str) -> std::result::Result<DateTime<Utc>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("is needed");
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .ok_or("must be a date and a time, such as 2027-03-14 18:30")?;
    London
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or("does not exist in UK time: that night the clocks go forward from 1:00 to 2:00; choose a time from 2:00")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_are_read_as_uk_time_with_the_clock_changes_explained() {
        // Summer: BST, an hour ahead of UTC; winter: GMT.
        assert_eq!(
            uk_time_entered("2027-07-01T18:30").unwrap().to_rfc3339(),
            "2027-07-01T17:30:00+00:00"
        );
        assert_eq!(
            uk_time_entered("2027-01-10 09:00").unwrap().to_rfc3339(),
            "2027-01-10T09:00:00+00:00"
        );
        // 28 March 2027: 01:30 never happens in London.
        assert!(
            uk_time_entered("2027-03-28T01:30")
                .unwrap_err()
                .contains("clocks go forward")
        );
        // 31 October 2027: 01:30 happens twice; the first is in BST.
        assert_eq!(
            uk_time_entered("2027-10-31T01:30").unwrap().to_rfc3339(),
            "2027-10-31T00:30:00+00:00"
        );
        assert_eq!(uk_time_entered(""), Err("is needed"));
        assert!(uk_time_entered("14/03/2027").is_err());
    }

    #[test]
    fn times_are_shown_in_uk_time() {
        // 17:30 UTC in July is 18:30 in London (BST).
        let start = Utc.with_ymd_and_hms(2026, 7, 14, 17, 30, 0).unwrap();
        assert_eq!(
            when(start, start + chrono::Duration::hours(2)),
            "Tue 14 Jul 2026, 18:30–20:30"
        );
        // In January London is on GMT.
        let winter = Utc.with_ymd_and_hms(2027, 1, 9, 10, 0, 0).unwrap();
        assert_eq!(
            when(winter, winter + chrono::Duration::days(1)),
            "Sat 9 Jan 2027, 10:00 – Sun 10 Jan 2027, 10:00"
        );
    }

    #[test]
    fn an_event_elsewhere_also_shows_its_own_clock() {
        let start = Utc.with_ymd_and_hms(2026, 7, 14, 17, 30, 0).unwrap();
        let end = start + chrono::Duration::hours(2);
        assert_eq!(
            local_when(start, end, "America/New_York"),
            Some(("Tue 14 Jul 2026, 13:30–15:30".to_owned(), "America/New York".to_owned()))
        );
        // Same clocks as the UK's: nothing more to say.
        assert_eq!(local_when(start, end, "Europe/London"), None);
        assert_eq!(local_when(start, end, "Europe/Dublin"), None);
        assert_eq!(local_when(start, end, "Not/A_Zone"), None);
    }

    #[test]
    fn long_descriptions_are_cut_at_a_word() {
        let long = "word ".repeat(200);
        let cut = excerpt(&long);
        assert!(cut.ends_with("word…"), "{cut}");
        assert!(cut.chars().count() <= EXCERPT_CHARS + 1);
        assert_eq!(excerpt(" short "), "short");
    }

    #[test]
    fn a_summary_is_the_first_line_cut_at_a_word() {
        assert_eq!(
            summary("\n  Bring a flask.  \nSecond line.").as_deref(),
            Some("Bring a flask.")
        );
        assert_eq!(summary(" \n \n"), None);
        let long = summary(&"word ".repeat(100)).unwrap();
        assert!(
            long.ends_with("word…") && long.chars().count() <= SUMMARY_CHARS + 1,
            "{long}"
        );
        assert_eq!(paragraphs("one\n\n\n\n two \nlines"), ["one", "two \nlines"]);
    }
}
