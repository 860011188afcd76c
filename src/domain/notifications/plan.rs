//! From the journal and the clock to the outbox.
//!
//! [`Planner::run`] reads the domain events recorded since it last ran and
//! turns each into messages, then looks at the clock for what is due
//! (chasers, reminders, windows about to pass). Every message has a key
//! made of its kind, its trigger and its recipient, so planning is
//! idempotent: a replay or a second instance adds nothing.
//!
//! Reading "since last time" by position alone could skip an event: on
//! PostgreSQL a transaction that took its position first may commit after
//! one that took a later position. So each run also re-reads the events of
//! the last [`SETTLE`] (by their time), skipping those this planner has
//! already planned; one committed later than that after its own `now`
//! would be missed, and no step holds a transaction that long.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{
    AssignmentStatus, EventStatus, EventVisibility, MembershipRole, MembershipStatus, RequestKind, RequestState,
    RsvpStatus, UserRole, assignment, domain_event, event, group, journal_cursor, membership, request, request_window,
    rsvp, topic, user,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Delivery, Mailroom, MessageKind,
    letters::{self, EventSummary, Letter, RequestSummary},
    outbox::{self, Outgoing, Recipient},
    settings,
};
use crate::{
    domain::journal::DomainEventKind,
    error::{Error, Result},
};

/// The journal consumer's name in `journal_cursors`.
pub const CONSUMER: &str = "outbox";
/// How far back each run re-reads the journal for late commits.
pub const SETTLE: Duration = Duration::seconds(30);
/// Events read per run.
const BATCH: u64 = 500;
/// How often the clock's rules are looked at.
const SCAN_EVERY: Duration = Duration::minutes(1);
/// How often a scan looks again at what earlier scans already queued.
const FULL_SCAN_EVERY: Duration = Duration::minutes(15);
/// Reminders go out this long before an event or engagement.
pub const REMIND_BEFORE: Duration = Duration::hours(24);
/// Coordinators hear of a request whose last preferred date ends this soon.
pub const WINDOWS_WARNING: Duration = Duration::days(7);

/// Where a message's links point. Kept in one place so that the signed-in
/// pages, as they arrive, are linked from here.
mod paths {
    pub fn request(reference: &str) -> String {
        format!("/request/{reference}")
    }
    pub fn group(slug: &str) -> String {
        format!("/groups/{slug}")
    }
    /// A trainer's open offers, where they accept or decline.
    pub fn offers() -> String {
        "/offers".to_owned()
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanReport {
    pub events_read: usize,
    pub messages_queued: usize,
}

/// A planner's memory between runs: which recent events it has planned
/// and when it last looked at the clock. A fresh one (a restart) re-plans
/// the settle window, which the keys make harmless.
#[derive(Debug, Default)]
pub struct Planner {
    planned: HashMap<i64, DateTime<Utc>>,
    last_scan: Option<DateTime<Utc>>,
    /// What the last clock scan found due and queued, by rule and subject:
    /// skipped on the next scans (its recipients cannot change) instead of
    /// being loaded and rendered again each minute for keys to refuse.
    /// Holds only what is still due, so it stays as small as the backlog,
    /// and is emptied every [`FULL_SCAN_EVERY`], so that a scan whose unit
    /// of work did not commit delays its messages, never loses them.
    scanned: HashSet<String>,
    full_scan_at: Option<DateTime<Utc>>,
}

impl Planner {
    /// One run, in the caller's unit of work.
    pub async fn run(
        &mut self,
        db: &impl ConnectionTrait,
        mailroom: &Mailroom,
        now: DateTime<Utc>,
    ) -> Result<PlanReport> {
        let mut report = PlanReport::default();
        let cursor = journal_cursor::Entity::find_by_id(CONSUMER.to_owned()).one(db).await?;
        let (after, read_at) = cursor.as_ref().map(|c| (c.position, c.updated_at)).unwrap_or((0, now));
        let events = domain_event::Entity::find()
            .filter(
                Condition::any()
                    .add(domain_event::Column::Position.gt(after))
                    .add(domain_event::Column::CreatedAt.gte(read_at - SETTLE)),
            )
            .order_by_asc(domain_event::Column::Position)
            .limit(BATCH)
            .all(db)
            .await?;
        let mut last = after;
        for entry in &events {
            last = last.max(entry.position);
            if self.planned.contains_key(&entry.position) {
                continue;
            }
            report.events_read += 1;
            for message in messages_for(db, mailroom, entry).await? {
                if outbox::enqueue(db, mailroom, message, now).await? {
                    report.messages_queued += 1;
                }
            }
            self.planned.insert(entry.position, entry.created_at);
        }
        self.planned.retain(|_, at| *at >= now - SETTLE - SETTLE);
        move_cursor(db, last, now).await?;

        if self.last_scan.is_none_or(|at| now - at >= SCAN_EVERY) {
            let full = self.full_scan_at.is_none_or(|at| now - at >= FULL_SCAN_EVERY);
            let mut scanned = if full { HashSet::new() } else { self.scanned.clone() };
            for message in due_by_the_clock(db, mailroom, now, &mut scanned).await? {
                if outbox::enqueue(db, mailroom, message, now).await? {
                    report.messages_queued += 1;
                }
            }
            self.scanned = scanned;
            if full {
                self.full_scan_at = Some(now);
            }
            self.last_scan = Some(now);
        }
        Ok(report)
    }
}

async fn move_cursor(db: &impl ConnectionTrait, position: i64, now: DateTime<Utc>) -> Result<()> {
    let moved = journal_cursor::Entity::update_many()
        .col_expr(journal_cursor::Column::Position, Expr::value(position))
        .col_expr(journal_cursor::Column::UpdatedAt, Expr::value(now))
        .filter(journal_cursor::Column::Consumer.eq(CONSUMER))
        .filter(journal_cursor::Column::Position.lte(position))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        let exists = journal_cursor::Entity::find_by_id(CONSUMER.to_owned()).one(db).await?;
        if exists.is_none() {
            use sea_orm::{ActiveModelTrait, Set};
            journal_cursor::ActiveModel {
                consumer: Set(CONSUMER.to_owned()),
                position: Set(position),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Sets the cursor back (tests replaying the journal, an operator
/// re-planning after a fault): the keys keep a replay from sending twice.
pub async fn rewind(db: &impl ConnectionTrait, to: i64, now: DateTime<Utc>) -> Result<()> {
    journal_cursor::Entity::update_many()
        .col_expr(journal_cursor::Column::Position, Expr::value(to))
        .col_expr(journal_cursor::Column::UpdatedAt, Expr::value(now))
        .filter(journal_cursor::Column::Consumer.eq(CONSUMER))
        .exec(db)
        .await?;
    Ok(())
}

/// The people among `candidates` who get a message of `kind`, each with
/// whether it waits for their digest: not the one who acted, only live
/// accounts with a verified address, and not those who chose never.
async fn audience(
    db: &impl ConnectionTrait,
    kind: MessageKind,
    candidates: Vec<Uuid>,
    actor: Option<Uuid>,
) -> Result<Vec<(Uuid, bool)>> {
    let mut candidates: Vec<Uuid> = candidates.into_iter().filter(|id| Some(*id) != actor).collect();
    candidates.sort();
    candidates.dedup();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let reachable: HashSet<Uuid> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(candidates.clone()))
        .filter(user::Column::ErasedAt.is_null())
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let chosen = match kind.topic() {
        Some(topic) => settings::deliveries(db, &candidates, topic).await?,
        None => HashMap::new(),
    };
    Ok(candidates
        .into_iter()
        .filter(|id| reachable.contains(id))
        .filter_map(|id| match chosen.get(&id).copied().unwrap_or(Delivery::Immediately) {
            Delivery::Never => None,
            Delivery::Daily => Some((id, true)),
            Delivery::Immediately => Some((id, false)),
        })
        .collect())
}

/// One message of `kind` for each of `people`.
async fn to_people(
    db: &impl ConnectionTrait,
    kind: MessageKind,
    trigger: &str,
    people: Vec<Uuid>,
    actor: Option<Uuid>,
    letter: &Letter,
) -> Result<Vec<Outgoing>> {
    Ok(audience(db, kind, people, actor)
        .await?
        .into_iter()
        .map(|(id, digest)| Outgoing {
            trigger: trigger.to_owned(),
            kind,
            to: Recipient::User(id),
            digest,
            letter: letter.clone(),
        })
        .collect())
}

async fn coordinators(db: &impl ConnectionTrait) -> Result<Vec<Uuid>> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.is_in([UserRole::Coordinator.as_str(), UserRole::Admin.as_str()]))
        .filter(user::Column::ErasedAt.is_null())
        .into_tuple()
        .all(db)
        .await?)
}

async fn organisers(db: &impl ConnectionTrait, group_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .filter(membership::Column::GroupId.eq(group_id))
        .filter(membership::Column::Role.eq(MembershipRole::Organiser.as_str()))
        .filter(membership::Column::Status.eq(MembershipStatus::Active.as_str()))
        .into_tuple()
        .all(db)
        .await?)
}

async fn attendees(db: &impl ConnectionTrait, event_id: Uuid, statuses: &[RsvpStatus]) -> Result<Vec<Uuid>> {
    Ok(rsvp::Entity::find()
        .select_only()
        .column(rsvp::Column::UserId)
        .filter(rsvp::Column::EventId.eq(event_id))
        .filter(rsvp::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
        .into_tuple()
        .all(db)
        .await?)
}

async fn display_name(db: &impl ConnectionTrait, id: Uuid) -> Result<String> {
    Ok(user::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|u| u.display_name)
        .unwrap_or_else(|| "A former member".to_owned()))
}

async fn load_request(
    db: &impl ConnectionTrait,
    mailroom: &Mailroom,
    id: Uuid,
) -> Result<(request::Model, RequestSummary)> {
    let request = request::Entity::find_by_id(id).one(db).await?.ok_or(Error::NotFound)?;
    let topic = topic::Entity::find_by_id(request.topic_id)
        .one(db)
        .await?
        .map(|t| t.name)
        .unwrap_or_else(|| "a topic".to_owned());
    let summary = RequestSummary {
        what: match request.kind {
            RequestKind::Speaker => "a speaker",
            RequestKind::Workshop => "a workshop",
        },
        topic,
        reference: request.reference.clone(),
        place: if request.online {
            "online".to_owned()
        } else {
            request.town.clone().unwrap_or_else(|| "place to be agreed".to_owned())
        },
        status_url: mailroom.urls.page(&paths::request(&request.reference)),
    };
    Ok((request, summary))
}

async fn load_event(db: &impl ConnectionTrait, mailroom: &Mailroom, id: Uuid) -> Result<(event::Model, EventSummary)> {
    let event = event::Entity::find_by_id(id).one(db).await?.ok_or(Error::NotFound)?;
    let name = match (event.visibility, event.group_id) {
        (EventVisibility::Members, Some(group_id)) => {
            let group = group::Entity::find_by_id(group_id).one(db).await?.map(|g| g.name);
            format!(
                "a members' event of {}",
                group.unwrap_or_else(|| "your group".to_owned())
            )
        }
        (EventVisibility::Members, None) => "a members' event".to_owned(),
        (EventVisibility::Public, _) => event.title.clone(),
    };
    let summary = EventSummary {
        name,
        when: letters::when(event.starts_at, &event.timezone),
        page_url: mailroom.urls.event_page(event.id),
    };
    Ok((event, summary))
}

/// The requester of a request: a group's organisers, or the contact of an
/// outside organisation (while its details are kept).
async fn to_requester(
    db: &impl ConnectionTrait,
    kind: MessageKind,
    trigger: &str,
    request: &request::Model,
    actor: Option<Uuid>,
    letter: &Letter,
) -> Result<Vec<Outgoing>> {
    match request.group_id {
        Some(group_id) => to_people(db, kind, trigger, organisers(db, group_id).await?, actor, letter).await,
        None if request.contact_email.is_some() => Ok(vec![Outgoing {
            trigger: trigger.to_owned(),
            kind,
            to: Recipient::RequestContact(request.id),
            digest: false,
            letter: letter.clone(),
        }]),
        None => Ok(Vec::new()),
    }
}

/// The trainers an offer or engagement of `request_id` concerns now.
async fn trainers_of(db: &impl ConnectionTrait, request_id: Uuid) -> Result<Vec<Uuid>> {
    Ok(assignment::Entity::find()
        .select_only()
        .column(assignment::Column::TrainerId)
        .filter(assignment::Column::RequestId.eq(request_id))
        .filter(
            assignment::Column::Status
                .is_in([AssignmentStatus::Proposed.as_str(), AssignmentStatus::Accepted.as_str()]),
        )
        .into_tuple()
        .all(db)
        .await?)
}

fn windows_text(windows: &[request_window::Model]) -> String {
    let spans: Vec<String> = windows
        .iter()
        .map(|w| {
            format!(
                "{} to {}",
                letters::when(w.starts_at, "Europe/London"),
                letters::when(w.ends_at, "Europe/London")
            )
        })
        .collect();
    if spans.is_empty() {
        "none given".to_owned()
    } else {
        spans.join("; ")
    }
}

/// The messages one journal entry calls for.
async fn messages_for(
    db: &impl ConnectionTrait,
    mailroom: &Mailroom,
    entry: &domain_event::Model,
) -> Result<Vec<Outgoing>> {
    let Some(kind) = DomainEventKind::parse(&entry.kind) else {
        return Ok(Vec::new());
    };
    let actor = entry.actor_id;
    let trigger = format!("journal:{}", entry.id);
    let (request_id, event_id, group_id, user_id) = (entry.request_id, entry.event_id, entry.group_id, entry.user_id);
    use DomainEventKind as K;
    use MessageKind as M;
    let mut out = Vec::new();
    match kind {
        K::RequestSubmitted => {
            let Some(id) = request_id else { return Ok(out) };
            let (request, summary) = load_request(db, mailroom, id).await?;
            let received = letters::request_received(&summary);
            out.extend(to_requester(db, M::RequestReceived, &trigger, &request, actor, &received).await?);
            let new = letters::new_request(&summary, summary.status_url.clone());
            out.extend(to_people(db, M::NewRequest, &trigger, coordinators(db).await?, actor, &new).await?);
        }
        K::RequestAssigned => {
            let (Some(id), Some(assignment_id), Some(trainer)) = (request_id, entry.assignment_id, user_id) else {
                return Ok(out);
            };
            let (_, summary) = load_request(db, mailroom, id).await?;
            let windows = request_window::Entity::find()
                .filter(request_window::Column::RequestId.eq(id))
                .order_by_asc(request_window::Column::StartsAt)
                .all(db)
                .await?;
            let offer = letters::trainer_offer(&summary, &windows_text(&windows), mailroom.urls.page(&paths::offers()));
            let trigger = format!("assignment:{assignment_id}");
            out.extend(to_people(db, M::TrainerOffer, &trigger, vec![trainer], actor, &offer).await?);
        }
        K::RequestConfirmed => {
            let (Some(id), Some(assignment_id), Some(event_id)) = (request_id, entry.assignment_id, event_id) else {
                return Ok(out);
            };
            let (request, summary) = load_request(db, mailroom, id).await?;
            let Some(accepted) = assignment::Entity::find_by_id(assignment_id).one(db).await? else {
                return Ok(out);
            };
            let trainer = display_name(db, accepted.trainer_id).await?;
            let (event, _) = load_event(db, mailroom, event_id).await?;
            let when = letters::when(accepted.starts_at, &event.timezone);
            let confirmed = letters::request_confirmed(&summary, &when, &trainer, mailroom.urls.event_page(event.id));
            out.extend(to_requester(db, M::RequestConfirmed, &trigger, &request, actor, &confirmed).await?);
        }
        K::AssignmentDeclined => {
            let (Some(id), Some(trainer)) = (request_id, user_id) else {
                return Ok(out);
            };
            let (_, summary) = load_request(db, mailroom, id).await?;
            let name = display_name(db, trainer).await?;
            let declined = letters::trainer_declined(&summary, &name, summary.status_url.clone());
            out.extend(
                to_people(
                    db,
                    M::TrainerDeclined,
                    &trigger,
                    coordinators(db).await?,
                    actor,
                    &declined,
                )
                .await?,
            );
        }
        K::RequestDeclined => {
            let Some(id) = request_id else { return Ok(out) };
            let (request, summary) = load_request(db, mailroom, id).await?;
            let declined = letters::request_declined(&summary, request.decline_reason.as_deref());
            out.extend(to_requester(db, M::RequestDeclined, &trigger, &request, actor, &declined).await?);
        }
        K::RequestWithdrawn | K::RequestCancelled => {
            let Some(id) = request_id else { return Ok(out) };
            let (request, summary) = load_request(db, mailroom, id).await?;
            let cancelled = letters::request_cancelled(&summary);
            out.extend(to_requester(db, M::RequestCancelled, &trigger, &request, actor, &cancelled).await?);
            // Keyed by the request, as the cancelled event's path is: the
            // trainer hears once.
            let called_off = letters::engagement_cancelled(&summary);
            let trainers = trainers_of(db, id).await?;
            let engagement = format!("request:{id}");
            out.extend(to_people(db, M::EngagementCancelled, &engagement, trainers, actor, &called_off).await?);
        }
        K::MembershipRequested => {
            let (Some(group_id), Some(person)) = (group_id, user_id) else {
                return Ok(out);
            };
            let Some(group) = group::Entity::find_by_id(group_id).one(db).await? else {
                return Ok(out);
            };
            let name = display_name(db, person).await?;
            let asked = letters::join_requested(&name, &group.name, mailroom.urls.page(&paths::group(&group.slug)));
            out.extend(
                to_people(
                    db,
                    M::JoinRequested,
                    &trigger,
                    organisers(db, group_id).await?,
                    actor,
                    &asked,
                )
                .await?,
            );
        }
        K::MembershipApproved => {
            let (Some(group_id), Some(person)) = (group_id, user_id) else {
                return Ok(out);
            };
            let Some(group) = group::Entity::find_by_id(group_id).one(db).await? else {
                return Ok(out);
            };
            let welcome = letters::membership_approved(&group.name, mailroom.urls.page(&paths::group(&group.slug)));
            out.extend(to_people(db, M::MembershipApproved, &trigger, vec![person], actor, &welcome).await?);
        }
        K::EventMoved => {
            let Some(id) = event_id else { return Ok(out) };
            let (event, summary) = load_event(db, mailroom, id).await?;
            if event.status == EventStatus::Scheduled && event.starts_at > entry.created_at - Duration::hours(1) {
                let going = attendees(db, id, &[RsvpStatus::Going]).await?;
                out.extend(
                    to_people(
                        db,
                        M::EventMoved,
                        &trigger,
                        going,
                        actor,
                        &letters::event_moved(&summary),
                    )
                    .await?,
                );
            }
        }
        K::EventCancelled => {
            let Some(id) = event_id else { return Ok(out) };
            let (event, summary) = load_event(db, mailroom, id).await?;
            let people = attendees(db, id, &[RsvpStatus::Going, RsvpStatus::Waitlisted]).await?;
            let cancelled = letters::event_cancelled(&summary);
            let about = format!("event:{id}");
            out.extend(to_people(db, M::EventCancelled, &about, people, actor, &cancelled).await?);
            if let Some(request_id) = event.request_id {
                let (_, summary) = load_request(db, mailroom, request_id).await?;
                let trainers = trainers_of(db, request_id).await?;
                let engagement = format!("request:{request_id}");
                let called_off = letters::engagement_cancelled(&summary);
                out.extend(to_people(db, M::EngagementCancelled, &engagement, trainers, actor, &called_off).await?);
            }
        }
        K::RsvpPromoted => {
            let (Some(id), Some(person)) = (event_id, user_id) else {
                return Ok(out);
            };
            let (_, summary) = load_event(db, mailroom, id).await?;
            out.extend(
                to_people(
                    db,
                    M::PlaceOffered,
                    &trigger,
                    vec![person],
                    actor,
                    &letters::place_offered(&summary),
                )
                .await?,
            );
        }
        K::RequestDelivered | K::MembershipRemoved | K::EventCreated | K::EventChanged | K::AccountErased => {}
    }
    Ok(out)
}

/// What the clock makes due: chasers of unanswered offers (and, after
/// twice as long, the coordinators), reminders the day before, and
/// requests whose windows are about to pass with nobody assigned.
async fn due_by_the_clock(
    db: &impl ConnectionTrait,
    mailroom: &Mailroom,
    now: DateTime<Utc>,
    scanned: &mut HashSet<String>,
) -> Result<Vec<Outgoing>> {
    let mut out = Vec::new();
    let mut still_due = HashSet::new();
    // Whether `key` was handled by an earlier scan; either way it is still
    // due now, so it is kept for the next one.
    let mut done_before = |key: String| {
        let before = scanned.contains(&key);
        still_due.insert(key);
        before
    };

    let unanswered = assignment::Entity::find()
        .filter(assignment::Column::Status.eq(AssignmentStatus::Proposed.as_str()))
        .filter(assignment::Column::CreatedAt.lte(now - mailroom.chase_after))
        .all(db)
        .await?;
    // An offer whose preferred dates have all passed can no longer be
    // accepted: chasing it (say, on the first start after an upgrade)
    // would only be noise.
    let last_days = last_window_ends(db, unanswered.iter().map(|o| o.request_id).collect()).await?;
    for offer in unanswered {
        let tell_coordinators = offer.created_at <= now - mailroom.chase_after - mailroom.chase_after;
        let chased_before = done_before(format!("chaser:{}", offer.id));
        let told_before = !tell_coordinators || done_before(format!("unanswered:{}", offer.id));
        if (chased_before && told_before) || last_days.get(&offer.request_id).is_none_or(|ends| *ends <= now) {
            continue;
        }
        let (request, summary) = load_request(db, mailroom, offer.request_id).await?;
        if request.state != RequestState::Assigned {
            continue;
        }
        let days = (now - offer.created_at).num_days().max(1);
        let trigger = format!("assignment:{}", offer.id);
        let chaser = letters::offer_chaser(&summary, days, mailroom.urls.page(&paths::offers()));
        out.extend(
            to_people(
                db,
                MessageKind::OfferChaser,
                &trigger,
                vec![offer.trainer_id],
                None,
                &chaser,
            )
            .await?,
        );
        if tell_coordinators {
            let name = display_name(db, offer.trainer_id).await?;
            let told = letters::offer_unanswered(&summary, &name, days, summary.status_url.clone());
            out.extend(
                to_people(
                    db,
                    MessageKind::OfferUnanswered,
                    &trigger,
                    coordinators(db).await?,
                    None,
                    &told,
                )
                .await?,
            );
        }
    }

    let engagements = assignment::Entity::find()
        .filter(assignment::Column::Status.eq(AssignmentStatus::Accepted.as_str()))
        .filter(assignment::Column::StartsAt.gt(now))
        .filter(assignment::Column::StartsAt.lte(now + REMIND_BEFORE))
        .all(db)
        .await?;
    for engagement in engagements {
        if done_before(format!(
            "engagement:{}@{}",
            engagement.id,
            engagement.starts_at.timestamp()
        )) {
            continue;
        }
        let (request, summary) = load_request(db, mailroom, engagement.request_id).await?;
        if request.state != RequestState::Confirmed {
            continue;
        }
        let event_url = match event::Entity::find()
            .filter(event::Column::RequestId.eq(request.id))
            .one(db)
            .await?
        {
            Some(event) => mailroom.urls.event_page(event.id),
            None => summary.status_url.clone(),
        };
        let when = letters::when(engagement.starts_at, "Europe/London");
        let trigger = format!("assignment:{}@{}", engagement.id, engagement.starts_at.timestamp());
        let reminder = letters::engagement_reminder(&summary, &when, event_url);
        out.extend(
            to_people(
                db,
                MessageKind::EngagementReminder,
                &trigger,
                vec![engagement.trainer_id],
                None,
                &reminder,
            )
            .await?,
        );
    }

    let soon = event::Entity::find()
        .filter(event::Column::Status.eq(EventStatus::Scheduled.as_str()))
        .filter(event::Column::StartsAt.gt(now))
        .filter(event::Column::StartsAt.lte(now + REMIND_BEFORE))
        .all(db)
        .await?;
    for event in soon {
        let going = attendees(db, event.id, &[RsvpStatus::Going]).await?;
        if going.is_empty() {
            continue;
        }
        let (_, summary) = load_event(db, mailroom, event.id).await?;
        let trigger = format!("event:{}@{}", event.id, event.starts_at.timestamp());
        out.extend(
            to_people(
                db,
                MessageKind::EventReminder,
                &trigger,
                going,
                None,
                &letters::event_reminder(&summary),
            )
            .await?,
        );
    }

    let waiting = request::Entity::find()
        .filter(request::Column::State.eq(RequestState::Submitted.as_str()))
        .all(db)
        .await?;
    if !waiting.is_empty() {
        let last_day = last_window_ends(db, waiting.iter().map(|r| r.id).collect()).await?;
        let staff = coordinators(db).await?;
        for request in waiting {
            let Some(ends) = last_day.get(&request.id).copied() else {
                continue;
            };
            if ends <= now || ends > now + WINDOWS_WARNING || done_before(format!("closing:{}", request.id)) {
                continue;
            }
            let (_, summary) = load_request(db, mailroom, request.id).await?;
            let trigger = format!("request:{}", request.id);
            let closing = letters::windows_closing(
                &summary,
                &letters::when(ends, "Europe/London"),
                summary.status_url.clone(),
            );
            out.extend(to_people(db, MessageKind::WindowsClosing, &trigger, staff.clone(), None, &closing).await?);
        }
    }
    *scanned = still_due;
    Ok(out)
}

/// When each request's last preferred window ends, in one query.
async fn last_window_ends(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<HashMap<Uuid, DateTime<Utc>>> {
    let mut last_day: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    if ids.is_empty() {
        return Ok(last_day);
    }
    for window in request_window::Entity::find()
        .filter(request_window::Column::RequestId.is_in(ids))
        .all(db)
        .await?
    {
        let latest = last_day.entry(window.request_id).or_insert(window.ends_at);
        *latest = (*latest).max(window.ends_at);
    }
    Ok(last_day)
}
