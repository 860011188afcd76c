//! Importing a group's existing calendar from an `.ics` export (Google
//! Calendar, Thunderbird, Outlook): single events and series with their
//! removed and changed occurrences become the group's events.
//!
//! An import is a sync by UID: an entry whose UID this group imported
//! before is updated (only what the file changed, through the same domain
//! steps as a change made by hand, so sequences, the journal and those going
//! follow), a new one is created, and events imported before that the file
//! no longer holds are reported, never deleted. Every entry is checked
//! before anything is written; one bad entry refuses the whole file, naming
//! each problem. A dry run is the same import in a unit of work the edge
//! does not commit, so it reports exactly what the import would do.
//!
//! What the file decides on a second import: title, description, times,
//! zone, place, rule and the exceptions it names. What muster decides and
//! an import leaves alone: visibility, kind, topic, capacity, a kept
//! venue, exceptions made in muster, and events cancelled in muster.

pub mod read;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveTime, Utc};
use entity::{EventKind, EventStatus, EventVisibility, VenueVisibility, event, event_series};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use read::{Entry, Problems};
pub use read::{MAX_ENTRIES, MAX_ICS_BYTES, without_personal_parts};

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        events::{self, EventChanges, NewEvent},
        groups::get_by_slug,
        recurrence::{Rule, Timing},
        series::{self, NewSeries, Scope, SeriesChanges, WantedException},
    },
    error::Result,
};

/// How far ahead a rule the file gives no end is imported.
const OPEN_ENDED_DAYS: i64 = 365;

/// What the importer chooses for new events (a calendar file does not say).
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Members only unless the organiser says otherwise: a private calendar's
    /// entries are not published without a decision.
    pub visibility: EventVisibility,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            visibility: EventVisibility::Members,
        }
    }
}

/// One entry of the file as the import left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEntry {
    pub uid: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// 1 for a single event; a series' occurrences.
    pub occurrences: usize,
    /// The event, or a series' first occurrence.
    pub event_id: Option<Uuid>,
    pub recurring: bool,
    /// Something the organiser should know (a rule without end imported up
    /// to a date, a change to an occurrence the rule does not make).
    pub note: Option<String>,
}

/// An entry of the file the import did not take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    pub uid: String,
    /// The entry's title; for a private entry, only that it is private.
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub created: Vec<ImportedEntry>,
    pub updated: Vec<ImportedEntry>,
    pub unchanged: Vec<ImportedEntry>,
    pub skipped: Vec<SkippedEntry>,
    /// Imported before from a file, no longer in this one: left as they are.
    pub missing_from_file: Vec<ImportedEntry>,
}

/// An entry checked and turned into what muster stores.
struct Planned {
    entry: Entry,
    new: NewEvent,
    /// The rule, with an end when the file gave none.
    rrule: Option<String>,
    exceptions: Vec<WantedException>,
    note: Option<String>,
}

/// Imports `ics` into the group: organisers of the group, coordinators and
/// admins, as for creating its events.
pub async fn import_events(
    work: &Work,
    viewer: &Viewer,
    group_slug: &str,
    ics: &str,
    options: ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport> {
    let group = get_by_slug(work, group_slug).await?;
    authorize(
        viewer,
        Action::CreateEvent {
            group_id: Some(group.id),
        },
    )?;
    let calendar = read::read(ics)?;
    let mut report = ImportReport::default();
    let mut problems = Problems::default();
    let mut planned = Vec::new();
    for entry in calendar.entries {
        if entry.private {
            // Not even its title is repeated: a private entry is often
            // someone's own appointment.
            let mut left_out = skipped(&entry, "marked private in the calendar, so it is not imported");
            left_out.title = "A private entry".to_owned();
            report.skipped.push(left_out);
            continue;
        }
        match plan(entry, &group.slug, options, now) {
            Ok(item) => planned.push(item),
            Err((label, error)) => problems.add_error(&label, error),
        }
    }
    problems.into_result()?;

    let mut singles: HashMap<String, event::Model> = event::Entity::find()
        .filter(event::Column::GroupId.eq(group.id))
        .filter(event::Column::ImportUid.is_not_null())
        .filter(event::Column::SeriesId.is_null())
        .all(work)
        .await?
        .into_iter()
        .filter_map(|e| Some((e.import_uid.clone()?, e)))
        .collect();
    let mut all_series: HashMap<String, event_series::Model> = event_series::Entity::find()
        .filter(event_series::Column::GroupId.eq(group.id))
        .filter(event_series::Column::ImportUid.is_not_null())
        .all(work)
        .await?
        .into_iter()
        .filter_map(|s| Some((s.import_uid.clone()?, s)))
        .collect();

    for item in planned {
        if item.rrule.is_some() {
            let found = all_series.remove(&item.entry.uid);
            import_series(work, viewer, item, found, &mut report, now).await?;
        } else {
            let found = singles.remove(&item.entry.uid);
            import_single(work, viewer, item, found, &mut report, now).await?;
        }
    }

    for (uid, left) in singles {
        if left.status == EventStatus::Scheduled {
            report.missing_from_file.push(ImportedEntry {
                uid,
                title: left.title,
                starts_at: left.starts_at,
                ends_at: left.ends_at,
                occurrences: 1,
                event_id: Some(left.id),
                recurring: false,
                note: None,
            });
        }
    }
    for (uid, left) in all_series {
        let rows = series::occurrences(work, left.id).await?;
        if let Some(first) = rows.iter().find(|r| r.status == EventStatus::Scheduled) {
            report.missing_from_file.push(ImportedEntry {
                uid,
                title: left.title.clone(),
                starts_at: first.starts_at,
                ends_at: first.ends_at,
                occurrences: rows.len(),
                event_id: Some(first.id),
                recurring: true,
                note: None,
            });
        }
    }
    for list in [
        &mut report.created,
        &mut report.updated,
        &mut report.unchanged,
        &mut report.missing_from_file,
    ] {
        list.sort_by(|a, b| (a.starts_at, &a.uid).cmp(&(b.starts_at, &b.uid)));
    }
    report
        .skipped
        .sort_by(|a, b| (a.starts_at, &a.uid).cmp(&(b.starts_at, &b.uid)));
    Ok(report)
}

fn skipped(entry: &Entry, reason: &str) -> SkippedEntry {
    SkippedEntry {
        uid: entry.uid.clone(),
        title: entry.title.clone(),
        starts_at: entry.starts_at(),
        ends_at: entry.ends_at(),
        reason: reason.to_owned(),
    }
}

/// The rule as muster keeps it: the file's, with an end a year past today
/// (or past its first occurrence, if that is later) when it has none: a
/// series ends in muster, and importing the file again later carries it on.
fn bounded_rule(raw: &str, now: DateTime<Utc>, first: DateTime<Utc>) -> (String, Option<String>) {
    let has_end = raw.split(';').any(|part| {
        let name = part.split('=').next().unwrap_or_default().trim().to_ascii_uppercase();
        name == "COUNT" || name == "UNTIL"
    });
    if has_end {
        return (raw.to_owned(), None);
    }
    let last_day = (now.max(first) + Duration::days(OPEN_ENDED_DAYS)).date_naive();
    let until = last_day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
    (
        format!(
            "{};UNTIL={}Z",
            raw.trim().trim_end_matches(';'),
            until.format("%Y%m%dT%H%M%S")
        ),
        Some(format!(
            "repeats without end in the calendar: imported up to {}; import the file again later to carry it on",
            last_day.format("%-d %B %Y")
        )),
    )
}

/// Checks an entry whole and turns it into muster's terms; a refusal is
/// returned with the entry's name.
fn plan(
    entry: Entry,
    group_slug: &str,
    options: ImportOptions,
    now: DateTime<Utc>,
) -> std::result::Result<Planned, (String, crate::error::Error)> {
    let label = entry.label();
    let zone = entry.start.zone();
    let new = NewEvent {
        title: entry.title.clone(),
        description: entry.description.clone(),
        starts_at: entry.starts_at(),
        ends_at: entry.ends_at(),
        timezone: Some(zone.name().to_owned()),
        venue: entry.place.venue.clone(),
        address: entry.place.address.clone(),
        online_url: entry.place.online_url.clone(),
        venue_visibility: VenueVisibility::Public,
        town: None,
        postcode_area: None,
        kind: EventKind::Meeting,
        group_slug: Some(group_slug.to_owned()),
        topic_id: None,
        visibility: options.visibility,
        capacity: None,
    };
    // The group is known to exist: any id satisfies the members-only check.
    if let Err(error) = events::check_new(&new, Some(Uuid::nil())) {
        return Err((label, error));
    }
    let Some(raw_rule) = entry.rrule.clone() else {
        return Ok(Planned {
            entry,
            new,
            rrule: None,
            exceptions: Vec::new(),
            note: None,
        });
    };
    let (rrule, note) = bounded_rule(&raw_rule, now, new.starts_at);
    let timing = match series::check_timing(zone.name(), new.starts_at, new.ends_at, &rrule) {
        Ok(timing) => timing,
        Err(error) => return Err((label, error)),
    };
    let (exceptions, note) = match exceptions_of(&entry, &timing, note) {
        Ok(found) => found,
        Err(error) => return Err((label, error)),
    };
    Ok(Planned {
        entry,
        new,
        rrule: Some(rrule),
        exceptions,
        note,
    })
}

/// The file's EXDATEs and changed occurrences as exceptions keyed by the
/// occurrence's start by the rule.
fn exceptions_of(
    entry: &Entry,
    timing: &Timing,
    mut note: Option<String>,
) -> Result<(Vec<WantedException>, Option<String>)> {
    let made: HashMap<DateTime<Utc>, (DateTime<Utc>, DateTime<Utc>)> = timing
        .expand()?
        .into_iter()
        .map(|o| (o.starts_at, (o.starts_at, o.ends_at)))
        .collect();
    let mut wanted: Vec<WantedException> = Vec::new();
    let mut seen = HashSet::new();
    for exdate in &entry.exdates {
        let original = exdate.instant();
        if made.contains_key(&original) && seen.insert(original) {
            wanted.push(WantedException {
                original_starts_at: original,
                removed: true,
                ..Default::default()
            });
        }
    }
    let mut strays = 0;
    for change in &entry.overrides {
        let original = change.original.instant();
        let Some(&(starts_at, ends_at)) = made.get(&original) else {
            strays += 1;
            continue;
        };
        if !seen.insert(original) {
            continue;
        }
        let differs = |value: &Option<String>, base: &Option<String>| (value != base).then(|| value.clone()).flatten();
        let probe = NewEvent {
            title: change.title.clone(),
            description: change.description.clone(),
            starts_at: change.starts_at,
            ends_at: change.ends_at,
            timezone: Some(timing.zone.name().to_owned()),
            venue: change.place.venue.clone(),
            address: change.place.address.clone(),
            online_url: change.place.online_url.clone(),
            venue_visibility: VenueVisibility::Public,
            town: None,
            postcode_area: None,
            kind: EventKind::Meeting,
            group_slug: None,
            topic_id: None,
            visibility: EventVisibility::Public,
            capacity: None,
        };
        events::check_new(&probe, None)?;
        let moved = change.starts_at != starts_at || change.ends_at != ends_at;
        wanted.push(WantedException {
            original_starts_at: original,
            removed: false,
            cancelled: change.cancelled,
            starts_at: moved.then_some(change.starts_at),
            ends_at: moved.then_some(change.ends_at),
            title: (change.title != entry.title).then(|| change.title.clone()),
            description: (change.description != entry.description).then(|| change.description.clone()),
            venue: differs(&change.place.venue, &entry.place.venue),
            address: differs(&change.place.address, &entry.place.address),
            online_url: differs(&change.place.online_url, &entry.place.online_url),
        });
    }
    if entry.cancelled {
        // The whole series is cancelled in the calendar: each occurrence.
        for (&original, _) in made.iter() {
            if seen.insert(original) {
                wanted.push(WantedException {
                    original_starts_at: original,
                    cancelled: true,
                    ..Default::default()
                });
            }
        }
        for want in &mut wanted {
            want.cancelled = !want.removed;
        }
    }
    if strays > 0 {
        let said = format!("{strays} changed occurrence(s) in the file fall on no date of the rule and were left out");
        note = Some(match note {
            Some(before) => format!("{before}; {said}"),
            None => said,
        });
    }
    wanted.sort_by_key(|w| w.original_starts_at);
    Ok((wanted, note))
}

fn imported(item: &Planned, occurrences: usize, event_id: Option<Uuid>) -> ImportedEntry {
    ImportedEntry {
        uid: item.entry.uid.clone(),
        title: item.new.title.clone(),
        starts_at: item.new.starts_at,
        ends_at: item.new.ends_at,
        occurrences,
        event_id,
        recurring: item.rrule.is_some(),
        note: item.note.clone(),
    }
}

async fn import_single(
    work: &Work,
    viewer: &Viewer,
    item: Planned,
    found: Option<event::Model>,
    report: &mut ImportReport,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(existing) = found else {
        if item.entry.cancelled {
            report
                .skipped
                .push(skipped(&item.entry, "cancelled in the calendar, so it is not imported"));
            return Ok(());
        }
        let created = events::create_event(work, viewer, item.new.clone(), now).await?;
        event::Entity::update_many()
            .col_expr(event::Column::ImportUid, Expr::val(item.entry.uid.clone()))
            .filter(event::Column::Id.eq(created.id))
            .exec(work)
            .await?;
        report.created.push(imported(&item, 1, Some(created.id)));
        return Ok(());
    };
    if existing.status == EventStatus::Cancelled {
        if item.entry.cancelled {
            report.unchanged.push(imported(&item, 1, Some(existing.id)));
        } else {
            report.skipped.push(skipped(
                &item.entry,
                "cancelled in muster; an import does not bring it back",
            ));
        }
        return Ok(());
    }
    if item.entry.cancelled {
        events::cancel_event(work, viewer, existing.id, now).await?;
        report.updated.push(imported(&item, 1, Some(existing.id)));
        return Ok(());
    }
    let changes = single_changes(&existing, &item.new);
    if changes_nothing(&changes) {
        report.unchanged.push(imported(&item, 1, Some(existing.id)));
    } else {
        events::update_event(work, viewer, existing.id, changes, now).await?;
        report.updated.push(imported(&item, 1, Some(existing.id)));
    }
    Ok(())
}

/// What the file changes of an event: only the fields a calendar file
/// carries.
fn single_changes(existing: &event::Model, new: &NewEvent) -> EventChanges {
    fn changed<T: PartialEq + Clone>(now: &T, wanted: &T) -> Option<T> {
        (now != wanted).then(|| wanted.clone())
    }
    EventChanges {
        title: changed(&existing.title, &new.title),
        description: changed(&existing.description, &new.description),
        starts_at: changed(&existing.starts_at, &new.starts_at),
        ends_at: changed(&existing.ends_at, &new.ends_at),
        timezone: new.timezone.as_ref().and_then(|zone| changed(&existing.timezone, zone)),
        venue: changed(&existing.venue, &new.venue),
        address: changed(&existing.address, &new.address),
        online_url: changed(&existing.online_url, &new.online_url),
        ..Default::default()
    }
}

fn changes_nothing(changes: &EventChanges) -> bool {
    changes.title.is_none()
        && changes.description.is_none()
        && changes.starts_at.is_none()
        && changes.ends_at.is_none()
        && changes.timezone.is_none()
        && changes.venue.is_none()
        && changes.address.is_none()
        && changes.online_url.is_none()
}

async fn import_series(
    work: &Work,
    viewer: &Viewer,
    item: Planned,
    found: Option<event_series::Model>,
    report: &mut ImportReport,
    now: DateTime<Utc>,
) -> Result<()> {
    let rrule = item.rrule.clone().unwrap_or_default();
    let Some(existing) = found else {
        if item.entry.cancelled {
            report
                .skipped
                .push(skipped(&item.entry, "cancelled in the calendar, so it is not imported"));
            return Ok(());
        }
        let (created, _) = series::create_series_from(
            work,
            viewer,
            NewSeries {
                event: item.new.clone(),
                rrule,
            },
            Some(item.entry.uid.clone()),
            &item.exceptions,
            now,
        )
        .await?;
        let rows = series::occurrences(work, created.id).await?;
        let first = rows
            .iter()
            .find(|r| r.status == EventStatus::Scheduled)
            .or(rows.first());
        report.created.push(imported(&item, rows.len(), first.map(|r| r.id)));
        return Ok(());
    };
    let timing = series::timing_of(&existing)?;
    let wanted_rule = Rule::parse(&rrule, timing.zone)?.to_rrule();
    let (local_start, local_end) = (
        item.new.starts_at.with_timezone(&item.entry.start.zone()).naive_local(),
        item.new.ends_at.with_timezone(&item.entry.start.zone()).naive_local(),
    );
    let fields_differ = existing.title != item.new.title
        || existing.description != item.new.description
        || Some(&existing.timezone) != item.new.timezone.as_ref()
        || existing.local_starts_at != local_start
        || existing.local_ends_at != local_end
        || existing.rrule != wanted_rule
        || existing.venue != item.new.venue
        || existing.address != item.new.address
        || existing.online_url != item.new.online_url;
    let mut changed = false;
    let mut current = existing.clone();
    if fields_differ {
        let changes = SeriesChanges {
            event: EventChanges {
                title: Some(item.new.title.clone()),
                description: Some(item.new.description.clone()),
                starts_at: Some(item.new.starts_at),
                ends_at: Some(item.new.ends_at),
                timezone: item.new.timezone.clone(),
                venue: Some(item.new.venue.clone()),
                address: Some(item.new.address.clone()),
                online_url: Some(item.new.online_url.clone()),
                ..Default::default()
            },
            rrule: Some(rrule),
        };
        current = series::update_series(work, viewer, existing.id, Scope::All, changes, now)
            .await?
            .0;
        changed = true;
    }
    changed |= series::set_exceptions(work, viewer.user_id(), &current, &item.exceptions, now).await?;
    let rows = series::occurrences(work, current.id).await?;
    let first = rows
        .iter()
        .find(|r| r.status == EventStatus::Scheduled)
        .or(rows.first());
    let entry = imported(&item, rows.len(), first.map(|r| r.id));
    if changed {
        report.updated.push(entry);
    } else {
        report.unchanged.push(entry);
    }
    Ok(())
}
