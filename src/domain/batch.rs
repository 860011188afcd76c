//! Reads for many subjects at once, as the API's loaders ask for them: one
//! query for a whole page of groups, events, requests or trainers, its rows
//! handed back by the subject they belong to.

use std::{collections::HashMap, hash::Hash};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};
use uuid::Uuid;

use crate::error::Result;

/// The rows, in their order, by the subject `key` names.
pub fn group_by<K: Eq + Hash, T>(rows: impl IntoIterator<Item = T>, key: impl Fn(&T) -> K) -> HashMap<K, Vec<T>> {
    let mut grouped: HashMap<K, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(key(&row)).or_default().push(row);
    }
    grouped
}

/// How many rows of `query` each subject has, `subject` being the column
/// that holds the subject's id; one `GROUP BY` query. A subject with none
/// is absent.
pub async fn count_by<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    subject: E::Column,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, u64>> {
    let rows: Vec<(Uuid, i64)> = query
        .select_only()
        .column(subject)
        .column_as(subject.count(), "count")
        .filter(subject.is_in(ids.iter().copied()))
        .group_by(subject)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, n.max(0) as u64)).collect())
}
