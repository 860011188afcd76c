//! Signed-in web sessions, kept on the server so that they can be ended.
//!
//! A session is a random secret in the browser's cookie and its SHA-256 in
//! `web_sessions`: a copy of the database opens no one's session. It ends
//! when it has been idle too long, at its absolute end however active it
//! is, at sign-out, and whenever the account's token version moves on
//! (signing out everywhere, a new password, a role change, erasure), so
//! every event that ends the API's tokens ends sessions too, with no list
//! of places to remember. A new session is made at every sign-in, and the
//! one the browser held before is ended, so an id planted in a browser
//! before sign-in is worth nothing after it.

use chrono::{DateTime, Duration, Utc};
use entity::{user, web_session};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use super::notifications::links::{digest, new_secret};
use crate::error::Result;

/// The cookie that carries the session's secret.
pub const COOKIE: &str = "muster_session";

/// A session's last use is written at most this often: not a write on
/// every page.
const TOUCH_EVERY: Duration = Duration::minutes(5);

/// How long sessions last (`MUSTER_SESSION_IDLE_DAYS`,
/// `MUSTER_SESSION_MAX_DAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl SessionPolicy {
    pub fn from_days(idle_days: u32, max_days: u32) -> Self {
        Self {
            idle: Duration::days(idle_days.into()),
            absolute: Duration::days(max_days.into()),
        }
    }
}

/// A new session for `user`, ending `replacing` (the session the browser
/// held, if any). Returns the secret for the cookie.
pub async fn start(
    db: &impl ConnectionTrait,
    user: &user::Model,
    replacing: Option<&str>,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<String> {
    if let Some(old) = replacing {
        end(db, old).await?;
    }
    let secret = new_secret()?;
    web_session::ActiveModel {
        id_hash: Set(digest(&secret)),
        user_id: Set(user.id),
        token_version: Set(user.token_version),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + policy.absolute),
    }
    .insert(db)
    .await?;
    Ok(secret)
}

/// The live account whose session `secret` is, or `None` (no such session,
/// idle too long, past its end, or ended by the account's token version).
/// A session found ended is removed.
pub async fn resolve(
    db: &impl ConnectionTrait,
    secret: &str,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>> {
    if secret.is_empty() || secret.len() > 100 {
        return Ok(None);
    }
    let id_hash = digest(secret);
    let Some(session) = web_session::Entity::find_by_id(id_hash.clone()).one(db).await? else {
        return Ok(None);
    };
    let account = user::Entity::find_by_id(session.user_id).one(db).await?;
    let live = account.filter(|account| {
        account.erased_at.is_none()
            && account.token_version == session.token_version
            && session.expires_at > now
            && session.last_seen_at + policy.idle > now
    });
    match live {
        None => {
            end_hash(db, id_hash).await?;
            Ok(None)
        }
        Some(account) => {
            if now - session.last_seen_at >= TOUCH_EVERY {
                web_session::Entity::update_many()
                    .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
                    .filter(web_session::Column::IdHash.eq(id_hash))
                    .exec(db)
                    .await?;
            }
            Ok(Some(account))
        }
    }
}

/// Signing out: the session `secret` ends (nothing happens for an unknown one).
pub async fn end(db: &impl ConnectionTrait, secret: &str) -> Result<()> {
    end_hash(db, digest(secret)).await
}

async fn end_hash(db: &impl ConnectionTrait, id_hash: String) -> Result<()> {
    web_session::Entity::delete_many()
        .filter(web_session::Column::IdHash.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// On erasure: every session of the person goes.
pub async fn forget(db: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    web_session::Entity::delete_many()
        .filter(web_session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The retention rule: sessions past their absolute end are deleted (an
/// idle one is deleted when next presented, or at that end at the
/// latest). Returns how many.
pub async fn remove_ended(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let done = web_session::Entity::delete_many()
        .filter(web_session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
