//! Notifications: each person's choices, and the outbox for admins.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};

use crate::{
    domain::{
        in_work,
        notifications::{
            Delivery, NotificationTopic,
            outbox::{self, Status},
            settings,
        },
    },
    graphql::{
        context::{db, now, viewer},
        error::ApiResult,
    },
};

/// What a kind of message is about; each has one choice.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "NotificationTopic")]
pub enum GqlTopic {
    /// Trainers: offers to deliver a talk or workshop, the reminder when one
    /// goes unanswered, and offers or engagements called off.
    Offers,
    /// Trainers: the day before an engagement.
    EngagementReminders,
    /// A group's organisers: news of the requests the group made.
    RequestUpdates,
    /// Coordinators: a new request arrived (a daily digest unless chosen otherwise).
    NewRequests,
    /// Coordinators: a trainer declined, an offer went unanswered, a request's preferred dates are about to pass.
    QueueAlerts,
    /// A place came free for you at an event you were waiting for.
    Places,
    /// An event you are going to moved or was cancelled.
    EventChanges,
    /// The day before an event you are going to (off unless chosen).
    EventReminders,
    /// Organisers: someone asked to join. Members: you were approved.
    Membership,
}

impl From<GqlTopic> for NotificationTopic {
    fn from(topic: GqlTopic) -> Self {
        match topic {
            GqlTopic::Offers => Self::Offers,
            GqlTopic::EngagementReminders => Self::EngagementReminders,
            GqlTopic::RequestUpdates => Self::RequestUpdates,
            GqlTopic::NewRequests => Self::NewRequests,
            GqlTopic::QueueAlerts => Self::QueueAlerts,
            GqlTopic::Places => Self::Places,
            GqlTopic::EventChanges => Self::EventChanges,
            GqlTopic::EventReminders => Self::EventReminders,
            GqlTopic::Membership => Self::Membership,
        }
    }
}

impl From<NotificationTopic> for GqlTopic {
    fn from(topic: NotificationTopic) -> Self {
        match topic {
            NotificationTopic::Offers => Self::Offers,
            NotificationTopic::EngagementReminders => Self::EngagementReminders,
            NotificationTopic::RequestUpdates => Self::RequestUpdates,
            NotificationTopic::NewRequests => Self::NewRequests,
            NotificationTopic::QueueAlerts => Self::QueueAlerts,
            NotificationTopic::Places => Self::Places,
            NotificationTopic::EventChanges => Self::EventChanges,
            NotificationTopic::EventReminders => Self::EventReminders,
            NotificationTopic::Membership => Self::Membership,
        }
    }
}

/// How to be told.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "NotificationDelivery")]
pub enum GqlDelivery {
    /// A message as it happens.
    Immediately,
    /// Held and sent with the others each morning (08:00 UK time).
    Daily,
    /// Not at all.
    Never,
}

impl From<GqlDelivery> for Delivery {
    fn from(d: GqlDelivery) -> Self {
        match d {
            GqlDelivery::Immediately => Self::Immediately,
            GqlDelivery::Daily => Self::Daily,
            GqlDelivery::Never => Self::Never,
        }
    }
}

impl From<Delivery> for GqlDelivery {
    fn from(d: Delivery) -> Self {
        match d {
            Delivery::Immediately => Self::Immediately,
            Delivery::Daily => Self::Daily,
            Delivery::Never => Self::Never,
        }
    }
}

/// One choice: what about, and how.
#[derive(SimpleObject)]
pub struct NotificationSetting {
    /// What the messages are about.
    pub topic: GqlTopic,
    /// How you get them.
    pub delivery: GqlDelivery,
    /// The topic in plain words.
    pub description: String,
}

fn listed(choices: Vec<(NotificationTopic, Delivery)>) -> Vec<NotificationSetting> {
    choices
        .into_iter()
        .map(|(topic, delivery)| NotificationSetting {
            topic: topic.into(),
            delivery: delivery.into(),
            description: topic.describe().to_owned(),
        })
        .collect()
}

/// A choice to make.
#[derive(InputObject)]
pub struct NotificationSettingInput {
    /// The topic to change.
    pub topic: GqlTopic,
    /// How you want it from now on.
    pub delivery: GqlDelivery,
}

/// How many messages are in one state, of one kind.
#[derive(SimpleObject)]
pub struct OutboxCount {
    /// `PENDING`, `SENDING`, `SENT`, `FAILED` or `DROPPED`.
    pub status: String,
    /// e.g. `TRAINER_OFFER`.
    pub kind: String,
    /// How many.
    pub count: i32,
}

/// The outbox by counts: never an address, a subject or a body.
#[derive(SimpleObject)]
pub struct OutboxSummary {
    /// Waiting to be sent (including daily digests held until the morning).
    pub pending: i32,
    /// Being sent now, or left by a sender that stopped mid-send (sent again after 10 minutes).
    pub sending: i32,
    /// Given up after every retry; `retryFailedMessages` puts them back.
    pub failed: i32,
    /// Sent (kept as a record; bodies removed after the outbox retention period).
    pub sent: i32,
    /// Nobody to send to any more (an erased account, a purged contact).
    pub dropped: i32,
    /// Every count by state and kind of message.
    pub by_kind: Vec<OutboxCount>,
}

fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your choice for each topic of message (or its default). Account
    /// messages (password reset, verification) are not among them: they
    /// are always sent.
    async fn notification_settings(&self, ctx: &Context<'_>) -> ApiResult<Vec<NotificationSetting>> {
        Ok(listed(settings::mine(db(ctx), viewer(ctx)).await?))
    }

    /// Admins only: what the outbox holds, by state and kind.
    async fn outbox(&self, ctx: &Context<'_>) -> ApiResult<OutboxSummary> {
        let summary = outbox::summary_for(db(ctx), viewer(ctx)).await?;
        Ok(OutboxSummary {
            pending: count(summary.total(Status::Pending)),
            sending: count(summary.total(Status::Sending)),
            failed: count(summary.total(Status::Failed)),
            sent: count(summary.total(Status::Sent)),
            dropped: count(summary.total(Status::Dropped)),
            by_kind: summary
                .counts
                .into_iter()
                .map(|((status, kind), n)| OutboxCount {
                    status,
                    kind,
                    count: count(n),
                })
                .collect(),
        })
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Changes your choices; topics left out keep theirs. Answers every topic.
    async fn update_notification_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topics to change, each with how you want it.")] settings: Vec<NotificationSettingInput>,
    ) -> ApiResult<Vec<NotificationSetting>> {
        let choices: Vec<(NotificationTopic, Delivery)> = settings
            .into_iter()
            .map(|s| (s.topic.into(), s.delivery.into()))
            .collect();
        let updated = in_work(db(ctx), async |work| {
            settings::update(work, viewer(ctx), &choices, now(ctx)).await
        })
        .await?;
        Ok(listed(updated))
    }

    /// Admins only: puts every message that failed after all its retries
    /// back in the queue; answers how many.
    async fn retry_failed_messages(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        Ok(count(outbox::retry_failed_for(db(ctx), viewer(ctx), now(ctx)).await?))
    }
}
