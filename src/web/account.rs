//! The pages that mail links open, usable without signing in:
//! `/reset-password` (ask for a link, then choose a new password),
//! `/verify-email` (confirm an address) and `/unsubscribe` (stop one topic
//! of messages). Each GET only shows a page with a button, since mail
//! scanners fetch links on their own; the POST acts. The reset and verify
//! forms carry the same anti-forgery token as the public request form.
//! The unsubscribe POST needs none: the signed link is itself the
//! permission, and mail clients send RFC 8058's one-click POST without a
//! page.

use askama::Template;
use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{Nav, Place, csrf::CsrfKey, internal, message, page};
use crate::{
    AppState,
    domain::{
        account_links, in_work,
        notifications::{Delivery, NotificationTopic, settings},
    },
    error::Error,
    rate_limit::ClientAddress,
};

pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub kind: &'static str,
    pub autocomplete: &'static str,
    /// What the person typed, kept when the form comes back with an error
    /// (never a password).
    pub value: String,
}

#[derive(Template)]
#[template(path = "account_form.html")]
pub(super) struct AccountForm<'a> {
    pub nav: Nav,
    pub title: &'a str,
    pub lead: &'a str,
    pub error: Option<String>,
    pub action: &'a str,
    pub csrf_token: String,
    pub hidden: Vec<(&'static str, String)>,
    pub fields: Vec<FormField>,
    pub button: &'a str,
    /// Links under the form: (words, path).
    pub links: Vec<(&'static str, &'static str)>,
}

/// A form page with a fresh anti-forgery token in its cookie and field.
pub(super) fn form(state: &AppState, status: StatusCode, mut view: AccountForm<'_>, path: &str) -> Response {
    let token = match state.csrf.issue(state.clock.now()) {
        Ok(token) => token,
        Err(err) => return internal(err),
    };
    view.csrf_token = token.clone();
    let mut response = page(status, &view);
    if let Ok(value) = CsrfKey::cookie_header_at(&token, state.urls.is_secure(), path).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    if let Ok(value) = "no-store".parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

fn fields_of(bytes: &[u8]) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

pub(super) async fn read_form(
    req: &Request,
    state: &AppState,
    body: Body,
) -> Result<std::collections::HashMap<String, String>, Response> {
    let Ok(bytes) = body.into_bytes_limit(16 * 1024).await else {
        return Err(message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much to send",
            "The form was larger than muster takes.",
        ));
    };
    let fields = fields_of(&bytes);
    let csrf = fields.get("csrf").map(String::as_str);
    if state.csrf.check(req, &state.urls, csrf, state.clock.now()).is_err() {
        return Err(message(
            StatusCode::FORBIDDEN,
            "The form could not be accepted",
            "It was open for too long, was opened before you signed in or out, or was sent from another site. Nothing was changed: go back, reload the page and try again.",
        ));
    }
    Ok(fields)
}

/// The first field error's words, or a general line.
fn refusal(err: &Error) -> String {
    match err {
        Error::Validation(fields) => fields
            .first()
            .map(|f| match f.field.as_str() {
                "token" => format!("The link {}.", f.message.trim_start_matches("this link ")),
                "newPassword" => format!("The new password {}.", f.message),
                _ => f.message.clone(),
            })
            .unwrap_or_default(),
        Error::Conflict(message) => format!("{message}."),
        Error::RateLimited { .. } => "Too many attempts from your connection; please try again in an hour.".to_owned(),
        _ => "Something went wrong; please try again in a little while.".to_owned(),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

const RESET: &str = "/reset-password";

fn ask_for_link(error: Option<String>) -> AccountForm<'static> {
    AccountForm {
        nav: Nav::at(Place::None),
        title: "Forgotten your password?",
        lead: "Give the address you signed up with, and we will send a link to choose a new password.",
        error,
        action: RESET,
        csrf_token: String::new(),
        hidden: vec![],
        fields: vec![FormField {
            name: "email",
            label: "Email address",
            hint: None,
            kind: "email",
            autocomplete: "email",
            value: String::new(),
        }],
        button: "Send me a link",
        links: vec![("Back to signing in", "/signin")],
    }
}

fn choose_password(token: String, error: Option<String>) -> AccountForm<'static> {
    AccountForm {
        nav: Nav::at(Place::None),
        title: "Choose a new password",
        lead: "Once it is changed, every device signed in to your account is signed out.",
        error,
        action: RESET,
        csrf_token: String::new(),
        hidden: vec![("token", token)],
        fields: vec![FormField {
            name: "newPassword",
            label: "New password",
            hint: Some("At least 10 characters. A few unrelated words make a good one."),
            kind: "password",
            autocomplete: "new-password",
            value: String::new(),
        }],
        button: "Change my password",
        links: vec![],
    }
}

/// `GET /reset-password[?token=…]`
#[handler]
pub async fn reset_password_page(Query(query): Query<TokenQuery>, Data(state): Data<&AppState>) -> Response {
    match query.token.filter(|t| !t.is_empty()) {
        Some(token) => form(state, StatusCode::OK, choose_password(token, None), RESET),
        None => form(state, StatusCode::OK, ask_for_link(None), RESET),
    }
}

/// `POST /reset-password`: with an email, sends a link; with a token and a
/// new password, sets it.
#[handler]
pub async fn reset_password(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let now = state.clock.now();
    if let Some(token) = fields.get("token").filter(|t| !t.is_empty()) {
        let new_password = fields.get("newPassword").map(String::as_str).unwrap_or_default();
        return match account_links::reset_password(&state.db, token, new_password, now).await {
            Ok(_) => message(
                StatusCode::OK,
                "Your password is changed",
                "Sign in with your new password. Every device that was signed in to your account has been signed out.",
            ),
            Err(err @ Error::Validation(_)) => {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                form(
                    state,
                    status,
                    choose_password(token.clone(), Some(refusal(&err))),
                    RESET,
                )
            }
            Err(err) => internal(err),
        };
    }
    let email = fields.get("email").map(String::as_str).unwrap_or_default();
    let client = ClientAddress::of_request(req, &state.trusted_proxies);
    let limited = state
        .rate_limits
        .account_mail_per_address
        .check(&client.key())
        .and_then(|()| {
            state
                .rate_limits
                .account_mail_per_account
                .check(&crate::domain::values::Email::comparison_key(email))
        });
    if let Err(err) = limited {
        return form(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            ask_for_link(Some(refusal(&err))),
            RESET,
        );
    }
    match in_work(&state.db, async |work| {
        account_links::request_password_reset(work, &state.mailroom, email, now).await
    })
    .await
    {
        Ok(()) => message(
            StatusCode::OK,
            "Check your inbox",
            "If an account has this address, a link to choose a new password is on its way. It works once, for an hour.",
        ),
        Err(err) => internal(err),
    }
}

const VERIFY: &str = "/verify-email";

fn confirm_address(token: String, error: Option<String>) -> AccountForm<'static> {
    AccountForm {
        nav: Nav::at(Place::None),
        title: "Confirm your email address",
        lead: "Confirm that this address is yours, so that muster may send it the messages you choose.",
        error,
        action: VERIFY,
        csrf_token: String::new(),
        hidden: vec![("token", token)],
        fields: vec![],
        button: "Confirm my address",
        links: vec![],
    }
}

/// `GET /verify-email?token=…`
#[handler]
pub async fn verify_email_page(Query(query): Query<TokenQuery>, Data(state): Data<&AppState>) -> Response {
    match query.token.filter(|t| !t.is_empty()) {
        Some(token) => form(state, StatusCode::OK, confirm_address(token, None), VERIFY),
        None => message(
            StatusCode::BAD_REQUEST,
            "This link is incomplete",
            "Open the link from the message again, or copy the whole address into your browser.",
        ),
    }
}

/// `POST /verify-email`
#[handler]
pub async fn verify_email(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let token = fields.get("token").cloned().unwrap_or_default();
    let now = state.clock.now();
    match in_work(&state.db, async |work| {
        account_links::verify_email(work, &token, now).await
    })
    .await
    {
        Ok(_) => message(
            StatusCode::OK,
            "Your address is confirmed",
            "Thank you. muster will now send this address the messages you choose.",
        ),
        Err(err @ (Error::Validation(_) | Error::Conflict(_))) => form(
            state,
            StatusCode::UNPROCESSABLE_ENTITY,
            confirm_address(token, Some(refusal(&err))),
            VERIFY,
        ),
        Err(err) => internal(err),
    }
}

#[derive(Deserialize)]
pub struct UnsubscribeQuery {
    u: Option<String>,
    t: Option<String>,
    s: Option<String>,
}

impl UnsubscribeQuery {
    /// The person and topic, when the link is whole and signed by us.
    fn verified(&self, state: &AppState) -> Option<(Uuid, NotificationTopic)> {
        let user_id = Uuid::parse_str(self.u.as_deref()?).ok()?;
        let topic = NotificationTopic::parse(self.t.as_deref()?)?;
        state
            .mailroom
            .links
            .verify(user_id, topic, self.s.as_deref()?)
            .then_some((user_id, topic))
    }
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage<'a> {
    nav: Nav,
    about: &'a str,
    action: String,
}

fn broken_link() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "This link does not work",
        "It may have been cut short. Open it from the message again, or change what you receive in your notification settings once signed in.",
    )
}

/// `GET /unsubscribe?u=…&t=…&s=…`
#[handler]
pub async fn unsubscribe_page(
    req: &Request,
    Query(query): Query<UnsubscribeQuery>,
    Data(state): Data<&AppState>,
) -> Response {
    let Some((_, topic)) = query.verified(state) else {
        return broken_link();
    };
    let action = format!("/unsubscribe?{}", req.uri().query().unwrap_or_default());
    page(
        StatusCode::OK,
        &UnsubscribePage {
            nav: Nav::at(Place::None),
            about: topic.describe(),
            action,
        },
    )
}

/// `POST /unsubscribe?u=…&t=…&s=…`: from our page's button or a mail
/// client's one-click request.
#[handler]
pub async fn unsubscribe(Query(query): Query<UnsubscribeQuery>, Data(state): Data<&AppState>) -> Response {
    let Some((user_id, topic)) = query.verified(state) else {
        return broken_link();
    };
    let now = state.clock.now();
    match in_work(&state.db, async |work| {
        settings::set(work, user_id, topic, Delivery::Never, now).await
    })
    .await
    {
        Ok(()) => message(
            StatusCode::OK,
            "You will get no more of these",
            &format!(
                "muster will no longer write to you about {}. You can change this in your notification settings.",
                topic.describe()
            ),
        ),
        Err(err) => internal(err),
    }
}
