//! Keyset pagination, the one way a list is cut into pages: events, the
//! request queue, the group directory, a group's members and the audit
//! trail all go through [`keyset_page`].
//!
//! A page starts after the last row of the one before it, found by
//! comparing the key columns with that row's values, never by `OFFSET`: a
//! page far down a long list costs what the first one costs, and rows added
//! or removed meanwhile neither repeat nor go missing between pages. The
//! key ends with a unique column (the id, or the unique slug), so no two
//! rows tie and the order is total; its columns are never null.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Value,
};

use crate::error::Result;

/// Which way one key column runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// Where a row sits in a list's order: the values of its key columns.
/// (The API's cursors carry [`Position::Keys`] as they are.)
pub trait Position: Sized {
    type Entity: EntityTrait;
    /// The key columns, most significant first, each with its direction.
    /// The last one is unique.
    const KEY: &'static [(<Self::Entity as EntityTrait>::Column, Direction)];
    /// The values of the key columns, in the order of [`Position::KEY`].
    type Keys: KeyValues;

    fn keys_of(row: &<Self::Entity as EntityTrait>::Model) -> Self::Keys;
    fn keys(&self) -> Self::Keys;
    fn from_keys(keys: Self::Keys) -> Self;

    /// The position of `row`.
    fn of(row: &<Self::Entity as EntityTrait>::Model) -> Self {
        Self::from_keys(Self::keys_of(row))
    }
}

/// A tuple of key values, as the query compares them.
pub trait KeyValues {
    fn into_values(self) -> Vec<Value>;
}

impl<A: Into<Value>, B: Into<Value>> KeyValues for (A, B) {
    fn into_values(self) -> Vec<Value> {
        vec![self.0.into(), self.1.into()]
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<M> {
    pub rows: Vec<M>,
    /// Whether rows follow the last one of this page.
    pub has_next_page: bool,
    /// How many rows the whole list has, across all pages.
    pub total_count: u64,
}

/// The rows that come after `after` in the key's order: for keys
/// k1..kn, `k1 > v1 OR (k1 = v1 AND k2 > v2) OR …`, with `<` for a
/// descending column.
fn after_condition<C: ColumnTrait>(key: &[(C, Direction)], values: Vec<Value>) -> Condition {
    let mut after = Condition::any();
    let mut equal_so_far = Condition::all();
    for (&(column, direction), value) in key.iter().zip(values) {
        let beyond = match direction {
            Direction::Ascending => column.gt(value.clone()),
            Direction::Descending => column.lt(value.clone()),
        };
        after = after.add(equal_so_far.clone().add(beyond));
        equal_so_far = equal_so_far.add(column.eq(value));
    }
    after
}

/// The query for the page of `first` rows after `after`: `select` with the
/// keyset condition, the key's order, and one row more than asked for (to
/// tell whether another page follows).
fn page_query<P: Position>(select: Select<P::Entity>, after: Option<&P>, first: u64) -> Select<P::Entity> {
    let mut query = select;
    if let Some(after) = after {
        query = query.filter(after_condition(P::KEY, after.keys().into_values()));
    }
    for &(column, direction) in P::KEY {
        let order = match direction {
            Direction::Ascending => Order::Asc,
            Direction::Descending => Order::Desc,
        };
        query = query.order_by(column, order);
    }
    query.limit(first.saturating_add(1))
}

/// A position whose key is two columns of one table: the struct, with a
/// field for each value (named as the table's field), and its
/// [`Position`]. Every list muster pages has a key of this shape.
macro_rules! two_column_position {
    ($(#[$doc:meta])* $name:ident in $table:ident {
        $first:ident: $first_type:ty = $first_column:ident $first_direction:ident,
        $second:ident: $second_type:ty = $second_column:ident $second_direction:ident $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            pub $first: $first_type,
            pub $second: $second_type,
        }

        impl $crate::domain::pagination::Position for $name {
            type Entity = $table::Entity;
            const KEY: &'static [($table::Column, $crate::domain::pagination::Direction)] = &[
                ($table::Column::$first_column, $crate::domain::pagination::Direction::$first_direction),
                ($table::Column::$second_column, $crate::domain::pagination::Direction::$second_direction),
            ];
            type Keys = ($first_type, $second_type);

            fn keys_of(row: &$table::Model) -> Self::Keys {
                (Clone::clone(&row.$first), Clone::clone(&row.$second))
            }

            fn keys(&self) -> Self::Keys {
                (Clone::clone(&self.$first), Clone::clone(&self.$second))
            }

            fn from_keys(($first, $second): Self::Keys) -> Self {
                Self { $first, $second }
            }
        }
    };
}
pub(crate) use two_column_position;

/// One page of a list without the list's count, for pages that show only
/// whether more follow: it costs what the page costs, however long the
/// list (a count reads every row the filter selects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows<M> {
    pub rows: Vec<M>,
    /// Whether rows follow the last one of this page.
    pub has_next_page: bool,
}

/// The rows of the page of at most `first` rows of `select` (already
/// filtered and scoped, unordered) after `after`, in `P`'s order: one
/// statement.
pub async fn keyset_rows<P: Position>(
    db: &impl ConnectionTrait,
    select: Select<P::Entity>,
    after: Option<&P>,
    first: u64,
) -> Result<Rows<<P::Entity as EntityTrait>::Model>>
where
    <P::Entity as EntityTrait>::Model: Sync,
{
    let mut rows = page_query(select, after, first).all(db).await?;
    let has_next_page = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(Rows { rows, has_next_page })
}

/// [`keyset_rows`] with the count of the whole list: two statements.
pub async fn keyset_page<P: Position>(
    db: &impl ConnectionTrait,
    select: Select<P::Entity>,
    after: Option<&P>,
    first: u64,
) -> Result<Page<<P::Entity as EntityTrait>::Model>>
where
    <P::Entity as EntityTrait>::Model: Sync,
{
    let total_count = select.clone().count(db).await?;
    let Rows { rows, has_next_page } = keyset_rows(db, select, after, first).await?;
    Ok(Page {
        rows,
        has_next_page,
        total_count,
    })
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, QueryTrait, Schema, Set};

    use super::*;

    /// A table of its own, so the tests say only what matters to paging:
    /// a key column with ties (`rank`) and the unique id.
    mod row {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "rows")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: i32,
            pub rank: i32,
            pub odd: bool,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    two_column_position!(
        /// Rank ascending, then id.
        Upward in row { rank: i32 = Rank Ascending, id: i32 = Id Ascending }
    );
    two_column_position!(
        /// Rank descending, then id descending: newest first, as the audit trail.
        Downward in row { rank: i32 = Rank Descending, id: i32 = Id Descending }
    );
    two_column_position!(
        /// Rank descending, ties by id ascending.
        Mixed in row { rank: i32 = Rank Descending, id: i32 = Id Ascending }
    );

    /// Ranks with many ties, inserted out of order.
    const RANKS: [i32; 9] = [3, 1, 2, 1, 3, 1, 2, 3, 1];

    async fn table() -> DatabaseConnection {
        let db = Database::connect(ConnectOptions::new("sqlite::memory:").max_connections(1).to_owned())
            .await
            .unwrap();
        let create = Schema::new(DbBackend::Sqlite).create_table_from_entity(row::Entity);
        db.execute(&create).await.unwrap();
        // Ids descend as they are inserted, so insertion order, id order
        // and key order all differ.
        let rows = RANKS.iter().enumerate().map(|(i, rank)| row::ActiveModel {
            id: Set(100 - i as i32),
            rank: Set(*rank),
            odd: Set(*rank % 2 == 1),
        });
        row::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await
            .unwrap();
        db
    }

    /// Walks the whole list `first` rows at a time; returns (rank, id) of
    /// every row and whether each page said another follows.
    async fn walk<P: Position<Entity = row::Entity>>(
        db: &DatabaseConnection,
        select: Select<row::Entity>,
        first: u64,
    ) -> (Vec<(i32, i32)>, Vec<bool>, u64) {
        let mut after: Option<P> = None;
        let mut seen = Vec::new();
        let mut more = Vec::new();
        let total = loop {
            let page = keyset_page(db, select.clone(), after.as_ref(), first).await.unwrap();
            assert!(page.rows.len() as u64 <= first);
            seen.extend(page.rows.iter().map(|r| (r.rank, r.id)));
            more.push(page.has_next_page);
            match page.rows.last() {
                Some(last) if page.has_next_page => after = Some(P::of(last)),
                _ => break page.total_count,
            }
            assert!(more.len() <= RANKS.len() + 1, "the walk does not end");
        };
        (seen, more, total)
    }

    fn expected(
        mut rows: Vec<(i32, i32)>,
        order: impl Fn(&(i32, i32), &(i32, i32)) -> std::cmp::Ordering,
    ) -> Vec<(i32, i32)> {
        rows.sort_by(order);
        rows
    }

    fn all_rows() -> Vec<(i32, i32)> {
        RANKS
            .iter()
            .enumerate()
            .map(|(i, rank)| (*rank, 100 - i as i32))
            .collect()
    }

    #[tokio::test]
    async fn ties_are_broken_by_the_id_on_every_page_size() {
        let db = table().await;
        let want = expected(all_rows(), |a, b| a.cmp(b));
        for first in 1..=10 {
            let (seen, more, total) = walk::<Upward>(&db, row::Entity::find(), first).await;
            assert_eq!(seen, want, "first: {first}");
            assert_eq!(total, RANKS.len() as u64);
            // Every page but the last says more follow.
            let pages = RANKS.len().div_ceil(first as usize);
            assert_eq!(more.len(), pages, "first: {first}");
            assert!(more[..pages - 1].iter().all(|m| *m) && !more[pages - 1]);
        }
    }

    #[tokio::test]
    async fn a_descending_key_pages_newest_first() {
        let db = table().await;
        let want = expected(all_rows(), |a, b| b.cmp(a));
        for first in 1..=10 {
            let (seen, _, _) = walk::<Downward>(&db, row::Entity::find(), first).await;
            assert_eq!(seen, want, "first: {first}");
        }
    }

    #[tokio::test]
    async fn columns_may_run_in_different_directions() {
        let db = table().await;
        let want = expected(all_rows(), |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for first in 1..=10 {
            let (seen, _, _) = walk::<Mixed>(&db, row::Entity::find(), first).await;
            assert_eq!(seen, want, "first: {first}");
        }
    }

    #[tokio::test]
    async fn the_filter_holds_on_every_page_and_in_the_count() {
        let db = table().await;
        let odd = row::Entity::find().filter(row::Column::Odd.eq(true));
        let want = expected(
            all_rows().into_iter().filter(|(rank, _)| rank % 2 == 1).collect(),
            |a, b| a.cmp(b),
        );
        let (seen, _, total) = walk::<Upward>(&db, odd, 2).await;
        assert_eq!(seen, want);
        assert_eq!(total, want.len() as u64);
    }

    #[tokio::test]
    async fn an_empty_list_is_one_empty_page() {
        let db = table().await;
        let none = row::Entity::find().filter(row::Column::Rank.gt(10));
        let page = keyset_page::<Upward>(&db, none, None, 5).await.unwrap();
        assert_eq!(
            page,
            Page {
                rows: vec![],
                has_next_page: false,
                total_count: 0
            }
        );
        // After the last row: nothing more, and the count is still the list's.
        let page = keyset_page(&db, row::Entity::find(), Some(&Upward { rank: 3, id: 100 }), 5)
            .await
            .unwrap();
        assert_eq!((page.rows.len(), page.has_next_page, page.total_count), (0, false, 9));
    }

    #[test]
    fn the_page_is_found_by_its_key_not_by_an_offset() {
        let sql = page_query(row::Entity::find(), Some(&Mixed { rank: 2, id: 7 }), 20)
            .build(DbBackend::Sqlite)
            .to_string();
        assert_eq!(
            sql,
            r#"SELECT "rows"."id", "rows"."rank", "rows"."odd" FROM "rows" WHERE "rows"."rank" < 2 OR ("rows"."rank" = 2 AND "rows"."id" > 7) ORDER BY "rows"."rank" DESC, "rows"."id" ASC LIMIT 21"#
        );
    }
}
