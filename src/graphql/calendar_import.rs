//! Importing a group's existing calendar (`importEvents`), its dry run
//! included: the import runs in a unit of work either way, and a dry run's
//! is rolled back, so what it reports is what the import would do.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    domain::{
        begin,
        calendar_import::{self, ImportOptions, ImportReport, ImportedEntry, SkippedEntry},
        commit,
    },
    graphql::{
        context::{db, now, viewer},
        error::ApiResult,
        types::GqlEventVisibility,
    },
};

/// An entry of the calendar file, as the import left it.
#[derive(SimpleObject)]
pub struct ImportedEvent {
    /// The entry's UID in the file (with the occurrence's start after a `/`
    /// for a changed occurrence whose series the file does not hold).
    pub uid: String,
    /// Its title (SUMMARY).
    pub title: String,
    /// The event's start, or a series' first occurrence's.
    pub starts_at: DateTime<Utc>,
    /// Its end.
    pub ends_at: DateTime<Utc>,
    /// Whether it repeats (a series in muster).
    pub recurring: bool,
    /// How many events it is in muster: 1, or a series' occurrences.
    pub occurrences: i32,
    /// The event, or a series' first occurrence still on; none in a dry
    /// run for an event it would create.
    pub event_id: Option<ID>,
    /// Something to know, e.g. how far a rule without end was imported.
    pub note: Option<String>,
}

/// An entry of the file that was not imported.
#[derive(SimpleObject)]
pub struct SkippedImportEvent {
    /// The entry's UID in the file.
    pub uid: String,
    /// Its title (SUMMARY); for an entry marked private, only "A private
    /// entry".
    pub title: String,
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// Why: private in the calendar, cancelled there, or cancelled in muster.
    pub reason: String,
}

/// What an import did, or in a dry run would do.
#[derive(SimpleObject)]
pub struct ImportEventsResult {
    /// Whether this was a dry run: then nothing was written.
    pub dry_run: bool,
    /// Entries new to the group: created (or, in a dry run, to be).
    pub created: Vec<ImportedEvent>,
    /// Entries imported before that the file changed: updated in place.
    pub updated: Vec<ImportedEvent>,
    /// Entries imported before, as the file has them.
    pub unchanged: Vec<ImportedEvent>,
    /// Entries of the file not imported, each with the reason.
    pub skipped: Vec<SkippedImportEvent>,
    /// Events imported from a file before that this file no longer holds.
    /// They are left as they are: cancel them in muster if they are off.
    pub missing_from_file: Vec<ImportedEvent>,
}

fn entry(found: ImportedEntry, dry_run: bool) -> ImportedEvent {
    ImportedEvent {
        uid: found.uid,
        title: found.title,
        starts_at: found.starts_at,
        ends_at: found.ends_at,
        recurring: found.recurring,
        occurrences: i32::try_from(found.occurrences).unwrap_or(i32::MAX),
        event_id: (!dry_run)
            .then_some(found.event_id)
            .flatten()
            .map(|id| ID(id.to_string())),
        note: found.note,
    }
}

fn skipped(found: SkippedEntry) -> SkippedImportEvent {
    SkippedImportEvent {
        uid: found.uid,
        title: found.title,
        starts_at: found.starts_at,
        ends_at: found.ends_at,
        reason: found.reason,
    }
}

impl ImportEventsResult {
    fn new(report: ImportReport, dry_run: bool) -> Self {
        let list = |found: Vec<ImportedEntry>| found.into_iter().map(|e| entry(e, dry_run)).collect();
        // Ids of what exists before and after are real in a dry run too.
        let kept = |found: Vec<ImportedEntry>| found.into_iter().map(|e| entry(e, false)).collect();
        ImportEventsResult {
            dry_run,
            created: list(report.created),
            updated: kept(report.updated),
            unchanged: kept(report.unchanged),
            skipped: report.skipped.into_iter().map(skipped).collect(),
            missing_from_file: kept(report.missing_from_file),
        }
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports a calendar file (`.ics`, as Google Calendar, Thunderbird or
    /// Outlook export it) into a group's events. Group organisers for their
    /// group; coordinators and admins for any. Entries are matched by UID,
    /// so importing the same file again updates instead of doubling; events
    /// imported before that the file no longer holds are listed in
    /// `missingFromFile`, not deleted. Entries marked private in the
    /// calendar are skipped; attendees and organisers are never read. A
    /// file that is not iCalendar, holds more than 2,000 events, names a
    /// time zone muster does not know or a rule outside what series support
    /// is refused with `BAD_USER_INPUT`, each problem naming its event, and
    /// nothing is written. The request's size is bounded by the server's
    /// body limit (`MUSTER_MAX_BODY_BYTES`); the organisers' import page
    /// takes files up to 2 MiB.
    async fn import_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group the events are for.")] group_slug: String,
        #[graphql(desc = "The file's text.")] ics: String,
        #[graphql(default = false, desc = "Report what would change and write nothing.")] dry_run: bool,
        #[graphql(
            default_with = "GqlEventVisibility::Members",
            desc = "Who may see the events created (a file does not say); those updated keep theirs."
        )]
        visibility: GqlEventVisibility,
    ) -> ApiResult<ImportEventsResult> {
        let options = ImportOptions {
            visibility: visibility.into(),
        };
        let work = begin(db(ctx)).await?;
        let report = calendar_import::import_events(&work, viewer(ctx), &group_slug, &ics, options, now(ctx)).await?;
        if !dry_run {
            commit(work).await?;
        }
        Ok(ImportEventsResult::new(report, dry_run))
    }
}
