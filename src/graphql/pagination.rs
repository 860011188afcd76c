//! Relay cursor pagination arguments: `first` is bounded, cursors are
//! opaque to clients (base64url of a small JSON position).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::Error;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Checks `first` against the 1..=100 bound of every connection.
pub fn page_size(first: Option<i32>) -> Result<u64, Error> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (1..=MAX_PAGE_SIZE as i32).contains(&n) => Ok(n as u64),
        Some(_) => Err(Error::validation(
            "first",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        )),
    }
}

/// What a connection field costs in the complexity limit: its items times
/// what each item selects, so `first: 100` of a rich selection costs a
/// hundred times one item and a connection nested in another multiplies.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(DEFAULT_PAGE_SIZE, |n| n.clamp(1, MAX_PAGE_SIZE as i32) as u64) as usize;
    items.saturating_mul(child_complexity).saturating_add(1)
}

pub fn encode_cursor<T: Serialize>(position: &T) -> String {
    // Serialising plain strings and numbers cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

pub fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> Result<T, Error> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Error::validation("after", "is not a cursor from this connection"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_bounded() {
        assert_eq!(page_size(None).unwrap(), 20);
        assert_eq!(page_size(Some(100)).unwrap(), 100);
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-1)).is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode_cursor(&("Leeds", "leeds"));
        assert_eq!(
            decode_cursor::<(String, String)>(&cursor).unwrap(),
            ("Leeds".into(), "leeds".into())
        );
        assert_eq!(
            decode_cursor::<(String, String)>("%%%").unwrap_err().code(),
            "BAD_USER_INPUT"
        );
    }
}
