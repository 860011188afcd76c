//! `/admin`, the admins' tools: find an account by email (each lookup
//! that finds one is an audited read), change its role (which ends the
//! person's sessions), erase it after a confirmation step, and read the
//! audit trail filtered as the API's `auditLog` is.
//!
//! Every step calls the same domain function as the API, which asks the
//! policy: anonymous visitors are sent to sign in, anyone else who is not
//! an admin gets the 403 page in words. An email is only ever sent in a
//! form's body, never in an address, so it stays out of access logs.

use askama::Template;
use chrono::{DateTime, Utc};
use entity::UserRole;
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Nav, Place,
    account::read_form,
    csrf::CsrfKey,
    internal, message, not_found_page, page, refusal,
    signin::{see_other, viewer_of},
    view::{uk_time, uk_time_entered},
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        accounts::{self, AccountKey},
        audit::{self, AuditFilter},
        in_work,
        notifications::outbox,
        privacy,
    },
    error::{Error, Result},
};

const BASE: &str = "/admin";
/// Recorded as the operation of what these pages read and change.
const OPERATION: &str = "adminPage";
/// How many audit entries the trail shows at once.
const TRAIL: u64 = 100;

const ROLES: [(&str, UserRole, &str); 3] = [
    ("SUPPORTER", UserRole::Supporter, "Supporter"),
    ("COORDINATOR", UserRole::Coordinator, "Coordinator"),
    ("ADMIN", UserRole::Admin, "Admin"),
];

fn to_sign_in() -> Response {
    see_other(&format!("/signin?next={BASE}"), None)
}

fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "These pages are for the network's admins",
        "Only admins can look up accounts, change roles and read the audit trail. If you need something changed, ask one of the network's admins.",
    )
}

/// An admin, or the answer for anyone else.
async fn enter(req: &Request, state: &AppState) -> Result<Viewer, Response> {
    let viewer = viewer_of(req, state).await.map_err(internal)?;
    if viewer.user_id().is_none() {
        return Err(to_sign_in());
    }
    if !viewer.is_admin() {
        return Err(forbidden());
    }
    Ok(viewer)
}

fn failed(err: Error) -> Response {
    match err {
        Error::NotFound => not_found_page(),
        Error::Forbidden => forbidden(),
        Error::Unauthenticated => to_sign_in(),
        err => internal(err),
    }
}

fn private_page(state: &AppState, status: StatusCode, view: &impl Template, token: &str) -> Response {
    let mut response = page(status, view);
    let cookie = CsrfKey::cookie_header_at(token, state.urls.is_secure(), BASE);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Ok(value) = "private, no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

pub struct EntryView {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub subject: String,
    pub operation: String,
}

pub struct ActionChoice {
    pub value: &'static str,
    pub selected: bool,
}

#[derive(Deserialize, Default)]
pub struct TrailQuery {
    action: Option<String>,
    actor: Option<String>,
    subject: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    nav: Nav,
    csrf_token: String,
    notice: Option<String>,
    find_error: Option<String>,
    email: String,
    actions: Vec<ActionChoice>,
    actor: String,
    subject: String,
    since: String,
    until: String,
    filter_error: Option<String>,
    entries: Vec<EntryView>,
    /// Messages the outbox gave up on.
    failed_messages: u64,
}

/// The filter as typed, read into the domain's, or the refusal in words.
fn read_filter(query: &TrailQuery) -> Result<AuditFilter> {
    let id = |field: &str, raw: &Option<String>| -> Result<Option<Uuid>> {
        match raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => Ok(None),
            Some(raw) => Uuid::parse_str(raw)
                .map(Some)
                .map_err(|_| Error::validation(field, "must be an account's id, as the trail shows it")),
        }
    };
    let time = |field: &str, raw: &Option<String>| -> Result<Option<DateTime<Utc>>> {
        match raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => Ok(None),
            Some(raw) => uk_time_entered(raw)
                .map(Some)
                .map_err(|why| Error::validation(field, format!("{field} {why}"))),
        }
    };
    let action = match query.action.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(raw) => Some(audit::action_from_input(raw)?),
    };
    Ok(AuditFilter {
        actor_id: id("actor", &query.actor)?,
        subject_id: id("subject", &query.subject)?,
        action,
        since: time("since", &query.since)?,
        until: time("until", &query.until)?,
    })
}

async fn render_admin(
    state: &AppState,
    viewer: &Viewer,
    query: &TrailQuery,
    notice: Option<String>,
    find: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response> {
    let (entries, filter_error) = match read_filter(query) {
        Ok(filter) => match audit::audit_log(&state.db, viewer, &filter, None, TRAIL).await {
            Ok(page) => (page.rows, None),
            Err(err @ Error::Validation(_)) => (Vec::new(), refusal::in_words(&err)),
            Err(err) => return Err(err),
        },
        Err(err) => (Vec::new(), refusal::in_words(&err)),
    };
    let ids: Vec<Uuid> = entries
        .iter()
        .flat_map(|e| [e.actor_id, e.subject_id])
        .flatten()
        .collect();
    let names = privacy::names_of(&state.db, &ids).await?;
    let who = |id: Option<Uuid>| match id {
        Some(id) => format!("{} ({id})", privacy::actor_name(&names, Some(id))),
        None => "the system".to_owned(),
    };
    let failed_messages = outbox::failed_count(&state.db, viewer).await?;
    let csrf_token = state.csrf.issue(state.clock.now())?;
    let chosen = query.action.as_deref().unwrap_or_default();
    let (email, find_error) = find.map_or((String::new(), None), |(email, error)| (email, Some(error)));
    let text = |raw: &Option<String>| raw.clone().unwrap_or_default();
    let view = AdminPage {
        nav: Nav::at(Place::Admin),
        csrf_token: csrf_token.clone(),
        notice,
        find_error,
        email,
        actions: audit::action_names()
            .map(|name| ActionChoice {
                value: name,
                selected: name == chosen,
            })
            .collect(),
        actor: text(&query.actor),
        subject: text(&query.subject),
        since: text(&query.since),
        until: text(&query.until),
        filter_error: filter_error.clone(),
        failed_messages,
        entries: entries
            .iter()
            .map(|e| EntryView {
                at: uk_time(e.created_at),
                actor: who(e.actor_id),
                action: audit::in_words(&e.action, audit::TrailReader::Admin),
                subject: e.subject_id.map(|id| who(Some(id))).unwrap_or_default(),
                operation: e.operation.clone(),
            })
            .collect(),
    };
    let status = if filter_error.is_some() && status == StatusCode::OK {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    Ok(private_page(state, status, &view, &csrf_token))
}

/// `GET /admin`: the lookup form and the audit trail, filtered by the
/// address's `action`, `actor`, `subject`, `since` and `until`.
#[handler]
pub async fn admin_page(req: &Request, Query(query): Query<TrailQuery>, Data(state): Data<&AppState>) -> Response {
    let viewer = match enter(req, state).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let notice = match req.uri().query() {
        Some("done=erased") => Some("The account was erased.".to_owned()),
        Some("done=retried") => Some("The messages that could not be sent are back in the queue.".to_owned()),
        _ => None,
    };
    render_admin(state, &viewer, &query, notice, None, StatusCode::OK)
        .await
        .unwrap_or_else(failed)
}

pub struct RoleChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin_account.html")]
struct AccountPage {
    nav: Nav,
    csrf_token: String,
    notice: Option<String>,
    error: Option<String>,
    id: String,
    name: String,
    email: String,
    role: &'static str,
    since: String,
    roles: Vec<RoleChoice>,
}

fn role_label(role: UserRole) -> &'static str {
    ROLES
        .iter()
        .find(|(_, r, _)| *r == role)
        .map_or("Supporter", |(_, _, l)| l)
}

async fn render_account(
    state: &AppState,
    viewer: &Viewer,
    key: AccountKey<'_>,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Result<Option<Response>> {
    let now = state.clock.now();
    let Some(account) = accounts::look_up(&state.db, viewer, key, OPERATION, now).await? else {
        return Ok(None);
    };
    let csrf_token = state.csrf.issue(now)?;
    let (status, error) = error.map_or((StatusCode::OK, None), |(s, e)| (s, Some(e)));
    let view = AccountPage {
        nav: Nav::at(Place::Admin),
        csrf_token: csrf_token.clone(),
        notice,
        error,
        id: account.id.to_string(),
        name: account.display_name.clone().unwrap_or_default(),
        email: account.email.clone().unwrap_or_default(),
        role: role_label(account.role),
        since: uk_time(account.created_at),
        roles: ROLES
            .iter()
            .map(|(value, role, label)| RoleChoice {
                value,
                label,
                selected: *role == account.role,
            })
            .collect(),
    };
    Ok(Some(private_page(state, status, &view, &csrf_token)))
}

#[derive(Deserialize)]
pub struct IdQuery {
    id: Option<String>,
    done: Option<String>,
}

/// `GET /admin/account?id=…`: an account found before, by its id.
#[handler]
pub async fn account_page(req: &Request, Query(query): Query<IdQuery>, Data(state): Data<&AppState>) -> Response {
    let viewer = match enter(req, state).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Some(id) = query.id.as_deref().and_then(|id| Uuid::parse_str(id.trim()).ok()) else {
        return not_found_page();
    };
    let notice = (query.done.as_deref() == Some("role"))
        .then(|| "The role was changed, and every session of the account was ended.".to_owned());
    match render_account(state, &viewer, AccountKey::Id(id), notice, None).await {
        Ok(Some(page)) => page,
        Ok(None) => not_found_page(),
        Err(err) => failed(err),
    }
}

/// `POST /admin/account` with `email`: finds the account, or says that
/// none has that address, on the admin page.
#[handler]
pub async fn find_account(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let viewer = match enter(req, state).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let email = fields.get("email").cloned().unwrap_or_default();
    let found = render_account(state, &viewer, AccountKey::Email(&email), None, None).await;
    let (status, words) = match found {
        Ok(Some(page)) => return page,
        Ok(None) => (StatusCode::NOT_FOUND, "No account has this email address.".to_owned()),
        Err(err) => match refusal::in_words(&err) {
            Some(words) => (refusal::status(&err), words),
            None => return failed(err),
        },
    };
    render_admin(
        state,
        &viewer,
        &TrailQuery::default(),
        None,
        Some((email, words)),
        status,
    )
    .await
    .unwrap_or_else(failed)
}

fn id_of(fields: &std::collections::HashMap<String, String>) -> Option<Uuid> {
    fields.get("id").and_then(|id| Uuid::parse_str(id.trim()).ok())
}

/// `POST /admin/account/role` with `id` and `role`.
#[handler]
pub async fn set_role(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let viewer = match enter(req, state).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Some(id) = id_of(&fields) else {
        return not_found_page();
    };
    let chosen = fields.get("role").map(String::as_str).unwrap_or_default();
    let role = ROLES.iter().find(|(value, _, _)| *value == chosen).map(|(_, r, _)| *r);
    let now = state.clock.now();
    let done = match role {
        Some(role) => {
            in_work(&state.db, async |work| {
                accounts::set_user_role(work, &viewer, id, role, OPERATION, now).await
            })
            .await
        }
        None => Err(Error::validation("role", "choose one of the roles listed")),
    };
    let refused = match done {
        Ok(_) => return see_other(&format!("{BASE}/account?id={id}&done=role"), None),
        Err(err) => match refusal::in_words(&err) {
            Some(words) => (refusal::status(&err), words),
            None => return failed(err),
        },
    };
    match render_account(state, &viewer, AccountKey::Id(id), None, Some(refused)).await {
        Ok(Some(page)) => page,
        Ok(None) => not_found_page(),
        Err(err) => failed(err),
    }
}

#[derive(Template)]
#[template(path = "admin_erase.html")]
struct ErasePage {
    nav: Nav,
    csrf_token: String,
    id: String,
    name: String,
    error: Option<String>,
}

async fn render_erase(state: &AppState, viewer: &Viewer, id: Uuid, error: Option<String>) -> Response {
    let now = state.clock.now();
    let account = match accounts::look_up(&state.db, viewer, AccountKey::Id(id), OPERATION, now).await {
        Ok(Some(account)) => account,
        Ok(None) => return not_found_page(),
        Err(err) => return failed(err),
    };
    let csrf_token = match state.csrf.issue(now) {
        Ok(token) => token,
        Err(err) => return internal(err),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = ErasePage {
        nav: Nav::at(Place::Admin),
        csrf_token: csrf_token.clone(),
        id: id.to_string(),
        name: account
            .display_name
            .clone()
            .unwrap_or_else(|| "this account".to_owned()),
        error,
    };
    private_page(state, status, &view, &csrf_token)
}

/// `GET /admin/account/erase?id=…`: asks to confirm.
#[handler]
pub async fn erase_page(req: &Request, Query(query): Query<IdQuery>, Data(state): Data<&AppState>) -> Response {
    let viewer = match enter(req, state).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Some(id) = query.id.as_deref().and_then(|id| Uuid::parse_str(id.trim()).ok()) else {
        return not_found_page();
    };
    render_erase(state, &viewer, id, None).await
}

/// `POST /admin/account/erase` with `id` and `confirm=ERASE`.
#[handler]
pub async fn erase_account(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let viewer = match enter(req, state).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Some(id) = id_of(&fields) else {
        return not_found_page();
    };
    if fields.get("confirm").map(|c| c.trim()) != Some("ERASE") {
        return render_erase(
            state,
            &viewer,
            id,
            Some("Nothing was erased: type ERASE in capitals to confirm.".to_owned()),
        )
        .await;
    }
    let now = state.clock.now();
    let done = in_work(&state.db, async |work| {
        privacy::erase_user(work, &viewer, id, OPERATION, now).await
    })
    .await;
    match done {
        Ok(()) => see_other(&format!("{BASE}?done=erased"), None),
        Err(err) => match refusal::in_words(&err) {
            Some(words) => render_erase(state, &viewer, id, Some(words)).await,
            None => failed(err),
        },
    }
}

/// `POST /admin/outbox/retry`: puts every message the outbox gave up on
/// back in the queue, as `muster outbox retry` does.
#[handler]
pub async fn retry_messages(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    if let Err(refused) = read_form(req, state, body).await {
        return refused;
    }
    let viewer = match enter(req, state).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let now = state.clock.now();
    match in_work(&state.db, async |work| {
        outbox::retry_failed_for(work, &viewer, now).await
    })
    .await
    {
        Ok(_) => see_other(&format!("{BASE}?done=retried#outbox-heading"), None),
        Err(err) => failed(err),
    }
}
