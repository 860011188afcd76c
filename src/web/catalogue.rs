//! `/desk/topics` and `/desk/trainers`, the coordinators' catalogue: the
//! topics workshops and talks are about (add one, change one, take one out
//! of the catalogue), the trainers with what they cover and how busy they
//! are this month, and one person's trainer profile (their topics, regions
//! and monthly cap), which makes them a trainer when they were not.
//!
//! The pages are the desk's: the same door (`desk::enter`: anonymous
//! visitors to sign in, anyone but staff a 403 in words), the same
//! anti-forgery token and private caching. Every step calls the domain
//! function the API calls (`topics::create`/`update`/`archive`,
//! `trainers::set_profile`), which asks the policy again and records what
//! must be recorded; finding a person by email goes through the recorded
//! look-up (`accounts::look_up_trainer`), and the address is only ever in
//! a form's body, never in an address. A refusal is said beside its field,
//! with what was typed kept.

use std::collections::HashMap;

use askama::Template;
use poem::{
    Body, Request, Response, handler,
    http::StatusCode,
    web::{Data, Path},
};
use uuid::Uuid;

use super::{
    Nav, Place,
    desk::{enter, failed, field, private_page, read_pairs, token},
    internal, not_found_page, refusal,
    requests::Field,
    signin::see_other,
    view::when,
};
use crate::{
    AppState,
    auth::Viewer,
    domain::{
        accounts, in_work, roster,
        topics::{self, NewTopic, TopicChanges},
        trainers::{self, ProfileInput},
    },
    error::{Error, Result},
};

const TOPICS: &str = "/desk/topics";
const TRAINERS: &str = "/desk/trainers";
/// Recorded as the operation of the look-ups and profile changes here.
const OPERATION: &str = "deskTrainersPage";
/// The cap a new trainer's form starts from (as `create-user --trainer`).
const NEW_TRAINER_CAP: i32 = 4;

fn done_notice(req: &Request) -> Option<&'static str> {
    match req.uri().query() {
        Some("done=created") => Some("The topic is in the catalogue."),
        Some("done=saved") => Some("Saved."),
        Some("done=archived") => Some("The topic is out of the catalogue; requests and events about it keep it."),
        _ => None,
    }
}

/// The refusal's status and words, or `None` for what the page answers
/// otherwise (not found, our own failure).
fn refused(err: &Error) -> Option<(StatusCode, String)> {
    refusal::in_words(err).map(|words| (refusal::status(err), words))
}

fn entered(value: &str, errors: &HashMap<String, String>, name: &str) -> Field {
    Field {
        value: value.to_owned(),
        error: errors.get(name).cloned(),
    }
}

/// A typed number of minutes; one that is not a number is passed on as 0,
/// which the domain refuses with the other fields' problems, and worded
/// here as what it is.
fn minutes_typed(raw: &str) -> (i32, bool) {
    match raw.trim().parse::<i32>() {
        Ok(minutes) => (minutes, true),
        Err(_) => (0, false),
    }
}

fn field_errors(err: &Error, minutes_number: bool) -> HashMap<String, String> {
    let mut errors = refusal::by_field(err);
    if !minutes_number {
        errors.insert(
            "typicalDurationMinutes".to_owned(),
            "must be a whole number of minutes, such as 90".to_owned(),
        );
    }
    errors
}

// ---------------------------------------------------------------------
// The topic catalogue

pub struct TopicRow {
    pub name: String,
    pub slug: String,
    pub minutes: i32,
    pub path: String,
    pub archived: Option<String>,
}

/// The new-topic form, as typed.
#[derive(Default)]
struct TopicForm {
    slug: Field,
    name: Field,
    description: Field,
    minutes: Field,
}

#[derive(Template)]
#[template(path = "desk_topics.html")]
struct TopicsPage {
    nav: Nav,
    csrf_token: String,
    notice: Option<&'static str>,
    error: Option<String>,
    topics: Vec<TopicRow>,
    archived: Vec<TopicRow>,
    form: TopicForm,
}

async fn render_topics(
    state: &AppState,
    notice: Option<&'static str>,
    form: Option<(TopicForm, String)>,
    status: StatusCode,
) -> Result<Response> {
    let (current, archived): (Vec<_>, Vec<_>) = topics::list(&state.db, true)
        .await?
        .into_iter()
        .map(|t| TopicRow {
            path: format!("{TOPICS}/{}", t.id),
            archived: t.archived_at.map(super::view::uk_time),
            name: t.name,
            slug: t.slug,
            minutes: t.typical_duration_minutes,
        })
        .partition(|t| t.archived.is_none());
    let (form, error) = match form {
        Some((form, error)) => (form, Some(error)),
        None => (
            TopicForm {
                minutes: Field {
                    value: "90".to_owned(),
                    error: None,
                },
                ..TopicForm::default()
            },
            None,
        ),
    };
    let csrf_token = token(state)?;
    let view = TopicsPage {
        nav: Nav::at(Place::Desk),
        csrf_token: csrf_token.clone(),
        notice,
        error,
        topics: current,
        archived,
        form,
    };
    Ok(private_page(state, status, &view, &csrf_token))
}

/// `GET /desk/topics`
#[handler]
pub async fn topics_page(req: &Request, Data(state): Data<&AppState>) -> Response {
    if let Err(answer) = enter(req, state, TOPICS).await {
        return answer;
    }
    render_topics(state, done_notice(req), None, StatusCode::OK)
        .await
        .unwrap_or_else(failed)
}

/// `POST /desk/topics` with `slug`, `name`, `description` and
/// `typicalDurationMinutes`.
#[handler]
pub async fn create_topic(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let pairs = match read_pairs(req, state, body).await {
        Ok(pairs) => pairs,
        Err(answer) => return answer,
    };
    let viewer = match enter(req, state, TOPICS).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let typed = |name: &str| field(&pairs, name).to_owned();
    let (minutes, minutes_number) = minutes_typed(field(&pairs, "typicalDurationMinutes"));
    let new = NewTopic {
        slug: field(&pairs, "slug"),
        name: field(&pairs, "name"),
        description: field(&pairs, "description"),
        typical_duration_minutes: minutes,
    };
    let done = topics::create(&state.db, &viewer, new, state.clock.now()).await;
    let err = match done {
        Ok(_) if minutes_number => return see_other(&format!("{TOPICS}?done=created"), None),
        Ok(_) => Error::Internal(anyhow::anyhow!("a topic of 0 minutes was let through")),
        Err(err) => err,
    };
    let Some((status, words)) = refused(&err) else {
        return failed(err);
    };
    let errors = field_errors(&err, minutes_number);
    let form = TopicForm {
        slug: entered(&typed("slug"), &errors, "slug"),
        name: entered(&typed("name"), &errors, "name"),
        description: entered(&typed("description"), &errors, "description"),
        minutes: entered(&typed("typicalDurationMinutes"), &errors, "typicalDurationMinutes"),
    };
    let words = if errors.len() > 1 || !minutes_number {
        "That did not work: some answers need changing. Each is marked below.".to_owned()
    } else {
        words
    };
    render_topics(state, None, Some((form, words)), status)
        .await
        .unwrap_or_else(internal)
}

#[derive(Template)]
#[template(path = "desk_topic.html")]
struct TopicPage {
    nav: Nav,
    csrf_token: String,
    error: Option<String>,
    action: String,
    slug: String,
    archived: Option<String>,
    name: Field,
    description: Field,
    minutes: Field,
}

/// A topic's form as typed, with its field errors and the refusal's words.
struct TopicTyped<'a> {
    pairs: &'a [(String, String)],
    errors: HashMap<String, String>,
    words: String,
}

async fn render_topic(
    state: &AppState,
    id: Uuid,
    typed: Option<TopicTyped<'_>>,
    status: StatusCode,
) -> Result<Response> {
    let topic = topics::get(&state.db, id).await?;
    let csrf_token = token(state)?;
    let (name, description, minutes, error) = match typed {
        Some(TopicTyped { pairs, errors, words }) => (
            entered(field(pairs, "name"), &errors, "name"),
            entered(field(pairs, "description"), &errors, "description"),
            entered(
                field(pairs, "typicalDurationMinutes"),
                &errors,
                "typicalDurationMinutes",
            ),
            Some(words),
        ),
        None => (
            entered(&topic.name, &HashMap::new(), ""),
            entered(&topic.description, &HashMap::new(), ""),
            entered(&topic.typical_duration_minutes.to_string(), &HashMap::new(), ""),
            None,
        ),
    };
    let view = TopicPage {
        nav: Nav::at(Place::Desk),
        csrf_token: csrf_token.clone(),
        error,
        action: format!("{TOPICS}/{id}"),
        slug: topic.slug,
        archived: topic.archived_at.map(super::view::uk_time),
        name,
        description,
        minutes,
    };
    Ok(private_page(state, status, &view, &csrf_token))
}

/// `GET /desk/topics/{id}`
#[handler]
pub async fn topic_page(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>) -> Response {
    if let Err(answer) = enter(req, state, &format!("{TOPICS}/{id}")).await {
        return answer;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    render_topic(state, id, None, StatusCode::OK)
        .await
        .unwrap_or_else(failed)
}

/// `POST /desk/topics/{id}` with `action` `save` (`name`, `description`,
/// `typicalDurationMinutes`) or `archive`.
#[handler]
pub async fn topic_action(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>, body: Body) -> Response {
    let pairs = match read_pairs(req, state, body).await {
        Ok(pairs) => pairs,
        Err(answer) => return answer,
    };
    let viewer = match enter(req, state, &format!("{TOPICS}/{id}")).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    let now = state.clock.now();
    let (minutes, minutes_number) = minutes_typed(field(&pairs, "typicalDurationMinutes"));
    let (done, after) = match field(&pairs, "action") {
        "archive" => (topics::archive(&state.db, &viewer, id, now).await, "archived"),
        "save" => {
            let changes = TopicChanges {
                name: Some(field(&pairs, "name")),
                description: Some(field(&pairs, "description")),
                typical_duration_minutes: Some(minutes),
            };
            let saved = topics::update(&state.db, &viewer, id, changes, now).await.map(drop);
            match saved {
                Ok(()) if !minutes_number => (
                    Err(Error::Internal(anyhow::anyhow!("a topic of 0 minutes was let through"))),
                    "saved",
                ),
                other => (other, "saved"),
            }
        }
        _ => (Err(Error::validation("action", "choose one of the buttons")), "saved"),
    };
    let err = match done {
        Ok(()) => return see_other(&format!("{TOPICS}?done={after}"), None),
        Err(err) => err,
    };
    let Some((status, words)) = refused(&err) else {
        return failed(err);
    };
    let errors = field_errors(&err, minutes_number || field(&pairs, "action") != "save");
    let words = if errors.len() > 1 || (!minutes_number && field(&pairs, "action") == "save") {
        "That did not work: some answers need changing. Each is marked below.".to_owned()
    } else {
        words
    };
    let typed = TopicTyped {
        pairs: &pairs,
        errors,
        words,
    };
    render_topic(state, id, Some(typed), status)
        .await
        .unwrap_or_else(failed)
}

// ---------------------------------------------------------------------
// Trainers

pub struct TrainerRow {
    pub name: String,
    pub path: String,
    pub topics: String,
    pub regions: String,
    pub load: u64,
    pub cap: i32,
    pub over: bool,
    pub next_away: String,
}

#[derive(Template)]
#[template(path = "desk_trainers.html")]
struct TrainersPage {
    nav: Nav,
    csrf_token: String,
    month: String,
    trainers: Vec<TrainerRow>,
    email: String,
    find_error: Option<String>,
}

fn month_words(month: &crate::domain::requests::Span) -> String {
    month
        .starts_at
        .with_timezone(&chrono_tz::Europe::London)
        .format("%B %Y")
        .to_string()
}

fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none yet".to_owned()
    } else {
        items.join(", ")
    }
}

async fn render_trainers(
    state: &AppState,
    viewer: &Viewer,
    find: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response> {
    let now = state.clock.now();
    let roster = roster::roster(&state.db, viewer, now).await?;
    let trainers = roster
        .entries
        .iter()
        .map(|e| TrainerRow {
            name: e.trainer.person.display_name().to_owned(),
            path: format!("{TRAINERS}/{}", e.trainer.person.id),
            topics: listed(&e.topics),
            regions: listed(&e.regions),
            load: e.load,
            cap: e.trainer.monthly_cap,
            over: i64::try_from(e.load).unwrap_or(i64::MAX) >= i64::from(e.trainer.monthly_cap),
            next_away: e
                .next_away
                .map_or_else(|| "not planned".to_owned(), |a| when(a.starts_at, a.ends_at)),
        })
        .collect();
    let (email, find_error) = find.map_or((String::new(), None), |(email, error)| (email, Some(error)));
    let csrf_token = token(state)?;
    let view = TrainersPage {
        nav: Nav::at(Place::Desk),
        csrf_token: csrf_token.clone(),
        month: month_words(&roster.month),
        trainers,
        email,
        find_error,
    };
    Ok(private_page(state, status, &view, &csrf_token))
}

/// `GET /desk/trainers`
#[handler]
pub async fn trainers_page(req: &Request, Data(state): Data<&AppState>) -> Response {
    let viewer = match enter(req, state, TRAINERS).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    render_trainers(state, &viewer, None, StatusCode::OK)
        .await
        .unwrap_or_else(failed)
}

/// `POST /desk/trainers` with `email`: finds the person (a recorded read
/// of their address) and opens their trainer profile, or says on the list
/// that no account has the address.
#[handler]
pub async fn find_trainer(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let pairs = match read_pairs(req, state, body).await {
        Ok(pairs) => pairs,
        Err(answer) => return answer,
    };
    let viewer = match enter(req, state, TRAINERS).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let email = field(&pairs, "email").trim().to_owned();
    let now = state.clock.now();
    let found = accounts::look_up_trainer(&state.db, &viewer, &email, OPERATION, now).await;
    let (status, words) = match found {
        Ok(Some(person)) => return see_other(&format!("{TRAINERS}/{}", person.id), None),
        Ok(None) => (StatusCode::NOT_FOUND, "No account has this email address.".to_owned()),
        Err(err) => match refused(&err) {
            Some(refusal) => refusal,
            None => return failed(err),
        },
    };
    render_trainers(state, &viewer, Some((email, words)), status)
        .await
        .unwrap_or_else(failed)
}

pub struct TopicChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "desk_trainer.html")]
struct TrainerPage {
    nav: Nav,
    csrf_token: String,
    notice: Option<&'static str>,
    error: Option<String>,
    action: String,
    name: String,
    is_trainer: bool,
    month: String,
    load: u64,
    away: Vec<String>,
    topics: Vec<TopicChoice>,
    topics_error: Option<String>,
    regions: Field,
    cap: Field,
}

/// The profile form as typed: topics chosen, regions, cap, and why it was
/// refused.
struct ProfileTyped {
    chosen: Vec<Uuid>,
    regions: String,
    cap: String,
    err: Error,
}

async fn render_trainer(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    notice: Option<&'static str>,
    typed: Option<ProfileTyped>,
    status: StatusCode,
) -> Result<Response> {
    let sheet = roster::profile_sheet(&state.db, viewer, id, state.clock.now()).await?;
    let (chosen, regions, cap, errors, error) = match typed {
        Some(typed) => (
            typed.chosen,
            typed.regions,
            typed.cap,
            refusal::by_field(&typed.err),
            refusal::in_words(&typed.err),
        ),
        None => (
            sheet.topic_ids.clone(),
            sheet.regions.join(", "),
            sheet.monthly_cap.unwrap_or(NEW_TRAINER_CAP).to_string(),
            HashMap::new(),
            None,
        ),
    };
    let csrf_token = token(state)?;
    let view = TrainerPage {
        nav: Nav::at(Place::Desk),
        csrf_token: csrf_token.clone(),
        notice,
        error,
        action: format!("{TRAINERS}/{id}"),
        name: sheet.person.display_name().to_owned(),
        is_trainer: sheet.monthly_cap.is_some(),
        month: month_words(&sheet.month),
        load: sheet.load,
        away: sheet.away.iter().map(|a| when(a.starts_at, a.ends_at)).collect(),
        topics: sheet
            .catalogue
            .iter()
            .map(|t| TopicChoice {
                id: t.id.to_string(),
                name: t.name.clone(),
                checked: chosen.contains(&t.id),
            })
            .collect(),
        topics_error: errors.get("topicIds").cloned(),
        regions: entered(&regions, &errors, "regions"),
        cap: entered(&cap, &errors, "monthlyCap"),
    };
    Ok(private_page(state, status, &view, &csrf_token))
}

/// `GET /desk/trainers/{id}`
#[handler]
pub async fn trainer_page(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>) -> Response {
    let viewer = match enter(req, state, &format!("{TRAINERS}/{id}")).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    render_trainer(state, &viewer, id, done_notice(req), None, StatusCode::OK)
        .await
        .unwrap_or_else(failed)
}

/// `POST /desk/trainers/{id}` with `topic-{id}` for each topic covered,
/// `regions` (separated by commas) and `monthlyCap`: sets the person's
/// trainer profile, making them a trainer when they were not.
#[handler]
pub async fn save_trainer(req: &Request, Path(id): Path<String>, Data(state): Data<&AppState>, body: Body) -> Response {
    let pairs = match read_pairs(req, state, body).await {
        Ok(pairs) => pairs,
        Err(answer) => return answer,
    };
    let viewer = match enter(req, state, &format!("{TRAINERS}/{id}")).await {
        Ok(viewer) => viewer,
        Err(answer) => return answer,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found_page();
    };
    let chosen: Vec<Uuid> = pairs
        .iter()
        .filter_map(|(name, _)| name.strip_prefix("topic-"))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    let regions_typed = field(&pairs, "regions").to_owned();
    let cap_typed = field(&pairs, "monthlyCap").to_owned();
    let regions: Vec<String> = regions_typed
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let now = state.clock.now();
    let done = match cap_typed.trim().parse::<i32>() {
        Ok(monthly_cap) => {
            let input = ProfileInput {
                topic_ids: chosen.clone(),
                regions,
                monthly_cap,
            };
            in_work(&state.db, async |work| {
                trainers::set_profile(work, &viewer, Some(id), input, OPERATION, now).await
            })
            .await
            .map(drop)
        }
        Err(_) => Err(Error::validation("monthlyCap", "must be a whole number, such as 4")),
    };
    let err = match done {
        Ok(()) => return see_other(&format!("{TRAINERS}/{id}?done=saved"), None),
        Err(err) => err,
    };
    let Some((status, _)) = refused(&err) else {
        return failed(err);
    };
    let typed = ProfileTyped {
        chosen,
        regions: regions_typed,
        cap: cap_typed,
        err,
    };
    render_trainer(state, &viewer, id, None, Some(typed), status)
        .await
        .unwrap_or_else(failed)
}
