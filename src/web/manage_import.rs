//! `/groups/{slug}/manage/import`: an organiser uploads the group's
//! calendar file, sees what importing it would do (a dry run through the
//! same domain import as `importEvents`), and imports it with one more
//! click. The file comes back with the preview inside its form, so the
//! confirmation imports exactly what was previewed and nothing is kept on
//! the server in between.

use askama::Template;
use futures_util::stream;
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use super::{
    Nav, Place,
    manage::{Managed, Shell, Tab, base, enter, failed, private_page, token},
    message,
    view::when,
};
use crate::{
    AppState,
    domain::{
        begin,
        calendar_import::{self, ImportOptions, ImportReport, ImportedEntry, MAX_ICS_BYTES},
        commit,
    },
    error::{Error, Result},
};
use entity::EventVisibility;

/// The form's own fields beside the file.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

/// A line of the report.
pub struct ReportRow {
    pub title: String,
    pub when: String,
    pub detail: Option<String>,
    pub page_path: Option<String>,
}

/// One part of the report: what was (or would be) added, changed, …
pub struct ReportPart {
    pub id: &'static str,
    pub heading: String,
    pub rows: Vec<ReportRow>,
}

#[derive(Template)]
#[template(path = "manage_import.html")]
struct ImportPage {
    nav: Nav,
    shell: Shell,
    csrf_token: String,
    action: String,
    events_path: String,
    problems: Vec<String>,
    /// After a preview: the file, for the confirmation to send again.
    previewed: Option<String>,
    public: bool,
    /// Whether the report is of an import done (else of a preview).
    done: bool,
    parts: Vec<ReportPart>,
    max_mib: usize,
}

impl ImportPage {
    fn new(managed: &Managed, token: String) -> Self {
        let slug = &managed.group.slug;
        ImportPage {
            nav: Nav::at(Place::Groups),
            shell: Shell::of(&managed.group, Tab::Events),
            csrf_token: token,
            action: format!("{}/import", base(slug)),
            events_path: format!("{}/events", base(slug)),
            problems: Vec::new(),
            previewed: None,
            public: false,
            done: false,
            parts: Vec::new(),
            max_mib: MAX_ICS_BYTES / (1024 * 1024),
        }
    }
}

fn rows(entries: Vec<ImportedEntry>, link: bool) -> Vec<ReportRow> {
    entries
        .into_iter()
        .map(|entry| {
            let repeats = entry
                .recurring
                .then(|| format!("repeats: {} occurrences", entry.occurrences));
            let detail = match (repeats, entry.note) {
                (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                (a, b) => a.or(b),
            };
            ReportRow {
                title: entry.title,
                when: when(entry.starts_at, entry.ends_at),
                detail,
                page_path: link
                    .then_some(entry.event_id)
                    .flatten()
                    .map(|id| format!("/events/{id}")),
            }
        })
        .collect()
}

fn parts(report: ImportReport, done: bool) -> Vec<ReportPart> {
    let (added, changed) = if done {
        ("Added", "Changed")
    } else {
        ("Would be added", "Would be changed")
    };
    let mut parts = vec![
        ReportPart {
            id: "added",
            heading: format!("{added} ({})", report.created.len()),
            rows: rows(report.created, done),
        },
        ReportPart {
            id: "changed",
            heading: format!("{changed} ({})", report.updated.len()),
            rows: rows(report.updated, true),
        },
        ReportPart {
            id: "unchanged",
            heading: format!("Already up to date ({})", report.unchanged.len()),
            rows: rows(report.unchanged, true),
        },
        ReportPart {
            id: "skipped",
            heading: format!("Not imported ({})", report.skipped.len()),
            rows: report
                .skipped
                .into_iter()
                .map(|s| ReportRow {
                    title: s.title,
                    when: when(s.starts_at, s.ends_at),
                    detail: Some(s.reason),
                    page_path: None,
                })
                .collect(),
        },
        ReportPart {
            id: "missing",
            heading: format!(
                "Imported before, not in this file ({}): left as they are",
                report.missing_from_file.len()
            ),
            rows: rows(report.missing_from_file, true),
        },
    ];
    parts.retain(|p| !p.rows.is_empty());
    parts
}

/// `GET /groups/{slug}/manage/import`
#[handler]
pub async fn import_page(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>) -> Response {
    let path = format!("{}/import", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    match token(state) {
        Ok(token) => {
            let view = ImportPage::new(&managed, token);
            private_page(state, &managed.group.slug, StatusCode::OK, &view, &view.csrf_token)
        }
        Err(err) => failed(err),
    }
}

/// What the form sent.
#[derive(Default)]
struct Sent {
    csrf: Option<String>,
    /// The file uploaded, or the one sent back by the confirmation.
    ics: Option<String>,
    public: bool,
    import: bool,
}

/// Reads the multipart form from a body already bounded in size.
async fn read_form(req: &Request, bytes: bytes::Bytes) -> std::result::Result<Sent, &'static str> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| "The form was not sent as a file upload.")?;
    let body = stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut form = multer::Multipart::new(body, boundary);
    let mut sent = Sent::default();
    let unreadable = "The form could not be read. Please choose the file again.";
    while let Some(field) = form.next_field().await.map_err(|_| unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        let data = field.bytes().await.map_err(|_| unreadable)?;
        let text = || String::from_utf8(data.to_vec()).map_err(|_| "The file is not text: a calendar file (.ics) is.");
        match name.as_str() {
            "csrf" => sent.csrf = Some(text()?),
            "file" | "ics" if !data.is_empty() => sent.ics = Some(text()?),
            "visibility" => sent.public = data.as_ref() == b"public",
            "step" => sent.import = data.as_ref() == b"import",
            _ => {}
        }
    }
    Ok(sent)
}

/// `POST /groups/{slug}/manage/import`: a preview (dry run) or the import.
#[handler]
pub async fn import(req: &Request, Path(slug): Path<String>, Data(state): Data<&AppState>, body: Body) -> Response {
    let Ok(bytes) = body.into_bytes_limit(MAX_ICS_BYTES + FORM_OVERHEAD_BYTES).await else {
        return message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The file is too large",
            &format!(
                "muster imports calendar files of up to {} MiB. Export a shorter span of the calendar and try again; nothing was imported.",
                MAX_ICS_BYTES / (1024 * 1024)
            ),
        );
    };
    let sent = read_form(req, bytes).await;
    let csrf = sent.as_ref().ok().and_then(|s| s.csrf.as_deref());
    if state.csrf.check(req, &state.urls, csrf, state.clock.now()).is_err() {
        return message(
            StatusCode::FORBIDDEN,
            "The form could not be accepted",
            "It was open for too long, or was sent from another site. Please open the form again and send it from there; nothing was imported.",
        );
    }
    let path = format!("{}/import", base(&slug));
    let managed = match enter(req, state, &slug, &path).await {
        Ok(managed) => managed,
        Err(answer) => return answer,
    };
    let token = match token(state) {
        Ok(token) => token,
        Err(err) => return failed(err),
    };
    let mut view = ImportPage::new(&managed, token);
    let sent = match sent {
        Ok(sent) => sent,
        Err(said) => {
            view.problems.push(said.to_owned());
            return private_page(state, &slug, StatusCode::BAD_REQUEST, &view, &view.csrf_token.clone());
        }
    };
    view.public = sent.public;
    let Some(ics) = sent.ics else {
        view.problems
            .push("Choose the calendar file (.ics) to import.".to_owned());
        return private_page(state, &slug, StatusCode::BAD_REQUEST, &view, &view.csrf_token.clone());
    };
    match run(state, &managed, &ics, sent.public, sent.import).await {
        Ok(report) => {
            view.done = sent.import;
            view.parts = parts(report, sent.import);
            if !sent.import {
                // Sent back for the confirmation, without the attendees,
                // organisers and private entries the import never takes.
                view.previewed = Some(calendar_import::without_personal_parts(&ics));
            }
            private_page(state, &slug, StatusCode::OK, &view, &view.csrf_token.clone())
        }
        Err(Error::Validation(problems)) => {
            view.problems = problems.into_iter().map(|p| p.message).collect();
            private_page(
                state,
                &slug,
                StatusCode::UNPROCESSABLE_ENTITY,
                &view,
                &view.csrf_token.clone(),
            )
        }
        Err(err) => failed(err),
    }
}

/// The domain import: committed, or for a preview rolled back.
async fn run(state: &AppState, managed: &Managed, ics: &str, public: bool, for_real: bool) -> Result<ImportReport> {
    let options = ImportOptions {
        visibility: if public {
            EventVisibility::Public
        } else {
            EventVisibility::Members
        },
    };
    let work = begin(&state.db).await?;
    let report = calendar_import::import_events(
        &work,
        &managed.viewer,
        &managed.group.slug,
        ics,
        options,
        state.clock.now(),
    )
    .await?;
    if for_real {
        commit(work).await?;
    }
    Ok(report)
}
