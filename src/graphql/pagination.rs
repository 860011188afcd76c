//! Relay cursor connections over the domain's keyset pages
//! ([`crate::domain::pagination`]): `first` is bounded, cursors are opaque
//! to clients (base64url of the JSON array of a row's key values, the
//! position's `Keys`), and every connection is built by [`connection`].

use async_graphql::{
    OutputType,
    connection::{Connection, Edge, EmptyFields},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    domain::pagination::{Page, Position},
    error::Error,
    graphql::{error::ApiResult, types::ConnectionTotal},
};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Checks `first` against the 1..=100 bound of every connection.
fn page_size(first: Option<i32>) -> Result<u64, Error> {
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

/// A connection of `N`s with `totalCount`.
pub type PagedConnection<N> = Connection<String, N, ConnectionTotal, EmptyFields>;

/// A connection's `first` and `after`, checked: `first` within 1..=100,
/// `after` a cursor of this connection (else `BAD_USER_INPUT` on `after`).
#[derive(Debug)]
pub struct PageArgs<P> {
    pub first: u64,
    pub after: Option<P>,
}

impl<P: Position> PageArgs<P>
where
    P::Keys: Serialize + DeserializeOwned,
{
    pub fn parse(first: Option<i32>, after: Option<String>) -> Result<Self, Error> {
        let first = page_size(first)?;
        let after = after
            .map(|cursor| decode_cursor::<P::Keys>(&cursor).map(P::from_keys))
            .transpose()?;
        Ok(Self { first, after })
    }
}

/// The connection for a page asked for with `args`: each row's cursor,
/// `pageInfo` and `totalCount`. `nodes` turns the page's rows into the
/// API's items, in order (and may load what they need for the whole page).
pub async fn connection<P, N>(
    args: &PageArgs<P>,
    page: Page<<P::Entity as sea_orm::EntityTrait>::Model>,
    nodes: impl AsyncFnOnce(Vec<<P::Entity as sea_orm::EntityTrait>::Model>) -> ApiResult<Vec<N>>,
) -> ApiResult<PagedConnection<N>>
where
    P: Position,
    P::Keys: Serialize,
    N: OutputType,
{
    let cursors: Vec<String> = page.rows.iter().map(|row| encode_cursor(&P::keys_of(row))).collect();
    let mut connection = Connection::with_additional_fields(
        args.after.is_some(),
        page.has_next_page,
        ConnectionTotal {
            total_count: page.total_count,
        },
    );
    let items = nodes(page.rows).await?;
    connection.edges.extend(
        cursors
            .into_iter()
            .zip(items)
            .map(|(cursor, item)| Edge::new(cursor, item)),
    );
    Ok(connection)
}

fn encode_cursor<T: Serialize>(position: &T) -> String {
    // Serialising plain strings and numbers cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> Result<T, Error> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Error::validation("after", "is not a cursor from this connection"))
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use uuid::Uuid;

    use super::*;
    use crate::domain::{
        audit::AuditPosition, events::EventPosition, groups::GroupPosition, memberships::MemberPosition,
        requests::RequestPosition,
    };

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

    fn literal_cursor(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn cursor_formats_stay_those_clients_hold() {
        let at = DateTime::parse_from_rfc3339("2027-03-01T10:00:00Z").unwrap().to_utc();
        let id = Uuid::from_u128(1);
        let event = EventPosition { starts_at: at, id };
        let timed = literal_cursor(r#"["2027-03-01T10:00:00Z","00000000-0000-0000-0000-000000000001"]"#);
        assert_eq!(encode_cursor(&event.keys()), timed);
        assert_eq!(
            PageArgs::<EventPosition>::parse(None, Some(timed.clone()))
                .unwrap()
                .after,
            Some(event)
        );
        for cursor in [
            encode_cursor(&RequestPosition { created_at: at, id }.keys()),
            encode_cursor(&MemberPosition { created_at: at, id }.keys()),
            encode_cursor(&AuditPosition { created_at: at, id }.keys()),
        ] {
            assert_eq!(cursor, timed);
        }
        let group = GroupPosition {
            name: "Leeds".into(),
            slug: "leeds".into(),
        };
        assert_eq!(encode_cursor(&group.keys()), literal_cursor(r#"["Leeds","leeds"]"#));
    }

    #[test]
    fn bad_arguments_name_their_field() {
        let field = |err: Error| err.field().map(str::to_owned);
        assert_eq!(
            field(PageArgs::<GroupPosition>::parse(Some(101), None).unwrap_err()).as_deref(),
            Some("first")
        );
        assert_eq!(
            field(PageArgs::<GroupPosition>::parse(Some(0), None).unwrap_err()).as_deref(),
            Some("first")
        );
        for garbage in [
            "not-a-cursor",
            "%%%",
            &literal_cursor("[1,2]"),
            &literal_cursor(r#"{"a":1}"#),
        ] {
            let err = PageArgs::<EventPosition>::parse(Some(5), Some(garbage.to_owned())).unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT");
            assert_eq!(field(err).as_deref(), Some("after"), "{garbage}");
        }
        // A group cursor is no event cursor.
        let group = literal_cursor(r#"["Leeds","leeds"]"#);
        assert!(PageArgs::<EventPosition>::parse(None, Some(group)).is_err());
        let args = PageArgs::<GroupPosition>::parse(None, None).unwrap();
        assert_eq!((args.first, args.after), (DEFAULT_PAGE_SIZE, None));
    }

    fn group(name: &str, slug: &str) -> entity::group::Model {
        let at = DateTime::parse_from_rfc3339("2027-03-01T10:00:00Z").unwrap().to_utc();
        entity::group::Model {
            id: Uuid::new_v4(),
            slug: slug.into(),
            name: name.into(),
            region: "Wales".into(),
            description: String::new(),
            contact_email: None,
            archived_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[tokio::test]
    async fn a_page_becomes_edges_with_each_rows_cursor() {
        let args = PageArgs::<GroupPosition>::parse(Some(2), Some(encode_cursor(&("Bristol", "bristol")))).unwrap();
        let page = Page {
            rows: vec![group("Cardiff", "cardiff"), group("Leeds", "leeds")],
            has_next_page: true,
            total_count: 7,
        };
        let connection = connection(&args, page, async |rows| {
            Ok(rows.into_iter().map(|g| g.slug).collect::<Vec<_>>())
        })
        .await
        .unwrap_or_else(|_| panic!("no connection"));
        assert!(connection.has_previous_page && connection.has_next_page);
        assert_eq!(connection.additional_fields.total_count, 7);
        let edges: Vec<(String, String)> = connection.edges.into_iter().map(|e| (e.cursor, e.node)).collect();
        assert_eq!(
            edges,
            vec![
                (literal_cursor(r#"["Cardiff","cardiff"]"#), "cardiff".to_owned()),
                (literal_cursor(r#"["Leeds","leeds"]"#), "leeds".to_owned()),
            ]
        );
    }
}
