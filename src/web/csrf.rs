//! Protection of the public web form against cross-site request forgery.
//!
//! A signed double submit: the form page sets a cookie holding a token and
//! puts the same token in a hidden field; a POST is taken only when both
//! arrive, are equal, carry a valid signature and are recent. Another site
//! can make a browser send the cookie (not even that: it is `SameSite=Strict`)
//! but cannot read it to fill the field, and cannot forge a token without
//! the key, which is derived from the server's secret. Before the token,
//! the request's `Sec-Fetch-Site` and `Origin` are checked, refusing what a
//! browser declares came from elsewhere.
//!
//! For a signed-in browser the token is also bound to its session: the
//! signature covers a digest of the session cookie the page was answered
//! for, and a POST is checked against the session cookie it carries. A
//! token taken from one session (an attacker's own, say, or a page saved
//! before signing out) is refused with any other, even if a cookie could
//! be planted beside it. Signing in or out therefore asks forms opened
//! before to be reloaded, which they say.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use poem::{Request, http::header};
use sha2::{Digest, Sha256};

use crate::{
    config::JwtSecret,
    error::{Error, Result},
    urls::PublicUrls,
};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The form's cookie. Scoped to the form's path.
pub const COOKIE: &str = "muster_csrf";
/// The hidden field of the form.
pub const FIELD: &str = "csrf";
/// How long a form may stay open before it must be reloaded.
const MAX_AGE_SECS: i64 = 2 * 60 * 60;
/// Separates the key of this use from any other use of the secret.
const PURPOSE: &[u8] = b"muster web form anti-forgery v1";

tokio::task_local! {
    /// The digest of the session cookie the page being answered was asked
    /// with, set once per request by [`SessionBinding::scope`], so that every
    /// form that page issues is bound to that session without each
    /// handler passing it along.
    static BINDING: Option<[u8; 32]>;
}

/// The session a request's forms are bound to (none for a browser that is
/// not signed in), read before the request is handed on.
#[derive(Debug, Clone, Copy)]
pub struct SessionBinding(Option<[u8; 32]>);

impl SessionBinding {
    pub fn of(req: &Request) -> Self {
        Self(binding_of(req))
    }

    /// Runs `answer` with this session as the binding of every token it
    /// issues.
    pub async fn scope<F: std::future::Future>(self, answer: F) -> F::Output {
        BINDING.scope(self.0, answer).await
    }
}

/// The digest of the session cookie a request carries.
fn binding_of(req: &Request) -> Option<[u8; 32]> {
    cookie(req, crate::domain::sessions::COOKIE)
        .filter(|secret| !secret.is_empty())
        .map(|secret| Sha256::digest(secret.as_bytes()).into())
}

/// The key that signs anti-forgery tokens: 32 derived bytes, zero-padded
/// to SHA-256's block as HMAC itself would pad them.
#[derive(Clone)]
pub struct CsrfKey([u8; 64]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(***)")
    }
}

impl CsrfKey {
    /// A key of its own, derived from the server's secret, so that several
    /// instances with the same secret accept each other's forms.
    pub fn derive(secret: &JwtSecret) -> Self {
        let derived = secret.derive_key(PURPOSE);
        let mut key = [0u8; 64];
        key[..32].copy_from_slice(&derived);
        Self(key)
    }

    /// The MAC over a token's payload and the session it is bound to.
    fn mac(&self, payload: &str, binding: Option<[u8; 32]>) -> HmacSha256 {
        let mut mac = <HmacSha256 as KeyInit>::new(&self.0.into());
        mac.update(payload.as_bytes());
        match binding {
            Some(session) => {
                mac.update(b"|session|");
                mac.update(&session);
            }
            None => mac.update(b"|none|"),
        }
        mac
    }

    /// A fresh token, `nonce.issued.signature`, bound to the session of the
    /// request being answered (see [`SessionBinding::scope`]).
    pub fn issue(&self, now: DateTime<Utc>) -> Result<String> {
        self.issue_bound(BINDING.try_with(|binding| *binding).ok().flatten(), now)
    }

    fn issue_bound(&self, binding: Option<[u8; 32]>, now: DateTime<Utc>) -> Result<String> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| Error::Internal(anyhow::anyhow!("no randomness: {e}")))?;
        let payload = format!("{}.{}", URL_SAFE_NO_PAD.encode(nonce), now.timestamp());
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&payload, binding).finalize().into_bytes());
        Ok(format!("{payload}.{signature}"))
    }

    /// Whether `token` was signed with this key for this session and is
    /// still fresh.
    fn is_valid(&self, token: &str, binding: Option<[u8; 32]>, now: DateTime<Utc>) -> bool {
        let Some((payload, signature)) = token.rsplit_once('.') else {
            return false;
        };
        let Some(issued) = payload
            .split_once('.')
            .and_then(|(_, issued)| issued.parse::<i64>().ok())
        else {
            return false;
        };
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let age = now.timestamp() - issued;
        self.mac(payload, binding).verify_slice(&signature).is_ok() && (0..=MAX_AGE_SECS).contains(&age)
    }

    /// Checks a form POST: where the browser says it came from, then the
    /// token in the field against the one in the cookie.
    pub fn check(&self, req: &Request, urls: &PublicUrls, field: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        if !same_origin(req, urls) {
            return Err(Error::Forbidden);
        }
        let cookie = cookie(req, COOKIE);
        match (cookie.as_deref(), field) {
            // Equal strings are compared after both are verified, so the
            // comparison reveals nothing about the key.
            (Some(cookie), Some(field)) if self.is_valid(field, binding_of(req), now) && cookie == field => Ok(()),
            _ => Err(Error::Forbidden),
        }
    }

    /// The `Set-Cookie` value that hands `token` to the browser.
    pub fn cookie_header(token: &str, secure: bool) -> String {
        Self::cookie_header_at(token, secure, "/request")
    }

    /// The same, for a form at `path` (the account pages).
    pub fn cookie_header_at(token: &str, secure: bool, path: &str) -> String {
        let secure = if secure { "; Secure" } else { "" };
        format!("{COOKIE}={token}; Path={path}; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Strict{secure}")
    }
}

/// False when the browser declares the request came from another site.
/// `Origin: null` is what browsers send for a form on a page with
/// `Referrer-Policy: no-referrer` (ours), so it is left to the token.
fn same_origin(req: &Request, urls: &PublicUrls) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == "null" || origin == urls.origin() {
        return true;
    }
    // Reached under another name than the public address (a proxy's,
    // loopback): the origin must then be the host the browser asked for.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, host)| host);
    host.is_some() && origin_host == host
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CsrfKey {
        CsrfKey::derive(&JwtSecret::from_bytes(b"0123456789abcdef0123456789abcdef".to_vec()))
    }

    #[test]
    fn tokens_are_signed_and_expire() {
        let now = Utc::now();
        let token = key().issue(now).unwrap();
        assert!(key().is_valid(&token, None, now));
        assert!(key().is_valid(&token, None, now + chrono::Duration::minutes(90)));
        assert!(!key().is_valid(&token, None, now + chrono::Duration::hours(3)));
        assert!(!key().is_valid(&token, None, now - chrono::Duration::minutes(5)));
        let other = CsrfKey::derive(&JwtSecret::from_bytes(b"another secret of thirty-two bytes!".to_vec()));
        assert!(!other.is_valid(&token, None, now));
        let (payload, _) = token.rsplit_once('.').unwrap();
        assert!(!key().is_valid(&format!("{payload}.AAAA"), None, now));
        assert!(!key().is_valid("", None, now));
        assert!(!key().is_valid("a.b.c", None, now));
    }

    #[test]
    fn a_token_holds_only_for_the_session_it_was_issued_in() {
        let now = Utc::now();
        let (mine, theirs) = ([1u8; 32], [2u8; 32]);
        let token = key().issue_bound(Some(mine), now).unwrap();
        assert!(key().is_valid(&token, Some(mine), now));
        assert!(!key().is_valid(&token, Some(theirs), now), "another session's");
        assert!(!key().is_valid(&token, None, now), "after signing out");
        let anonymous = key().issue_bound(None, now).unwrap();
        assert!(key().is_valid(&anonymous, None, now));
        assert!(!key().is_valid(&anonymous, Some(mine), now), "after signing in");
    }

    #[test]
    fn the_key_never_prints() {
        assert_eq!(format!("{:?}", key()), "CsrfKey(***)");
    }
}
