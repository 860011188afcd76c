//! Recurrence rules and their expansion, in local wall time.
//!
//! A series is kept as its first occurrence's local start and end, an IANA
//! zone and a rule from a subset of RFC 5545's RRULE: `FREQ=DAILY|WEEKLY|
//! MONTHLY`, `INTERVAL`, `BYDAY` (with ordinals such as `2TU` or `-1FR` in
//! monthly rules), `BYMONTHDAY`, `WKST`, and `COUNT` or `UNTIL`. Anything
//! else is refused with the part named, never silently dropped.
//!
//! The expansion is our own: dates are stepped in the calendar, each is
//! given the first occurrence's local time of day, and only then is the
//! wall time turned into an instant. So "19:00 Europe/London" stays 19:00
//! in March and in November. A local time the clocks skip (01:30 on the
//! day they go forward) is read with the offset in force before the gap,
//! as RFC 5545 3.3.5 says, which moves it forward by the gap (01:30 GMT is
//! 02:30 BST); a local time that happens twice (when the clocks go back)
//! is its first occurrence. Every occurrence lasts the first one's exact
//! duration (RFC 5545 3.8.5.3, a DTEND).
//!
//! The `rrule` crate is not used: it has open DST bugs (duplicated and
//! missing occurrences when the clocks go forward).

use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::error::{Error, Result};

/// The most occurrences one series may have.
pub const MAX_OCCURRENCES: usize = 500;
/// Periods stepped through before a rule that makes nothing is given up on
/// (e.g. the 31st of every second February).
const MAX_PERIODS: u32 = 10_000;
/// The field every refusal of a rule names; the message starts with the part.
pub const RULE_FIELD: &str = "rrule";

fn refuse(message: impl Into<String>) -> Error {
    Error::validation(RULE_FIELD, message)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

impl Frequency {
    fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
        }
    }
}

/// One `BYDAY` entry: a weekday, and in a monthly rule optionally which one
/// of the month (`2` the second, `-1` the last).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeekdayNum {
    pub ordinal: Option<i8>,
    pub weekday: Weekday,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleEnd {
    Count(u32),
    /// The last instant an occurrence may start at (inclusive).
    Until(DateTime<Utc>),
}

/// A parsed, checked recurrence rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub frequency: Frequency,
    pub interval: u32,
    pub by_day: Vec<WeekdayNum>,
    pub by_month_day: Vec<i8>,
    pub week_start: Weekday,
    pub end: RuleEnd,
}

fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn parse_weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// Reads an UNTIL value: a UTC date-time (`…Z`, what RFC 5545 requires with
/// a zoned start), a local date-time, or a date (occurrences starting on
/// that local day are included).
fn parse_until(raw: &str, zone: Tz) -> Option<DateTime<Utc>> {
    if let Some(utc) = raw.strip_suffix('Z') {
        return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .ok()
            .map(|t| t.and_utc());
    }
    if let Ok(local) = NaiveDateTime::parse_from_str(raw, "%Y%m%dT%H%M%S") {
        return Some(resolve_local(zone, local));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y%m%d").ok()?;
    let last = day.and_time(NaiveTime::from_hms_opt(23, 59, 59)?);
    Some(resolve_local(zone, last))
}

impl Rule {
    /// Parses an RRULE value (with or without the `RRULE:` name). `zone` is
    /// the series' zone, for an UNTIL written in local time.
    pub fn parse(text: &str, zone: Tz) -> Result<Rule> {
        let text = text.trim();
        let text = text
            .strip_prefix("RRULE:")
            .or_else(|| text.strip_prefix("rrule:"))
            .unwrap_or(text);
        let mut frequency = None;
        let mut interval = None;
        let mut by_day = None;
        let mut by_month_day = None;
        let mut week_start = None;
        let mut count = None;
        let mut until = None;
        for part in text.split(';').filter(|p| !p.trim().is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| refuse(format!("{part}: each part is NAME=VALUE")))?;
            let name = name.trim().to_ascii_uppercase();
            let value = value.trim().to_ascii_uppercase();
            let twice = || refuse(format!("{name} is given twice"));
            match name.as_str() {
                "FREQ" => {
                    let parsed = match value.as_str() {
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        "YEARLY" | "HOURLY" | "MINUTELY" | "SECONDLY" => {
                            return Err(refuse(format!(
                                "FREQ={value} is not supported: a series repeats daily, weekly or monthly"
                            )));
                        }
                        _ => return Err(refuse(format!("FREQ={value} is not a frequency"))),
                    };
                    if frequency.replace(parsed).is_some() {
                        return Err(twice());
                    }
                }
                "INTERVAL" => {
                    let n: u32 = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| refuse(format!("INTERVAL={value} must be a whole number from 1 to 1000")))?;
                    if interval.replace(n).is_some() {
                        return Err(twice());
                    }
                }
                "COUNT" => {
                    let n: u32 = value
                        .parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| refuse(format!("COUNT={value} must be a whole number of at least 1")))?;
                    if n as usize > MAX_OCCURRENCES {
                        return Err(refuse(format!(
                            "COUNT={n} is more than the {MAX_OCCURRENCES} occurrences a series may have"
                        )));
                    }
                    if count.replace(n).is_some() {
                        return Err(twice());
                    }
                }
                "UNTIL" => {
                    let at = parse_until(&value, zone)
                        .ok_or_else(|| refuse(format!("UNTIL={value} is not a date or a date-time")))?;
                    if until.replace(at).is_some() {
                        return Err(twice());
                    }
                }
                "WKST" => {
                    let day = parse_weekday(&value).ok_or_else(|| refuse(format!("WKST={value} is not a weekday")))?;
                    if week_start.replace(day).is_some() {
                        return Err(twice());
                    }
                }
                "BYDAY" => {
                    let mut days = Vec::new();
                    for entry in value.split(',').map(str::trim) {
                        let bad = || {
                            refuse(format!(
                                "BYDAY={value}: {entry} is not a weekday such as TU, 2TU or -1FR"
                            ))
                        };
                        if entry.len() < 2 {
                            return Err(bad());
                        }
                        let (number, code) = entry.split_at(entry.len() - 2);
                        let weekday = parse_weekday(code).ok_or_else(bad)?;
                        let ordinal = if number.is_empty() {
                            None
                        } else {
                            let n: i8 = number.trim_start_matches('+').parse().map_err(|_| bad())?;
                            if n == 0 || !(-5..=5).contains(&n) {
                                return Err(refuse(format!(
                                    "BYDAY={value}: {entry} must count from 1 to 5 weeks into the month, or -1 to -5 from its end"
                                )));
                            }
                            Some(n)
                        };
                        days.push(WeekdayNum { ordinal, weekday });
                    }
                    if by_day.replace(days).is_some() {
                        return Err(twice());
                    }
                }
                "BYMONTHDAY" => {
                    let mut days = Vec::new();
                    for entry in value.split(',').map(str::trim) {
                        let n: i8 = entry
                            .trim_start_matches('+')
                            .parse()
                            .ok()
                            .filter(|n: &i8| *n != 0 && (-31..=31).contains(n))
                            .ok_or_else(|| refuse(format!("BYMONTHDAY={value}: {entry} is not a day of the month")))?;
                        days.push(n);
                    }
                    if by_month_day.replace(days).is_some() {
                        return Err(twice());
                    }
                }
                "BYSETPOS" | "BYMONTH" | "BYYEARDAY" | "BYWEEKNO" | "BYHOUR" | "BYMINUTE" | "BYSECOND" | "RSCALE"
                | "SKIP" => {
                    let hint = if name == "BYSETPOS" {
                        " (for \"the last Friday\" write BYDAY=-1FR)"
                    } else {
                        ""
                    };
                    return Err(refuse(format!("{name} is not supported{hint}")));
                }
                _ => return Err(refuse(format!("{name} is not a part of a recurrence rule"))),
            }
        }
        let frequency = frequency.ok_or_else(|| refuse("FREQ is missing: DAILY, WEEKLY or MONTHLY"))?;
        let by_day = by_day.unwrap_or_default();
        let by_month_day = by_month_day.unwrap_or_default();
        if frequency != Frequency::Monthly {
            if let Some(day) = by_day.iter().find(|d| d.ordinal.is_some()) {
                let ordinal = day.ordinal.unwrap_or_default();
                return Err(refuse(format!(
                    "BYDAY={ordinal}{}: a numbered weekday needs FREQ=MONTHLY",
                    weekday_code(day.weekday)
                )));
            }
            if !by_month_day.is_empty() {
                return Err(refuse("BYMONTHDAY needs FREQ=MONTHLY"));
            }
        }
        let end = match (count, until) {
            (Some(_), Some(_)) => return Err(refuse("COUNT and UNTIL: a rule has one or the other")),
            (Some(n), None) => RuleEnd::Count(n),
            (None, Some(at)) => RuleEnd::Until(at),
            (None, None) => {
                return Err(refuse(
                    "COUNT or UNTIL is needed: a series ends (at most 500 occurrences)",
                ));
            }
        };
        Ok(Rule {
            frequency,
            interval: interval.unwrap_or(1),
            by_day,
            by_month_day,
            week_start: week_start.unwrap_or(Weekday::Mon),
            end,
        })
    }

    /// The rule in one canonical form, as stored and as feeds write it:
    /// UNTIL in UTC (RFC 5545 asks so with a zoned DTSTART).
    pub fn to_rrule(&self) -> String {
        let mut out = format!("FREQ={}", self.frequency.as_str());
        if self.interval != 1 {
            let _ = write!(out, ";INTERVAL={}", self.interval);
        }
        if !self.by_day.is_empty() {
            out.push_str(";BYDAY=");
            for (i, day) in self.by_day.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(n) = day.ordinal {
                    let _ = write!(out, "{n}");
                }
                out.push_str(weekday_code(day.weekday));
            }
        }
        if !self.by_month_day.is_empty() {
            out.push_str(";BYMONTHDAY=");
            let days: Vec<String> = self.by_month_day.iter().map(i8::to_string).collect();
            out.push_str(&days.join(","));
        }
        if self.week_start != Weekday::Mon {
            let _ = write!(out, ";WKST={}", weekday_code(self.week_start));
        }
        match self.end {
            RuleEnd::Count(n) => {
                let _ = write!(out, ";COUNT={n}");
            }
            RuleEnd::Until(at) => {
                let _ = write!(out, ";UNTIL={}", at.format("%Y%m%dT%H%M%SZ"));
            }
        }
        out
    }

    /// The dates of one period (the `k`th day, week or month counted in
    /// steps of `interval` from the first occurrence's), in order.
    fn dates_in_period(&self, first: NaiveDate, k: u32) -> Vec<NaiveDate> {
        let step = k.saturating_mul(self.interval);
        match self.frequency {
            Frequency::Daily => {
                let day = first + Duration::days(i64::from(step));
                let wanted = self.by_day.is_empty() || self.by_day.iter().any(|d| d.weekday == day.weekday());
                if wanted { vec![day] } else { Vec::new() }
            }
            Frequency::Weekly => {
                let back = (7 + first.weekday().num_days_from_monday() - self.week_start.num_days_from_monday()) % 7;
                let week = first - Duration::days(i64::from(back)) + Duration::weeks(i64::from(step));
                let mut days: Vec<NaiveDate> = if self.by_day.is_empty() {
                    vec![first.weekday()]
                } else {
                    self.by_day.iter().map(|d| d.weekday).collect()
                }
                .into_iter()
                .map(|weekday| {
                    let offset = (7 + weekday.num_days_from_monday() - self.week_start.num_days_from_monday()) % 7;
                    week + Duration::days(i64::from(offset))
                })
                .collect();
                days.sort_unstable();
                days.dedup();
                days
            }
            Frequency::Monthly => {
                let Some(month) = first.with_day(1).and_then(|d| d.checked_add_months(Months::new(step))) else {
                    return Vec::new();
                };
                let length = month_length(month);
                let month_day = |n: i8| -> Option<NaiveDate> {
                    let day = if n > 0 {
                        u32::from(n.unsigned_abs())
                    } else {
                        (length + 1).checked_sub(u32::from(n.unsigned_abs()))?
                    };
                    (day >= 1 && day <= length).then(|| month.with_day(day)).flatten()
                };
                let mut days: Vec<NaiveDate> = if !self.by_day.is_empty() {
                    let all: Vec<NaiveDate> = (1..=length).filter_map(|d| month.with_day(d)).collect();
                    let mut chosen = Vec::new();
                    for entry in &self.by_day {
                        let matching: Vec<NaiveDate> =
                            all.iter().copied().filter(|d| d.weekday() == entry.weekday).collect();
                        match entry.ordinal {
                            None => chosen.extend(matching),
                            Some(n) if n > 0 => chosen.extend(matching.get(usize::from(n.unsigned_abs()) - 1)),
                            Some(n) => chosen.extend(
                                matching
                                    .len()
                                    .checked_sub(usize::from(n.unsigned_abs()))
                                    .and_then(|i| matching.get(i)),
                            ),
                        }
                    }
                    if !self.by_month_day.is_empty() {
                        let allowed: Vec<NaiveDate> = self.by_month_day.iter().filter_map(|n| month_day(*n)).collect();
                        chosen.retain(|d| allowed.contains(d));
                    }
                    chosen
                } else if !self.by_month_day.is_empty() {
                    self.by_month_day.iter().filter_map(|n| month_day(*n)).collect()
                } else {
                    month.with_day(first.day()).into_iter().collect()
                };
                days.sort_unstable();
                days.dedup();
                days
            }
        }
    }

    /// The part that decides which days are chosen, for refusals.
    fn day_part(&self) -> &'static str {
        if !self.by_day.is_empty() {
            "BYDAY"
        } else if !self.by_month_day.is_empty() {
            "BYMONTHDAY"
        } else {
            "FREQ"
        }
    }
}

fn month_length(first_of_month: NaiveDate) -> u32 {
    first_of_month
        .checked_add_months(Months::new(1))
        .map(|next| (next - first_of_month).num_days() as u32)
        .unwrap_or(31)
}

/// The instant a local wall time names in `zone`: the earlier of two when
/// the clocks go back; when they go forward over it, read with the offset
/// before the gap (RFC 5545 3.3.5), which moves it forward by the gap.
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Step back out of the gap (no gap is longer than a day) and take
            // the offset in force there.
            let mut probe = local;
            for _ in 0..48 {
                probe -= Duration::minutes(30);
                if let Some(before) = zone.from_local_datetime(&probe).earliest() {
                    let offset = i64::from(before.offset().fix().local_minus_utc());
                    return (local - Duration::seconds(offset)).and_utc();
                }
            }
            local.and_utc()
        }
    }
}

/// One occurrence as instants, and the start it has by the rule (before any
/// change to it), which identifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A series' timing: what the expansion needs.
#[derive(Clone, Debug)]
pub struct Timing {
    pub zone: Tz,
    pub local_start: NaiveDateTime,
    pub local_end: NaiveDateTime,
    pub rule: Rule,
}

impl Timing {
    /// The exact length of every occurrence: the first one's.
    pub fn duration(&self) -> Duration {
        resolve_local(self.zone, self.local_end) - resolve_local(self.zone, self.local_start)
    }

    /// Every occurrence, in order. Refused: a first occurrence the rule
    /// would not make (RFC 5545 leaves that undefined, and parsers differ),
    /// no occurrence at all, or more than [`MAX_OCCURRENCES`].
    pub fn expand(&self) -> Result<Vec<Occurrence>> {
        let duration = self.duration();
        if duration <= Duration::zero() {
            return Err(Error::validation("endsAt", "must be after startsAt"));
        }
        let first = self.local_start.date();
        let time = self.local_start.time();
        let mut out: Vec<Occurrence> = Vec::new();
        'periods: for k in 0..MAX_PERIODS {
            let days = self.rule.dates_in_period(first, k);
            if k == 0 && !days.contains(&first) {
                return Err(refuse(format!(
                    "{}: the first occurrence ({}) is not a day the rule makes",
                    self.rule.day_part(),
                    first.format("%A %-d %B %Y")
                )));
            }
            for day in days.into_iter().filter(|d| *d >= first) {
                let starts_at = resolve_local(self.zone, day.and_time(time));
                match self.rule.end {
                    RuleEnd::Count(n) if out.len() >= n as usize => break 'periods,
                    RuleEnd::Until(until) if starts_at > until => break 'periods,
                    _ => {}
                }
                if out.len() >= MAX_OCCURRENCES {
                    let part = match self.rule.end {
                        RuleEnd::Count(_) => "COUNT",
                        RuleEnd::Until(_) => "UNTIL",
                    };
                    return Err(refuse(format!(
                        "{part}: the rule makes more than the {MAX_OCCURRENCES} occurrences a series may have"
                    )));
                }
                out.push(Occurrence {
                    starts_at,
                    ends_at: starts_at + duration,
                });
            }
        }
        if out.is_empty() {
            let part = match self.rule.end {
                RuleEnd::Until(_) => "UNTIL",
                RuleEnd::Count(_) => self.rule.day_part(),
            };
            return Err(refuse(format!("{part}: the rule makes no occurrence")));
        }
        Ok(out)
    }

    /// The local wall time an occurrence has by the rule (what RECURRENCE-ID
    /// and EXDATE name): its local day at the series' time of day.
    pub fn nominal_local(&self, original_start: DateTime<Utc>) -> NaiveDateTime {
        let shown = original_start.with_timezone(&self.zone).naive_local();
        let candidate = shown.date().and_time(self.local_start.time());
        // A start moved forward over a gap shows later than its nominal
        // time on the same day; anything else shows exactly it.
        if resolve_local(self.zone, candidate) == original_start {
            candidate
        } else {
            shown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    fn timing(start: &str, end: &str, rule: &str) -> Timing {
        Timing {
            zone: London,
            local_start: local(start),
            local_end: local(end),
            rule: Rule::parse(rule, London).unwrap(),
        }
    }

    fn locals(occurrences: &[Occurrence]) -> Vec<String> {
        occurrences
            .iter()
            .map(|o| {
                o.starts_at
                    .with_timezone(&London)
                    .format("%a %Y-%m-%d %H:%M")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn every_second_tuesday_at_seven_for_eighteen_months_stays_at_seven() {
        // "Every 2nd Tuesday" as a fortnightly meeting, across two March and
        // two October changes.
        let t = timing(
            "2027-01-05T19:00",
            "2027-01-05T21:00",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20280704T235959Z",
        );
        let all = t.expand().unwrap();
        assert_eq!(all.len(), 40);
        for o in &all {
            let shown = o.starts_at.with_timezone(&London);
            assert_eq!(shown.format("%a %H:%M").to_string(), "Tue 19:00", "{shown}");
            assert_eq!(o.ends_at - o.starts_at, Duration::hours(2));
        }
        // Winter is 19:00 UTC, summer 18:00 UTC.
        assert_eq!(all[0].starts_at.format("%H").to_string(), "19");
        assert!(all.iter().any(|o| o.starts_at.format("%H").to_string() == "18"));
        for pair in all.windows(2) {
            assert_eq!(
                (pair[1].starts_at.with_timezone(&London).date_naive()
                    - pair[0].starts_at.with_timezone(&London).date_naive())
                .num_days(),
                14
            );
        }
    }

    #[test]
    fn the_second_tuesday_of_each_month() {
        let t = timing(
            "2027-01-12T19:00",
            "2027-01-12T21:00",
            "FREQ=MONTHLY;BYDAY=2TU;COUNT=18",
        );
        let all = locals(&t.expand().unwrap());
        assert_eq!(all.len(), 18);
        assert_eq!(all[0], "Tue 2027-01-12 19:00");
        assert_eq!(all[1], "Tue 2027-02-09 19:00");
        assert_eq!(all[2], "Tue 2027-03-09 19:00");
        assert_eq!(all[3], "Tue 2027-04-13 19:00");
        assert_eq!(all[17], "Tue 2028-06-13 19:00");
    }

    #[test]
    fn the_last_friday_of_the_month() {
        let t = timing(
            "2027-01-29T18:30",
            "2027-01-29T20:00",
            "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
        );
        let all = locals(&t.expand().unwrap());
        assert_eq!(
            all,
            [
                "Fri 2027-01-29 18:30",
                "Fri 2027-02-26 18:30",
                "Fri 2027-03-26 18:30",
                "Fri 2027-04-30 18:30",
                "Fri 2027-05-28 18:30",
                "Fri 2027-06-25 18:30",
                "Fri 2027-07-30 18:30",
                "Fri 2027-08-27 18:30",
                "Fri 2027-09-24 18:30",
                "Fri 2027-10-29 18:30",
                "Fri 2027-11-26 18:30",
                "Fri 2027-12-31 18:30",
            ]
        );
    }

    #[test]
    fn a_time_the_clocks_skip_moves_forward_by_the_gap() {
        // 28 March 2027: London goes from 01:00 GMT to 02:00 BST.
        let t = timing("2027-03-21T01:30", "2027-03-21T02:30", "FREQ=WEEKLY;COUNT=3");
        let all = t.expand().unwrap();
        let utc: Vec<String> = all
            .iter()
            .map(|o| o.starts_at.format("%m-%d %H:%MZ").to_string())
            .collect();
        // 01:30 GMT, then the skipped 01:30 read as GMT (02:30 BST), then
        // 01:30 BST.
        assert_eq!(utc, ["03-21 01:30Z", "03-28 01:30Z", "04-04 00:30Z"]);
        assert_eq!(locals(&all)[1], "Sun 2027-03-28 02:30");
        assert_eq!(all[1].ends_at - all[1].starts_at, Duration::hours(1));
        assert_eq!(t.nominal_local(all[1].starts_at), local("2027-03-28T01:30"));
    }

    #[test]
    fn a_time_that_happens_twice_is_the_first() {
        // 31 October 2027: 01:30 happens in BST and again in GMT.
        let t = timing("2027-10-24T01:30", "2027-10-24T02:00", "FREQ=WEEKLY;COUNT=2");
        let all = t.expand().unwrap();
        assert_eq!(all[1].starts_at.format("%m-%d %H:%MZ").to_string(), "10-31 00:30Z");
        assert_eq!(t.nominal_local(all[1].starts_at), local("2027-10-31T01:30"));
    }

    #[test]
    fn monthly_on_the_31st_skips_short_months() {
        let t = timing("2027-01-31T10:00", "2027-01-31T11:00", "FREQ=MONTHLY;COUNT=4");
        assert_eq!(
            locals(&t.expand().unwrap()),
            [
                "Sun 2027-01-31 10:00",
                "Wed 2027-03-31 10:00",
                "Mon 2027-05-31 10:00",
                "Sat 2027-07-31 10:00"
            ]
        );
    }

    #[test]
    fn weekly_on_several_days_and_daily_trainings() {
        let t = timing(
            "2027-02-01T09:00",
            "2027-02-01T17:00",
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4",
        );
        assert_eq!(
            locals(&t.expand().unwrap()),
            [
                "Mon 2027-02-01 09:00",
                "Wed 2027-02-03 09:00",
                "Mon 2027-02-08 09:00",
                "Wed 2027-02-10 09:00"
            ]
        );
        let t = timing("2027-02-04T09:00", "2027-02-04T17:00", "FREQ=DAILY;COUNT=3");
        assert_eq!(
            locals(&t.expand().unwrap()),
            ["Thu 2027-02-04 09:00", "Fri 2027-02-05 09:00", "Sat 2027-02-06 09:00"]
        );
    }

    #[test]
    fn refusals_name_the_part() {
        let message = |rule: &str| match Rule::parse(rule, London) {
            Err(Error::Validation(errors)) => {
                assert_eq!(errors[0].field, RULE_FIELD);
                errors[0].message.clone()
            }
            other => panic!("{rule}: {other:?}"),
        };
        assert!(message("FREQ=YEARLY;COUNT=2").starts_with("FREQ=YEARLY"));
        assert!(message("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1;COUNT=3").starts_with("BYSETPOS"));
        assert!(message("FREQ=WEEKLY;BYDAY=2TU;COUNT=3").starts_with("BYDAY=2TU"));
        assert!(message("FREQ=WEEKLY;COUNT=501").starts_with("COUNT=501"));
        assert!(message("FREQ=WEEKLY").starts_with("COUNT or UNTIL"));
        assert!(message("FREQ=WEEKLY;COUNT=2;UNTIL=20280101T000000Z").starts_with("COUNT and UNTIL"));
        assert!(message("FREQ=WEEKLY;COUNT=2;X-NAME=1").starts_with("X-NAME"));

        let expand = |start: &str, rule: &str| match timing(start, "2027-01-01T23:00", rule).expand() {
            Err(Error::Validation(errors)) => errors[0].message.clone(),
            other => panic!("{rule}: {other:?}"),
        };
        // More than 500: daily for two years.
        assert!(expand("2027-01-01T19:00", "FREQ=DAILY;UNTIL=20281231T000000Z").starts_with("UNTIL"));
        // None: ends before it starts.
        assert!(expand("2027-01-01T19:00", "FREQ=DAILY;UNTIL=20261231T000000Z").starts_with("UNTIL"));
        // A first occurrence the rule does not make (1 January 2027 is a Friday).
        assert!(expand("2027-01-01T19:00", "FREQ=WEEKLY;BYDAY=TU;COUNT=3").starts_with("BYDAY"));
    }

    #[test]
    fn canonical_form_round_trips() {
        for rule in [
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=10",
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231T235959Z",
            "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=5",
            "FREQ=WEEKLY;BYDAY=TU,TH;WKST=SU;COUNT=4",
        ] {
            let parsed = Rule::parse(rule, London).unwrap();
            assert_eq!(parsed.to_rrule(), rule);
            assert_eq!(Rule::parse(&parsed.to_rrule(), London).unwrap(), parsed);
        }
        // Lower case, the property name, a local UNTIL date.
        let parsed = Rule::parse("RRULE:freq=weekly;until=20270701", London).unwrap();
        assert_eq!(parsed.to_rrule(), "FREQ=WEEKLY;UNTIL=20270701T225959Z");
    }
}
