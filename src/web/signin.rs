//! Signing in, signing out and registering on the web: `/signin`,
//! `/signout`, `/register`. A signed-in browser holds a server-side
//! session (`domain::sessions`) in an `HttpOnly; SameSite=Lax` cookie,
//! `Secure` under https. Sign-in spends the same rate limits as the API's
//! `login`, one budget for both; every POST carries the anti-forgery token
//! and is refused from another site. After signing in the person goes back
//! to the page they came from, if it is a path on this site.

use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Query},
};
use serde::Deserialize;

use super::{
    Nav, Place,
    account::{AccountForm, FormField, form, read_form},
    csrf, internal, message,
};
use crate::{
    AppState,
    auth::{Viewer, viewer::load_signed_in},
    domain::{account_links, accounts, sessions},
    error::{Error, Result},
    rate_limit::ClientAddress,
};

const SIGN_IN: &str = "/signin";
const SIGN_OUT: &str = "/signout";
const REGISTER: &str = "/register";

/// Where to go after signing in: a path on this site, or the home page.
/// Anything else (another site, `//host`, `/\host`, a scheme) is refused,
/// so a link cannot send someone on to a look-alike site.
pub fn same_site_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.len() <= 2000
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

/// The session secret the browser sent, if any.
pub fn session_secret(req: &Request) -> Option<String> {
    csrf::cookie(req, sessions::COOKIE).filter(|s| !s.is_empty())
}

/// Who is asking: the person whose live session the browser holds, or
/// anonymous. Pages pass this to the same domain functions the API calls.
pub async fn viewer_of(req: &Request, state: &AppState) -> Result<Viewer> {
    if let Some(super::PageViewer(viewer)) = req.extensions().get::<super::PageViewer>() {
        return Ok(viewer.clone());
    }
    resolve_session(req, state).await
}

/// The session's viewer, read from the database.
pub(super) async fn resolve_session(req: &Request, state: &AppState) -> Result<Viewer> {
    let Some(secret) = session_secret(req) else {
        return Ok(Viewer::Anonymous);
    };
    match sessions::resolve(&state.db, &secret, state.sessions, state.clock.now()).await? {
        Some(account) => Ok(Viewer::User(load_signed_in(&state.db, account).await?)),
        None => Ok(Viewer::Anonymous),
    }
}

pub(super) fn session_cookie(secret: &str, secure: bool, max_age_secs: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{}={secret}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}",
        sessions::COOKIE
    )
}

pub(super) fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut builder = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(cookie) = cookie {
        builder = builder.header(header::SET_COOKIE, cookie);
    }
    builder.finish()
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn sign_in_form(next: &str, email: String, error: Option<String>) -> AccountForm<'static> {
    AccountForm {
        nav: Nav::at(Place::SignIn),
        title: "Sign in",
        lead: "Sign in to answer RSVPs, follow your groups and see your calendar feeds.",
        error,
        action: SIGN_IN,
        csrf_token: String::new(),
        hidden: vec![("next", next.to_owned())],
        fields: vec![
            FormField {
                name: "email",
                label: "Email address",
                hint: None,
                kind: "email",
                autocomplete: "email",
                value: email,
            },
            FormField {
                name: "password",
                label: "Password",
                hint: None,
                kind: "password",
                autocomplete: "current-password",
                value: String::new(),
            },
        ],
        button: "Sign in",
        links: vec![
            ("Forgotten your password?", "/reset-password"),
            ("New here? Make an account", REGISTER),
        ],
    }
}

/// `GET /signin?next=/path`
#[handler]
pub async fn sign_in_page(Query(query): Query<NextQuery>, Data(state): Data<&AppState>) -> Response {
    let next = same_site_path(query.next.as_deref());
    form(state, StatusCode::OK, sign_in_form(next, String::new(), None), SIGN_IN)
}

/// `POST /signin`: a new session (the one the browser held before, if
/// any, ends), then back to where the person was.
#[handler]
pub async fn sign_in(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let (email, password) = (field("email"), field("password"));
    let next = same_site_path(fields.get("next").map(String::as_str)).to_owned();
    let again = |status: StatusCode, words: &str| {
        form(
            state,
            status,
            sign_in_form(&next, email.clone(), Some(words.to_owned())),
            SIGN_IN,
        )
    };
    let client = ClientAddress::of_request(req, &state.trusted_proxies);
    if state.rate_limits.check_login(client, &email).is_err() {
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts to sign in; please wait an hour and try again.",
        );
    }
    let account = match accounts::login(&state.db, &email, &password).await {
        Ok(account) => account,
        Err(Error::Unauthenticated) => {
            return again(
                StatusCode::UNAUTHORIZED,
                "That email address and password do not match an account. Check both, or choose a new password.",
            );
        }
        Err(err) => return internal(err),
    };
    let now = state.clock.now();
    let replacing = session_secret(req);
    let policy = state.sessions;
    let started = crate::domain::in_work(&state.db, async |work| {
        sessions::start(work, &account, replacing.as_deref(), policy, now).await
    })
    .await;
    match started {
        Ok(secret) => see_other(
            &next,
            Some(session_cookie(
                &secret,
                state.urls.is_secure(),
                policy.absolute.num_seconds(),
            )),
        ),
        Err(err) => internal(err),
    }
}

fn sign_out_form() -> AccountForm<'static> {
    AccountForm {
        nav: Nav::at(Place::SignIn),
        title: "Sign out",
        lead: "Sign out of muster on this browser.",
        error: None,
        action: SIGN_OUT,
        csrf_token: String::new(),
        hidden: vec![],
        fields: vec![],
        button: "Sign out",
        links: vec![],
    }
}

/// `GET /signout`: a button, since a link alone must not sign anyone out.
#[handler]
pub async fn sign_out_page(Data(state): Data<&AppState>) -> Response {
    form(state, StatusCode::OK, sign_out_form(), SIGN_OUT)
}

/// `POST /signout`: this browser's session ends and its cookie is cleared.
#[handler]
pub async fn sign_out(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    if let Err(refused) = read_form(req, state, body).await {
        return refused;
    }
    if let Some(secret) = session_secret(req)
        && let Err(err) = sessions::end(&state.db, &secret).await
    {
        return internal(err);
    }
    see_other("/", Some(session_cookie("", state.urls.is_secure(), 0)))
}

fn register_form(name: String, email: String, error: Option<String>) -> AccountForm<'static> {
    AccountForm {
        nav: Nav::at(Place::SignIn),
        title: "Make an account",
        lead: "With an account you can RSVP to events, join your local group and subscribe to your own calendar.",
        error,
        action: REGISTER,
        csrf_token: String::new(),
        hidden: vec![],
        fields: vec![
            FormField {
                name: "displayName",
                label: "Your name, as others in the network see it",
                hint: Some("A first name or a nickname is enough."),
                kind: "text",
                autocomplete: "nickname",
                value: name,
            },
            FormField {
                name: "email",
                label: "Email address",
                hint: Some("Only you, your groups' organisers and the network's coordinators see it."),
                kind: "email",
                autocomplete: "email",
                value: email,
            },
            FormField {
                name: "password",
                label: "Password",
                hint: Some("10 characters or more."),
                kind: "password",
                autocomplete: "new-password",
                value: String::new(),
            },
        ],
        button: "Make my account",
        links: vec![("Already have an account? Sign in", SIGN_IN)],
    }
}

/// `GET /register`
#[handler]
pub async fn register_page(Data(state): Data<&AppState>) -> Response {
    form(
        state,
        StatusCode::OK,
        register_form(String::new(), String::new(), None),
        REGISTER,
    )
}

/// `POST /register`: the same answer whether or not the address already
/// has an account (its owner is told by mail instead).
#[handler]
pub async fn register(req: &Request, Data(state): Data<&AppState>, body: Body) -> Response {
    let fields = match read_form(req, state, body).await {
        Ok(fields) => fields,
        Err(refused) => return refused,
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let (name, email, password) = (field("displayName"), field("email"), field("password"));
    let client = ClientAddress::of_request(req, &state.trusted_proxies);
    if state.rate_limits.register_per_address.check(&client.key()).is_err() {
        return form(
            state,
            StatusCode::TOO_MANY_REQUESTS,
            register_form(
                name,
                email,
                Some("Too many accounts made from your connection; please try again in an hour.".to_owned()),
            ),
            REGISTER,
        );
    }
    let now = state.clock.now();
    match account_links::register(&state.db, &state.mailroom, &email, &name, &password, now).await {
        Ok(()) => message(
            StatusCode::OK,
            "Check your inbox",
            "We sent a link to confirm your address. You can sign in already; muster writes to you once it is confirmed.",
        ),
        Err(Error::Validation(errors)) => {
            let words = errors
                .iter()
                .map(|e| {
                    let label = match e.field.as_str() {
                        "displayName" => "Your name",
                        "email" => "The email address",
                        "password" => "The password",
                        _ => "A field",
                    };
                    format!("{label}: {}.", e.message)
                })
                .collect::<Vec<_>>()
                .join(" ");
            form(
                state,
                StatusCode::BAD_REQUEST,
                register_form(name, email, Some(words)),
                REGISTER,
            )
        }
        Err(err) => internal(err),
    }
}

#[cfg(test)]
mod tests {
    use super::same_site_path;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for good in ["/", "/events/abc", "/groups/leeds?x=1#top"] {
            assert_eq!(same_site_path(Some(good)), good);
        }
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "events",
            "/a\nb",
            "",
        ] {
            assert_eq!(same_site_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(same_site_path(None), "/");
    }
}
