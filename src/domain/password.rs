//! Password rules and argon2id hashing.

use argon2::{Algorithm, Argon2, Block, Params, Version, password_hash::phc};

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

/// Scratch memory for argon2, kept by one long-lived hashing thread and
/// reused for every hash it computes (see `crate::hashing`), so that the
/// process holds a fixed number of these blocks instead of allocating and
/// freeing ~19 MiB per request.
#[derive(Default)]
pub struct Memory(Vec<Block>);

/// The largest memory cost a stored hash may ask of a verification: the
/// default cost with room to raise it, never more.
const MAX_VERIFY_BLOCKS: usize = 4 * Params::DEFAULT_M_COST as usize;

impl Memory {
    fn blocks(&mut self, count: usize) -> Option<&mut [Block]> {
        if count > MAX_VERIFY_BLOCKS {
            return None;
        }
        if self.0.len() < count {
            self.0.resize(count, Block::new());
        }
        self.0.get_mut(..count)
    }

    /// Bytes held now.
    pub fn held_bytes(&self) -> usize {
        self.0.len() * Block::SIZE
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("password hashing failed ({what}): {e}"))
}

/// Hashes with argon2id (the crate's default parameters) and a fresh random
/// salt, into a PHC string, in `memory`.
pub fn hash_in(password: &str, memory: &mut Memory) -> Result<String> {
    validate(password)?;
    let params = Params::default();
    let mut salt = [0u8; phc::Salt::RECOMMENDED_LENGTH];
    getrandom::fill(&mut salt).map_err(|e| internal("salt", e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let blocks = memory
        .blocks(params.block_count())
        .ok_or_else(|| internal("memory", "cost too high"))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, blocks)
        .map_err(|e| internal("hash", e))?;
    let phc = phc::PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: phc::ParamsString::try_from(&params).map_err(|e| internal("params", e))?,
        salt: Some(phc::Salt::new(&salt).map_err(|e| internal("salt", e))?),
        hash: Some(phc::Output::new(&out).map_err(|e| internal("output", e))?),
    };
    Ok(phc.to_string())
}

/// `hash_in` with memory of its own, for one-off hashing outside requests
/// (fixtures, tools); requests go through `crate::hashing`.
pub fn hash(password: &str) -> Result<String> {
    hash_in(password, &mut Memory::default())
}

/// True when `password` matches the stored PHC string, computed in `memory`
/// with the stored hash's own algorithm, version and costs.
pub fn verify_in(password: &str, stored: &str, memory: &mut Memory) -> bool {
    let Ok(parsed) = phc::PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = parsed.version.map(Version::try_from).transpose() else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let Some(blocks) = memory.blocks(params.block_count()) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params);
    if argon2
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, blocks)
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    phc::Output::new(&out).is_ok_and(|computed| &computed == expected)
}

/// A stored hash to verify against when there is no real one (an unknown
/// email, an account without a password), so that those take as long as a
/// wrong password and reveal nothing. Made once with `hash_in`, for a random
/// password nobody kept; a test checks its costs are today's defaults.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$WSn/Aikp4HEVyqqpH9M2yQ$tBwrx8eq3kr0DJst+u7XPVx7qdsgGaBWmypF6VNHeiQ";

#[cfg(test)]
mod tests {
    use super::*;

    fn verify(password: &str, stored: &str) -> bool {
        verify_in(password, stored, &mut Memory::default())
    }

    #[test]
    fn the_decoy_costs_what_a_real_hash_costs() {
        let decoy = phc::PasswordHash::new(DECOY_HASH).unwrap();
        let real_hash = hash("correct horse battery").unwrap();
        let real = phc::PasswordHash::new(&real_hash).unwrap();
        assert_eq!(decoy.algorithm, real.algorithm);
        assert_eq!(decoy.version, real.version);
        assert_eq!(Params::try_from(&decoy).unwrap(), Params::try_from(&real).unwrap());
        assert!(!verify("decoy password for unknown accounts", DECOY_HASH));
    }

    #[test]
    fn hashes_agree_with_the_crates_own_hasher_and_verifier() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Hashes stored before memory was reused still verify, and new ones
        // verify with the crate's own verifier.
        let old = Argon2::default()
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        assert!(verify("correct horse battery", &old));
        assert!(!verify("correct horse batterY", &old));
        let new = hash("correct horse battery").unwrap();
        let parsed = phc::PasswordHash::new(&new).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn one_memory_serves_many_hashes() {
        let mut memory = Memory::default();
        let first = hash_in("correct horse battery", &mut memory).unwrap();
        let held = memory.held_bytes();
        assert_eq!(held, 19 * 1024 * 1024);
        assert!(verify_in("correct horse battery", &first, &mut memory));
        assert!(!verify_in("wrong horse battery", &first, &mut memory));
        assert_eq!(memory.held_bytes(), held);
    }

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
