//! Sign-in tokens: HS256 JWTs carrying the user id (`sub`), issue and expiry
//! times and the user's token version (`ver`).
//!
//! Nothing else is trusted from a token: role and memberships are read from
//! the database on every request. Bumping a user's `token_version` (password
//! change, sign out everywhere, an admin's role change) revokes every token
//! issued before.

use chrono::{DateTime, Duration, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    config::JwtSecret,
    error::{Error, Result},
};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// The user's token version when the token was issued.
    pub ver: i32,
}

/// Issues and checks tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl TokenKeys {
    pub fn new(secret: &JwtSecret, ttl: Duration) -> Self {
        // Only HS256 is accepted: a token naming any other algorithm
        // (including `none`) is refused before its signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        validation.leeway = 0;
        // Expiry is checked against the app's clock in `verify`, not the
        // system's, so that every rule about time reads one clock.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            validation,
            ttl,
        }
    }

    pub fn issue(&self, user_id: Uuid, token_version: i32, now: DateTime<Utc>) -> Result<IssuedToken> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            ver: token_version,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(anyhow::anyhow!("cannot sign a token: {e}")))?;
        Ok(IssuedToken {
            token,
            expires_at: Utc.timestamp_opt(claims.exp, 0).single().unwrap_or(expires_at),
        })
    }

    /// The claims of a well-formed, correctly signed token unexpired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| Error::Unauthenticated)?;
        if claims.exp <= now.timestamp() {
            return Err(Error::Unauthenticated);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(&JwtSecret::from_bytes(secret.as_bytes().to_vec()), Duration::hours(12))
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    #[test]
    fn issued_tokens_verify() {
        let id = Uuid::new_v4();
        let issued = keys(SECRET).issue(id, 3, Utc::now()).unwrap();
        let claims = keys(SECRET).verify(&issued.token, Utc::now()).unwrap();
        assert_eq!((claims.sub, claims.ver), (id, 3));
        assert!(issued.expires_at > Utc::now() + Duration::hours(11));
        // Expiry follows the clock it is checked against.
        assert!(keys(SECRET).verify(&issued.token, issued.expires_at).is_err());
        assert!(
            keys(SECRET)
                .verify(&issued.token, issued.expires_at - Duration::seconds(1))
                .is_ok()
        );
    }

    #[test]
    fn bad_tokens_are_unauthenticated() {
        let id = Uuid::new_v4();
        let good = keys(SECRET).issue(id, 0, Utc::now()).unwrap().token;
        let expired = keys(SECRET)
            .issue(id, 0, Utc::now() - Duration::hours(13))
            .unwrap()
            .token;
        let other_secret = keys("another-secret-of-enough-length-000000")
            .issue(id, 0, Utc::now())
            .unwrap()
            .token;

        let payload = good.split('.').nth(1).unwrap();
        let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let alg_none = format!("{header_none}.{payload}.");
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let mut tampered = good.clone();
        tampered.pop();
        tampered.push(if good.ends_with('A') { 'B' } else { 'A' });

        for (case, token) in [
            ("expired", expired.as_str()),
            ("wrong signature", &other_secret),
            ("alg none", &alg_none),
            ("other algorithm", &hs512),
            ("tampered", &tampered),
            ("malformed", "not.a.jwt"),
            ("empty", ""),
        ] {
            assert_eq!(
                keys(SECRET).verify(token, Utc::now()).unwrap_err().code(),
                "UNAUTHENTICATED",
                "{case}"
            );
        }
    }
}
