//! Calendar feeds: which events each feed carries, and the private feed
//! tokens people subscribe with.
//!
//! A feed token is a random 256-bit secret shown to its owner once; only
//! its SHA-256 is stored, so a copy of the database opens no one's private
//! calendar. Tokens are revocable and independent of sign-in tokens.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{
    AssignmentStatus, EventKind, EventVisibility, assignment, event, event_series, feed_token, group, rsvp, user,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    auth::{Action, EventScope, Viewer, authorize, event_scope, viewer::load_signed_in},
    domain::events::{group_condition, scope_condition, topic_condition},
    domain::values::SingleLine,
    error::{Error, Result},
};

const MAX_LABEL_CHARS: usize = 100;
/// Tokens a person may hold at once; each is a standing way in.
const MAX_ACTIVE_TOKENS: usize = 20;

/// The stored form of a feed secret.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub struct CreatedToken {
    pub token: feed_token::Model,
    /// Shown once, never stored.
    pub secret: String,
}

pub async fn create_token(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    label: &str,
    now: DateTime<Utc>,
) -> Result<CreatedToken> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let label = SingleLine::required("label", label, MAX_LABEL_CHARS)?;
    if active_tokens(db, user_id).await?.len() >= MAX_ACTIVE_TOKENS {
        return Err(Error::validation(
            "label",
            format!("revoke a token first: at most {MAX_ACTIVE_TOKENS} at once"),
        ));
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| Error::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    let secret = URL_SAFE_NO_PAD.encode(raw);
    let token = feed_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        label: Set(label.into()),
        token_hash: Set(hash_secret(&secret)),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(CreatedToken { token, secret })
}

async fn active_tokens(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<feed_token::Model>> {
    Ok(feed_token::Entity::find()
        .filter(feed_token::Column::UserId.eq(user_id))
        .filter(feed_token::Column::RevokedAt.is_null())
        .order_by_asc(feed_token::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The viewer's tokens that still work.
pub async fn list_tokens(db: &impl ConnectionTrait, viewer: &Viewer) -> Result<Vec<feed_token::Model>> {
    authorize(viewer, Action::UseOwnAccount)?;
    active_tokens(db, viewer.user_id().ok_or(Error::Unauthenticated)?).await
}

pub async fn revoke_token(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    authorize(viewer, Action::UseOwnAccount)?;
    let user_id = viewer.user_id().ok_or(Error::Unauthenticated)?;
    let token = feed_token::Entity::find_by_id(id)
        .filter(feed_token::Column::UserId.eq(user_id))
        .filter(feed_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let mut active = token.into_active_model();
    active.revoked_at = Set(Some(now));
    active.update(db).await?;
    Ok(())
}

/// The owner of a live token, as a viewer; unknown, revoked or erased is
/// `NOT_FOUND`.
pub async fn resolve_token(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<Viewer> {
    Ok(resolve_owner(db, secret, now).await?.viewer)
}

/// Whose feed a token opens, and when a calendar last read it.
#[derive(Debug, Clone)]
pub struct FeedOwner {
    pub viewer: Viewer,
    /// When the token's use was last written down (now, if it just was).
    pub last_used_at: DateTime<Utc>,
}

/// How often a token's use is written down: the owner sees "last read",
/// not every poll.
pub const USE_RECORDED_EVERY: Duration = Duration::hours(1);

/// The owner of a live token, with the token's last use; unknown, revoked
/// or erased is `NOT_FOUND`.
pub async fn resolve_owner(db: &impl ConnectionTrait, secret: &str, now: DateTime<Utc>) -> Result<FeedOwner> {
    let token = feed_token::Entity::find()
        .filter(feed_token::Column::TokenHash.eq(hash_secret(secret)))
        .filter(feed_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    let owner = user::Entity::find_by_id(token.user_id)
        .filter(user::Column::ErasedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound)?;
    // Shown to the owner so they can tell which subscriptions are in use;
    // written at most hourly, not on every poll.
    let last_used_at = match token.last_used_at {
        Some(used) if now - used <= USE_RECORDED_EVERY => used,
        _ => {
            feed_token::Entity::update_many()
                .col_expr(feed_token::Column::LastUsedAt, sea_orm::sea_query::Expr::val(now))
                .filter(feed_token::Column::Id.eq(token.id))
                .exec(db)
                .await?;
            now
        }
    };
    Ok(FeedOwner {
        viewer: Viewer::User(load_signed_in(db, owner).await?),
        last_used_at,
    })
}

/// Filters of the public feed; each list narrows when non-empty.
#[derive(Debug, Clone, Default)]
pub struct FeedFilter {
    pub group_slugs: Vec<String>,
    pub kinds: Vec<EventKind>,
    pub regions: Vec<String>,
    pub topics: Vec<String>,
}

impl FeedFilter {
    /// The filter in one canonical form: trimmed and lower-cased as the
    /// conditions compare them, sorted, without repeats, so that equal
    /// filters share one cached render whatever the query string's order.
    pub fn cache_key(&self) -> String {
        fn canonical<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
            let mut values: Vec<String> = values.map(|v| v.trim().to_lowercase()).collect();
            values.sort_unstable();
            values.dedup();
            values
        }
        let kinds = canonical(self.kinds.iter().map(|kind| kind.as_str()));
        let key = (
            canonical(self.group_slugs.iter().map(String::as_str)),
            kinds,
            canonical(self.regions.iter().map(String::as_str)),
            canonical(self.topics.iter().map(String::as_str)),
        );
        // JSON keeps values apart whatever characters they hold.
        serde_json::to_string(&key).unwrap_or_default()
    }
}

/// Feed events with their group, in start order.
pub type FeedEvents = Vec<(event::Model, Option<group::Model>)>;

/// Which events one feed carries, as a condition on `events`: built once per
/// request, then asked for its version (cheap) and, only when the client
/// does not already hold that version, for its rows.
#[derive(Debug, Clone)]
pub struct FeedSelection {
    condition: Condition,
}

/// Identifies what a feed would contain, without loading it.
///
/// Events are never deleted, and every change a feed shows bumps the
/// event's `updated_at` (or its group's or topic's). So the latest change
/// to any event, group or topic names the state of the data, and within one
/// state the feed's window only ever loses events as time passes: the
/// number of events selected then tells which of those sets it is. Two
/// renders with equal versions are therefore byte-for-byte equal, and a
/// version can be the feed's ETag, computed with one aggregate query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeedVersion {
    pub events: i64,
    pub last_event_change: Option<DateTime<Utc>>,
    pub last_group_change: Option<DateTime<Utc>>,
    pub last_topic_change: Option<DateTime<Utc>>,
    /// The earliest end among the events selected: the first one to leave
    /// the window as time passes, so until then (and no write) the version
    /// holds. A function of the rest, so it never splits one version.
    pub first_end: Option<DateTime<Utc>>,
    /// A series is written whole from its own row, so its change counts.
    pub last_series_change: Option<DateTime<Utc>>,
}

/// Latest change of every row of a table; each is one step down an index
/// on `updated_at` (events) or a scan of a few hundred rows.
fn latest_change(table: &str) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::cust(format!("(SELECT MAX(updated_at) FROM \"{table}\")"))
}

impl FeedSelection {
    /// The feed's version: one statement, whatever the filter.
    pub async fn version(&self, db: &impl ConnectionTrait) -> Result<FeedVersion> {
        type Latest = Option<DateTime<Utc>>;
        let row: Option<(i64, Latest, Latest, Latest, Latest, Latest)> = event::Entity::find()
            .select_only()
            .column_as(sea_orm::sea_query::Expr::cust("COUNT(*)"), "events")
            .column_as(latest_change("events"), "last_event_change")
            .column_as(latest_change("groups"), "last_group_change")
            .column_as(latest_change("topics"), "last_topic_change")
            .column_as(event::Column::EndsAt.min(), "first_end")
            .column_as(latest_change("event_series"), "last_series_change")
            .filter(self.condition.clone())
            .into_tuple()
            .one(db)
            .await?;
        let (events, last_event_change, last_group_change, last_topic_change, first_end, last_series_change) =
            row.unwrap_or((0, None, None, None, None, None));
        Ok(FeedVersion {
            events,
            last_event_change,
            last_group_change,
            last_topic_change,
            first_end,
            last_series_change,
        })
    }

    fn query(&self) -> sea_orm::Select<event::Entity> {
        event::Entity::find()
            .filter(self.condition.clone())
            .order_by_asc(event::Column::StartsAt)
            .order_by_asc(event::Column::Id)
    }

    /// The series with an occurrence in the feed: each is written whole
    /// (one VEVENT with its rule, and its changed occurrences), whatever
    /// window or filter selected it.
    pub async fn series(&self, db: &impl ConnectionTrait) -> Result<Vec<SeriesInFeed>> {
        let ids: Vec<Uuid> = event::Entity::find()
            .select_only()
            .column(event::Column::SeriesId)
            .distinct()
            .filter(self.condition.clone())
            .filter(event::Column::SeriesId.is_not_null())
            .into_tuple::<Option<Uuid>>()
            .all(db)
            .await?
            .into_iter()
            .flatten()
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows: HashMap<Uuid, Vec<event::Model>> = HashMap::new();
        for row in event::Entity::find()
            .filter(event::Column::SeriesId.is_in(ids.iter().copied()))
            .order_by_asc(event::Column::OriginalStartsAt)
            .order_by_asc(event::Column::Id)
            .all(db)
            .await?
        {
            if let Some(id) = row.series_id {
                rows.entry(id).or_default().push(row);
            }
        }
        Ok(event_series::Entity::find()
            .filter(event_series::Column::Id.is_in(ids))
            .order_by_asc(event_series::Column::LocalStartsAt)
            .order_by_asc(event_series::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|series| {
                let occurrences = rows.remove(&series.id).unwrap_or_default();
                SeriesInFeed { series, occurrences }
            })
            .collect())
    }

    /// The single events (no series) one at a time, in start order.
    pub async fn stream_single<'a, C>(
        &self,
        db: &'a C,
    ) -> Result<impl futures_util::Stream<Item = std::result::Result<event::Model, sea_orm::DbErr>> + Send + 'a>
    where
        C: ConnectionTrait + sea_orm::StreamTrait + Send,
    {
        Ok(self
            .query()
            .filter(event::Column::SeriesId.is_null())
            .stream(db)
            .await?)
    }

    /// The events with their groups, all in memory: for small feeds and tests.
    pub async fn load(&self, db: &impl ConnectionTrait) -> Result<FeedEvents> {
        Ok(self.query().find_also_related(group::Entity).all(db).await?)
    }

    /// The events one at a time, in start order, so that a feed of any size
    /// is rendered without holding its rows; their groups come from
    /// [`groups_by_id`], loaded once.
    pub async fn stream<'a, C>(
        &self,
        db: &'a C,
    ) -> Result<impl futures_util::Stream<Item = std::result::Result<event::Model, sea_orm::DbErr>> + Send + 'a>
    where
        C: ConnectionTrait + sea_orm::StreamTrait + Send,
    {
        Ok(self.query().stream(db).await?)
    }
}

/// A series in a feed, with all its occurrences in order.
pub struct SeriesInFeed {
    pub series: event_series::Model,
    pub occurrences: Vec<event::Model>,
}

/// Every group by id: a feed names the group of each event, and a network
/// has a few hundred groups at most, so one small query beats a join that
/// repeats each group's row for every one of its events.
pub async fn groups_by_id(db: &impl ConnectionTrait) -> Result<HashMap<Uuid, group::Model>> {
    Ok(group::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|group| (group.id, group))
        .collect())
}

/// Public events from `since` on, cancelled ones included so that
/// calendars learn of cancellations.
pub fn public_feed(filter: &FeedFilter, since: DateTime<Utc>) -> FeedSelection {
    let mut condition = Condition::all()
        .add(event::Column::Visibility.eq(EventVisibility::Public))
        .add(event::Column::EndsAt.gte(since))
        .add(group_condition(&filter.group_slugs, &filter.regions))
        .add(topic_condition(&filter.topics));
    if !filter.kinds.is_empty() {
        condition = condition.add(event::Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    FeedSelection { condition }
}

/// A person's own feed: what they may see (public events and the
/// members-only events of their groups, or everything for staff), plus
/// the events they answered and the engagements they deliver.
pub fn private_feed(owner: &Viewer, since: DateTime<Utc>) -> Result<FeedSelection> {
    let user_id = owner.user_id().ok_or(Error::NotFound)?;
    let scope = event_scope(owner);
    let mut visible = Condition::any().add(scope_condition(&scope));
    if scope != EventScope::All {
        visible = visible
            .add(
                event::Column::Id.in_subquery(
                    rsvp::Entity::find()
                        .select_only()
                        .column(rsvp::Column::EventId)
                        .filter(rsvp::Column::UserId.eq(user_id))
                        .into_query(),
                ),
            )
            .add(
                event::Column::RequestId.in_subquery(
                    assignment::Entity::find()
                        .select_only()
                        .column(assignment::Column::RequestId)
                        .filter(assignment::Column::TrainerId.eq(user_id))
                        .filter(assignment::Column::Status.eq(AssignmentStatus::Accepted))
                        .into_query(),
                ),
            );
    }
    Ok(FeedSelection {
        condition: Condition::all().add(event::Column::EndsAt.gte(since)).add(visible),
    })
}

/// The feed change stamp (`feed_changes`, moved by triggers in the same
/// transaction as every write to what feeds are made from): while it
/// reads the same, nothing any feed holds has changed, except by time.
/// One row by its key: the cheapest statement there is.
pub async fn change_stamp(db: &impl ConnectionTrait) -> Result<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT stamp FROM feed_changes WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("feed_changes holds no row")))?;
    Ok(row.try_get::<i64>("", "stamp")?)
}

/// Identifies what one person's feed holds, without loading it: the facts
/// that decide which events it carries and how (their role, their
/// memberships, their RSVPs, their accepted engagements) and, over the
/// events those select, the count, the latest change and the first end,
/// with the latest change to any group (each event names its group).
///
/// As for [`FeedVersion`]: events are never deleted, every change a feed
/// shows moves the event's `updated_at`, and with the facts fixed the
/// selection only loses events as time passes. An event that enters the
/// selection or changes in it carries the latest change; one that leaves
/// lowers the count. So equal versions render equal bytes, and an edit to
/// an event this person's feed does not hold leaves it alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateFeedVersion {
    pub owner: Uuid,
    pub role: entity::UserRole,
    /// (group, role, status), in group order.
    pub memberships: Vec<(Uuid, entity::MembershipRole, entity::MembershipStatus)>,
    /// (event, status), in event order: which events they answered, and
    /// where they have a place (venues kept for those going).
    pub rsvps: Vec<(Uuid, entity::RsvpStatus)>,
    /// The requests whose engagement they accepted, in order.
    pub engagements: Vec<Uuid>,
    pub events: i64,
    pub last_event_change: Option<DateTime<Utc>>,
    pub last_group_change: Option<DateTime<Utc>>,
    /// As [`FeedVersion::first_end`].
    pub first_end: Option<DateTime<Utc>>,
}

/// The version of `owner`'s own feed of events ending from `since` on: four
/// small statements, whatever the feed's size, and nothing rendered.
pub async fn private_version(
    db: &impl ConnectionTrait,
    owner: &Viewer,
    since: DateTime<Utc>,
) -> Result<PrivateFeedVersion> {
    type Latest = Option<DateTime<Utc>>;
    let person = owner.signed_in().ok_or(Error::NotFound)?;
    let mut memberships: Vec<_> = person
        .memberships
        .iter()
        .map(|m| (m.group_id, m.role, m.status))
        .collect();
    memberships.sort_by_key(|m| m.0);
    let rsvps: Vec<(Uuid, entity::RsvpStatus)> = rsvp::Entity::find()
        .select_only()
        .column(rsvp::Column::EventId)
        .column(rsvp::Column::Status)
        .filter(rsvp::Column::UserId.eq(person.id))
        .order_by_asc(rsvp::Column::EventId)
        .into_tuple()
        .all(db)
        .await?;
    let engagements: Vec<Uuid> = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::RequestId)
        .filter(assignment::Column::TrainerId.eq(person.id))
        .filter(assignment::Column::Status.eq(AssignmentStatus::Accepted))
        .order_by_asc(assignment::Column::RequestId)
        .into_tuple()
        .all(db)
        .await?;
    let selection = private_feed(owner, since)?;
    let row: Option<(i64, Latest, Latest, Latest)> = event::Entity::find()
        .select_only()
        .column_as(sea_orm::sea_query::Expr::cust("COUNT(*)"), "events")
        .column_as(event::Column::UpdatedAt.max(), "last_event_change")
        .column_as(latest_change("groups"), "last_group_change")
        .column_as(event::Column::EndsAt.min(), "first_end")
        .filter(selection.condition)
        .into_tuple()
        .one(db)
        .await?;
    let (events, last_event_change, last_group_change, first_end) = row.unwrap_or((0, None, None, None));
    Ok(PrivateFeedVersion {
        owner: person.id,
        role: person.role,
        memberships,
        rsvps,
        engagements,
        events,
        last_event_change,
        last_group_change,
        first_end,
    })
}
