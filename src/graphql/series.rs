//! Recurring events: creating and changing a series, and changing or
//! cancelling one of its occurrences. Occurrences are events: listed by
//! `events`, found by `event(id)`, answered with `rsvp`.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};

use crate::{
    domain::{
        in_work,
        series::{self, NewSeries, OccurrenceChanges, Scope, SeriesChanges},
    },
    graphql::{
        context::{db, now, viewer},
        error::ApiResult,
        events::{CreateEventInput, UpdateEventInput, event_changes, new_event},
        parse_id,
        types::{Event, EventSeries},
    },
};

/// A new recurring event: its first occurrence, and how it repeats.
#[derive(InputObject)]
pub struct CreateEventSeriesInput {
    /// The first occurrence, as a single event is given; its local time of
    /// day in `timezone` is kept for every occurrence.
    pub first: CreateEventInput,
    /// The rule, an RFC 5545 RRULE: `FREQ=WEEKLY`, `MONTHLY` or `DAILY`,
    /// `INTERVAL`, `BYDAY` (`TU`; in monthly rules also `2TU`, `-1FR`),
    /// `BYMONTHDAY`, `WKST`, and `COUNT` or `UNTIL`; at most 500
    /// occurrences, e.g. `FREQ=MONTHLY;BYDAY=2TU;COUNT=12`.
    pub rrule: String,
}

/// Which occurrences a change to a series applies to.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "SeriesScope")]
pub enum GqlSeriesScope {
    /// Every occurrence, past and to come.
    All,
    /// The occurrence named and those after it: the series is split there.
    ThisAndFollowing,
}

/// Omitted fields stay as they are; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateEventSeriesInput {
    /// The fields of every occurrence changed. `startsAt`/`endsAt` are the
    /// first occurrence's of the part changed (the one named, for
    /// `THIS_AND_FOLLOWING`).
    pub fields: UpdateEventInput,
    /// A new rule (see `CreateEventSeriesInput.rrule`).
    pub rrule: Option<String>,
}

/// A change to one occurrence; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateOccurrenceInput {
    /// A new start for this occurrence only.
    pub starts_at: Option<DateTime<Utc>>,
    /// A new end: after the start, within 31 days of it.
    pub ends_at: Option<DateTime<Utc>>,
    /// A new title; one line, at most 200 characters.
    pub title: Option<String>,
    /// A new description, at most 10,000 characters.
    pub description: Option<String>,
    /// Another place name (at most 300 characters).
    pub venue: MaybeUndefined<String>,
    /// Another address (at most 300 characters).
    pub address: MaybeUndefined<String>,
    /// Another link to join online, http(s) only.
    pub online_url: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct SeriesMutation;

#[Object]
impl SeriesMutation {
    /// A recurring event. Group organisers for their group; coordinators and
    /// admins for any. A rule with no occurrence, more than 500, or a part
    /// outside the supported subset is refused with `BAD_USER_INPUT`
    /// naming the part.
    async fn create_event_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first occurrence and the rule.")] input: CreateEventSeriesInput,
    ) -> ApiResult<EventSeries> {
        let new = NewSeries {
            event: new_event(input.first)?,
            rrule: input.rrule,
        };
        let (series, rows) = in_work(db(ctx), async |work| {
            series::create_series(work, viewer(ctx), new, now(ctx)).await
        })
        .await?;
        Ok(EventSeries::with_occurrences(series, rows))
    }

    /// Changes a recurring event: all of it, or from one occurrence on.
    /// Occurrences whose start stays keep their ids and places; changed or
    /// cancelled single occurrences stay so.
    async fn update_event_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The series' id or one of its occurrences' ids (needed for `THIS_AND_FOLLOWING`).")] id: ID,
        #[graphql(default_with = "GqlSeriesScope::All", desc = "Which occurrences.")] scope: GqlSeriesScope,
        #[graphql(desc = "Only the fields to change.")] input: UpdateEventSeriesInput,
    ) -> ApiResult<EventSeries> {
        let changes = SeriesChanges {
            event: event_changes(input.fields)?,
            rrule: input.rrule,
        };
        let scope = match scope {
            GqlSeriesScope::All => Scope::All,
            GqlSeriesScope::ThisAndFollowing => Scope::ThisAndFollowing,
        };
        let (series, rows) = in_work(db(ctx), async |work| {
            series::update_series(work, viewer(ctx), parse_id("id", &id)?, scope, changes, now(ctx)).await
        })
        .await?;
        Ok(EventSeries::with_occurrences(series, rows))
    }

    /// Cancels one occurrence of a recurring event; it stays, marked
    /// cancelled, in lists and feeds.
    async fn cancel_occurrence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The occurrence (an event's id).")] id: ID,
    ) -> ApiResult<Event> {
        Ok(Event(
            in_work(db(ctx), async |work| {
                series::cancel_occurrence(work, viewer(ctx), parse_id("id", &id)?, now(ctx)).await
            })
            .await?,
        ))
    }

    /// Changes one occurrence of a recurring event (time, place, title).
    async fn update_occurrence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The occurrence (an event's id).")] id: ID,
        #[graphql(desc = "Only the fields to change.")] input: UpdateOccurrenceInput,
    ) -> ApiResult<Event> {
        let changes = OccurrenceChanges {
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            title: input.title,
            description: input.description,
            venue: input.venue.take(),
            address: input.address.take(),
            online_url: input.online_url.take(),
        };
        Ok(Event(
            in_work(db(ctx), async |work| {
                series::update_occurrence(work, viewer(ctx), parse_id("id", &id)?, changes, now(ctx)).await
            })
            .await?,
        ))
    }
}
