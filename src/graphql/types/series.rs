use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::{event, event_series};

use crate::{
    domain::{recurrence::resolve_local, series},
    graphql::{context::db, error::ApiResult, types::Event},
};

/// A recurring event: its rule and the fields its occurrences share.
pub struct EventSeries {
    pub series: event_series::Model,
    /// Loaded with it when at hand (after a change).
    pub occurrences: Option<Vec<event::Model>>,
}

impl EventSeries {
    pub fn with_occurrences(series: event_series::Model, rows: Vec<event::Model>) -> Self {
        Self {
            series,
            occurrences: Some(rows),
        }
    }

    fn zone(&self) -> chrono_tz::Tz {
        self.series.timezone.parse().unwrap_or(chrono_tz::Europe::London)
    }
}

/// A recurring event: how it repeats, and its occurrences (each an `Event`).
#[Object]
impl EventSeries {
    /// The series' id (a UUID): for `updateEventSeries`.
    async fn id(&self) -> ID {
        ID(self.series.id.to_string())
    }

    /// What every occurrence is called, unless changed for one.
    async fn title(&self) -> &str {
        &self.series.title
    }

    /// The rule in canonical RFC 5545 form, e.g. `FREQ=MONTHLY;BYDAY=-1FR;COUNT=12`.
    async fn rrule(&self) -> &str {
        &self.series.rrule
    }

    /// The IANA time zone whose wall clock the occurrences keep.
    async fn timezone(&self) -> &str {
        &self.series.timezone
    }

    /// When the first occurrence begins.
    async fn starts_at(&self) -> DateTime<Utc> {
        resolve_local(self.zone(), self.series.local_starts_at)
    }

    /// When the first occurrence ends.
    async fn ends_at(&self) -> DateTime<Utc> {
        resolve_local(self.zone(), self.series.local_ends_at)
    }

    /// Bumped on every change of the series as a whole.
    async fn sequence(&self) -> i32 {
        self.series.sequence
    }

    /// Every occurrence by its original start, cancelled ones included (at
    /// most 500).
    async fn occurrences(&self, ctx: &Context<'_>) -> ApiResult<Vec<Event>> {
        let rows = match &self.occurrences {
            Some(rows) => rows.clone(),
            None => series::occurrences(db(ctx), self.series.id).await?,
        };
        Ok(rows.into_iter().map(Event).collect())
    }
}
