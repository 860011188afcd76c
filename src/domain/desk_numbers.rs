//! The numbers the coordinators' desk shows at a glance: requests per
//! month by where they ended up, over the last twelve months; the median
//! days from submission to confirmation, by month; and each trainer's
//! engagements this month against their cap.
//!
//! Months are calendar months in UK time, as the monthly cap counts them
//! ([`month_of`]). A request is counted in the month it was submitted in,
//! under its state now ([`Outcome`]); a wait is counted in the month the
//! request was confirmed in, so a month's median does not change as later
//! requests are confirmed.
//!
//! The counting and the medians are done by the database, in four
//! statements however many requests and trainers there are. The month a
//! row falls in is a `CASE` over the twelve months' bounds (computed here
//! in UK time and bound as values), so neither database has to know the
//! UK's clock changes; the median is the middle row (or the mean of the
//! two middle rows) by `ROW_NUMBER()` within each month, which both
//! SQLite and PostgreSQL compute.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::RequestState;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        requests::{Span, matching::month_of},
        roster,
    },
    error::Result,
};

/// How many months the charts look back, this one included.
pub const MONTHS: usize = 12;

/// Where a request ended up, as the outcome chart stacks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Delivered,
    Confirmed,
    Declined,
    Withdrawn,
    Cancelled,
    /// Submitted or assigned: not settled yet.
    Open,
}

impl Outcome {
    /// In the order the chart stacks them, from the bottom.
    pub const ALL: [Outcome; 6] = [
        Self::Delivered,
        Self::Confirmed,
        Self::Declined,
        Self::Withdrawn,
        Self::Cancelled,
        Self::Open,
    ];

    pub fn of(state: RequestState) -> Self {
        match state {
            RequestState::Delivered => Self::Delivered,
            RequestState::Confirmed => Self::Confirmed,
            RequestState::Declined => Self::Declined,
            RequestState::Withdrawn => Self::Withdrawn,
            RequestState::Cancelled => Self::Cancelled,
            RequestState::Submitted | RequestState::Assigned => Self::Open,
        }
    }

    /// Its place in [`Outcome::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

/// Requests submitted in one month, by outcome (in [`Outcome::ALL`]'s order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthOutcomes {
    pub month: Span,
    pub counts: [u64; 6],
}

impl MonthOutcomes {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The wait from submission to confirmation of the requests confirmed in
/// one month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthWait {
    pub month: Span,
    /// `None` when none was confirmed that month.
    pub median_days: Option<f64>,
    pub confirmed: u64,
}

/// A trainer's engagements this month against their cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainerLoad {
    pub trainer_id: Uuid,
    pub name: String,
    pub load: u64,
    pub monthly_cap: i32,
}

/// Everything the desk's charts draw.
#[derive(Debug, Clone)]
pub struct DeskNumbers {
    /// Oldest month first, this month last.
    pub outcomes: Vec<MonthOutcomes>,
    /// The same months.
    pub waits: Vec<MonthWait>,
    /// The month the loads are for (this one).
    pub load_month: Span,
    /// Every trainer, by name.
    pub loads: Vec<TrainerLoad>,
}

/// The last [`MONTHS`] UK calendar months, oldest first, this one last.
pub fn last_months(now: DateTime<Utc>) -> Vec<Span> {
    let mut months = vec![month_of(now)];
    while months.len() < MONTHS {
        let earliest = months[months.len() - 1].starts_at;
        months.push(month_of(earliest - Duration::seconds(1)));
    }
    months.reverse();
    months
}

/// A statement's text with its bound values, numbered `$1`, `$2`, … as
/// both PostgreSQL and SQLite (through sqlx) read them.
struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new() -> Self {
        Self {
            text: String::new(),
            values: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, at: DateTime<Utc>) -> &mut Self {
        self.values.push(at.into());
        let placeholder = format!("${}", self.values.len());
        self.text.push_str(&placeholder);
        self
    }

    /// `CASE` giving the index (0 = oldest) of the month `column` falls in.
    fn month_index(&mut self, column: &str, months: &[Span]) -> &mut Self {
        self.push("CASE");
        for (i, month) in months.iter().enumerate() {
            self.push(&format!(" WHEN {column} >= "))
                .bind(month.starts_at)
                .push(&format!(" AND {column} < "))
                .bind(month.ends_at)
                .push(&format!(" THEN {i}"));
        }
        self.push(" END")
    }

    fn statement(self, backend: DbBackend) -> Statement {
        Statement::from_sql_and_values(backend, self.text, self.values)
    }
}

/// Requests per month by outcome: one statement.
async fn outcomes(db: &impl ConnectionTrait, months: &[Span]) -> Result<Vec<MonthOutcomes>> {
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(Vec::new());
    };
    let mut sql = Sql::new();
    sql.push("SELECT m, state, COUNT(*) AS n FROM (SELECT ")
        .month_index("created_at", months)
        .push(" AS m, state FROM requests WHERE created_at >= ")
        .bind(first.starts_at)
        .push(" AND created_at < ")
        .bind(last.ends_at)
        .push(") AS submitted GROUP BY m, state");
    let mut found: Vec<MonthOutcomes> = months
        .iter()
        .map(|month| MonthOutcomes {
            month: *month,
            counts: [0; 6],
        })
        .collect();
    for row in db.query_all_raw(sql.statement(db.get_database_backend())).await? {
        let month: i32 = row.try_get("", "m")?;
        let state: String = row.try_get("", "state")?;
        let n: i64 = row.try_get("", "n")?;
        let outcome = <RequestState as sea_orm::Iterable>::iter()
            .find(|s| s.as_str() == state)
            .map(Outcome::of);
        if let (Some(slot), Some(outcome)) = (usize::try_from(month).ok().and_then(|m| found.get_mut(m)), outcome) {
            slot.counts[outcome.index()] += u64::try_from(n).unwrap_or(0);
        }
    }
    Ok(found)
}

/// The median wait from submission to confirmation, by the month of
/// confirmation: one statement.
async fn waits(db: &impl ConnectionTrait, months: &[Span]) -> Result<Vec<MonthWait>> {
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(Vec::new());
    };
    let backend = db.get_database_backend();
    let days = match backend {
        DbBackend::Postgres => "CAST(EXTRACT(EPOCH FROM (c.at - r.created_at)) / 86400.0 AS DOUBLE PRECISION)",
        _ => "(julianday(c.at) - julianday(r.created_at))",
    };
    let mut sql = Sql::new();
    sql.push(
        "WITH c AS (SELECT request_id, MIN(created_at) AS at FROM request_transitions \
         WHERE to_state = 'CONFIRMED' AND created_at >= ",
    )
    .bind(first.starts_at)
    .push(" AND created_at < ")
    .bind(last.ends_at)
    .push(" GROUP BY request_id), waits AS (SELECT ")
    .month_index("c.at", months)
    .push(&format!(
        " AS m, {days} AS days FROM c JOIN requests r ON r.id = c.request_id), \
         ranked AS (SELECT m, days, ROW_NUMBER() OVER (PARTITION BY m ORDER BY days) AS rn, \
         COUNT(*) OVER (PARTITION BY m) AS n FROM waits) \
         SELECT m, AVG(days) AS median, MAX(n) AS n FROM ranked \
         WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY m"
    ));
    let mut found: Vec<MonthWait> = months
        .iter()
        .map(|month| MonthWait {
            month: *month,
            median_days: None,
            confirmed: 0,
        })
        .collect();
    for row in db.query_all_raw(sql.statement(backend)).await? {
        let month: i32 = row.try_get("", "m")?;
        let median: Option<f64> = row.try_get("", "median")?;
        let n: i64 = row.try_get("", "n")?;
        if let Some(slot) = usize::try_from(month).ok().and_then(|m| found.get_mut(m)) {
            slot.median_days = median;
            slot.confirmed = u64::try_from(n).unwrap_or(0);
        }
    }
    Ok(found)
}

/// The desk's numbers, for coordinators: four statements.
pub async fn numbers(db: &impl ConnectionTrait, viewer: &Viewer, now: DateTime<Utc>) -> Result<DeskNumbers> {
    authorize(viewer, Action::TriageRequests)?;
    let months = last_months(now);
    let outcomes = outcomes(db, &months).await?;
    let waits = waits(db, &months).await?;
    let trainers = roster::trainers(db).await?;
    let (load_month, load): (Span, HashMap<Uuid, u64>) = roster::load_this_month(db, now).await?;
    let loads = trainers
        .into_iter()
        .map(|t| TrainerLoad {
            trainer_id: t.person.id,
            name: t.person.display_name().to_owned(),
            load: load.get(&t.person.id).copied().unwrap_or(0),
            monthly_cap: t.monthly_cap,
        })
        .collect();
    Ok(DeskNumbers {
        outcomes,
        waits,
        load_month,
        loads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_last_twelve_uk_months_end_with_this_one() {
        let now = Utc.with_ymd_and_hms(2027, 3, 15, 12, 0, 0).unwrap();
        let months = last_months(now);
        assert_eq!(months.len(), MONTHS);
        assert_eq!(months[11], month_of(now));
        // April 2026 began at midnight BST, 23:00 UTC the day before.
        assert_eq!(
            months[0].starts_at,
            Utc.with_ymd_and_hms(2026, 3, 31, 23, 0, 0).unwrap()
        );
        for pair in months.windows(2) {
            assert_eq!(pair[0].ends_at, pair[1].starts_at, "no gap and no overlap");
        }
    }

    #[test]
    fn outcomes_follow_the_state() {
        assert_eq!(Outcome::of(RequestState::Assigned), Outcome::Open);
        assert_eq!(Outcome::of(RequestState::Submitted), Outcome::Open);
        assert_eq!(Outcome::of(RequestState::Withdrawn).index(), 3);
        let mut sql = Sql::new();
        sql.month_index(
            "created_at",
            &last_months(Utc.with_ymd_and_hms(2027, 1, 5, 0, 0, 0).unwrap())[..2],
        );
        assert_eq!(sql.values.len(), 4);
        assert!(sql.text.contains("$4 THEN 1 END"), "{}", sql.text);
    }
}
