//! muster's rules, free of HTTP and GraphQL: each function takes a
//! connection, the viewer, the input and, where time matters, `now` from the
//! edge. Functions that act for a viewer ask the policy
//! (`crate::auth::authorize`) before they read or write.
//!
//! Writes take a [`Work`]: the edge (a resolver, a page handler, the CLI, a
//! job) opens it with [`begin`], calls one or several steps in it and
//! [`commit`]s, so steps compose and a failure anywhere leaves nothing
//! half-written. Each step records what happened in the [`journal`] inside
//! the same unit of work.

pub mod account_links;
pub mod accounts;
pub mod audit;
pub mod batch;
pub mod calendar_import;
pub mod csv;
pub mod desk;
pub mod desk_numbers;
pub mod events;
pub mod feeds;
pub mod groups;
pub mod journal;
pub mod letters;
pub mod memberships;
pub mod notifications;
pub mod pagination;
pub mod password;
pub mod privacy;
pub mod recurrence;
pub mod requests;
pub mod retention;
pub mod reveal;
pub mod roster;
pub mod rsvps;
pub mod sealing;
pub mod series;
pub mod sessions;
pub mod topics;
pub mod trainers;
pub mod values;
pub mod venues;
pub mod workflow;

/// A unit of work: one database transaction, opened and committed by the
/// edge. Dropping it uncommitted rolls everything in it back.
pub type Work = sea_orm::DatabaseTransaction;

/// Opens a unit of work. On SQLite it becomes the writer at once (as
/// `BEGIN IMMEDIATE` would): a transaction that read first and wrote later
/// could find that another writer committed in between and fail with
/// `SQLITE_BUSY` instead of waiting its turn. A write statement that
/// matches no row takes the lock and changes nothing.
pub async fn begin(db: &sea_orm::DatabaseConnection) -> crate::error::Result<Work> {
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    let work = db.begin().await?;
    if work.get_database_backend() == DbBackend::Sqlite {
        work.execute_unprepared("UPDATE domain_events SET kind = kind WHERE 0 = 1")
            .await?;
    }
    Ok(work)
}

/// Runs `step` in a unit of work of its own and commits it: the edge's
/// usual shape for a command that is one step.
pub async fn in_work<T>(
    db: &sea_orm::DatabaseConnection,
    step: impl AsyncFnOnce(&Work) -> crate::error::Result<T>,
) -> crate::error::Result<T> {
    let work = begin(db).await?;
    let done = step(&work).await?;
    commit(work).await?;
    Ok(done)
}

/// Commits a unit of work.
pub async fn commit(work: Work) -> crate::error::Result<()> {
    work.commit().await?;
    // Whatever it recorded may call for a message: the mail worker looks
    // now rather than at its next tick.
    notifications::nudge();
    Ok(())
}

/// Serialises the writers of one row for the rest of the unit of work: on
/// PostgreSQL the row's lock, on SQLite the database's write lock, both
/// taken by a write that changes nothing (the id set to itself). Every step
/// that reads a row to decide what to write takes this first, so two steps
/// on one request, event or trainer run one after the other.
/// `NOT_FOUND` when there is no such row.
pub async fn lock_row<C: sea_orm::ColumnTrait>(
    db: &impl sea_orm::ConnectionTrait,
    id_column: C,
    id: uuid::Uuid,
) -> crate::error::Result<()> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let statement = Query::update()
        .table(id_column.entity_name())
        .value(id_column, Expr::col(id_column))
        .and_where(Expr::col(id_column).eq(id))
        .to_owned();
    if db.execute(&statement).await?.rows_affected() == 0 {
        Err(crate::error::Error::NotFound)
    } else {
        Ok(())
    }
}
