//! User accounts: registration, sign-in, profile, password and role.

use chrono::{DateTime, Utc};
use entity::{MembershipRole, MembershipStatus, UserRole, group, membership, trainer_profile, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set, SqlErr, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work,
        audit::{self, AuditAction, NewAuditEntry},
        password,
        sealing::{self, Field},
        values::{AllValid, Email, SingleLine},
    },
    error::{Error, Result},
};

pub const MAX_NAME_CHARS: usize = 100;

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: UserRole,
    pub trainer: bool,
    /// Made by an operator (who vouches for the address), or registered
    /// (unverified until the owner follows the link).
    pub email_verified: bool,
    /// The slug of a group the account organises from the start: how an
    /// operator gives a new group its first organiser (every later one is
    /// promoted by an organiser on the group's pages).
    pub organiser_of: Option<&'a str>,
}

/// Finds a user by email, case-insensitively: one indexed look-up by the
/// address's keyed hash (two during a key rotation), never a scan that
/// opens sealed values.
pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<user::Model>> {
    let email = Email::parse("email", email)?;
    Ok(user::Entity::find()
        .filter(user::Column::EmailHash.is_in(sealing::lookups(email.as_str())?))
        .one(db)
        .await?)
}

/// A unique-index violation as a conflict; anything else stays internal.
fn conflict_on_unique(err: DbErr, message: &str) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::Conflict(message.to_owned()),
        _ => err.into(),
    }
}

/// Argon2 is deliberately slow and large: run it on the bounded hashing
/// threads, off the async workers (`RATE_LIMITED` when they are saturated).
pub(crate) async fn hash_password(password: String) -> Result<String> {
    crate::hashing::run(move |memory| password::hash_in(&password, memory)).await?
}

async fn verify_password(password: String, stored: String) -> Result<bool> {
    crate::hashing::run(move |memory| password::verify_in(&password, &stored, memory)).await
}

/// Creates a user (and a trainer profile when asked) in one transaction.
pub async fn create_user(db: &DatabaseConnection, new: NewUser<'_>, now: DateTime<Utc>) -> Result<user::Model> {
    const TAKEN: &str = "an account with this email already exists";
    let (email, display_name, ()) = (
        Email::parse("email", new.email),
        SingleLine::required("name", new.display_name, MAX_NAME_CHARS),
        password::validate(new.password),
    )
        .all_valid()?;
    let password_hash = hash_password(new.password.to_owned()).await?;

    // The insert is the transaction's first statement and the unique index
    // on the address's keyed hash refuses a taken address: on SQLite a read first
    // would take a snapshot that a concurrent registration invalidates,
    // failing the write with "database is locked" instead of waiting.
    // During a key rotation an account not yet re-sealed carries the
    // previous key's hash, which the unique index cannot compare with the
    // new one: look for it first.
    if sealing::keyring()?.previous_id().is_some() && find_by_email(db, email.as_str()).await?.is_some() {
        return Err(Error::Conflict(TAKEN.to_owned()));
    }
    let id = Uuid::new_v4();
    let (sealed_email, email_hash) = (
        sealing::seal(Field::UserEmail, id, email.as_str())?,
        sealing::lookup(email.as_str())?,
    );
    let txn = db.begin().await?;
    let mut created = user::ActiveModel {
        id: Set(id),
        email: Set(Some(sealed_email)),
        email_hash: Set(Some(email_hash)),
        display_name: Set(Some(display_name.into())),
        password_hash: Set(Some(password_hash)),
        role: Set(new.role),
        token_version: Set(0),
        erased_at: Set(None),
        email_verified_at: Set(new.email_verified.then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| conflict_on_unique(e, TAKEN))?;
    if let Some(slug) = new.organiser_of {
        let group = group::Entity::find()
            .filter(group::Column::Slug.eq(slug))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::validation("organiserOf", format!("no group has the slug {slug:?}")))?;
        membership::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(created.id),
            group_id: Set(group.id),
            role: Set(MembershipRole::Organiser),
            status: Set(MembershipStatus::Active),
            created_at: Set(now),
            approved_at: Set(Some(now)),
        }
        .insert(&txn)
        .await?;
    }
    // The caller holds the address it gave; the row as stored holds it sealed.
    created.email = Some(email.into());
    if new.trainer {
        trainer_profile::ActiveModel {
            id: Set(created.id),
            monthly_cap: Set(4),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// A hash to verify against when the email is unknown, so that a wrong
/// email takes as long as a wrong password and reveals nothing.
fn decoy_hash() -> &'static str {
    password::DECOY_HASH
}

/// The account for an email and password. Every failure is the same
/// `UNAUTHENTICATED`, whether the email is unknown or the password wrong.
pub async fn login(db: &impl ConnectionTrait, email: &str, password: &str) -> Result<user::Model> {
    let user = match Email::parse("email", email) {
        Ok(email) => find_by_email(db, email.as_str()).await?,
        Err(_) => None,
    };
    let stored = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_owned());
    let matches = verify_password(password.to_owned(), stored).await?;
    match user {
        Some(user) if matches && user.erased_at.is_none() && user.password_hash.is_some() => Ok(user),
        _ => Err(Error::Unauthenticated),
    }
}

fn signed_in_id(viewer: &Viewer) -> Result<Uuid> {
    authorize(viewer, Action::UseOwnAccount)?;
    viewer.user_id().ok_or(Error::Unauthenticated)
}

/// The viewer's own account row.
pub async fn me(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Option<user::Model>> {
    match viewer.user_id() {
        None => Ok(None),
        Some(id) => Ok(user::Entity::find_by_id(id).one(db).await?),
    }
}

/// A live account by id (`NOT_FOUND` once erased).
pub async fn load_live(db: &impl ConnectionTrait, id: Uuid) -> Result<user::Model> {
    load_user(db, id).await
}

async fn load_user(db: &impl ConnectionTrait, id: Uuid) -> Result<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|u| u.erased_at.is_none())
        .ok_or(Error::NotFound)
}

/// Whether `password` is the live account's password. An account without
/// one (demo data) matches nothing, after the same work as a mismatch.
pub async fn password_matches(db: &impl ConnectionTrait, id: Uuid, password: &str) -> Result<bool> {
    let user = load_user(db, id).await?;
    let stored = user.password_hash.unwrap_or_else(|| decoy_hash().to_owned());
    verify_password(password.to_owned(), stored).await
}

/// Changes the password and revokes every earlier token.
pub async fn change_password(
    db: &DatabaseConnection,
    viewer: &Viewer,
    current: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let id = signed_in_id(viewer)?;
    let user = load_user(db, id).await?;
    let stored = user.password_hash.clone().unwrap_or_else(|| decoy_hash().to_owned());
    if !verify_password(current.to_owned(), stored).await? {
        return Err(Error::validation("currentPassword", "is not your current password"));
    }
    password::validate(new)?;
    let hash = hash_password(new.to_owned()).await?;
    let version = user.token_version;
    let mut active = user.into_active_model();
    active.password_hash = Set(Some(hash));
    active.token_version = Set(version + 1);
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

pub async fn update_profile(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    display_name: &str,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let id = signed_in_id(viewer)?;
    let name = SingleLine::required("name", display_name, MAX_NAME_CHARS)?;
    let mut active = load_user(db, id).await?.into_active_model();
    active.display_name = Set(Some(name.into()));
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// Revokes every token of the viewer, this one included.
pub async fn sign_out_everywhere(db: &impl ConnectionTrait, viewer: &Viewer, now: DateTime<Utc>) -> Result<()> {
    let id = signed_in_id(viewer)?;
    bump_token_version(db, id, now).await
}

async fn bump_token_version(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    user::Entity::update_many()
        .col_expr(user::Column::TokenVersion, Expr::col(user::Column::TokenVersion).add(1))
        .col_expr(user::Column::UpdatedAt, Expr::val(now))
        .filter(ExprTrait::eq(Expr::col(user::Column::Id), id))
        .exec(db)
        .await?;
    Ok(())
}

/// An admin changes a user's global role. The subject's tokens are revoked
/// so that no client keeps acting under the old role, and the last admin
/// cannot remove their own role.
pub async fn set_user_role(
    txn: &Work,
    viewer: &Viewer,
    subject_id: Uuid,
    role: UserRole,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    authorize(viewer, Action::SetUserRole)?;
    let subject = load_user(txn, subject_id).await?;
    if subject.role == role {
        return Ok(subject);
    }
    if subject.role == UserRole::Admin {
        let admins = user::Entity::find()
            .filter(ExprTrait::eq(Expr::col(user::Column::Role), UserRole::Admin.as_str()))
            .filter(Expr::col(user::Column::ErasedAt).is_null())
            .all(txn)
            .await?;
        if admins.len() <= 1 {
            return Err(Error::Conflict("the network must keep at least one admin".into()));
        }
    }
    let version = subject.token_version;
    let mut active = subject.into_active_model();
    active.role = Set(role);
    active.token_version = Set(version + 1);
    active.updated_at = Set(now);
    let updated = active.update(txn).await?;
    audit::record(
        txn,
        NewAuditEntry {
            actor_id: viewer.user_id(),
            subject_id: Some(subject_id),
            request_id: None,
            action: AuditAction::ChangeRole,
            operation: operation.to_owned(),
        },
        now,
    )
    .await?;
    Ok(updated)
}

/// An admin looks an account up, by email or by id: the account is shown
/// with its email, so each lookup that finds one is an audited read of it
/// (`READ_EMAIL`, in the subject's access log). A lookup that finds
/// nothing reads nothing and records nothing. Erased accounts are not
/// found.
pub async fn look_up(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    by: AccountKey<'_>,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>> {
    authorize(viewer, Action::SetUserRole)?;
    recorded_look_up(db, viewer, by, operation, now).await
}

/// A coordinator finds the person to make a trainer by their email, with
/// the same recorded look-up as an admin's: the account found is a read of
/// its address, in its owner's access log.
pub async fn look_up_trainer(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    email: &str,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>> {
    authorize(viewer, Action::ListTrainers)?;
    recorded_look_up(db, viewer, AccountKey::Email(email), operation, now).await
}

/// [`look_up`] once the viewer is let in.
async fn recorded_look_up(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    by: AccountKey<'_>,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>> {
    let found = match by {
        AccountKey::Email(email) => find_by_email(db, email).await?,
        AccountKey::Id(id) => user::Entity::find_by_id(id).one(db).await?,
    }
    .filter(|u| u.erased_at.is_none());
    let Some(mut account) = found else {
        return Ok(None);
    };
    // The admin is shown the address (and the read is recorded): opened
    // here, as `reveal` opens what it shows.
    account.email = sealing::open_optional(Field::UserEmail, account.id, account.email.as_deref())?;
    audit::record(
        db,
        NewAuditEntry {
            actor_id: viewer.user_id(),
            subject_id: Some(account.id),
            request_id: None,
            action: AuditAction::ReadEmail,
            operation: operation.to_owned(),
        },
        now,
    )
    .await?;
    Ok(Some(account))
}

/// How an admin names the account they look for.
#[derive(Debug, Clone, Copy)]
pub enum AccountKey<'a> {
    Email(&'a str),
    Id(Uuid),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        let name = |raw: &str| SingleLine::required("name", raw, MAX_NAME_CHARS);
        assert_eq!(name("  Sam  ").unwrap().as_str(), "Sam");
        assert!(name("   ").is_err());
        assert!(name(&"x".repeat(101)).is_err());
        assert!(name("a\u{0}b").is_err());
    }
}
