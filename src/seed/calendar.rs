//! UK wall-clock times and days relative to `now`.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};

/// The last Sunday of a 31-day month (March and October).
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month, 31)?;
    Some(last - TimeDelta::days(i64::from(last.weekday().num_days_from_sunday())))
}

/// Whether UK clocks are on British Summer Time on `date` at any time after
/// 02:00 (BST runs from the last Sunday of March to the last Sunday of
/// October).
fn is_bst(date: NaiveDate) -> bool {
    match (last_sunday(date.year(), 3), last_sunday(date.year(), 10)) {
        (Some(start), Some(end)) => start <= date && date < end,
        _ => false,
    }
}

/// The instant of a UK wall-clock time (after 02:00).
pub(super) fn uk_time(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let offset = if is_bst(date) { 60 } else { 0 };
    NaiveDateTime::from(date).and_utc() + TimeDelta::minutes(i64::from(hour * 60 + minute) - offset)
}

/// Days and times relative to `now`.
#[derive(Clone, Copy)]
pub(super) struct Calendar {
    pub(super) now: DateTime<Utc>,
    pub(super) today: NaiveDate,
}

impl Calendar {
    pub(super) fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            today: now.date_naive(),
        }
    }

    pub(super) fn day(&self, offset: i64) -> NaiveDate {
        self.today + TimeDelta::days(offset)
    }

    /// UK local `hour:minute` on the day `offset` days from today.
    pub(super) fn at(&self, offset: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        uk_time(self.day(offset), hour, minute)
    }

    /// A day of the week `week` weeks from this one.
    pub(super) fn week_day(&self, week: i64, weekday: Weekday) -> NaiveDate {
        let monday = self.day(-i64::from(self.today.weekday().num_days_from_monday()));
        monday + TimeDelta::days(7 * week + i64::from(weekday.num_days_from_monday()))
    }

    /// When an event starting at `start` was put in the calendar: three
    /// weeks before, and no later than yesterday morning.
    pub(super) fn listed(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        (start - TimeDelta::days(21)).min(self.at(-1, 9, 0))
    }

    /// When a listed event was last edited: a few days later, in the past.
    pub(super) fn edited(&self, listed: DateTime<Utc>) -> DateTime<Utc> {
        (listed + TimeDelta::days(3)).min(self.at(-1, 15, 0))
    }
}

/// The year and month `months` months after `date`'s.
pub(super) fn add_months(date: NaiveDate, months: i32) -> (i32, u32) {
    let index = date.year() * 12 + date.month0() as i32 + months;
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

/// A UTC instant, for the tests here and in [`build`](super::build).
#[cfg(test)]
pub(super) fn instant(y: i32, m: u32, d: u32, h: u32, min: u32) -> anyhow::Result<DateTime<Utc>> {
    use anyhow::Context;
    use chrono::TimeZone;

    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .context("valid instant")
}

#[cfg(test)]
mod tests {
    use anyhow::Context;
    use chrono::NaiveDate;

    use super::{instant, uk_time};

    #[test]
    fn uk_times_follow_british_summer_time() -> anyhow::Result<()> {
        // In 2026 BST runs from Sunday 29 March to Sunday 25 October.
        let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).context("valid date");
        assert_eq!(uk_time(date(3, 28)?, 10, 0), instant(2026, 3, 28, 10, 0)?);
        assert_eq!(uk_time(date(3, 29)?, 10, 0), instant(2026, 3, 29, 9, 0)?);
        assert_eq!(uk_time(date(7, 1)?, 18, 30), instant(2026, 7, 1, 17, 30)?);
        assert_eq!(uk_time(date(10, 24)?, 10, 0), instant(2026, 10, 24, 9, 0)?);
        assert_eq!(uk_time(date(10, 25)?, 10, 0), instant(2026, 10, 25, 10, 0)?);
        assert_eq!(uk_time(date(12, 1)?, 18, 30), instant(2026, 12, 1, 18, 30)?);
        Ok(())
    }
}
