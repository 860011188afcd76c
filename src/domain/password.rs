//! Password rules and argon2id hashing.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::error::{Error, Result};

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Long enough for any passphrase; bounds the hashing work one request causes.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks the password rules; the message never echoes the password.
pub fn validate(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Error::validation(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(Error::validation(
            "password",
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Hashes with argon2id (the crate's default algorithm and parameters) and a
/// fresh random salt, into a PHC string.
pub fn hash(password: &str) -> Result<String> {
    validate(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(anyhow::anyhow!("password hashing failed: {e}")))
}

/// True when `password` matches the stored PHC string.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        let err = hash("123456789").unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(!err.to_string().contains("123456789"));
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let first = hash("correct horse battery").unwrap();
        let second = hash("correct horse battery").unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify("correct horse battery", &first));
        assert!(!verify("correct horse batterY", &first));
        assert!(!verify("anything", "not a phc string"));
    }
}
