//! Each person's choice per topic: immediately, in a daily digest, or
//! never. A topic without a row has its default; account messages have no
//! topic and are always sent.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::notification_setting;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::OnConflict};
use uuid::Uuid;

use super::{Delivery, NotificationTopic};
use crate::{
    auth::{Action, Viewer, authorize},
    domain::Work,
    error::{Error, Result},
};

/// Every topic with the viewer's choice (or its default), in a fixed order.
pub async fn mine(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Vec<(NotificationTopic, Delivery)>> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let chosen = of_user(db, user_id).await?;
    Ok(NotificationTopic::ALL
        .into_iter()
        .map(|topic| (topic, chosen.get(&topic).copied().unwrap_or(topic.default_delivery())))
        .collect())
}

async fn of_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<HashMap<NotificationTopic, Delivery>> {
    let rows = notification_setting::Entity::find()
        .filter(notification_setting::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((NotificationTopic::parse(&row.kind)?, Delivery::parse(&row.delivery)?)))
        .collect())
}

/// Sets the viewer's choices; topics left out keep theirs.
pub async fn update(
    work: &Work,
    viewer: &Viewer,
    choices: &[(NotificationTopic, Delivery)],
    now: DateTime<Utc>,
) -> Result<Vec<(NotificationTopic, Delivery)>> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    for (topic, delivery) in choices {
        set(work, user_id, *topic, *delivery, now).await?;
    }
    mine(work, viewer).await
}

/// Sets one choice for `user_id` (also from a signed unsubscribe link,
/// without signing in).
pub async fn set(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    topic: NotificationTopic,
    delivery: Delivery,
    now: DateTime<Utc>,
) -> Result<()> {
    notification_setting::Entity::insert(notification_setting::ActiveModel {
        user_id: Set(user_id),
        kind: Set(topic.as_str().to_owned()),
        delivery: Set(delivery.as_str().to_owned()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([notification_setting::Column::UserId, notification_setting::Column::Kind])
            .update_columns([
                notification_setting::Column::Delivery,
                notification_setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// How each of `users` wants `topic`, in one query.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    users: &[Uuid],
    topic: NotificationTopic,
) -> Result<HashMap<Uuid, Delivery>> {
    let mut chosen: HashMap<Uuid, Delivery> = users.iter().map(|u| (*u, topic.default_delivery())).collect();
    if users.is_empty() {
        return Ok(chosen);
    }
    let rows = notification_setting::Entity::find()
        .filter(notification_setting::Column::UserId.is_in(users.iter().copied()))
        .filter(notification_setting::Column::Kind.eq(topic.as_str()))
        .all(db)
        .await?;
    for row in rows {
        if let Some(delivery) = Delivery::parse(&row.delivery) {
            chosen.insert(row.user_id, delivery);
        }
    }
    Ok(chosen)
}

/// On erasure: the person's choices go with them.
pub async fn forget(db: &impl ConnectionTrait, user_id: Uuid) -> Result<()> {
    notification_setting::Entity::delete_many()
        .filter(notification_setting::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
