use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::{EventVisibility, event};

use crate::{
    domain::{
        rsvps,
        venues::{self, EventRef},
    },
    graphql::{
        context::{db, loader, now, operation_name, viewer},
        error::ApiResult,
        loaders::{ExactVenue, GoingCount, GroupById, SeriesById, TopicById, ViewerRsvp},
        types::{
            EventSeries, GqlEventKind, GqlEventStatus, GqlEventVisibility, GqlVenueVisibility, Group, Rsvp, Topic,
        },
    },
    urls::PublicUrls,
};

pub struct Event(pub event::Model);

impl Event {
    /// Whether the viewer is shown the exact venue: asked of the domain
    /// only for events that keep it, batched over the page.
    async fn exact_venue_shown(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        if !venues::keeps_venue(&self.0) {
            return Ok(true);
        }
        Ok(loader(ctx)?
            .load_one(ExactVenue(EventRef::from(&self.0)))
            .await?
            .unwrap_or(false))
    }
}

/// Something happening: a workshop, talk, training, action or meeting.
#[Object]
impl Event {
    /// The event's id (a UUID): for `event(id:)`, `rsvp` and links.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// What it is called, as lists and calendars show it; one line, at most 200
    /// characters.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What happens at it, in plain text with its line breaks; empty when none was
    /// given. At most 10,000 characters.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// When it begins.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }

    /// When it ends: after `startsAt`, and at most 31 days after it.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }

    /// IANA time zone the event is shown in, e.g. `Europe/London`.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }

    /// The name of the place, e.g. a hall or a library; null when not given (an
    /// online event, say), and when the event keeps it for those going and the
    /// viewer is not one of them (see `venueVisibility`).
    async fn venue(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(if self.exact_venue_shown(ctx).await? {
            self.0.venue.as_deref()
        } else {
            None
        })
    }

    /// Where the place is, possibly over several lines; null when not given, and
    /// when the event keeps it for those going and the viewer is not one of
    /// them (see `venueVisibility`).
    async fn address(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(if self.exact_venue_shown(ctx).await? {
            self.0.address.as_deref()
        } else {
            None
        })
    }

    /// Who is told `venue` and `address`: everyone who sees the event, or only
    /// those going, the group's organisers, the trainer delivering it,
    /// coordinators and admins.
    async fn venue_visibility(&self) -> GqlVenueVisibility {
        self.0.venue_visibility.into()
    }

    /// Whether this viewer is told `venue` and `address` (true when the event
    /// keeps them for those going and the viewer is entitled, or when they are
    /// public); false means they are kept from this viewer: take a place to see
    /// them.
    async fn venue_shown(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        self.exact_venue_shown(ctx).await
    }

    /// The town or city, shown to everyone who sees the event; null when not
    /// given.
    async fn town(&self) -> Option<&str> {
        self.0.town.as_deref()
    }

    /// The first part of the postcode (e.g. `LS6`), shown to everyone who sees
    /// the event; null when not given.
    async fn postcode_area(&self) -> Option<&str> {
        self.0.postcode_area.as_deref()
    }

    /// Where to join online, if the event is online.
    async fn online_url(&self) -> Option<&str> {
        self.0.online_url.as_deref()
    }

    /// What sort of event it is.
    async fn kind(&self) -> GqlEventKind {
        self.0.kind.into()
    }

    /// Whether everyone may see it or only its group's members (and staff).
    async fn visibility(&self) -> GqlEventVisibility {
        self.0.visibility.into()
    }

    /// Going ahead, or cancelled; a cancelled event stays listed, marked.
    async fn status(&self) -> GqlEventStatus {
        self.0.status.into()
    }

    /// Bumped on every change a calendar shows (iCalendar SEQUENCE).
    async fn sequence(&self) -> i32 {
        self.0.sequence
    }

    /// Places available in all; null when unlimited.
    async fn capacity(&self) -> Option<i32> {
        self.0.capacity
    }

    /// When it was first entered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed, a cancellation included.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When it was cancelled; null while it is going ahead.
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancelled_at
    }

    /// The group holding it; null for network-wide events.
    async fn group(&self, ctx: &Context<'_>) -> ApiResult<Option<Group>> {
        let Some(id) = self.0.group_id else { return Ok(None) };
        Ok(loader(ctx)?.load_one(GroupById(id)).await?.map(Group))
    }

    /// The recurring event this is an occurrence of; null for a single event.
    async fn occurrence_of(&self, ctx: &Context<'_>) -> ApiResult<Option<EventSeries>> {
        let Some(id) = self.0.series_id else { return Ok(None) };
        Ok(loader(ctx)?.load_one(SeriesById(id)).await?.map(|series| EventSeries {
            series,
            occurrences: None,
        }))
    }

    /// An occurrence's start by its series' rule, before any change to it
    /// (iCalendar's RECURRENCE-ID); null for a single event.
    async fn original_starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.original_starts_at
    }

    /// The catalogue topic it is about; null when it has none.
    async fn topic(&self, ctx: &Context<'_>) -> ApiResult<Option<Topic>> {
        let Some(id) = self.0.topic_id else { return Ok(None) };
        Ok(loader(ctx)?.load_one(TopicById(id)).await?.map(Topic))
    }

    /// How many people have a place.
    async fn going_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        let live = loader(ctx)?.load_one(GoingCount(self.0.id)).await?.unwrap_or(0);
        Ok(rsvps::going(&self.0, live))
    }

    /// Places still free; null when unlimited.
    async fn places_left(&self, ctx: &Context<'_>) -> ApiResult<Option<u64>> {
        let Some(capacity) = self.0.capacity else {
            return Ok(None);
        };
        let live = loader(ctx)?.load_one(GoingCount(self.0.id)).await?.unwrap_or(0);
        Ok(Some(
            (capacity.max(0) as u64).saturating_sub(rsvps::going(&self.0, live)),
        ))
    }

    /// The viewer's own RSVP, if any.
    async fn my_rsvp(&self, ctx: &Context<'_>) -> ApiResult<Option<Rsvp>> {
        if viewer(ctx).user_id().is_none() {
            return Ok(None);
        }
        Ok(loader(ctx)?.load_one(ViewerRsvp(self.0.id)).await?.flatten().map(Rsvp))
    }

    /// Who is going and who is waiting, in the order they answered: for the
    /// group's organisers, the delivering trainer, coordinators and admins.
    /// Each person on the list finds this read in their data access log.
    async fn attendees(&self, ctx: &Context<'_>) -> ApiResult<Vec<Rsvp>> {
        Ok(
            rsvps::attendees(db(ctx), viewer(ctx), &self.0, &operation_name(ctx), now(ctx))
                .await?
                .into_iter()
                .map(Rsvp)
                .collect(),
        )
    }

    /// A calendar file of this one event ("add to calendar"); public events
    /// only.
    async fn ics_url(&self, ctx: &Context<'_>) -> Option<String> {
        (self.0.visibility == EventVisibility::Public).then(|| ctx.data_unchecked::<PublicUrls>().event_ics(self.0.id))
    }
}
