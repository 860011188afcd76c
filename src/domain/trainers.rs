//! Trainer profiles: which topics and regions a trainer covers, how many
//! engagements a month they take, and when they are away. Coordinators
//! find trainers with [`find_trainers`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{assignment, topic, trainer_profile, trainer_region, trainer_topic, trainer_unavailability, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use crate::{
    auth::{Action, Viewer, authorize},
    domain::Work,
    domain::audit::{self, AuditAction, NewAuditEntry},
    domain::batch,
    domain::requests::matching::live_assignments,
    domain::values::{AllValid, SingleLine, in_range},
    error::{Error, Result},
};

const MAX_MONTHLY_CAP: i32 = 31;
const MAX_REGIONS: usize = 20;
const MAX_REGION_CHARS: usize = 60;
const MAX_NOTE_CHARS: usize = 200;

/// The trainer a call is about: the one named, or the viewer.
fn target(viewer: &Viewer, trainer_id: Option<Uuid>) -> Result<Uuid> {
    trainer_id.or(viewer.user_id()).ok_or(Error::Unauthenticated)
}

/// Records a change someone made to another person's trainer profile or
/// away periods, in the change's transaction; one's own edits are not
/// someone else's access.
async fn audit_change(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    trainer_id: Uuid,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if viewer.user_id() == Some(trainer_id) {
        return Ok(());
    }
    audit::record(
        db,
        NewAuditEntry {
            actor_id: viewer.user_id(),
            subject_id: Some(trainer_id),
            request_id: None,
            action: AuditAction::ChangeTrainerProfile,
            operation: operation.to_owned(),
        },
        now,
    )
    .await
}

async fn authorize_for(db: &impl ConnectionTrait, viewer: &Viewer, trainer_id: Uuid) -> Result<bool> {
    let profile_exists = trainer_profile::Entity::find_by_id(trainer_id).count(db).await? > 0;
    authorize(
        viewer,
        Action::ManageTrainerProfile {
            trainer_id,
            profile_exists,
        },
    )?;
    Ok(profile_exists)
}

pub struct ProfileInput {
    pub topic_ids: Vec<Uuid>,
    pub regions: Vec<String>,
    pub monthly_cap: i32,
}

fn clean_regions(regions: &[String]) -> Result<Vec<String>> {
    let mut cleaned: Vec<String> = Vec::new();
    for region in regions {
        let region = String::from(SingleLine::required("regions", region, MAX_REGION_CHARS)?);
        if !cleaned.iter().any(|r| r.eq_ignore_ascii_case(&region)) {
            cleaned.push(region);
        }
    }
    if cleaned.len() > MAX_REGIONS {
        return Err(Error::validation("regions", format!("at most {MAX_REGIONS}")));
    }
    Ok(cleaned)
}

/// Sets a trainer's topics, regions and monthly cap, replacing the old
/// ones. Coordinators may make anyone a trainer; a trainer edits their own.
pub async fn set_profile(
    work: &Work,
    viewer: &Viewer,
    trainer_id: Option<Uuid>,
    input: ProfileInput,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<trainer_profile::Model> {
    let trainer_id = target(viewer, trainer_id)?;
    let exists = authorize_for(work, viewer, trainer_id).await?;
    let (_, regions) = (
        in_range("monthlyCap", input.monthly_cap, 0..=MAX_MONTHLY_CAP),
        clean_regions(&input.regions),
    )
        .all_valid()?;
    let mut topic_ids = input.topic_ids.clone();
    topic_ids.sort_unstable();
    topic_ids.dedup();
    let known = topic::Entity::find()
        .filter(topic::Column::Id.is_in(topic_ids.iter().copied()))
        .filter(topic::Column::ArchivedAt.is_null())
        .count(work)
        .await?;
    if known != topic_ids.len() as u64 {
        return Err(Error::validation("topicIds", "must all be topics of the catalogue"));
    }
    if user::Entity::find_by_id(trainer_id)
        .filter(user::Column::ErasedAt.is_null())
        .count(work)
        .await?
        == 0
    {
        return Err(Error::NotFound);
    }

    let profile = if exists {
        let profile = trainer_profile::Entity::find_by_id(trainer_id)
            .one(work)
            .await?
            .ok_or(Error::NotFound)?;
        let mut active = profile.into_active_model();
        active.monthly_cap = Set(input.monthly_cap);
        active.updated_at = Set(now);
        active.update(work).await?
    } else {
        trainer_profile::ActiveModel {
            id: Set(trainer_id),
            monthly_cap: Set(input.monthly_cap),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(work)
        .await?
    };
    trainer_topic::Entity::delete_many()
        .filter(trainer_topic::Column::TrainerId.eq(trainer_id))
        .exec(work)
        .await?;
    trainer_region::Entity::delete_many()
        .filter(trainer_region::Column::TrainerId.eq(trainer_id))
        .exec(work)
        .await?;
    if !topic_ids.is_empty() {
        trainer_topic::Entity::insert_many(topic_ids.iter().map(|id| trainer_topic::ActiveModel {
            trainer_id: Set(trainer_id),
            topic_id: Set(*id),
        }))
        .exec_without_returning(work)
        .await?;
    }
    if !regions.is_empty() {
        trainer_region::Entity::insert_many(regions.iter().map(|r| trainer_region::ActiveModel {
            trainer_id: Set(trainer_id),
            region: Set(r.clone()),
        }))
        .exec_without_returning(work)
        .await?;
    }
    audit_change(work, viewer, trainer_id, operation, now).await?;
    Ok(profile)
}

pub struct NewAwayPeriod<'a> {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: Option<&'a str>,
}

/// Records a period a trainer is away.
pub async fn add_unavailability(
    work: &Work,
    viewer: &Viewer,
    trainer_id: Option<Uuid>,
    period: NewAwayPeriod<'_>,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<trainer_unavailability::Model> {
    let NewAwayPeriod {
        starts_at,
        ends_at,
        note,
    } = period;
    let trainer_id = target(viewer, trainer_id)?;
    if !authorize_for(work, viewer, trainer_id).await? {
        return Err(Error::NotFound);
    }
    let times = if ends_at <= starts_at {
        Err(Error::validation("endsAt", "must be after startsAt"))
    } else {
        Ok(())
    };
    let ((), note) = (times, SingleLine::optional("note", note, MAX_NOTE_CHARS)).all_valid()?;
    let period = trainer_unavailability::ActiveModel {
        id: Set(Uuid::new_v4()),
        trainer_id: Set(trainer_id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        note: Set(note.map(String::from)),
        created_at: Set(now),
    }
    .insert(work)
    .await?;
    audit_change(work, viewer, trainer_id, operation, now).await?;
    Ok(period)
}

pub async fn remove_unavailability(
    work: &Work,
    viewer: &Viewer,
    id: Uuid,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    authorize(viewer, Action::UseOwnAccount)?;
    let period = trainer_unavailability::Entity::find_by_id(id)
        .one(work)
        .await?
        .ok_or(Error::NotFound)?;
    authorize_for(work, viewer, period.trainer_id).await?;
    trainer_unavailability::Entity::delete_by_id(id).exec(work).await?;
    audit_change(work, viewer, period.trainer_id, operation, now).await?;
    Ok(())
}

/// A trainer's own profile (or, for staff, anyone's); reading follows the
/// same rule as editing.
pub async fn get_profile(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    trainer_id: Option<Uuid>,
) -> Result<Option<trainer_profile::Model>> {
    let trainer_id = target(viewer, trainer_id)?;
    authorize(
        viewer,
        Action::ManageTrainerProfile {
            trainer_id,
            profile_exists: true,
        },
    )?;
    Ok(trainer_profile::Entity::find_by_id(trainer_id).one(db).await?)
}

/// What coordinators search trainers by; every given field narrows.
#[derive(Debug, Default, Clone)]
pub struct TrainerSearch {
    pub topic_slug: Option<String>,
    pub region: Option<String>,
    /// Free for the whole of this period: not away, and no proposed or
    /// accepted engagement overlapping it.
    pub available_between: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Trainers matching the search, for coordinators, by name.
pub async fn find_trainers(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    search: &TrainerSearch,
) -> Result<Vec<trainer_profile::Model>> {
    authorize(viewer, Action::ListTrainers)?;
    let mut condition = Condition::all().add(
        trainer_profile::Column::Id.in_subquery(
            user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::ErasedAt.is_null())
                .into_query(),
        ),
    );
    if let Some(slug) = search.topic_slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        condition = condition.add(
            trainer_profile::Column::Id.in_subquery(
                trainer_topic::Entity::find()
                    .select_only()
                    .column(trainer_topic::Column::TrainerId)
                    .filter(
                        trainer_topic::Column::TopicId.in_subquery(
                            topic::Entity::find()
                                .select_only()
                                .column(topic::Column::Id)
                                .filter(topic::Column::Slug.eq(slug.to_lowercase()))
                                .into_query(),
                        ),
                    )
                    .into_query(),
            ),
        );
    }
    if let Some(region) = search.region.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        condition = condition.add(
            trainer_profile::Column::Id.in_subquery(
                trainer_region::Entity::find()
                    .select_only()
                    .column(trainer_region::Column::TrainerId)
                    .filter(ExprTrait::eq(
                        Func::lower(Expr::col(trainer_region::Column::Region)),
                        region.to_lowercase(),
                    ))
                    .into_query(),
            ),
        );
    }
    if let Some((starts_at, ends_at)) = search.available_between {
        if ends_at <= starts_at {
            return Err(Error::validation("availableBetween", "endsAt must be after startsAt"));
        }
        condition = condition
            .add(
                trainer_profile::Column::Id.not_in_subquery(
                    trainer_unavailability::Entity::find()
                        .select_only()
                        .column(trainer_unavailability::Column::TrainerId)
                        .filter(trainer_unavailability::Column::StartsAt.lt(ends_at))
                        .filter(trainer_unavailability::Column::EndsAt.gt(starts_at))
                        .into_query(),
                ),
            )
            .add(
                trainer_profile::Column::Id.not_in_subquery(
                    assignment::Entity::find()
                        .select_only()
                        .column(assignment::Column::TrainerId)
                        .filter(live_assignments())
                        .filter(assignment::Column::StartsAt.lt(ends_at))
                        .filter(assignment::Column::EndsAt.gt(starts_at))
                        .into_query(),
                ),
            );
    }
    let rows = trainer_profile::Entity::find()
        .filter(condition)
        .find_also_related(user::Entity)
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(profile, _user)| profile).collect())
}

/// Topics and regions of several trainers, in two queries.
pub async fn coverage(
    db: &impl ConnectionTrait,
    trainer_ids: &[Uuid],
) -> Result<HashMap<Uuid, (Vec<Uuid>, Vec<String>)>> {
    let mut coverage: HashMap<Uuid, (Vec<Uuid>, Vec<String>)> =
        trainer_ids.iter().map(|id| (*id, (Vec::new(), Vec::new()))).collect();
    for row in trainer_topic::Entity::find()
        .filter(trainer_topic::Column::TrainerId.is_in(trainer_ids.iter().copied()))
        .all(db)
        .await?
    {
        coverage.entry(row.trainer_id).or_default().0.push(row.topic_id);
    }
    for row in trainer_region::Entity::find()
        .filter(trainer_region::Column::TrainerId.is_in(trainer_ids.iter().copied()))
        .order_by_asc(trainer_region::Column::Region)
        .all(db)
        .await?
    {
        coverage.entry(row.trainer_id).or_default().1.push(row.region);
    }
    Ok(coverage)
}

/// Unavailable periods of several trainers, in one query, by start.
pub async fn unavailability(
    db: &impl ConnectionTrait,
    trainer_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<trainer_unavailability::Model>>> {
    let rows = trainer_unavailability::Entity::find()
        .filter(trainer_unavailability::Column::TrainerId.is_in(trainer_ids.iter().copied()))
        .order_by_asc(trainer_unavailability::Column::StartsAt)
        .all(db)
        .await?;
    Ok(batch::group_by(rows, |row| row.trainer_id))
}
