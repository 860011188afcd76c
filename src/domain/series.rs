//! Recurring events: series, the changes to single occurrences, and the
//! occurrences kept as ordinary events.
//!
//! A series holds its rule and the fields its occurrences share; each
//! occurrence is a row of `events` (`series_id`, `original_starts_at`).
//! Whenever a series or one of its exceptions changes, its rows are
//! regenerated in the same unit of work: an occurrence whose original start
//! is unchanged keeps its row (id, RSVPs, sequence) and gets only what
//! changed (through [`events::write_change`], so its sequence, the journal
//! and those going follow as for any event); a new one is inserted; one the
//! rule no longer makes is cancelled, never deleted, so those who had a
//! place are told. When the series' time of day or zone moves, an
//! occurrence is matched by its local day instead, so a meeting moved from
//! 19:00 to 19:30 keeps its RSVPs. Lists, pages, RSVPs, capacity and the
//! feeds' windows then need nothing of their own.

use std::{
    collections::{HashMap, HashSet},
    str::FromStr,
};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use entity::{EventStatus, event, event_series, event_series_exception as exception};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        events::{self, CheckedEvent, NewEvent, ensure_topic, get_manageable},
        groups::get_by_slug,
        journal::{self, DomainEvent},
        lock_row,
        recurrence::{Occurrence, Rule, RuleEnd, Timing, resolve_local},
        rsvps,
        values::AllValid,
    },
    error::{Error, Result},
};

/// A series' zone, read back from storage.
fn zone_of(series: &event_series::Model) -> Result<Tz> {
    Tz::from_str(&series.timezone).map_err(|_| Error::Internal(anyhow::anyhow!("series with an unknown time zone")))
}

/// What the expansion needs of a stored series.
pub fn timing_of(series: &event_series::Model) -> Result<Timing> {
    let zone = zone_of(series)?;
    Ok(Timing {
        zone,
        local_start: series.local_starts_at,
        local_end: series.local_ends_at,
        rule: Rule::parse(&series.rrule, zone)?,
    })
}

/// A new series: its first occurrence as a new event, and its rule.
#[derive(Debug, Clone)]
pub struct NewSeries {
    pub event: NewEvent,
    pub rrule: String,
}

/// The first occurrence's instants as wall-clock times in `zone`.
fn local_times(zone: Tz, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> (NaiveDateTime, NaiveDateTime) {
    (
        starts_at.with_timezone(&zone).naive_local(),
        ends_at.with_timezone(&zone).naive_local(),
    )
}

/// Checks a rule with the series' timing and expands it: every refusal
/// (`BAD_USER_INPUT` naming the part) before anything is written.
pub(crate) fn check_timing(
    timezone: &str,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    rrule: &str,
) -> Result<Timing> {
    let zone = Tz::from_str(timezone).map_err(|_| Error::validation("timezone", "is not an IANA time zone"))?;
    let (local_start, local_end) = local_times(zone, starts_at, ends_at);
    let timing = Timing {
        zone,
        local_start,
        local_end,
        rule: Rule::parse(rrule, zone)?,
    };
    timing.expand()?;
    Ok(timing)
}

/// Group organisers create series for their group; coordinators and admins
/// for any group or the whole network, as for events. Returns the series
/// and its occurrences in order.
pub async fn create_series(
    work: &Work,
    viewer: &Viewer,
    new: NewSeries,
    now: DateTime<Utc>,
) -> Result<(event_series::Model, Vec<event::Model>)> {
    create_series_from(work, viewer, new, None, &[], now).await
}

/// [`create_series`], remembering the UID a calendar file gave the series
/// so that importing the file again finds it, with the file's exceptions
/// in place before the occurrences are made (a removed one never gets a
/// row).
pub(crate) async fn create_series_from(
    work: &Work,
    viewer: &Viewer,
    new: NewSeries,
    import_uid: Option<String>,
    exceptions: &[WantedException],
    now: DateTime<Utc>,
) -> Result<(event_series::Model, Vec<event::Model>)> {
    let group = match new.event.group_slug.as_deref() {
        Some(slug) => Some(get_by_slug(work, slug).await?),
        None => None,
    };
    let group_id = group.as_ref().map(|g| g.id);
    authorize(viewer, Action::CreateEvent { group_id })?;
    let (checked, (), timing) = (
        events::check_new(&new.event, group_id),
        ensure_topic(work, new.event.topic_id).await,
        check_timing(
            &events::validate_timezone(new.event.timezone.as_deref()).unwrap_or_default(),
            new.event.starts_at,
            new.event.ends_at,
            &new.rrule,
        ),
    )
        .all_valid()?;
    let series = insert_series(
        work,
        viewer.user_id(),
        &new.event,
        checked,
        &timing,
        group_id,
        import_uid,
        now,
    )
    .await?;
    for want in exceptions.iter().filter(|w| !w.is_plain()) {
        write_exception(work, series.id, want, now).await?;
    }
    let rows = regenerate(work, viewer.user_id(), &series, now).await?;
    Ok((series, rows))
}

#[allow(clippy::too_many_arguments)]
async fn insert_series(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    new: &NewEvent,
    checked: CheckedEvent,
    timing: &Timing,
    group_id: Option<Uuid>,
    import_uid: Option<String>,
    now: DateTime<Utc>,
) -> Result<event_series::Model> {
    Ok(event_series::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(checked.title.into()),
        description: Set(checked.description.into()),
        timezone: Set(checked.timezone),
        local_starts_at: Set(timing.local_start),
        local_ends_at: Set(timing.local_end),
        rrule: Set(timing.rule.to_rrule()),
        venue: Set(checked.venue.map(String::from)),
        address: Set(checked.address.map(String::from)),
        online_url: Set(checked.online_url.map(String::from)),
        venue_visibility: Set(new.venue_visibility),
        town: Set(checked.town.map(String::from)),
        postcode_area: Set(checked.postcode_area.map(String::from)),
        kind: Set(new.kind),
        group_id: Set(group_id),
        topic_id: Set(new.topic_id),
        visibility: Set(new.visibility),
        capacity: Set(checked.capacity),
        sequence: Set(0),
        import_uid: Set(import_uid),
        created_by: Set(actor),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// A series by id; `NOT_FOUND` when there is none.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<event_series::Model> {
    event_series::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Series by id, for a page of events or a feed: one query.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, event_series::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(event_series::Entity::find()
        .filter(event_series::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

/// The occurrences of a series, in order, cancelled ones included.
pub async fn occurrences(db: &impl ConnectionTrait, series_id: Uuid) -> Result<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::SeriesId.eq(series_id))
        .order_by_asc(event::Column::OriginalStartsAt)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?)
}

/// The series as one event, for the VEVENT that carries its rule: its
/// shared fields, the first occurrence's times, its own sequence and dates.
pub fn template(series: &event_series::Model, first: &event::Model) -> event::Model {
    let zone = zone_of(series).unwrap_or(chrono_tz::Europe::London);
    let starts_at = resolve_local(zone, series.local_starts_at);
    event::Model {
        id: series.id,
        title: series.title.clone(),
        description: series.description.clone(),
        starts_at,
        ends_at: resolve_local(zone, series.local_ends_at),
        timezone: series.timezone.clone(),
        venue: series.venue.clone(),
        address: series.address.clone(),
        online_url: series.online_url.clone(),
        kind: series.kind,
        group_id: series.group_id,
        topic_id: series.topic_id,
        visibility: series.visibility,
        status: EventStatus::Scheduled,
        sequence: series.sequence,
        capacity: series.capacity,
        request_id: None,
        created_by: None,
        cancelled_at: None,
        created_at: series.created_at,
        updated_at: series.updated_at.max(first.created_at),
        going_count_kept: None,
        waitlisted_count_kept: None,
        attendance_forgotten_at: None,
        venue_visibility: series.venue_visibility,
        town: series.town.clone(),
        postcode_area: series.postcode_area.clone(),
        series_id: None,
        original_starts_at: Some(starts_at),
        import_uid: series.import_uid.clone(),
    }
}

/// What an occurrence should look like: the series' fields, its start by
/// the rule, and its exception's changes.
fn desired(
    series: &event_series::Model,
    occurrence: &Occurrence,
    change: Option<&exception::Model>,
    mut row: event::ActiveModel,
) -> event::ActiveModel {
    let pick = |over: Option<&Option<String>>, base: &Option<String>| -> Option<String> {
        match over {
            Some(Some(value)) => Some(value.clone()),
            _ => base.clone(),
        }
    };
    row.title = Set(change
        .and_then(|c| c.title.clone())
        .unwrap_or_else(|| series.title.clone()));
    row.description = Set(change
        .and_then(|c| c.description.clone())
        .unwrap_or_else(|| series.description.clone()));
    row.starts_at = Set(change.and_then(|c| c.starts_at).unwrap_or(occurrence.starts_at));
    row.ends_at = Set(change.and_then(|c| c.ends_at).unwrap_or(occurrence.ends_at));
    row.timezone = Set(series.timezone.clone());
    row.venue = Set(pick(change.map(|c| &c.venue), &series.venue));
    row.address = Set(pick(change.map(|c| &c.address), &series.address));
    row.online_url = Set(pick(change.map(|c| &c.online_url), &series.online_url));
    row.venue_visibility = Set(series.venue_visibility);
    row.town = Set(series.town.clone());
    row.postcode_area = Set(series.postcode_area.clone());
    row.kind = Set(series.kind);
    row.group_id = Set(series.group_id);
    row.topic_id = Set(series.topic_id);
    row.visibility = Set(series.visibility);
    row.capacity = Set(series.capacity);
    row.series_id = Set(Some(series.id));
    row.original_starts_at = Set(Some(occurrence.starts_at));
    row
}

fn local_day(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// Brings a series' rows in line with its rule and exceptions (see the
/// module's header). Returns its occurrences in order.
pub async fn regenerate(
    db: &impl ConnectionTrait,
    actor: Option<Uuid>,
    series: &event_series::Model,
    now: DateTime<Utc>,
) -> Result<Vec<event::Model>> {
    let timing = timing_of(series)?;
    let wanted = timing.expand()?;
    let mut changes: HashMap<DateTime<Utc>, exception::Model> = exception::Entity::find()
        .filter(exception::Column::SeriesId.eq(series.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.original_starts_at, c))
        .collect();
    let mut rows: HashMap<DateTime<Utc>, event::Model> = HashMap::new();
    let mut strays = Vec::new();
    for row in occurrences(db, series.id).await? {
        match row.original_starts_at {
            Some(original) if !rows.contains_key(&original) => {
                rows.insert(original, row);
            }
            _ => strays.push(row),
        }
    }
    // Rows whose original start the rule no longer makes: matched by local
    // day to a new start that has no row (a new time of day), with their
    // exception, or else cancelled below.
    let starts: HashSet<DateTime<Utc>> = wanted.iter().map(|o| o.starts_at).collect();
    let mut by_day: HashMap<NaiveDate, event::Model> = HashMap::new();
    for original in rows.keys().copied().filter(|s| !starts.contains(s)).collect::<Vec<_>>() {
        if let Some(row) = rows.remove(&original) {
            match by_day.entry(local_day(timing.zone, original)) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(row);
                }
                std::collections::hash_map::Entry::Occupied(_) => strays.push(row),
            }
        }
    }
    for occurrence in &wanted {
        if rows.contains_key(&occurrence.starts_at) {
            continue;
        }
        if let Some(row) = by_day.remove(&local_day(timing.zone, occurrence.starts_at)) {
            if let Some(old) = row.original_starts_at
                && !changes.contains_key(&occurrence.starts_at)
                && let Some(change) = changes.remove(&old)
            {
                let mut moved = change.into_active_model();
                moved.original_starts_at = Set(occurrence.starts_at);
                moved.updated_at = Set(now);
                let moved = moved.update(db).await?;
                changes.insert(occurrence.starts_at, moved);
            }
            rows.insert(occurrence.starts_at, row);
        }
    }
    strays.extend(by_day.into_values());

    let mut new_rows = Vec::new();
    let mut new_ids = Vec::new();
    for occurrence in &wanted {
        let change = changes.get(&occurrence.starts_at);
        let removed = change.is_some_and(|c| c.removed);
        let cancelled = change.is_some_and(|c| c.cancelled);
        match rows.remove(&occurrence.starts_at) {
            Some(row) if removed => strays.push(row),
            Some(row) => {
                let old = row.clone();
                let mut active = desired(series, occurrence, change, row.into_active_model());
                let status = if cancelled {
                    EventStatus::Cancelled
                } else {
                    EventStatus::Scheduled
                };
                if status != old.status {
                    active.status = Set(status);
                    active.cancelled_at = Set(cancelled.then_some(now));
                }
                if differs(&active, &old) {
                    let updated = events::write_change(db, actor, &old, active, now).await?;
                    if updated.capacity != old.capacity && updated.status == EventStatus::Scheduled {
                        rsvps::fill_free_places(db, actor, &updated, now).await?;
                    }
                }
            }
            None if removed => {}
            None => {
                let id = Uuid::new_v4();
                new_ids.push(id);
                let blank = event::ActiveModel {
                    id: Set(id),
                    status: Set(if cancelled {
                        EventStatus::Cancelled
                    } else {
                        EventStatus::Scheduled
                    }),
                    sequence: Set(0),
                    request_id: Set(None),
                    created_by: Set(actor),
                    cancelled_at: Set(cancelled.then_some(now)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    going_count_kept: Set(None),
                    waitlisted_count_kept: Set(None),
                    attendance_forgotten_at: Set(None),
                    ..Default::default()
                };
                new_rows.push(desired(series, occurrence, change, blank));
            }
        }
    }
    if !new_rows.is_empty() {
        // A few hundred columns per statement at most: well within SQLite's
        // and PostgreSQL's limits on bound values.
        let mut pending = new_rows.into_iter().peekable();
        while pending.peek().is_some() {
            let chunk: Vec<event::ActiveModel> = pending.by_ref().take(50).collect();
            event::Entity::insert_many(chunk).exec_without_returning(db).await?;
        }
        for id in new_ids {
            journal::record(db, actor, DomainEvent::EventCreated { event_id: id }, now).await?;
        }
    }
    for row in strays {
        if row.status == EventStatus::Scheduled {
            events::mark_cancelled(db, actor, row, now).await?;
        }
    }
    occurrences(db, series.id).await
}

/// Whether regeneration changes a row at all.
fn differs(active: &event::ActiveModel, old: &event::Model) -> bool {
    let fresh = active.clone();
    let Ok(model) = event::Model::try_from(fresh) else {
        return true;
    };
    &model != old
}

/// Changes to a series; `None` leaves a field, `Some(None)` clears one.
/// `starts_at`/`ends_at` are the first occurrence's (of the part changed).
#[derive(Debug, Clone, Default)]
pub struct SeriesChanges {
    pub event: events::EventChanges,
    pub rrule: Option<String>,
}

/// Which occurrences a change to a series applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    /// From one occurrence on: the series is split there.
    ThisAndFollowing,
}

/// The series `id` names (a series, or one of its occurrences), and the
/// occurrence if it named one.
async fn resolve_target(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> Result<(event_series::Model, Option<event::Model>)> {
    authorize(viewer, Action::UseOwnAccount)?;
    if let Some(series) = event_series::Entity::find_by_id(id).one(db).await? {
        // The series is seen as its occurrences are.
        let first = occurrences(db, series.id)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound)?;
        get_manageable(db, viewer, first.id).await?;
        return Ok((series, None));
    }
    let occurrence = get_manageable(db, viewer, id).await?;
    let series_id = occurrence
        .series_id
        .ok_or_else(|| Error::validation("id", "is not a recurring event or one of its occurrences"))?;
    Ok((get(db, series_id).await?, Some(occurrence)))
}

/// The series' fields with `changes` applied, as a new event to check.
fn merged(
    series: &event_series::Model,
    timing: &Timing,
    changes: &events::EventChanges,
    group_slug: Option<String>,
) -> NewEvent {
    fn or<T: Clone>(change: &Option<Option<T>>, base: &Option<T>) -> Option<T> {
        match change {
            Some(value) => value.clone(),
            None => base.clone(),
        }
    }
    let starts_at = changes
        .starts_at
        .unwrap_or_else(|| resolve_local(timing.zone, timing.local_start));
    let ends_at = changes.ends_at.unwrap_or_else(|| starts_at + timing.duration());
    NewEvent {
        title: changes.title.clone().unwrap_or_else(|| series.title.clone()),
        description: changes
            .description
            .clone()
            .unwrap_or_else(|| series.description.clone()),
        starts_at,
        ends_at,
        timezone: Some(changes.timezone.clone().unwrap_or_else(|| series.timezone.clone())),
        venue: or(&changes.venue, &series.venue),
        address: or(&changes.address, &series.address),
        online_url: or(&changes.online_url, &series.online_url),
        venue_visibility: changes.venue_visibility.unwrap_or(series.venue_visibility),
        town: or(&changes.town, &series.town),
        postcode_area: or(&changes.postcode_area, &series.postcode_area),
        kind: changes.kind.unwrap_or(series.kind),
        group_slug,
        topic_id: or(&changes.topic_id, &series.topic_id),
        visibility: changes.visibility.unwrap_or(series.visibility),
        capacity: or(&changes.capacity, &series.capacity),
    }
}

fn apply(active: &mut event_series::ActiveModel, new: &NewEvent, checked: CheckedEvent, timing: &Timing) {
    active.title = Set(checked.title.into());
    active.description = Set(checked.description.into());
    active.timezone = Set(checked.timezone);
    active.local_starts_at = Set(timing.local_start);
    active.local_ends_at = Set(timing.local_end);
    active.rrule = Set(timing.rule.to_rrule());
    active.venue = Set(checked.venue.map(String::from));
    active.address = Set(checked.address.map(String::from));
    active.online_url = Set(checked.online_url.map(String::from));
    active.venue_visibility = Set(new.venue_visibility);
    active.town = Set(checked.town.map(String::from));
    active.postcode_area = Set(checked.postcode_area.map(String::from));
    active.kind = Set(new.kind);
    active.topic_id = Set(new.topic_id);
    active.visibility = Set(new.visibility);
    active.capacity = Set(checked.capacity);
}

/// Changes a series: all of it, or from one occurrence on (the series then
/// ends before that occurrence and a new series, with the changes, carries
/// it and those after; their rows, RSVPs and exceptions move with them).
/// Returns the series changed (the new one when split) and its occurrences.
pub async fn update_series(
    work: &Work,
    viewer: &Viewer,
    id: Uuid,
    scope: Scope,
    changes: SeriesChanges,
    now: DateTime<Utc>,
) -> Result<(event_series::Model, Vec<event::Model>)> {
    let (series, occurrence) = resolve_target(work, viewer, id).await?;
    lock_row(work, event_series::Column::Id, series.id).await?;
    let timing = timing_of(&series)?;
    let split_at = match (scope, &occurrence) {
        (Scope::All, _) => None,
        (Scope::ThisAndFollowing, None) => {
            return Err(Error::validation(
                "id",
                "name the occurrence from which on to change the series",
            ));
        }
        (Scope::ThisAndFollowing, Some(row)) => {
            let original = row.original_starts_at.unwrap_or(row.starts_at);
            let first = timing.expand()?.first().map(|o| o.starts_at);
            (first != Some(original)).then_some(original)
        }
    };
    let group_slug = None;
    let Some(split_at) = split_at else {
        // The whole series.
        let new = merged(&series, &timing, &changes.event, group_slug);
        let rrule = changes.rrule.clone().unwrap_or_else(|| series.rrule.clone());
        let (checked, (), new_timing) = (
            events::check_new(&new, series.group_id),
            ensure_topic(work, new.topic_id).await,
            check_timing(
                new.timezone.as_deref().unwrap_or_default(),
                new.starts_at,
                new.ends_at,
                &rrule,
            ),
        )
            .all_valid()?;
        let mut active = series.clone().into_active_model();
        apply(&mut active, &new, checked, &new_timing);
        active.sequence = Set(series.sequence + 1);
        active.updated_at = Set(now);
        let updated = active.update(work).await?;
        let rows = regenerate(work, viewer.user_id(), &updated, now).await?;
        return Ok((updated, rows));
    };

    // This and following: the old series ends before `split_at`.
    let wanted = timing.expand()?;
    let before = wanted.iter().filter(|o| o.starts_at < split_at).count();
    let remaining = wanted.len() - before;
    let mut first_part = timing.rule.clone();
    first_part.end = match timing.rule.end {
        RuleEnd::Count(_) => RuleEnd::Count(before as u32),
        RuleEnd::Until(_) => RuleEnd::Until(split_at - chrono::Duration::seconds(1)),
    };
    let mut rest_rule = timing.rule.clone();
    if let RuleEnd::Count(_) = rest_rule.end {
        rest_rule.end = RuleEnd::Count(remaining as u32);
    }
    let mut rest_changes = changes.event.clone();
    if rest_changes.starts_at.is_none() {
        let local = timing.nominal_local(split_at);
        rest_changes.starts_at = Some(resolve_local(timing.zone, local));
    }
    let new = merged(&series, &timing, &rest_changes, group_slug);
    let rrule = changes.rrule.clone().unwrap_or_else(|| rest_rule.to_rrule());
    let (checked, (), new_timing) = (
        events::check_new(&new, series.group_id),
        ensure_topic(work, new.topic_id).await,
        check_timing(
            new.timezone.as_deref().unwrap_or_default(),
            new.starts_at,
            new.ends_at,
            &rrule,
        ),
    )
        .all_valid()?;
    let mut old = series.clone().into_active_model();
    old.rrule = Set(first_part.to_rrule());
    old.sequence = Set(series.sequence + 1);
    old.updated_at = Set(now);
    let old = old.update(work).await?;
    let rest = insert_series(
        work,
        viewer.user_id(),
        &new,
        checked,
        &new_timing,
        series.group_id,
        None,
        now,
    )
    .await?;
    event::Entity::update_many()
        .col_expr(event::Column::SeriesId, Expr::val(rest.id))
        .col_expr(event::Column::UpdatedAt, Expr::val(now))
        .filter(event::Column::SeriesId.eq(series.id))
        .filter(event::Column::OriginalStartsAt.gte(split_at))
        .exec(work)
        .await?;
    exception::Entity::update_many()
        .col_expr(exception::Column::SeriesId, Expr::val(rest.id))
        .col_expr(exception::Column::UpdatedAt, Expr::val(now))
        .filter(exception::Column::SeriesId.eq(series.id))
        .filter(exception::Column::OriginalStartsAt.gte(split_at))
        .exec(work)
        .await?;
    regenerate(work, viewer.user_id(), &old, now).await?;
    let rows = regenerate(work, viewer.user_id(), &rest, now).await?;
    Ok((rest, rows))
}

/// The exception of one occurrence, new or as it is.
async fn exception_for(
    db: &impl ConnectionTrait,
    series_id: Uuid,
    original: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<exception::ActiveModel> {
    Ok(
        match exception::Entity::find()
            .filter(exception::Column::SeriesId.eq(series_id))
            .filter(exception::Column::OriginalStartsAt.eq(original))
            .one(db)
            .await?
        {
            Some(found) => found.into_active_model(),
            None => exception::ActiveModel {
                id: Set(Uuid::new_v4()),
                series_id: Set(series_id),
                original_starts_at: Set(original),
                cancelled: Set(false),
                removed: Set(false),
                starts_at: Set(None),
                ends_at: Set(None),
                title: Set(None),
                description: Set(None),
                venue: Set(None),
                address: Set(None),
                online_url: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            },
        },
    )
}

async fn save(db: &impl ConnectionTrait, mut change: exception::ActiveModel, now: DateTime<Utc>) -> Result<()> {
    change.updated_at = Set(now);
    // A new exception's id is `Set`, an existing one's `Unchanged`.
    if change.id.is_set() {
        change.insert(db).await?;
    } else {
        change.update(db).await?;
    }
    Ok(())
}

/// What a calendar file says of one occurrence: removed from the rule
/// (EXDATE), cancelled, or changed (`None` leaves a field as the series has
/// it). Fields are checked by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WantedException {
    pub original_starts_at: DateTime<Utc>,
    pub removed: bool,
    pub cancelled: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub online_url: Option<String>,
}

impl WantedException {
    fn matches(&self, kept: &exception::Model) -> bool {
        self.removed == kept.removed
            && self.cancelled == kept.cancelled
            && self.starts_at == kept.starts_at
            && self.ends_at == kept.ends_at
            && self.title == kept.title
            && self.description == kept.description
            && self.venue == kept.venue
            && self.address == kept.address
            && self.online_url == kept.online_url
    }

    /// Nothing to keep: the occurrence as the rule makes it.
    fn is_plain(&self) -> bool {
        *self
            == WantedException {
                original_starts_at: self.original_starts_at,
                ..Default::default()
            }
    }
}

async fn write_exception(work: &Work, series_id: Uuid, want: &WantedException, now: DateTime<Utc>) -> Result<()> {
    let mut change = exception_for(work, series_id, want.original_starts_at, now).await?;
    change.removed = Set(want.removed);
    change.cancelled = Set(want.cancelled);
    change.starts_at = Set(want.starts_at);
    change.ends_at = Set(want.ends_at);
    change.title = Set(want.title.clone());
    change.description = Set(want.description.clone());
    change.venue = Set(want.venue.clone());
    change.address = Set(want.address.clone());
    change.online_url = Set(want.online_url.clone());
    save(work, change, now).await
}

/// Makes a series' exceptions say what `wanted` says (an import's): each
/// is written as given, exceptions `wanted` does not name are kept, and the
/// rows are regenerated once. Returns whether anything changed. The caller
/// has checked the viewer may manage the series.
pub(crate) async fn set_exceptions(
    work: &Work,
    actor: Option<Uuid>,
    series: &event_series::Model,
    wanted: &[WantedException],
    now: DateTime<Utc>,
) -> Result<bool> {
    let kept: HashMap<DateTime<Utc>, exception::Model> = exception::Entity::find()
        .filter(exception::Column::SeriesId.eq(series.id))
        .all(work)
        .await?
        .into_iter()
        .map(|c| (c.original_starts_at, c))
        .collect();
    let mut changed = false;
    for want in wanted {
        match kept.get(&want.original_starts_at) {
            Some(found) if want.matches(found) => continue,
            None if want.is_plain() => continue,
            _ => {}
        }
        write_exception(work, series.id, want, now).await?;
        changed = true;
    }
    if changed {
        regenerate(work, actor, series, now).await?;
    }
    Ok(changed)
}

/// An occurrence the viewer may manage, with its series, locked.
async fn manageable_occurrence(
    work: &Work,
    viewer: &Viewer,
    id: Uuid,
) -> Result<(event::Model, event_series::Model, DateTime<Utc>)> {
    let row = get_manageable(work, viewer, id).await?;
    let series_id = row
        .series_id
        .ok_or_else(|| Error::validation("id", "is not an occurrence of a recurring event"))?;
    lock_row(work, event_series::Column::Id, series_id).await?;
    let original = row.original_starts_at.unwrap_or(row.starts_at);
    Ok((row, get(work, series_id).await?, original))
}

async fn occurrence_now(db: &impl ConnectionTrait, series_id: Uuid, original: DateTime<Utc>) -> Result<event::Model> {
    event::Entity::find()
        .filter(event::Column::SeriesId.eq(series_id))
        .filter(event::Column::OriginalStartsAt.eq(original))
        .one(db)
        .await?
        .ok_or(Error::NotFound)
}

/// Cancels one occurrence: it stays, marked cancelled (in feeds too), and
/// the series' rule goes on around it.
pub async fn cancel_occurrence(work: &Work, viewer: &Viewer, id: Uuid, now: DateTime<Utc>) -> Result<event::Model> {
    let (_, series, original) = manageable_occurrence(work, viewer, id).await?;
    let mut change = exception_for(work, series.id, original, now).await?;
    change.cancelled = Set(true);
    save(work, change, now).await?;
    regenerate(work, viewer.user_id(), &series, now).await?;
    occurrence_now(work, series.id, original).await
}

/// Changes to one occurrence: another time, place, title or description.
#[derive(Debug, Clone, Default)]
pub struct OccurrenceChanges {
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub online_url: Option<String>,
}

/// Changes one occurrence; the change is kept as its exception, so that a
/// later change to the whole series keeps it.
pub async fn update_occurrence(
    work: &Work,
    viewer: &Viewer,
    id: Uuid,
    changes: OccurrenceChanges,
    now: DateTime<Utc>,
) -> Result<event::Model> {
    let (row, series, original) = manageable_occurrence(work, viewer, id).await?;
    if row.status == EventStatus::Cancelled {
        return Err(Error::validation("id", "a cancelled occurrence cannot be changed"));
    }
    let starts_at = changes.starts_at.unwrap_or(row.starts_at);
    let ends_at = changes.ends_at.unwrap_or(row.ends_at);
    let probe = NewEvent {
        title: changes.title.clone().unwrap_or_else(|| row.title.clone()),
        description: changes.description.clone().unwrap_or_else(|| row.description.clone()),
        starts_at,
        ends_at,
        timezone: Some(row.timezone.clone()),
        venue: changes.venue.clone().or_else(|| row.venue.clone()),
        address: changes.address.clone().or_else(|| row.address.clone()),
        online_url: changes.online_url.clone().or_else(|| row.online_url.clone()),
        venue_visibility: row.venue_visibility,
        town: row.town.clone(),
        postcode_area: row.postcode_area.clone(),
        kind: row.kind,
        group_slug: None,
        topic_id: row.topic_id,
        visibility: row.visibility,
        capacity: row.capacity,
    };
    let checked = events::check_new(&probe, row.group_id)?;
    let mut change = exception_for(work, series.id, original, now).await?;
    if changes.starts_at.is_some() || changes.ends_at.is_some() {
        change.starts_at = Set(Some(starts_at));
        change.ends_at = Set(Some(ends_at));
    }
    if changes.title.is_some() {
        change.title = Set(Some(checked.title.into()));
    }
    if changes.description.is_some() {
        change.description = Set(Some(checked.description.into()));
    }
    if changes.venue.is_some() {
        change.venue = Set(checked.venue.map(String::from));
    }
    if changes.address.is_some() {
        change.address = Set(checked.address.map(String::from));
    }
    if changes.online_url.is_some() {
        change.online_url = Set(checked.online_url.map(String::from));
    }
    save(work, change, now).await?;
    regenerate(work, viewer.user_id(), &series, now).await?;
    occurrence_now(work, series.id, original).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_the_wall_clock() {
        let zone = chrono_tz::Europe::London;
        let start = DateTime::parse_from_rfc3339("2027-07-06T18:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let (local, _) = local_times(zone, start, start);
        assert_eq!(local.to_string(), "2027-07-06 19:00:00");
    }
}
