//! Links in messages that act without signing in.
//!
//! Account links (reset a password, verify an address, move to a new one)
//! carry a random 256-bit secret that is stored only as its SHA-256, works
//! once, and expires. Unsubscribe links are signed instead (HMAC over the
//! account id and one topic, with a key derived from the server's secret),
//! so they never expire and need no row: they can only switch one topic
//! off for one person.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::account_token;
use hmac::{KeyInit, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::NotificationTopic;
use crate::{
    config::JwtSecret,
    error::{Error, Result},
    urls::PublicUrls,
};

type HmacSha256 = hmac::Hmac<Sha256>;

/// Separates this use of the server's secret from every other.
const PURPOSE: &[u8] = b"muster message links v1";

/// Signs unsubscribe links.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(***)")
    }
}

impl LinkKey {
    pub fn derive(secret: &JwtSecret) -> Self {
        Self(secret.derive_key(PURPOSE))
    }

    fn signature(&self, user_id: Uuid, topic: NotificationTopic) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(user_id.as_bytes());
        mac.update(topic.as_str().as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
    }

    pub fn unsubscribe_url(&self, urls: &PublicUrls, user_id: Uuid, topic: NotificationTopic) -> String {
        urls.page(&format!(
            "/unsubscribe?u={}&t={}&s={}",
            user_id.hyphenated(),
            topic.as_str(),
            self.signature(user_id, topic)
        ))
    }

    /// Whether `signature` is this key's for the person and topic.
    pub fn verify(&self, user_id: Uuid, topic: NotificationTopic, signature: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(user_id.as_bytes());
        mac.update(topic.as_str().as_bytes());
        mac.verify_truncated_left(&given).is_ok() && given.len() == 18
    }
}

/// What an account link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ResetPassword,
    VerifyEmail,
    ChangeEmail,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResetPassword => "RESET_PASSWORD",
            Self::VerifyEmail => "VERIFY_EMAIL",
            Self::ChangeEmail => "CHANGE_EMAIL",
        }
    }

    /// How long a link works.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::ResetPassword => Duration::hours(1),
            Self::VerifyEmail => Duration::days(7),
            Self::ChangeEmail => Duration::hours(24),
        }
    }
}

/// A new random secret for a link or a session: 32 bytes, URL-safe.
pub(crate) fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// How a secret is stored: its SHA-256, hex.
pub(crate) fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new link's secret and its row (stored hashed).
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: Purpose,
    new_email: Option<String>,
    now: DateTime<Utc>,
) -> Result<(String, account_token::Model)> {
    let secret = new_secret()?;
    let id = Uuid::new_v4();
    let new_email =
        crate::domain::sealing::seal_optional(crate::domain::sealing::Field::TokenNewEmail, id, new_email.as_deref())?;
    let row = account_token::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(digest(&secret)),
        new_email: Set(new_email),
        expires_at: Set(now + purpose.lifetime()),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok((secret, row))
}

/// The link's row, if the secret is one of `purpose` that still works.
/// Each way a link can fail has its own words (the secret is the
/// credential, so saying why reveals nothing about any account).
pub async fn redeem(
    db: &impl ConnectionTrait,
    secret: &str,
    purposes: &[Purpose],
    now: DateTime<Utc>,
) -> Result<account_token::Model> {
    let invalid = || Error::validation("token", "this link is not valid; check that it was copied whole");
    if secret.is_empty() || secret.len() > 100 {
        return Err(invalid());
    }
    let row = account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(digest(secret)))
        .one(db)
        .await?
        .filter(|row| purposes.iter().any(|p| p.as_str() == row.purpose))
        .ok_or_else(invalid)?;
    if row.used_at.is_some() {
        return Err(Error::validation("token", "this link has already been used"));
    }
    if row.expires_at <= now {
        return Err(Error::validation("token", "this link has expired; ask for a new one"));
    }
    // Spent here, inside the caller's unit of work: a second use racing
    // this one finds it used (the update matches nothing) and fails.
    let spent = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::Id.eq(row.id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if spent.rows_affected != 1 {
        return Err(Error::validation("token", "this link has already been used"));
    }
    Ok(row)
}

/// Every other unused link of `purpose` for the person stops working (a
/// new password makes older reset links useless).
pub async fn spend_all(db: &impl ConnectionTrait, user_id: Uuid, purpose: Purpose, now: DateTime<Utc>) -> Result<()> {
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::UserId.eq(user_id))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The retention rule: links gone a day after they stopped working.
pub async fn remove_spent(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let cutoff = now - Duration::days(1);
    let done = account_token::Entity::delete_many()
        .filter(account_token::Column::ExpiresAt.lte(cutoff))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// On erasure.
pub async fn forget(db: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    account_token::Entity::delete_many()
        .filter(account_token::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_signatures_bind_person_and_topic() {
        let key = LinkKey::derive(&JwtSecret::from_bytes(
            b"a secret of at least thirty-two bytes".to_vec(),
        ));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let signed = key.signature(a, NotificationTopic::Offers);
        assert!(key.verify(a, NotificationTopic::Offers, &signed));
        assert!(!key.verify(b, NotificationTopic::Offers, &signed));
        assert!(!key.verify(a, NotificationTopic::Places, &signed));
        assert!(!key.verify(a, NotificationTopic::Offers, &signed[..10]));
        assert!(!key.verify(a, NotificationTopic::Offers, "not base64 !"));
    }
}
