//! The network's trainers as the coordinators' desk lists them: each with
//! the topics and regions they cover, their monthly cap, how many
//! engagements they have this month and when they are next away; and one
//! person's trainer profile, to set it.
//!
//! "This month" is the calendar month in UK time, and an engagement counts
//! in it as it counts against the cap when assigning
//! ([`matching::month_of`], [`matching::live_assignments`]): a proposal
//! still waiting for an answer or an accepted engagement that goes ahead
//! or took place, by the month it starts in. So the load shown beside the
//! cap is the load the cap is judged by.
//!
//! Each function reads a fixed number of statements however many trainers
//! there are: the whole roster is read table by table, never trainer by
//! trainer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{assignment, topic, trainer_profile, trainer_region, trainer_topic, trainer_unavailability, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::{
        requests::{
            Span,
            matching::{live_assignments, month_of},
        },
        reveal::Person,
    },
    error::{Error, Result},
};

/// A trainer with their monthly cap.
#[derive(Debug, Clone)]
pub struct Trainer {
    pub person: Person,
    pub monthly_cap: i32,
}

/// Every trainer whose account is not erased, by name, with their cap:
/// one statement.
pub async fn trainers(db: &impl ConnectionTrait) -> Result<Vec<Trainer>> {
    let rows = trainer_profile::Entity::find()
        .find_also_related(user::Entity)
        .filter(user::Column::ErasedAt.is_null())
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(trainer_profile::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(profile, person)| {
            person.map(|person| Trainer {
                person: Person::from(person),
                monthly_cap: profile.monthly_cap,
            })
        })
        .collect())
}

/// Engagements per trainer in the UK calendar month `now` falls in, as
/// the monthly cap counts them: one statement. A trainer with none is
/// absent.
pub async fn load_this_month(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(Span, HashMap<Uuid, u64>)> {
    let month = month_of(now);
    Ok((month, loads_in(db, month, None).await?))
}

/// Engagements per trainer (or of one trainer) starting in `month`, as
/// the monthly cap counts them: one statement.
async fn loads_in(db: &impl ConnectionTrait, month: Span, only: Option<Uuid>) -> Result<HashMap<Uuid, u64>> {
    let mut query = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::TrainerId)
        .column_as(assignment::Column::Id.count(), "n")
        .filter(live_assignments())
        .filter(assignment::Column::StartsAt.gte(month.starts_at))
        .filter(assignment::Column::StartsAt.lt(month.ends_at));
    if let Some(trainer_id) = only {
        query = query.filter(assignment::Column::TrainerId.eq(trainer_id));
    }
    let rows: Vec<(Uuid, i64)> = query
        .group_by(assignment::Column::TrainerId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// A trainer as the desk's list shows them.
#[derive(Debug, Clone)]
pub struct RosterEntry {
    pub trainer: Trainer,
    /// Names of the topics covered, archived ones left out, by name.
    pub topics: Vec<String>,
    pub regions: Vec<String>,
    /// Engagements this month, against `trainer.monthly_cap`.
    pub load: u64,
    /// The away period under way or next ahead.
    pub next_away: Option<Span>,
}

/// The trainers list and the month its loads are for.
#[derive(Debug, Clone)]
pub struct Roster {
    pub month: Span,
    pub entries: Vec<RosterEntry>,
}

/// Every trainer with what they cover, their load this month and their
/// next time away, for coordinators: six statements.
pub async fn roster(db: &impl ConnectionTrait, viewer: &Viewer, now: DateTime<Utc>) -> Result<Roster> {
    authorize(viewer, Action::ListTrainers)?;
    let trainers = trainers(db).await?;
    let topic_names: HashMap<Uuid, String> = topic::Entity::find()
        .filter(topic::Column::ArchivedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut topics: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in trainer_topic::Entity::find().all(db).await? {
        if let Some(name) = topic_names.get(&row.topic_id) {
            topics.entry(row.trainer_id).or_default().push(name.clone());
        }
    }
    let mut regions: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in trainer_region::Entity::find()
        .order_by_asc(trainer_region::Column::Region)
        .all(db)
        .await?
    {
        regions.entry(row.trainer_id).or_default().push(row.region);
    }
    let (month, load) = load_this_month(db, now).await?;
    let mut next_away: HashMap<Uuid, Span> = HashMap::new();
    for period in trainer_unavailability::Entity::find()
        .filter(trainer_unavailability::Column::EndsAt.gt(now))
        .order_by_asc(trainer_unavailability::Column::StartsAt)
        .all(db)
        .await?
    {
        next_away
            .entry(period.trainer_id)
            .or_insert_with(|| Span::new(period.starts_at, period.ends_at));
    }
    let entries = trainers
        .into_iter()
        .map(|trainer| {
            let id = trainer.person.id;
            let mut covered = topics.remove(&id).unwrap_or_default();
            covered.sort();
            RosterEntry {
                topics: covered,
                regions: regions.remove(&id).unwrap_or_default(),
                load: load.get(&id).copied().unwrap_or(0),
                next_away: next_away.get(&id).copied(),
                trainer,
            }
        })
        .collect();
    Ok(Roster { month, entries })
}

/// One person's trainer profile as a coordinator sets it.
#[derive(Debug, Clone)]
pub struct ProfileSheet {
    pub person: Person,
    /// `None`: not a trainer yet (saving the form makes them one).
    pub monthly_cap: Option<i32>,
    pub topic_ids: Vec<Uuid>,
    pub regions: Vec<String>,
    /// The catalogue to choose from, by name (archived topics left out).
    pub catalogue: Vec<topic::Model>,
    pub load: u64,
    pub month: Span,
    /// Away periods under way or ahead, by start.
    pub away: Vec<Span>,
}

/// A person's trainer profile (or that they have none), for coordinators:
/// seven statements. `NOT_FOUND` for an unknown or erased account.
pub async fn profile_sheet(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    person_id: Uuid,
    now: DateTime<Utc>,
) -> Result<ProfileSheet> {
    authorize(viewer, Action::ListTrainers)?;
    let person = user::Entity::find_by_id(person_id)
        .filter(user::Column::ErasedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let profile = trainer_profile::Entity::find_by_id(person_id).one(db).await?;
    let topic_ids = trainer_topic::Entity::find()
        .filter(trainer_topic::Column::TrainerId.eq(person_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.topic_id)
        .collect();
    let regions = trainer_region::Entity::find()
        .filter(trainer_region::Column::TrainerId.eq(person_id))
        .order_by_asc(trainer_region::Column::Region)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.region)
        .collect();
    let catalogue = crate::domain::topics::list(db, false).await?;
    let month = month_of(now);
    let load = loads_in(db, month, Some(person_id)).await?;
    let away = trainer_unavailability::Entity::find()
        .filter(trainer_unavailability::Column::TrainerId.eq(person_id))
        .filter(trainer_unavailability::Column::EndsAt.gt(now))
        .order_by_asc(trainer_unavailability::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|p| Span::new(p.starts_at, p.ends_at))
        .collect();
    Ok(ProfileSheet {
        person: Person::from(person),
        monthly_cap: profile.map(|p| p.monthly_cap),
        topic_ids,
        regions,
        catalogue,
        load: load.get(&person_id).copied().unwrap_or(0),
        month,
        away,
    })
}
