//! Events: validation, creation, changes, cancellation, and the scoped
//! queries that list them.
//!
//! Every change a calendar shows bumps `sequence` and `updated_at`, so that
//! subscribed calendars replace their copy; cancellation keeps the row
//! (status `CANCELLED`) so feeds can tell calendars to strike it.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use entity::{EventKind, EventStatus, EventVisibility, VenueVisibility, event, group, topic};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QuerySelect, QueryTrait, Select, Set,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use uuid::Uuid;

use crate::{
    auth::{Action, EventScope, Viewer, authorize, event_scope},
    domain::{
        Work,
        groups::{escape_like, get_by_slug},
        journal::{self, DomainEvent},
        pagination::{Page, Rows, keyset_page, keyset_rows, two_column_position},
        values::{AllValid, MultiLine, PostcodeArea, SingleLine, WebAddress, in_range},
    },
    error::{Error, Result},
};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
const MAX_PLACE_CHARS: usize = 300;
const MAX_TOWN_CHARS: usize = 100;
const MAX_CAPACITY: i32 = 100_000;
/// Longer than any day of action; catches a mistyped year. Lists rely on
/// it (see `filter_condition`), so every event a write makes keeps to it,
/// an accepted engagement's included.
pub const MAX_DURATION_DAYS: i64 = 31;
pub const DEFAULT_TIMEZONE: &str = "Europe/London";

/// What a kind of event is called on pages and in calendars' categories.
pub fn kind_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Workshop => "Workshop",
        EventKind::Talk => "Talk",
        EventKind::Training => "Training",
        EventKind::Action => "Action",
        EventKind::Meeting => "Meeting",
        EventKind::Other => "Other",
    }
}

pub fn validate_timezone(raw: Option<&str>) -> Result<String> {
    let name = raw.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(DEFAULT_TIMEZONE);
    chrono_tz::Tz::from_str(name)
        .map(|tz| tz.name().to_owned())
        .map_err(|_| Error::validation("timezone", "is not an IANA time zone such as Europe/London"))
}

fn validate_times(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<()> {
    if ends_at <= starts_at {
        return Err(Error::validation("endsAt", "must be after startsAt"));
    }
    if ends_at - starts_at > Duration::days(MAX_DURATION_DAYS) {
        return Err(Error::validation(
            "endsAt",
            format!("must be within {MAX_DURATION_DAYS} days of startsAt"),
        ));
    }
    Ok(())
}

fn validate_capacity(capacity: Option<i32>) -> Result<Option<i32>> {
    capacity.map(|n| in_range("capacity", n, 1..=MAX_CAPACITY)).transpose()
}

fn members_only_needs_group(visibility: Option<EventVisibility>, group_id: Option<Uuid>) -> Result<()> {
    if visibility == Some(EventVisibility::Members) && group_id.is_none() {
        return Err(Error::validation("visibility", "members-only events belong to a group"));
    }
    Ok(())
}

/// An event kept for those going must say where it is in general: the
/// town is what everyone else sees.
fn kept_venue_needs_town(visibility: VenueVisibility, town: Option<&str>) -> Result<()> {
    if visibility == VenueVisibility::Going && town.is_none() {
        return Err(Error::validation(
            "town",
            "is required when the address is kept for those going: it is what everyone else sees",
        ));
    }
    Ok(())
}

/// A checked change of a public place field: `None` leaves it, `Some(None)`
/// clears it.
type PlaceChange<T> = Option<Option<T>>;

fn check_town(raw: Option<&str>) -> Result<Option<SingleLine>> {
    SingleLine::optional("town", raw, MAX_TOWN_CHARS)
}

fn check_postcode_area(raw: Option<&str>) -> Result<Option<PostcodeArea>> {
    PostcodeArea::optional("postcodeArea", raw)
}

/// What a new event consists of, as the API received it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: Option<String>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub online_url: Option<String>,
    /// `Going`: the venue and address only for those going; everyone
    /// else sees the town and postcode area.
    pub venue_visibility: VenueVisibility,
    pub town: Option<String>,
    pub postcode_area: Option<String>,
    pub kind: EventKind,
    pub group_slug: Option<String>,
    pub topic_id: Option<Uuid>,
    pub visibility: EventVisibility,
    pub capacity: Option<i32>,
}

pub(crate) async fn ensure_topic(db: &impl ConnectionTrait, topic_id: Option<Uuid>) -> Result<()> {
    if let Some(id) = topic_id
        && topic::Entity::find_by_id(id).count(db).await? == 0
    {
        return Err(Error::validation("topicId", "is not a topic of the catalogue"));
    }
    Ok(())
}

/// A new event's fields as checked, ready to store.
pub struct CheckedEvent {
    pub title: SingleLine,
    pub description: MultiLine,
    pub timezone: String,
    pub venue: Option<SingleLine>,
    pub address: Option<MultiLine>,
    pub online_url: Option<WebAddress>,
    pub town: Option<SingleLine>,
    pub postcode_area: Option<PostcodeArea>,
    pub capacity: Option<i32>,
}

/// Checks everything typed into a new event, every field at once and
/// without the database (the topic is checked on creation), so that a form
/// can show each problem beside its field before anything is written.
pub fn check_new(new: &NewEvent, group_id: Option<Uuid>) -> Result<CheckedEvent> {
    let town = check_town(new.town.as_deref());
    let kept_needs_town = match &town {
        Ok(town) => kept_venue_needs_town(new.venue_visibility, town.as_ref().map(SingleLine::as_str)),
        Err(_) => Ok(()),
    };
    let place = (
        SingleLine::optional("venue", new.venue.as_deref(), MAX_PLACE_CHARS),
        MultiLine::optional("address", new.address.as_deref(), MAX_PLACE_CHARS),
        WebAddress::optional("onlineUrl", new.online_url.as_deref()),
        town,
        check_postcode_area(new.postcode_area.as_deref()),
        kept_needs_town,
    )
        .all_valid();
    let (title, description, (), timezone, place, (), capacity) = (
        SingleLine::required("title", &new.title, MAX_TITLE_CHARS),
        MultiLine::or_empty("description", &new.description, MAX_DESCRIPTION_CHARS),
        validate_times(new.starts_at, new.ends_at),
        validate_timezone(new.timezone.as_deref()),
        place,
        members_only_needs_group(Some(new.visibility), group_id),
        validate_capacity(new.capacity),
    )
        .all_valid()?;
    let (venue, address, online_url, town, postcode_area, ()) = place;
    Ok(CheckedEvent {
        title,
        description,
        timezone,
        venue,
        address,
        online_url,
        town,
        postcode_area,
        capacity,
    })
}

/// Group organisers create events for their group; coordinators and admins
/// for any group or for the network as a whole.
pub async fn create_event(db: &Work, viewer: &Viewer, new: NewEvent, now: DateTime<Utc>) -> Result<event::Model> {
    let group = match new.group_slug.as_deref() {
        Some(slug) => Some(get_by_slug(db, slug).await?),
        None => None,
    };
    let group_id = group.as_ref().map(|g| g.id);
    authorize(viewer, Action::CreateEvent { group_id })?;

    let (checked, ()) = (check_new(&new, group_id), ensure_topic(db, new.topic_id).await).all_valid()?;
    let CheckedEvent {
        title,
        description,
        timezone,
        venue,
        address,
        online_url,
        town,
        postcode_area,
        capacity,
    } = checked;
    let model = event::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(title.into()),
        description: Set(description.into()),
        starts_at: Set(new.starts_at),
        ends_at: Set(new.ends_at),
        timezone: Set(timezone),
        venue: Set(venue.map(String::from)),
        address: Set(address.map(String::from)),
        online_url: Set(online_url.map(String::from)),
        kind: Set(new.kind),
        group_id: Set(group_id),
        topic_id: Set(new.topic_id),
        visibility: Set(new.visibility),
        status: Set(EventStatus::Scheduled),
        sequence: Set(0),
        capacity: Set(capacity),
        request_id: Set(None),
        created_by: Set(viewer.user_id()),
        cancelled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        going_count_kept: Set(None),
        waitlisted_count_kept: Set(None),
        attendance_forgotten_at: Set(None),
        venue_visibility: Set(new.venue_visibility),
        town: Set(town.map(String::from)),
        postcode_area: Set(postcode_area.map(String::from)),
        series_id: Set(None),
        original_starts_at: Set(None),
        import_uid: Set(None),
    };
    let created = model.insert(db).await?;
    journal::record(
        db,
        viewer.user_id(),
        DomainEvent::EventCreated { event_id: created.id },
        now,
    )
    .await?;
    Ok(created)
}

/// Changes to an event; `None` leaves a field as it is, `Some(None)` clears
/// an optional one.
#[derive(Debug, Clone, Default)]
pub struct EventChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub timezone: Option<String>,
    pub venue: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub online_url: Option<Option<String>>,
    pub venue_visibility: Option<VenueVisibility>,
    pub town: Option<Option<String>>,
    pub postcode_area: Option<Option<String>>,
    pub kind: Option<EventKind>,
    pub topic_id: Option<Option<Uuid>>,
    pub visibility: Option<EventVisibility>,
    pub capacity: Option<Option<i32>>,
}

/// Loads an event the viewer may see; one they may not is `NOT_FOUND`, so
/// that members-only events do not even reveal that they exist.
pub async fn get_visible(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> Result<event::Model> {
    let event = event::Entity::find_by_id(id).one(db).await?.ok_or(Error::NotFound)?;
    // The trainer delivering a members-only engagement sees it too.
    if event_scope(viewer).includes(event.visibility == EventVisibility::Members, event.group_id)
        || crate::domain::rsvps::delivered_by(db, &event, viewer.user_id()).await?
    {
        Ok(event)
    } else {
        Err(Error::NotFound)
    }
}

pub(crate) async fn get_manageable(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> Result<event::Model> {
    // Anonymous callers learn they must sign in, not whether the event exists.
    authorize(viewer, Action::UseOwnAccount)?;
    let event = get_visible(db, viewer, id).await?;
    authorize(
        viewer,
        Action::ManageEvent {
            group_id: event.group_id,
        },
    )?;
    Ok(event)
}

/// Applies `changes`; a change a calendar would show bumps the sequence.
/// Raising the capacity lets waitlisted people in (see `rsvps`).
pub async fn update_event(
    txn: &Work,
    viewer: &Viewer,
    id: Uuid,
    changes: EventChanges,
    now: DateTime<Utc>,
) -> Result<event::Model> {
    crate::domain::rsvps::lock_event(txn, id).await?;
    let event = get_manageable(txn, viewer, id).await?;
    if event.status == EventStatus::Cancelled {
        return Err(Error::validation("id", "a cancelled event cannot be changed"));
    }
    if event.series_id.is_some() {
        return occurrence_change(txn, viewer, event, changes, now).await;
    }
    let starts_at = changes.starts_at.unwrap_or(event.starts_at);
    let ends_at = changes.ends_at.unwrap_or(event.ends_at);
    let topic = match changes.topic_id {
        Some(topic_id) => ensure_topic(txn, topic_id).await,
        None => Ok(()),
    };
    let town: Result<PlaceChange<SingleLine>> = changes.town.as_ref().map(|t| check_town(t.as_deref())).transpose();
    let kept_needs_town = match &town {
        Ok(change) => {
            let visibility = changes.venue_visibility.unwrap_or(event.venue_visibility);
            let town = match change {
                Some(new) => new.as_ref().map(SingleLine::as_str),
                None => event.town.as_deref(),
            };
            kept_venue_needs_town(visibility, town)
        }
        Err(_) => Ok(()),
    };
    let place = (
        changes
            .venue
            .as_ref()
            .map(|v| SingleLine::optional("venue", v.as_deref(), MAX_PLACE_CHARS))
            .transpose(),
        changes
            .address
            .as_ref()
            .map(|a| MultiLine::optional("address", a.as_deref(), MAX_PLACE_CHARS))
            .transpose(),
        changes
            .online_url
            .as_ref()
            .map(|u| WebAddress::optional("onlineUrl", u.as_deref()))
            .transpose(),
        town,
        changes
            .postcode_area
            .as_ref()
            .map(|p| check_postcode_area(p.as_deref()))
            .transpose(),
        kept_needs_town,
    )
        .all_valid();
    let (title, description, (), timezone, place, (), (), capacity) = (
        changes
            .title
            .as_deref()
            .map(|t| SingleLine::required("title", t, MAX_TITLE_CHARS))
            .transpose(),
        changes
            .description
            .as_deref()
            .map(|d| MultiLine::or_empty("description", d, MAX_DESCRIPTION_CHARS))
            .transpose(),
        validate_times(starts_at, ends_at),
        changes
            .timezone
            .as_deref()
            .map(|z| validate_timezone(Some(z)))
            .transpose(),
        place,
        members_only_needs_group(changes.visibility, event.group_id),
        topic,
        changes.capacity.map(validate_capacity).transpose(),
    )
        .all_valid()?;
    let (venue, address, online_url, town, postcode_area, ()) = place;
    let old = event.clone();
    let mut active = event.into_active_model();
    if let Some(title) = title {
        active.title = Set(title.into());
    }
    if let Some(description) = description {
        active.description = Set(description.into());
    }
    active.starts_at = Set(starts_at);
    active.ends_at = Set(ends_at);
    if let Some(timezone) = timezone {
        active.timezone = Set(timezone);
    }
    if let Some(venue) = venue {
        active.venue = Set(venue.map(String::from));
    }
    if let Some(address) = address {
        active.address = Set(address.map(String::from));
    }
    if let Some(online_url) = online_url {
        active.online_url = Set(online_url.map(String::from));
    }
    if let Some(visibility) = changes.venue_visibility {
        active.venue_visibility = Set(visibility);
    }
    if let Some(town) = town {
        active.town = Set(town.map(String::from));
    }
    if let Some(postcode_area) = postcode_area {
        active.postcode_area = Set(postcode_area.map(String::from));
    }
    if let Some(kind) = changes.kind {
        active.kind = Set(kind);
    }
    if let Some(topic_id) = changes.topic_id {
        active.topic_id = Set(topic_id);
    }
    if let Some(visibility) = changes.visibility {
        active.visibility = Set(visibility);
    }
    if let Some(capacity) = capacity {
        active.capacity = Set(capacity);
    }
    let updated = write_change(txn, viewer.user_id(), &old, active, now).await?;
    if updated.capacity != old.capacity {
        crate::domain::rsvps::fill_free_places(txn, viewer.user_id(), &updated, now).await?;
    }
    Ok(updated)
}

/// A change to one occurrence of a series, made through `updateEvent` or
/// the organisers' form: what an occurrence may have of its own (time,
/// place, title, description) becomes its exception; the rest belongs to
/// the whole series and is refused here.
async fn occurrence_change(
    txn: &Work,
    viewer: &Viewer,
    event: event::Model,
    changes: EventChanges,
    now: DateTime<Utc>,
) -> Result<event::Model> {
    let series_wide = [
        changes
            .timezone
            .as_ref()
            .is_some_and(|z| *z != event.timezone)
            .then_some("timezone"),
        changes
            .venue_visibility
            .is_some_and(|v| v != event.venue_visibility)
            .then_some("venueVisibility"),
        changes
            .town
            .as_ref()
            .is_some_and(|t| *t != event.town)
            .then_some("town"),
        changes
            .postcode_area
            .as_ref()
            .is_some_and(|p| *p != event.postcode_area)
            .then_some("postcodeArea"),
        changes.kind.is_some_and(|k| k != event.kind).then_some("kind"),
        changes
            .topic_id
            .as_ref()
            .is_some_and(|t| *t != event.topic_id)
            .then_some("topicId"),
        changes
            .visibility
            .is_some_and(|v| v != event.visibility)
            .then_some("visibility"),
        changes
            .capacity
            .as_ref()
            .is_some_and(|c| *c != event.capacity)
            .then_some("capacity"),
    ];
    if let Some(field) = series_wide.into_iter().flatten().next() {
        return Err(Error::validation(
            field,
            "belongs to the whole recurring event: change it with updateEventSeries",
        ));
    }
    let keep = |change: Option<Option<String>>, old: &Option<String>| match change {
        Some(new) if new != *old => new,
        _ => None,
    };
    let occurrence = crate::domain::series::OccurrenceChanges {
        starts_at: changes.starts_at.filter(|s| *s != event.starts_at),
        ends_at: changes.ends_at.filter(|e| *e != event.ends_at),
        title: changes.title.filter(|t| *t != event.title),
        description: changes.description.filter(|d| *d != event.description),
        venue: keep(changes.venue, &event.venue),
        address: keep(changes.address, &event.address),
        online_url: keep(changes.online_url, &event.online_url),
    };
    crate::domain::series::update_occurrence(txn, viewer, event.id, occurrence, now).await
}

/// Cancels an event; it stays, marked cancelled, so calendars learn of it.
/// An occurrence of a series is cancelled as its exception, so that the
/// series keeps it cancelled.
pub async fn cancel_event(db: &Work, viewer: &Viewer, id: Uuid, now: DateTime<Utc>) -> Result<event::Model> {
    let event = get_manageable(db, viewer, id).await?;
    if event.series_id.is_some() && event.status == EventStatus::Scheduled {
        return crate::domain::series::cancel_occurrence(db, viewer, id, now).await;
    }
    mark_cancelled(db, viewer.user_id(), event, now).await
}

/// Marks an event cancelled with a higher sequence, so that subscribed
/// calendars replace it; a cancelled one is returned as it is. The caller
/// has decided that it may.
pub async fn mark_cancelled(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    event: event::Model,
    now: DateTime<Utc>,
) -> Result<event::Model> {
    if event.status == EventStatus::Cancelled {
        return Ok(event);
    }
    let mut active = event.clone().into_active_model();
    active.status = Set(EventStatus::Cancelled);
    active.cancelled_at = Set(Some(now));
    write_change(db, actor, &event, active, now).await
}

/// Whether `changed` shows differently from `old` in a calendar or on a
/// page: anything a feed writes, the visibilities that decide who gets it
/// (the event's, and its venue's: keeping a venue for those going changes
/// every public render), and the status.
fn shows_differently(changed: &event::ActiveModel, old: &event::Model) -> bool {
    fn differs<V: PartialEq + Into<sea_orm::Value>>(value: &sea_orm::ActiveValue<V>, old: &V) -> bool {
        match value {
            sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => v != old,
            sea_orm::ActiveValue::NotSet => false,
        }
    }
    differs(&changed.title, &old.title)
        || differs(&changed.description, &old.description)
        || differs(&changed.starts_at, &old.starts_at)
        || differs(&changed.ends_at, &old.ends_at)
        || differs(&changed.timezone, &old.timezone)
        || differs(&changed.venue, &old.venue)
        || differs(&changed.address, &old.address)
        || differs(&changed.online_url, &old.online_url)
        || differs(&changed.venue_visibility, &old.venue_visibility)
        || differs(&changed.town, &old.town)
        || differs(&changed.postcode_area, &old.postcode_area)
        || differs(&changed.kind, &old.kind)
        || differs(&changed.visibility, &old.visibility)
        || differs(&changed.status, &old.status)
}

/// The one way to change an event once it exists. A change a calendar or
/// page shows bumps `sequence` (so subscribed calendars replace their copy)
/// and `updated_at` (so feed versions, the render cache and ETags move on),
/// and is recorded in the journal as changed or cancelled; any other change
/// (the capacity) only moves `updated_at`. Every writer goes through here:
/// edits, cancellation, and erasure's scrub of free text.
pub async fn write_change(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    old: &event::Model,
    mut changed: event::ActiveModel,
    now: DateTime<Utc>,
) -> Result<event::Model> {
    let shown = shows_differently(&changed, old);
    if shown {
        changed.sequence = Set(old.sequence + 1);
    }
    changed.updated_at = Set(now);
    let updated = changed.update(db).await?;
    if updated.status == EventStatus::Cancelled && old.status != EventStatus::Cancelled {
        journal::record(db, actor, DomainEvent::EventCancelled { event_id: updated.id }, now).await?;
    } else if shown {
        journal::record(db, actor, DomainEvent::EventChanged { event_id: updated.id }, now).await?;
        // Beside the change: those going are told of a new time or place,
        // not of every corrected word.
        let moved = updated.starts_at != old.starts_at
            || updated.ends_at != old.ends_at
            || updated.venue != old.venue
            || updated.address != old.address
            || updated.online_url != old.online_url
            || updated.town != old.town
            || updated.postcode_area != old.postcode_area;
        if moved && updated.status == EventStatus::Scheduled {
            journal::record(db, actor, DomainEvent::EventMoved { event_id: updated.id }, now).await?;
        }
    }
    Ok(updated)
}

/// Filters of the event list; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events still running at or after this instant (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Events starting before this instant.
    pub to: Option<DateTime<Utc>>,
    pub group_slugs: Vec<String>,
    pub regions: Vec<String>,
    pub kinds: Vec<EventKind>,
    /// Topic slugs.
    pub topics: Vec<String>,
    pub search: Option<String>,
    /// Cancelled events are left out unless asked for, or unless syncing
    /// with `updated_since` (a syncing client must learn of cancellations).
    pub include_cancelled: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
}

two_column_position!(
    /// Position in the list: start time, then id.
    EventPosition in event { starts_at: DateTime<Utc> = StartsAt Ascending, id: Uuid = Id Ascending }
);

/// A page of events, named for the pages that list them.
pub struct EventPage {
    pub events: Vec<event::Model>,
    pub has_next_page: bool,
    pub total_count: u64,
}

impl From<Page<event::Model>> for EventPage {
    fn from(page: Page<event::Model>) -> Self {
        Self {
            events: page.rows,
            has_next_page: page.has_next_page,
            total_count: page.total_count,
        }
    }
}

impl From<EventPage> for Page<event::Model> {
    fn from(page: EventPage) -> Self {
        Self {
            rows: page.events,
            has_next_page: page.has_next_page,
            total_count: page.total_count,
        }
    }
}

/// The visibility rule as SQL: the scope is applied by the database, not
/// by filtering rows after loading them.
pub fn scope_condition(scope: &EventScope) -> Condition {
    match scope {
        EventScope::All => Condition::all(),
        EventScope::PublicAndMembersOf(groups) => Condition::any()
            .add(event::Column::Visibility.eq(EventVisibility::Public))
            .add(
                Condition::all()
                    .add(event::Column::Visibility.eq(EventVisibility::Members))
                    .add(event::Column::GroupId.is_in(groups.iter().copied())),
            ),
    }
}

/// Events of groups with these slugs or in these regions, as a condition.
pub fn group_condition(group_slugs: &[String], regions: &[String]) -> Condition {
    let mut condition = Condition::all();
    if !group_slugs.is_empty() {
        let slugs: Vec<String> = group_slugs.iter().map(|s| s.trim().to_lowercase()).collect();
        condition = condition.add(
            event::Column::GroupId.in_subquery(
                group::Entity::find()
                    .select_only()
                    .column(group::Column::Id)
                    .filter(group::Column::Slug.is_in(slugs))
                    .into_query(),
            ),
        );
    }
    if !regions.is_empty() {
        let regions: Vec<String> = regions.iter().map(|r| r.trim().to_lowercase()).collect();
        condition = condition.add(
            event::Column::GroupId.in_subquery(
                group::Entity::find()
                    .select_only()
                    .column(group::Column::Id)
                    .filter(Func::lower(Expr::col(group::Column::Region)).is_in(regions))
                    .into_query(),
            ),
        );
    }
    condition
}

/// Events about any of these topics (by slug); no slugs, no restriction.
pub fn topic_condition(topic_slugs: &[String]) -> Condition {
    if topic_slugs.is_empty() {
        return Condition::all();
    }
    let slugs: Vec<String> = topic_slugs.iter().map(|s| s.trim().to_lowercase()).collect();
    Condition::all().add(
        event::Column::TopicId.in_subquery(
            topic::Entity::find()
                .select_only()
                .column(topic::Column::Id)
                .filter(topic::Column::Slug.is_in(slugs))
                .into_query(),
        ),
    )
}

fn filter_condition(filter: &EventFilter, scope: &EventScope, now: DateTime<Utc>) -> Condition {
    // The scope is an OR of its own: it is nested, never extended.
    let from = filter.from.unwrap_or(now);
    // No event lasts longer than MAX_DURATION_DAYS (every write checks
    // it), so one still running at `from` began at most that long before.
    // Saying so bounds the list by start time as well as end: the database
    // reads the window's events in start order from an index, and stops at
    // the page, instead of reading every event that ends later to order
    // them (the cost grew with the whole future calendar).
    let mut condition = Condition::all()
        .add(scope_condition(scope))
        .add(event::Column::EndsAt.gte(from))
        .add(group_condition(&filter.group_slugs, &filter.regions));
    // A day more: an occurrence of a series is its local times resolved
    // again, an hour longer in UTC when it spans a change of the clocks.
    if let Some(earliest_start) = from.checked_sub_signed(Duration::days(MAX_DURATION_DAYS + 1)) {
        condition = condition.add(event::Column::StartsAt.gte(earliest_start));
    }
    if let Some(to) = filter.to {
        condition = condition.add(event::Column::StartsAt.lt(to));
    }
    if !filter.kinds.is_empty() {
        condition = condition.add(event::Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    condition = condition.add(topic_condition(&filter.topics));
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        condition = condition.add(
            Condition::any()
                .add(Func::lower(Expr::col(event::Column::Title)).like(LikeExpr::new(pattern.clone()).escape('\\')))
                .add(Func::lower(Expr::col(event::Column::Description)).like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    if let Some(since) = filter.updated_since {
        condition = condition.add(event::Column::UpdatedAt.gt(since));
    }
    let include_cancelled = filter.include_cancelled.unwrap_or(filter.updated_since.is_some());
    if !include_cancelled {
        condition = condition.add(event::Column::Status.eq(EventStatus::Scheduled));
    }
    condition
}

/// One page of the events the viewer may see, by start time.
pub async fn list_events(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &EventFilter,
    after: Option<&EventPosition>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<EventPage> {
    Ok(keyset_page(db, visible(viewer, filter, now), after, limit)
        .await?
        .into())
}

/// The events `filter` selects that `viewer` may see, unordered.
fn visible(viewer: &Viewer, filter: &EventFilter, now: DateTime<Utc>) -> Select<event::Entity> {
    event::Entity::find().filter(filter_condition(filter, &event_scope(viewer), now))
}

/// [`list_events`] without the count of the whole list, for the pages,
/// which say only whether more follow: one statement whose cost is the
/// page's, however many events the filter selects.
pub async fn list_events_uncounted(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &EventFilter,
    after: Option<&EventPosition>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Rows<event::Model>> {
    keyset_rows(db, visible(viewer, filter, now), after, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_real_iana_names() {
        assert_eq!(validate_timezone(None).unwrap(), "Europe/London");
        assert_eq!(validate_timezone(Some("America/New_York")).unwrap(), "America/New_York");
        for bad in ["Mars/Olympus", "GMT+25", "europe/london;DROP"] {
            assert!(validate_timezone(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_and_capacity_are_checked() {
        let start = Utc::now();
        assert!(validate_times(start, start + Duration::hours(2)).is_ok());
        assert!(validate_times(start, start).is_err());
        assert!(validate_times(start, start - Duration::hours(1)).is_err());
        assert!(validate_times(start, start + Duration::days(40)).is_err());
        assert!(validate_capacity(Some(0)).is_err());
        assert!(validate_capacity(Some(-5)).is_err());
        assert_eq!(validate_capacity(Some(30)).unwrap(), Some(30));
        assert_eq!(validate_capacity(None).unwrap(), None);
    }
}
