//! Personal fields sealed at rest: accounts' emails, the pending new
//! address of an email change, and outside requests' contact names and
//! emails are stored encrypted (XChaCha20-Poly1305, a fresh random 24-byte
//! nonce per value), so a copy of the database file or of a backup names
//! no one without the data key, which is kept apart from the database.
//!
//! A stored value reads `sealed:v1:<key id>:<nonce and ciphertext>`. The
//! associated data binds it to its column and its row (`users.email` of
//! this id), so a value copied into another column or another row does not
//! open. Beside each email a keyed hash of the address (HMAC-SHA256 of the
//! lower-cased, trimmed address, under a key of its own derived from the
//! data key) finds the row: login, the taken-address check, admin look-up
//! by email and the unique index use it, never the sealed value.
//!
//! The keyring is the process's (installed once at start, see
//! [`install`]): the domain functions every front door calls take a
//! connection, not a key, so sealing sits underneath them. During a
//! rotation the ring holds the new key (which seals) and the previous one
//! (which still opens and still finds), see [`store::rotate`].

pub mod store;

use std::{fmt, sync::OnceLock};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// What every sealed value starts with; the version names the cipher and
/// the layout.
pub const PREFIX: &str = "sealed:v1:";
const NONCE_BYTES: usize = 24;
const KEY_BYTES: usize = 32;

/// A sealed column. Its label is part of every value's associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    UserEmail,
    RequestContactName,
    RequestContactEmail,
    /// `account_tokens.new_email`: where a pending email change moves to.
    TokenNewEmail,
    /// `signatures.name`: an individual signatory's name.
    SignatureName,
    /// `signatures.contact_name`: an organisation's contact.
    SignatureContactName,
    /// `signatures.email`, found by the keyed hash of its canonical form.
    SignatureEmail,
}

impl Field {
    pub const ALL: [Self; 7] = [
        Self::UserEmail,
        Self::RequestContactName,
        Self::RequestContactEmail,
        Self::TokenNewEmail,
        Self::SignatureName,
        Self::SignatureContactName,
        Self::SignatureEmail,
    ];

    pub fn table(self) -> &'static str {
        match self {
            Self::UserEmail => "users",
            Self::RequestContactName | Self::RequestContactEmail => "requests",
            Self::TokenNewEmail => "account_tokens",
            Self::SignatureName | Self::SignatureContactName | Self::SignatureEmail => "signatures",
        }
    }

    pub fn column(self) -> &'static str {
        match self {
            Self::UserEmail => "email",
            Self::RequestContactName => "contact_name",
            Self::RequestContactEmail => "contact_email",
            Self::TokenNewEmail => "new_email",
            Self::SignatureName => "name",
            Self::SignatureContactName => "contact_name",
            Self::SignatureEmail => "email",
        }
    }

    /// The column of the keyed hash kept beside it, for emails that are
    /// looked up.
    pub fn lookup_column(self) -> Option<&'static str> {
        match self {
            Self::UserEmail => Some("email_hash"),
            Self::RequestContactEmail => Some("contact_email_hash"),
            Self::SignatureEmail => Some("email_hash"),
            Self::RequestContactName | Self::TokenNewEmail | Self::SignatureName | Self::SignatureContactName => None,
        }
    }

    /// The text its keyed hash is taken of: a signatory's address in its
    /// canonical form (so `First.Last+x@gmail.com` finds `firstlast@gmail.com`),
    /// every other address as it is.
    pub fn lookup_text(self, plain: &str) -> String {
        match self {
            Self::SignatureEmail => crate::domain::letters::canonical_email(plain),
            _ => plain.to_owned(),
        }
    }

    fn associated_data(self, row: Uuid) -> String {
        format!("muster sealed v1 {}.{} {row}", self.table(), self.column())
    }
}

/// One data key: the cipher's key and the look-up key, both derived from
/// it, and its id (a fingerprint, so that rotation tells old values from
/// new without naming keys by hand). Never printed.
pub struct DataKey {
    id: String,
    cipher: XChaCha20Poly1305,
    lookup: [u8; KEY_BYTES],
}

impl DataKey {
    pub fn from_bytes(bytes: &[u8; KEY_BYTES]) -> Self {
        let derive = |label: &[u8]| hmac_sha256(bytes, label);
        let id: String = derive(b"muster data key id")
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            id,
            cipher: XChaCha20Poly1305::new(&derive(b"muster data key seal").into()),
            lookup: derive(b"muster data key lookup"),
        }
    }

    /// 32 bytes written as 64 hex digits or in base64 (standard or URL-safe).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_BYTES && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..KEY_BYTES)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()?
        } else {
            STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
                .ok()?
        };
        let bytes: [u8; KEY_BYTES] = bytes.try_into().ok()?;
        Some(Self::from_bytes(&bytes))
    }

    /// A new random key, as 64 hex digits (what a key file holds).
    pub fn generate() -> std::result::Result<String, getrandom::Error> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn seal(&self, field: Field, row: Uuid, plain: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| internal(format!("no randomness for a nonce: {e}")))?;
        let aad = field.associated_data(row);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| internal(format!("cannot seal {}.{}", field.table(), field.column())))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}:{}", self.id, URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The plain text, or `None` when the value is not one this key sealed
    /// for this field and row.
    fn open(&self, field: Field, row: Uuid, body: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        let aad = field.associated_data(row);
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }

    fn lookup(&self, email: &str) -> String {
        let address = crate::domain::values::Email::comparison_key(email);
        hmac_sha256(&self.lookup, address.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// HMAC-SHA256 under a 32-byte key. The key is given as the block it
/// becomes (zero-padded to 64 bytes, RFC 2104), which is the same MAC.
fn hmac_sha256(key: &[u8; KEY_BYTES], message: &[u8]) -> [u8; KEY_BYTES] {
    let mut block = [0u8; 64];
    block[..KEY_BYTES].copy_from_slice(key);
    let mut mac = <HmacSha256 as KeyInit>::new(&block.into());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey({}, <redacted>)", self.id)
    }
}

/// The key that seals, and during a rotation the one it replaces (which
/// still opens and finds what it sealed).
#[derive(Debug)]
pub struct Keyring {
    current: DataKey,
    previous: Option<DataKey>,
}

impl Keyring {
    pub fn new(current: DataKey, previous: Option<DataKey>) -> Self {
        let previous = previous.filter(|p| p.id != current.id);
        Self { current, previous }
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    pub fn previous_id(&self) -> Option<&str> {
        self.previous.as_ref().map(|k| k.id.as_str())
    }

    /// Whether values sealed under `key_id` open with this ring.
    pub fn holds(&self, key_id: &str) -> bool {
        self.keys().any(|k| k.id == key_id)
    }

    fn keys(&self) -> impl Iterator<Item = &DataKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }

    /// `plain` sealed under the current key for `field` of row `row`.
    pub fn seal(&self, field: Field, row: Uuid, plain: &str) -> Result<String> {
        self.current.seal(field, row, plain)
    }

    /// The plain text of a value sealed for `field` of row `row`. A value
    /// that does not open (another key, another column or row, altered) is
    /// an internal error: it is never shown as if it were the value.
    pub fn open(&self, field: Field, row: Uuid, stored: &str) -> Result<String> {
        let refused = || internal(format!("a sealed {}.{} does not open", field.table(), field.column()));
        let (key_id, body) = split(stored).ok_or_else(refused)?;
        let key = self.keys().find(|k| k.id == key_id).ok_or_else(refused)?;
        key.open(field, row, body).ok_or_else(refused)
    }

    /// The keyed hash an email is found by, under the current key.
    pub fn lookup(&self, email: &str) -> String {
        self.current.lookup(email)
    }

    /// The hashes an email may be stored under: during a rotation, rows not
    /// yet re-sealed still carry the previous key's.
    pub fn lookups(&self, email: &str) -> Vec<String> {
        self.keys().map(|k| k.lookup(email)).collect()
    }
}

/// An account row as stored: its address sealed for its row, and hashed.
/// For rows written whole (the demo network, test fixtures); the domain's
/// own writes seal field by field.
pub fn stored_user(mut row: entity::user::Model) -> Result<entity::user::Model> {
    if let Some(email) = row.email.take() {
        row.email_hash = Some(lookup(&email)?);
        row.email = Some(seal(Field::UserEmail, row.id, &email)?);
    }
    Ok(row)
}

/// A request row as stored: its contact's name and address sealed, the
/// address hashed.
pub fn stored_request(mut row: entity::request::Model) -> Result<entity::request::Model> {
    if let Some(email) = row.contact_email.take() {
        row.contact_email_hash = Some(lookup(&email)?);
        row.contact_email = Some(seal(Field::RequestContactEmail, row.id, &email)?);
    }
    row.contact_name = seal_optional(Field::RequestContactName, row.id, row.contact_name.as_deref())?;
    Ok(row)
}

/// The key id and body of a sealed value, `None` for anything else.
pub fn split(stored: &str) -> Option<(&str, &str)> {
    let rest = stored.strip_prefix(PREFIX)?;
    let (key_id, body) = rest.split_once(':')?;
    (key_id.len() == 8 && key_id.bytes().all(|b| b.is_ascii_hexdigit()) && !body.is_empty()).then_some((key_id, body))
}

pub fn is_sealed(stored: &str) -> bool {
    split(stored).is_some()
}

fn internal(message: String) -> Error {
    Error::Internal(anyhow::anyhow!(message))
}

static KEYRING: OnceLock<Keyring> = OnceLock::new();

/// Makes `keyring` the process's. A process holds one ring for its life;
/// installing a ring with the same keys again is a no-op, and a different
/// one is refused (the first stays).
pub fn install(keyring: Keyring) -> std::result::Result<(), AnotherKeyring> {
    match KEYRING.set(keyring) {
        Ok(()) => Ok(()),
        Err(keyring) => match KEYRING.get() {
            Some(held) if held.current_id() == keyring.current_id() && held.previous_id() == keyring.previous_id() => {
                Ok(())
            }
            _ => Err(AnotherKeyring),
        },
    }
}

/// [`install`] refused: the process already holds other keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this process already holds another data key")]
pub struct AnotherKeyring;

/// The process's keyring; `INTERNAL` when none was installed (a
/// programming error: start-up installs it before anything is served).
pub fn keyring() -> Result<&'static Keyring> {
    KEYRING
        .get()
        .ok_or_else(|| internal("no data key is installed in this process".to_owned()))
}

/// `plain` sealed for `field` of `row` with the process's keyring.
pub fn seal(field: Field, row: Uuid, plain: &str) -> Result<String> {
    keyring()?.seal(field, row, plain)
}

/// An optional value sealed, `None` staying `None`.
pub fn seal_optional(field: Field, row: Uuid, plain: Option<&str>) -> Result<Option<String>> {
    plain.map(|p| seal(field, row, p)).transpose()
}

/// A stored value opened with the process's keyring.
pub fn open(field: Field, row: Uuid, stored: &str) -> Result<String> {
    keyring()?.open(field, row, stored)
}

/// An optional stored value opened, `None` staying `None`.
pub fn open_optional(field: Field, row: Uuid, stored: Option<&str>) -> Result<Option<String>> {
    stored.map(|s| open(field, row, s)).transpose()
}

/// The keyed hash an email is stored under now.
pub fn lookup(email: &str) -> Result<String> {
    Ok(keyring()?.lookup(email))
}

/// Every keyed hash an email may be stored under (two during a rotation).
pub fn lookups(email: &str) -> Result<Vec<String>> {
    Ok(keyring()?.lookups(email))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes(&[byte; KEY_BYTES])
    }

    #[test]
    fn a_value_opens_only_in_its_own_column_and_row() {
        let ring = Keyring::new(key(1), None);
        let (row, other) = (Uuid::new_v4(), Uuid::new_v4());
        let sealed = ring.seal(Field::UserEmail, row, "sam@example.org").unwrap();
        assert!(!sealed.contains("sam"), "{sealed}");
        assert_eq!(ring.open(Field::UserEmail, row, &sealed).unwrap(), "sam@example.org");
        assert!(ring.open(Field::UserEmail, other, &sealed).is_err(), "another row");
        assert!(
            ring.open(Field::RequestContactEmail, row, &sealed).is_err(),
            "another column"
        );
        assert!(ring.open(Field::TokenNewEmail, row, &sealed).is_err(), "another table");
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open(Field::UserEmail, row, &altered).is_err(), "altered");
    }

    #[test]
    fn each_value_has_a_fresh_nonce() {
        let ring = Keyring::new(key(1), None);
        let row = Uuid::new_v4();
        let a = ring.seal(Field::RequestContactName, row, "Sam Jones").unwrap();
        let b = ring.seal(Field::RequestContactName, row, "Sam Jones").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn another_key_opens_nothing_and_a_rotating_ring_opens_both() {
        let (old, new) = (Keyring::new(key(1), None), Keyring::new(key(2), None));
        let row = Uuid::new_v4();
        let sealed = old.seal(Field::UserEmail, row, "sam@example.org").unwrap();
        assert!(new.open(Field::UserEmail, row, &sealed).is_err());
        assert_ne!(old.lookup("sam@example.org"), new.lookup("sam@example.org"));
        let rotating = Keyring::new(key(2), Some(key(1)));
        assert_eq!(
            rotating.open(Field::UserEmail, row, &sealed).unwrap(),
            "sam@example.org"
        );
        assert_eq!(rotating.lookups("sam@example.org").len(), 2);
        assert!(
            rotating
                .seal(Field::UserEmail, row, "x@y.org")
                .unwrap()
                .contains(new.current_id())
        );
    }

    #[test]
    fn lookups_ignore_case_and_surrounding_space() {
        let ring = Keyring::new(key(1), None);
        assert_eq!(ring.lookup(" Sam@Example.ORG "), ring.lookup("sam@example.org"));
        assert_ne!(ring.lookup("sam@example.org"), ring.lookup("sal@example.org"));
    }

    #[test]
    fn keys_parse_from_hex_and_base64_and_never_print() {
        let hex = "01".repeat(KEY_BYTES);
        let b64 = STANDARD.encode([1u8; KEY_BYTES]);
        let (a, b) = (DataKey::parse(&hex).unwrap(), DataKey::parse(&b64).unwrap());
        assert_eq!(a.id(), b.id());
        assert!(DataKey::parse("too short").is_none());
        assert!(DataKey::parse(&"01".repeat(31)).is_none());
        assert!(!format!("{a:?}").contains(&hex));
        assert!(format!("{a:?}").contains("redacted"));
        assert_eq!(DataKey::generate().unwrap().len(), 64);
    }

    /// What opening costs against what finding costs, per value: `cargo
    /// test --release --lib sealing -- --ignored --nocapture`. Prints; no
    /// timed assertion.
    #[test]
    #[ignore = "a measurement"]
    #[allow(clippy::print_stdout)]
    fn measure_open_and_lookup() {
        let ring = Keyring::new(key(7), None);
        let rows: Vec<(Uuid, String)> = (0..10_000)
            .map(|i| {
                let id = Uuid::new_v4();
                (
                    id,
                    ring.seal(Field::UserEmail, id, &format!("person.{i}@example.org"))
                        .unwrap(),
                )
            })
            .collect();
        let started = std::time::Instant::now();
        let opened: usize = rows
            .iter()
            .map(|(id, s)| ring.open(Field::UserEmail, *id, s).unwrap().len())
            .sum();
        let open = started.elapsed().as_nanos() / rows.len() as u128;
        let started = std::time::Instant::now();
        let hashed: usize = (0..rows.len())
            .map(|i| ring.lookup(&format!("person.{i}@example.org")).len())
            .sum();
        let lookup = started.elapsed().as_nanos() / rows.len() as u128;
        println!("open {open} ns per value, lookup hash {lookup} ns per address ({opened} {hashed})");
    }

    #[test]
    fn only_the_sealed_layout_counts_as_sealed() {
        assert!(!is_sealed("sam@example.org"));
        assert!(!is_sealed("sealed:v1:sam@example.org"));
        let ring = Keyring::new(key(3), None);
        assert!(is_sealed(&ring.seal(Field::UserEmail, Uuid::nil(), "a@b.org").unwrap()));
    }
}
