//! Events and RSVPs.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    domain::{
        events::{self, EventChanges, EventFilter, EventPosition, NewEvent},
        in_work, rsvps,
    },
    error::Error,
    graphql::{
        context::{db, loader, now, viewer},
        error::ApiResult,
        loaders::EventById,
        pagination::{PageArgs, PagedConnection, connection},
        parse_id, prime,
        types::{Event, GqlEventKind, GqlEventVisibility, GqlVenueVisibility, Rsvp},
    },
};

/// Filters for the event list; every given field narrows it.
#[derive(InputObject, Default)]
pub struct EventFilterInput {
    /// Events still running at or after this time (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Events starting before this time.
    pub to: Option<DateTime<Utc>>,
    /// Group slugs.
    #[graphql(default)]
    pub groups: Vec<String>,
    /// Only events of groups in one of these regions (case-insensitive); network-
    /// wide events then drop out.
    #[graphql(default)]
    pub regions: Vec<String>,
    /// Only events of these kinds.
    #[graphql(default)]
    pub kinds: Vec<GqlEventKind>,
    /// Topic slugs.
    #[graphql(default)]
    pub topics: Vec<String>,
    /// Text in the title or description (case-insensitive).
    pub search: Option<String>,
    /// Include cancelled events (default: no, but yes with `updatedSince`).
    pub include_cancelled: Option<bool>,
    /// Only events changed after this time, cancellations included: for
    /// clients that keep a copy in sync.
    pub updated_since: Option<DateTime<Utc>>,
}

/// A new event. It may last at most 31 days.
#[derive(InputObject)]
pub struct CreateEventInput {
    /// What to call it; one line, at most 200 characters.
    pub title: String,
    /// What happens at it, in plain text; line breaks are kept. At most 10,000
    /// characters.
    #[graphql(default)]
    pub description: String,
    /// When it begins.
    pub starts_at: DateTime<Utc>,
    /// When it ends: after `startsAt`, within 31 days of it.
    pub ends_at: DateTime<Utc>,
    /// IANA time zone to show it in (default Europe/London).
    pub timezone: Option<String>,
    /// The name of the place; one line, at most 300 characters.
    pub venue: Option<String>,
    /// Where the place is; may take several lines, at most 300 characters.
    pub address: Option<String>,
    /// http(s) only.
    pub online_url: Option<String>,
    /// Who is told the venue and address: everyone who sees the event (the
    /// default), or only those going (then `town` is required, and everyone
    /// else sees the town and postcode area).
    #[graphql(default_with = "GqlVenueVisibility::Public")]
    pub venue_visibility: GqlVenueVisibility,
    /// The town or city, shown to everyone who sees the event; one line, at
    /// most 100 characters.
    pub town: Option<String>,
    /// The first part of the postcode (e.g. `LS6`), never the whole postcode;
    /// shown to everyone who sees the event.
    pub postcode_area: Option<String>,
    /// What sort of event it is.
    pub kind: GqlEventKind,
    /// The group holding it; omitted for a network-wide event (staff only).
    pub group_slug: Option<String>,
    /// The catalogue topic it is about, if any.
    pub topic_id: Option<ID>,
    /// Everyone (the default), or only the group's members; a members-only event
    /// needs a group.
    #[graphql(default_with = "GqlEventVisibility::Public")]
    pub visibility: GqlEventVisibility,
    /// Places available; omitted for unlimited.
    pub capacity: Option<i32>,
}

/// Omitted fields stay as they are; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateEventInput {
    /// A new title; one line, at most 200 characters.
    pub title: Option<String>,
    /// A new description, at most 10,000 characters.
    pub description: Option<String>,
    /// A new start.
    pub starts_at: Option<DateTime<Utc>>,
    /// A new end: after the start, within 31 days of it.
    pub ends_at: Option<DateTime<Utc>>,
    /// A new IANA time zone to show it in, e.g. `Europe/London`.
    pub timezone: Option<String>,
    /// A new place name (at most 300 characters); `null` removes it.
    pub venue: MaybeUndefined<String>,
    /// A new address (at most 300 characters); `null` removes it.
    pub address: MaybeUndefined<String>,
    /// A new link to join online, http(s) only; `null` removes it.
    pub online_url: MaybeUndefined<String>,
    /// Everyone who sees the event, or only those going, told the venue and
    /// address (only those going needs a town).
    pub venue_visibility: Option<GqlVenueVisibility>,
    /// A new town (at most 100 characters); `null` removes it.
    pub town: MaybeUndefined<String>,
    /// A new postcode area (e.g. `LS6`); `null` removes it.
    pub postcode_area: MaybeUndefined<String>,
    /// A new kind.
    pub kind: Option<GqlEventKind>,
    /// A new catalogue topic; `null` removes it.
    pub topic_id: MaybeUndefined<ID>,
    /// Everyone, or only the group's members (a network-wide event stays public).
    pub visibility: Option<GqlEventVisibility>,
    /// A new number of places, 1 to 100,000; `null` makes it unlimited.
    pub capacity: MaybeUndefined<i32>,
}

pub(super) fn change<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

pub(super) fn parse_optional_id(field: &str, id: Option<ID>) -> Result<Option<Uuid>, Error> {
    id.map(|id| parse_id(field, &id)).transpose()
}

/// The domain's new event from the API's input.
pub(super) fn new_event(input: CreateEventInput) -> Result<NewEvent, Error> {
    Ok(NewEvent {
        title: input.title,
        description: input.description,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        timezone: input.timezone,
        venue: input.venue,
        address: input.address,
        online_url: input.online_url,
        venue_visibility: input.venue_visibility.into(),
        town: input.town,
        postcode_area: input.postcode_area,
        kind: input.kind.into(),
        group_slug: input.group_slug,
        topic_id: parse_optional_id("topicId", input.topic_id)?,
        visibility: input.visibility.into(),
        capacity: input.capacity,
    })
}

/// The domain's changes from the API's input.
pub(super) fn event_changes(input: UpdateEventInput) -> Result<EventChanges, Error> {
    Ok(EventChanges {
        title: input.title,
        description: input.description,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        timezone: input.timezone,
        venue: change(input.venue),
        address: change(input.address),
        online_url: change(input.online_url),
        venue_visibility: input.venue_visibility.map(Into::into),
        town: change(input.town),
        postcode_area: change(input.postcode_area),
        kind: input.kind.map(Into::into),
        topic_id: change(input.topic_id)
            .map(|id| parse_optional_id("topicId", id))
            .transpose()?,
        visibility: input.visibility.map(Into::into),
        capacity: change(input.capacity),
    })
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// Events the viewer may see, by start time. Members-only events appear
    /// to members of their group, coordinators and admins.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which events; without it, those still running or to come.")] filter: Option<EventFilterInput>,
        #[graphql(desc = "How many to return: 1 to 100, 20 if omitted.")] first: Option<i32>,
        #[graphql(
            desc = "Continue after this cursor: the previous page's `pageInfo.endCursor`. Omit it for the first page."
        )]
        after: Option<String>,
    ) -> ApiResult<PagedConnection<Event>> {
        let args = PageArgs::<EventPosition>::parse(first, after)?;
        let input = filter.unwrap_or_default();
        let filter = EventFilter {
            from: input.from,
            to: input.to,
            group_slugs: input.groups,
            regions: input.regions,
            kinds: input.kinds.into_iter().map(Into::into).collect(),
            topics: input.topics,
            search: input.search,
            include_cancelled: input.include_cancelled,
            updated_since: input.updated_since,
        };
        let page =
            events::list_events(db(ctx), viewer(ctx), &filter, args.after.as_ref(), args.first, now(ctx)).await?;
        prime::events(ctx, &page.events).await?;
        connection(&args, page.into(), async |rows| {
            Ok(rows.into_iter().map(Event).collect())
        })
        .await
    }

    /// An event by id; null when there is none or the viewer may not see it.
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's `id`, as in its page's address `/events/<id>`.")] id: ID,
    ) -> ApiResult<Option<Event>> {
        match events::get_visible(db(ctx), viewer(ctx), parse_id("id", &id)?).await {
            Ok(event) => Ok(Some(Event(event))),
            Err(Error::NotFound) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The signed-in person's RSVPs, by event start; upcoming only unless
    /// `includePast`.
    async fn my_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Also the RSVPs to events that have ended.")] include_past: bool,
    ) -> ApiResult<Vec<Rsvp>> {
        let rows = rsvps::my_events(db(ctx), viewer(ctx), include_past, now(ctx)).await?;
        // The events came with the RSVPs: hand them to the loader rather
        // than fetch them again for `Rsvp.event`.
        loader(ctx)?
            .feed_many(rows.iter().map(|(_, event)| (EventById(event.id), event.clone())))
            .await;
        Ok(rows.into_iter().map(|(rsvp, _event)| Rsvp(rsvp)).collect())
    }
}

#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    /// Group organisers for their group; coordinators and admins for any.
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What, when and where, what kind, and who may see it.")] input: CreateEventInput,
    ) -> ApiResult<Event> {
        let new = new_event(input)?;
        Ok(Event(
            in_work(db(ctx), async |work| {
                events::create_event(work, viewer(ctx), new, now(ctx)).await
            })
            .await?,
        ))
    }

    /// Changes an event; a change calendars show raises its sequence.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event to change.")] id: ID,
        #[graphql(desc = "Only the fields to change; the others stay as they are.")] input: UpdateEventInput,
    ) -> ApiResult<Event> {
        let changes = event_changes(input)?;
        Ok(Event(
            in_work(db(ctx), async |work| {
                events::update_event(work, viewer(ctx), parse_id("id", &id)?, changes, now(ctx)).await
            })
            .await?,
        ))
    }

    /// Cancels an event; feeds keep it, marked cancelled.
    async fn cancel_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event to cancel.")] id: ID,
    ) -> ApiResult<Event> {
        Ok(Event(
            in_work(db(ctx), async |work| {
                events::cancel_event(work, viewer(ctx), parse_id("id", &id)?, now(ctx)).await
            })
            .await?,
        ))
    }

    /// Takes a place, or a place on the waiting list when the event is full.
    async fn rsvp(&self, ctx: &Context<'_>, #[graphql(desc = "The event to go to.")] event_id: ID) -> ApiResult<Rsvp> {
        Ok(Rsvp(
            in_work(db(ctx), async |work| {
                rsvps::rsvp(work, viewer(ctx), parse_id("eventId", &event_id)?, now(ctx)).await
            })
            .await?,
        ))
    }

    /// Gives up a place; the first on the waiting list moves up.
    async fn cancel_rsvp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event you will not go to after all.")] event_id: ID,
    ) -> ApiResult<bool> {
        in_work(db(ctx), async |work| {
            rsvps::cancel_rsvp(work, viewer(ctx), parse_id("eventId", &event_id)?, now(ctx)).await
        })
        .await?;
        Ok(true)
    }
}
