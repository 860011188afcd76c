//! User accounts: creation and the rules on emails and names.

use chrono::{DateTime, Utc};
use entity::{UserRole, trainer_profile, user};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use crate::{
    domain::password,
    error::{Error, Result},
};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;

/// Trims and lowercases an email, and checks it looks like one. Emails are
/// compared case-insensitively, so they are stored in one case.
pub fn normalize_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.chars().count() <= MAX_EMAIL_CHARS
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(Error::validation("email", "is not a valid email address"))
    }
}

pub fn validate_display_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::validation("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::validation(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::validation("name", "must not contain control characters"));
    }
    Ok(name.to_owned())
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: UserRole,
    pub trainer: bool,
}

/// Finds a user by email, case-insensitively.
pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<user::Model>> {
    let email = normalize_email(email)?;
    Ok(user::Entity::find()
        .filter(ExprTrait::eq(Func::lower(Expr::col(user::Column::Email)), email))
        .one(db)
        .await?)
}

/// Creates a user (and a trainer profile when asked) in one transaction.
pub async fn create_user(db: &DatabaseConnection, new: NewUser<'_>, now: DateTime<Utc>) -> Result<user::Model> {
    let email = normalize_email(new.email)?;
    let display_name = validate_display_name(new.display_name)?;
    let password_hash = password::hash(new.password)?;

    let txn = db.begin().await?;
    if find_by_email(&txn, &email).await?.is_some() {
        return Err(Error::Conflict("an account with this email already exists".into()));
    }
    let created = user::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(Some(email)),
        display_name: Set(Some(display_name)),
        password_hash: Set(Some(password_hash)),
        role: Set(new.role),
        token_version: Set(0),
        erased_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email("  Ada.Organiser@Example.ORG ").unwrap(),
            "ada.organiser@example.org"
        );
        for bad in [
            "",
            "no-at-sign",
            "@example.org",
            "a@b",
            "a b@example.org",
            "a@example.org.",
            "a@@example.org",
        ] {
            assert_eq!(normalize_email(bad).unwrap_err().code(), "BAD_USER_INPUT", "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_display_name("  Sam  ").unwrap(), "Sam");
        assert!(validate_display_name("   ").is_err());
        assert!(validate_display_name(&"x".repeat(101)).is_err());
        assert!(validate_display_name("a\u{0}b").is_err());
    }
}
