//! The sealed columns as stored: what start-up checks before serving
//! (every sealed value is under a key the ring holds), sealing the rows an
//! older release wrote in plain text, and re-sealing under a new key
//! (`muster rotate-data-key`). Both go in batches, each batch one
//! transaction, every sealed column of a row (and its hash) written in one
//! statement, so no row is ever half-sealed, and an interrupted run picks
//! up where it stopped. Each row's update is conditional on the values it
//! read, so a change the running server makes in between is never undone
//! (the row is simply taken again by the next batch).

use sea_orm::{
    ConnectionTrait, DatabaseConnection, QueryResult, TransactionTrait,
    sea_query::{Alias, Cond, Expr, ExprTrait, Query, SimpleExpr},
};
use uuid::Uuid;

use super::{Field, Keyring, PREFIX, split};
use crate::error::Result;

/// A table with sealed columns.
#[derive(Debug, Clone, Copy)]
pub struct SealedTable {
    pub name: &'static str,
    pub fields: &'static [Field],
}

pub const TABLES: [SealedTable; 4] = [
    SealedTable {
        name: "users",
        fields: &[Field::UserEmail],
    },
    SealedTable {
        name: "requests",
        fields: &[Field::RequestContactName, Field::RequestContactEmail],
    },
    SealedTable {
        name: "account_tokens",
        fields: &[Field::TokenNewEmail],
    },
    SealedTable {
        name: "signatures",
        fields: &[Field::SignatureName, Field::SignatureContactName, Field::SignatureEmail],
    },
];

/// Rows per batch (one transaction each).
pub const BATCH_ROWS: u64 = 500;

fn col(name: &'static str) -> Expr {
    Expr::col(Alias::new(name))
}

fn sealed_pattern() -> String {
    format!("{PREFIX}%")
}

fn under_key(key_id: &str) -> String {
    format!("{PREFIX}{key_id}:%")
}

/// What a pass looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Values still in plain text.
    Plain,
    /// Sealed values under a key other than the current one.
    Rotate,
}

fn wanted(table: SealedTable, pass: Pass, ring: &Keyring) -> Cond {
    let mut any = Cond::any();
    for field in table.fields {
        let c = || col(field.column());
        any = any.add(match pass {
            Pass::Plain => Cond::all().add(c().is_not_null()).add(c().not_like(sealed_pattern())),
            Pass::Rotate => Cond::all()
                .add(c().like(sealed_pattern()))
                .add(c().not_like(under_key(ring.current_id()))),
        });
    }
    any
}

/// The id of a key that sealed some value in the database and that `ring`
/// does not hold, if there is one: the server must not start then, as it
/// could show nothing true for those values.
pub async fn foreign_key_id(db: &impl ConnectionTrait, ring: &Keyring) -> Result<Option<String>> {
    for table in TABLES {
        for field in table.fields {
            let mut held = Cond::all()
                .add(col(field.column()).like(sealed_pattern()))
                .add(col(field.column()).not_like(under_key(ring.current_id())));
            if let Some(previous) = ring.previous_id() {
                held = held.add(col(field.column()).not_like(under_key(previous)));
            }
            let query = Query::select()
                .column(Alias::new(field.column()))
                .from(Alias::new(table.name))
                .cond_where(held)
                .limit(1)
                .to_owned();
            if let Some(row) = db.query_one(&query).await? {
                let value: String = row.try_get("", field.column())?;
                return Ok(Some(split(&value).map(|(id, _)| id.to_owned()).unwrap_or_default()));
            }
        }
    }
    Ok(None)
}

/// Whether any value in the database is sealed (under whatever key).
pub async fn any_sealed(db: &impl ConnectionTrait) -> Result<bool> {
    for table in TABLES {
        for field in table.fields {
            let query = Query::select()
                .column(Alias::new(field.column()))
                .from(Alias::new(table.name))
                .and_where(col(field.column()).like(sealed_pattern()))
                .limit(1)
                .to_owned();
            if db.query_one(&query).await?.is_some() {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Rows per table that `rotate` still has to re-seal under the current key.
pub async fn left_to_rotate(db: &impl ConnectionTrait, ring: &Keyring) -> Result<Vec<(&'static str, u64)>> {
    let mut left = Vec::new();
    for table in TABLES {
        let query = Query::select()
            .expr_as(Expr::col(Alias::new("id")).count(), Alias::new("n"))
            .from(Alias::new(table.name))
            .cond_where(wanted(table, Pass::Rotate, ring))
            .to_owned();
        let n: i64 = match db.query_one(&query).await? {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        left.push((table.name, u64::try_from(n).unwrap_or_default()));
    }
    Ok(left)
}

/// Seals every value still in plain text (and computes the hashes), a
/// batch at a time. Returns the rows sealed per table.
pub async fn seal_plain_rows(db: &DatabaseConnection, ring: &Keyring) -> Result<Vec<(&'static str, u64)>> {
    let mut done = Vec::new();
    for table in TABLES {
        let mut rows = 0;
        loop {
            let n = batch(db, table, Pass::Plain, ring, BATCH_ROWS).await?;
            rows += n;
            if n == 0 {
                break;
            }
        }
        done.push((table.name, rows));
    }
    Ok(done)
}

/// Re-seals one batch of rows of `table` sealed under an older key; the
/// number of rows re-sealed, 0 when none is left.
pub async fn rotate_batch(db: &DatabaseConnection, table: SealedTable, ring: &Keyring, rows: u64) -> Result<u64> {
    batch(db, table, Pass::Rotate, ring, rows).await
}

async fn batch(db: &DatabaseConnection, table: SealedTable, pass: Pass, ring: &Keyring, rows: u64) -> Result<u64> {
    let mut query = Query::select();
    query.column(Alias::new("id")).from(Alias::new(table.name));
    for field in table.fields {
        query.column(Alias::new(field.column()));
    }
    query
        .cond_where(wanted(table, pass, ring))
        .order_by(Alias::new("id"), sea_orm::Order::Asc)
        .limit(rows);
    let work = db.begin().await?;
    let found = work.query_all(&query).await?;
    let mut changed: u64 = 0;
    for row in &found {
        if reseal_row(&work, table, ring, row).await? {
            changed += 1;
        }
    }
    work.commit().await?;
    // Rows the server changed in between were skipped and come again; a
    // batch that found rows but changed none would otherwise end the run.
    Ok(if found.is_empty() { 0 } else { std::cmp::max(changed, 1) })
}

/// Writes one row's sealed columns, each under the current key, with the
/// hashes beside them, on condition that they still hold what was read.
async fn reseal_row(
    work: &impl ConnectionTrait,
    table: SealedTable,
    ring: &Keyring,
    row: &QueryResult,
) -> Result<bool> {
    let id: Uuid = row.try_get("", "id")?;
    let mut update = Query::update();
    update.table(Alias::new(table.name)).and_where(col("id").eq(id));
    for field in table.fields {
        let stored: Option<String> = row.try_get("", field.column())?;
        let Some(stored) = stored else {
            update.and_where(col(field.column()).is_null());
            continue;
        };
        let plain = match split(&stored) {
            Some(_) => ring.open(*field, id, &stored)?,
            None => stored.clone(),
        };
        let current = split(&stored).is_some_and(|(key_id, _)| key_id == ring.current_id());
        let sealed = if current {
            stored.clone()
        } else {
            ring.seal(*field, id, &plain)?
        };
        update.value(Alias::new(field.column()), SimpleExpr::from(sealed));
        if let Some(hash) = field.lookup_column() {
            update.value(
                Alias::new(hash),
                SimpleExpr::from(ring.lookup(&field.lookup_text(&plain))),
            );
        }
        update.and_where(col(field.column()).eq(stored));
    }
    Ok(work.execute(&update).await?.rows_affected() == 1)
}
