//! Account messages: verifying an address, resetting a forgotten password,
//! moving an account to a new address. Each sends a single-use link
//! (`notifications::links`) through the outbox and answers the same
//! whether or not an account exists, so none of them tells anyone who has
//! an account here.

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        Work, accounts, begin, commit,
        notifications::{
            Mailroom, MessageKind, letters,
            links::{self, Purpose},
            outbox::{self, Outgoing, Recipient},
        },
        password,
        sealing::{self, Field},
        values::Email,
    },
    error::{Error, Result},
};

/// The pages the links open.
const RESET_PAGE: &str = "/reset-password";
const VERIFY_PAGE: &str = "/verify-email";

fn link(mailroom: &Mailroom, page: &str, secret: &str) -> String {
    mailroom.urls.page(&format!("{page}?token={secret}"))
}

async fn send(
    db: &impl ConnectionTrait,
    mailroom: &Mailroom,
    trigger: String,
    kind: MessageKind,
    to: Recipient,
    letter: letters::Letter,
    now: DateTime<Utc>,
) -> Result<()> {
    let message = Outgoing {
        trigger,
        kind,
        to,
        digest: false,
        letter,
    };
    outbox::enqueue(db, mailroom, message, now).await?;
    Ok(())
}

/// Sends a new account its verification link.
pub async fn send_verification(work: &Work, mailroom: &Mailroom, user_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    let (secret, row) = links::issue(work, user_id, Purpose::VerifyEmail, None, now).await?;
    let letter = letters::verify_email(link(mailroom, VERIFY_PAGE, &secret));
    send(
        work,
        mailroom,
        format!("link:{}", row.id),
        MessageKind::VerifyEmail,
        Recipient::User(user_id),
        letter,
        now,
    )
    .await
}

/// Sends the owner of an address someone tried to register again a note
/// (with a reset link, which is what they most likely need), at most once
/// a day.
async fn send_account_exists(work: &Work, mailroom: &Mailroom, owner: &user::Model, now: DateTime<Utc>) -> Result<()> {
    let (secret, _) = links::issue(work, owner.id, Purpose::ResetPassword, None, now).await?;
    let letter = letters::account_exists(link(mailroom, RESET_PAGE, &secret));
    let day = now.date_naive();
    send(
        work,
        mailroom,
        format!("day:{day}"),
        MessageKind::AccountExists,
        Recipient::User(owner.id),
        letter,
        now,
    )
    .await
}

/// Registration, answered alike whether or not the address has an account:
/// a new account gets a verification link; the owner of a taken address
/// gets a note that they already have one. The password is hashed either
/// way, so the two take as long.
pub async fn register(
    db: &DatabaseConnection,
    mailroom: &Mailroom,
    email: &str,
    display_name: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let new = accounts::NewUser {
        email,
        display_name,
        password,
        role: entity::UserRole::Supporter,
        trainer: false,
        email_verified: false,
        organiser_of: None,
    };
    match accounts::create_user(db, new, now).await {
        Ok(created) => {
            let work = begin(db).await?;
            send_verification(&work, mailroom, created.id, now).await?;
            commit(work).await
        }
        Err(Error::Conflict(_)) => {
            let work = begin(db).await?;
            if let Some(owner) = accounts::find_by_email(&work, email)
                .await?
                .filter(|u| u.erased_at.is_none())
            {
                send_account_exists(&work, mailroom, &owner, now).await?;
            }
            commit(work).await
        }
        Err(other) => Err(other),
    }
}

/// Follows a verification link (or the link that confirms a new address).
pub async fn verify_email(work: &Work, secret: &str, now: DateTime<Utc>) -> Result<user::Model> {
    let link = links::redeem(work, secret, &[Purpose::VerifyEmail, Purpose::ChangeEmail], now).await?;
    let account = user::Entity::find_by_id(link.user_id)
        .one(work)
        .await?
        .filter(|u| u.erased_at.is_none())
        .ok_or_else(|| Error::validation("token", "this link is not valid; check that it was copied whole"))?;
    let mut active = account.into_active_model();
    if let Some(new_email) = link.new_email {
        // Opened from the link's row and sealed again for the account's.
        let address = sealing::open(Field::TokenNewEmail, link.id, &new_email)?;
        active.email = Set(Some(sealing::seal(Field::UserEmail, link.user_id, &address)?));
        active.email_hash = Set(Some(sealing::lookup(&address)?));
    }
    active.email_verified_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(work).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            Error::Conflict("that address has since been taken by another account".into())
        }
        _ => e.into(),
    })
}

/// Asks for a reset link. Whether or not the address has an account, the
/// answer is the same and takes about as long.
pub async fn request_password_reset(work: &Work, mailroom: &Mailroom, email: &str, now: DateTime<Utc>) -> Result<()> {
    let Ok(email) = Email::parse("email", email) else {
        return Ok(());
    };
    let Some(owner) = accounts::find_by_email(work, email.as_str())
        .await?
        .filter(|u| u.erased_at.is_none())
    else {
        return Ok(());
    };
    let (secret, row) = links::issue(work, owner.id, Purpose::ResetPassword, None, now).await?;
    let minutes = Purpose::ResetPassword.lifetime().num_minutes();
    let letter = letters::password_reset(link(mailroom, RESET_PAGE, &secret), minutes);
    send(
        work,
        mailroom,
        format!("link:{}", row.id),
        MessageKind::PasswordReset,
        Recipient::User(owner.id),
        letter,
        now,
    )
    .await
}

/// Sets a new password from a reset link: the link is spent, every other
/// reset link of the account stops working, every sign-in token is
/// revoked, and the address counts as verified (the link reached it).
/// The new password is checked and hashed before the unit of work opens.
pub async fn reset_password(
    db: &DatabaseConnection,
    secret: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    password::validate(new_password).map_err(|e| match e {
        Error::Validation(mut fields) => {
            for field in &mut fields {
                field.field = "newPassword".to_owned();
            }
            Error::Validation(fields)
        }
        other => other,
    })?;
    // Refuse a bad link before spending a hash on it.
    {
        let peek = begin(db).await?;
        links::redeem(&peek, secret, &[Purpose::ResetPassword], now).await?;
        // Rolled back: only the real step below spends it.
        drop(peek);
    }
    let hash = accounts::hash_password(new_password.to_owned()).await?;
    let work = begin(db).await?;
    let link = links::redeem(&work, secret, &[Purpose::ResetPassword], now).await?;
    links::spend_all(&work, link.user_id, Purpose::ResetPassword, now).await?;
    let account = user::Entity::find_by_id(link.user_id)
        .one(&work)
        .await?
        .filter(|u| u.erased_at.is_none())
        .ok_or_else(|| Error::validation("token", "this link is not valid; check that it was copied whole"))?;
    let version = account.token_version;
    let verified = account.email_verified_at.unwrap_or(now);
    let mut active = account.into_active_model();
    active.password_hash = Set(Some(hash));
    active.token_version = Set(version + 1);
    active.email_verified_at = Set(Some(verified));
    active.updated_at = Set(now);
    let updated = active.update(&work).await?;
    commit(work).await?;
    Ok(updated.id)
}

/// Starts moving the viewer's account to `new_email`: a link to the new
/// address, a notice to the old one. The password proves it is them. An
/// address that already has an account gets the usual note instead, and
/// the answer is the same.
pub async fn change_email(
    db: &DatabaseConnection,
    mailroom: &Mailroom,
    viewer: &Viewer,
    new_email: &str,
    current_password: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    authorize(viewer, Action::UseOwnAccount)?;
    let me = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let new_email = Email::parse("newEmail", new_email)?;
    if !accounts::password_matches(db, me, current_password).await? {
        return Err(Error::validation("currentPassword", "is not your current password"));
    }
    let work = begin(db).await?;
    match accounts::find_by_email(&work, new_email.as_str()).await? {
        Some(owner) if owner.id == me => {}
        Some(owner) => {
            if owner.erased_at.is_none() {
                send_account_exists(&work, mailroom, &owner, now).await?;
            }
        }
        None => {
            let (secret, row) = links::issue(&work, me, Purpose::ChangeEmail, Some(new_email.into()), now).await?;
            let verify = letters::verify_new_email(link(mailroom, VERIFY_PAGE, &secret));
            let trigger = format!("link:{}", row.id);
            send(
                &work,
                mailroom,
                trigger.clone(),
                MessageKind::VerifyNewEmail,
                Recipient::NewAddress(row.id),
                verify,
                now,
            )
            .await?;
            let (reset_secret, _) = links::issue(&work, me, Purpose::ResetPassword, None, now).await?;
            let notice = letters::email_change_notice(link(mailroom, RESET_PAGE, &reset_secret));
            send(
                &work,
                mailroom,
                trigger,
                MessageKind::EmailChangeNotice,
                Recipient::User(me),
                notice,
                now,
            )
            .await?;
        }
    }
    commit(work).await
}
