//! Requests, their assignments and history, and the public status page.
//!
//! A `Request` object is only made for a viewer who may see it (the
//! constructors check); its contact details are a field of their own,
//! checked and, for anyone but the requester, recorded in the subject's
//! access log before they are returned.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{assignment, request, request_transition};

use crate::{
    auth::Viewer,
    domain::{
        requests::{self, Span, matching::Suggestion},
        reveal::Reveal,
    },
    error::Error,
    graphql::{
        context::{loader, operation_name, viewer},
        error::ApiResult,
        loaders::{
            AssignmentsOfRequest, ContactOf, EventOfRequest, GroupById, HistoryOfRequest, RequestById, TopicById,
            UserById, ViewerAssignmentsTo, WindowsOfRequest,
        },
        prime,
        types::{Event, GqlAssignmentStatus, GqlRequestKind, GqlRequestState, Group, Topic, TrainerProfile, User},
    },
};

/// A span of time: a preferred window, a slot.
#[derive(SimpleObject, Clone, Copy)]
pub struct TimeRange {
    /// When it begins.
    pub starts_at: DateTime<Utc>,
    /// When it ends, after `startsAt`.
    pub ends_at: DateTime<Utc>,
}

impl From<Span> for TimeRange {
    fn from(span: Span) -> Self {
        Self {
            starts_at: span.starts_at,
            ends_at: span.ends_at,
        }
    }
}

/// Who to write to about an outside organisation's request. Private.
#[derive(SimpleObject)]
pub struct RequestContact {
    /// The contact person's name.
    pub name: Option<String>,
    /// The contact person's email address, to write to about the request.
    pub email: Option<String>,
}

async fn topic(ctx: &Context<'_>, topic_id: uuid::Uuid) -> ApiResult<Topic> {
    let topic = loader(ctx)?
        .load_one(TopicById(topic_id))
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Topic(topic))
}

pub struct Request {
    model: request::Model,
}

impl Request {
    /// The request as `viewer` relates to it; `FORBIDDEN` for anyone who
    /// may not see it.
    pub async fn for_viewer(ctx: &Context<'_>, model: request::Model) -> ApiResult<Self> {
        let viewer: &Viewer = viewer(ctx);
        let mine = loader(ctx)?
            .load_one(ViewerAssignmentsTo(model.id))
            .await?
            .unwrap_or_default();
        requests::relation(viewer, &model, &mine).may_view(viewer)?;
        Ok(Self { model })
    }

    /// A request the domain has already let the viewer see.
    pub fn seen(model: request::Model) -> Self {
        Self { model }
    }

    /// Several, for a list the viewer may see in full.
    pub async fn all_for_viewer(ctx: &Context<'_>, models: Vec<request::Model>) -> ApiResult<Vec<Self>> {
        prime::load_now(loader(ctx)?, models.iter().map(|m| ViewerAssignmentsTo(m.id))).await?;
        let mut out = Vec::with_capacity(models.len());
        for model in models {
            out.push(Self::for_viewer(ctx, model).await?);
        }
        Ok(out)
    }
}

/// A request for a speaker or a workshop, as its requester, its trainer
/// and coordinators see it.
#[Object]
impl Request {
    /// The request's id (a UUID), for the workflow mutations' `requestId`.
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }

    /// The public reference, e.g. `REQ-7K3Q9F`, for `requestStatus`.
    async fn reference(&self) -> &str {
        &self.model.reference
    }

    /// A speaker for the requester's own event, or a workshop.
    async fn kind(&self) -> GqlRequestKind {
        self.model.kind.into()
    }

    /// What it is to be about, from the catalogue.
    async fn topic(&self, ctx: &Context<'_>) -> ApiResult<Topic> {
        topic(ctx, self.model.topic_id).await
    }

    /// The local group asking; null for an outside organisation.
    async fn group(&self, ctx: &Context<'_>) -> ApiResult<Option<Group>> {
        let Some(group_id) = self.model.group_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?.load_one(GroupById(group_id)).await?.map(Group))
    }

    /// The outside organisation asking; null for a group's request.
    async fn organisation_name(&self) -> Option<&str> {
        self.model.organisation_name.as_deref()
    }

    /// An outside organisation's contact person: for the person who
    /// submitted it, the trainer while assigned, and coordinators (each
    /// such read is recorded in the submitter's access log). Null for a
    /// group's request and once purged after the retention period.
    async fn contact(&self, ctx: &Context<'_>) -> ApiResult<Option<RequestContact>> {
        let key = ContactOf {
            request_id: self.model.id,
            operation: operation_name(ctx).into(),
        };
        let contact = loader(ctx)?
            .load_one(key)
            .await?
            .unwrap_or(Reveal::Refused)
            .into_result()?;
        Ok(contact.map(|c| RequestContact {
            name: c.name,
            email: c.email,
        }))
    }

    /// When the contact details were removed under the retention policy.
    async fn contact_purged_at(&self) -> Option<DateTime<Utc>> {
        self.model.contact_purged_at
    }

    /// Whether it is to take place online.
    async fn online(&self) -> bool {
        self.model.online
    }

    /// The town or city where it would take place; null for an online request that
    /// gave none.
    async fn town(&self) -> Option<&str> {
        self.model.town.as_deref()
    }

    /// The first part of the postcode only, e.g. `LS6`.
    async fn postcode_area(&self) -> Option<&str> {
        self.model.postcode_area.as_deref()
    }

    /// The region it is in, as the network names them; a group's request has its
    /// group's. Null when an outside organisation gave none.
    async fn region(&self) -> Option<&str> {
        self.model.region.as_deref()
    }

    /// How many people the requester expects, 1 to 100,000; null when not said.
    async fn expected_audience(&self) -> Option<i32> {
        self.model.expected_audience
    }

    /// What the requester wants the trainer to know, in plain text; may be empty.
    /// At most 4,000 characters.
    async fn notes(&self) -> &str {
        &self.model.notes
    }

    /// Whether the event may be listed publicly.
    async fn public_event(&self) -> bool {
        self.model.public_event
    }

    /// Where it is in the workflow.
    async fn state(&self) -> GqlRequestState {
        self.model.state.into()
    }

    /// Pass it back to workflow steps: a step on an older version is
    /// refused with `CONFLICT`.
    async fn version(&self) -> i32 {
        self.model.version
    }

    /// When it was sent in.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }

    /// When it last moved or changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }

    /// When it reached a final state (delivered, declined, withdrawn or cancelled);
    /// null until then.
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.model.ended_at
    }

    /// Why a coordinator turned it down; null unless `DECLINED`.
    async fn decline_reason(&self) -> Option<&str> {
        self.model.decline_reason.as_deref()
    }

    /// People who came, as reported on delivery.
    async fn attendance(&self) -> Option<i32> {
        self.model.attendance
    }

    /// How it went, as reported on delivery; at most 4,000 characters.
    async fn feedback(&self) -> Option<&str> {
        self.model.feedback.as_deref()
    }

    /// The account that submitted it; null when submitted without one.
    async fn submitted_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(user_id) = self.model.submitted_by else {
            return Ok(None);
        };
        Ok(loader(ctx)?.load_one(UserById(user_id)).await?.map(User::new))
    }

    /// One to three windows the requester can do, by start.
    async fn preferred_windows(&self, ctx: &Context<'_>) -> ApiResult<Vec<TimeRange>> {
        let windows = loader(ctx)?
            .load_one(WindowsOfRequest(self.model.id))
            .await?
            .unwrap_or_default();
        Ok(windows.into_iter().map(TimeRange::from).collect())
    }

    /// Every trainer proposed for it, oldest first.
    async fn assignments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Assignment>> {
        let all = loader(ctx)?
            .load_one(AssignmentsOfRequest(self.model.id))
            .await?
            .unwrap_or_default();
        Ok(all.into_iter().map(Assignment).collect())
    }

    /// The proposal waiting for an answer, or the accepted engagement.
    async fn current_assignment(&self, ctx: &Context<'_>) -> ApiResult<Option<Assignment>> {
        let all = loader(ctx)?
            .load_one(AssignmentsOfRequest(self.model.id))
            .await?
            .unwrap_or_default();
        Ok(all
            .into_iter()
            .rev()
            .find(|a| requests::is_open(a.status))
            .map(Assignment))
    }

    /// The calendar event the accepted engagement created.
    async fn event(&self, ctx: &Context<'_>) -> ApiResult<Option<Event>> {
        Ok(loader(ctx)?
            .load_one(EventOfRequest(self.model.id))
            .await?
            .flatten()
            .map(Event))
    }

    /// Every step it went through, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<RequestTransition>> {
        let rows = loader(ctx)?
            .load_one(HistoryOfRequest(self.model.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(RequestTransition).collect())
    }
}

pub struct Assignment(pub assignment::Model);

/// A trainer proposed for a request, and their answer.
#[Object]
impl Assignment {
    /// The assignment's id (a UUID), for `respondToAssignment`.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Waiting for the trainer's answer, accepted, or declined.
    async fn status(&self) -> GqlAssignmentStatus {
        self.0.status.into()
    }

    /// The trainer's name (and, to those who may, more).
    async fn trainer(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let user = loader(ctx)?
            .load_one(UserById(self.0.trainer_id))
            .await?
            .ok_or(Error::NotFound)?;
        Ok(User::new(user))
    }

    /// While proposed: the span of the preferred windows the trainer was
    /// free in. Once accepted: the engagement's slot.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }

    /// The end of that span or slot.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }

    /// The coordinator's note to the trainer.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// When the coordinator proposed the trainer.
    async fn assigned_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the trainer answered; null while proposed.
    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }

    /// The request, for those who may see it.
    async fn request(&self, ctx: &Context<'_>) -> ApiResult<Request> {
        let model = loader(ctx)?
            .load_one(RequestById(self.0.request_id))
            .await?
            .ok_or(Error::NotFound)?;
        Request::for_viewer(ctx, model).await
    }
}

pub struct RequestTransition(pub request_transition::Model);

/// One step of a request's history.
#[Object]
impl RequestTransition {
    /// Null for the submission.
    async fn from_state(&self) -> Option<GqlRequestState> {
        self.0.from_state.map(Into::into)
    }

    /// The state it moved to.
    async fn to_state(&self) -> GqlRequestState {
        self.0.to_state.into()
    }

    /// When it moved.
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who took the step; null for a submission without an account.
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        let Some(actor_id) = self.0.actor_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?.load_one(UserById(actor_id)).await?.map(User::new))
    }

    /// What was said with the step: the coordinator's note, a reason, the trainer's
    /// answer; null when nothing was.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

pub struct RequestStatus(pub requests::PublicStatus);

/// A step in the public history.
#[derive(SimpleObject)]
pub struct StatusChange {
    /// The state it moved to.
    pub state: GqlRequestState,
    /// When it moved.
    pub at: DateTime<Utc>,
}

/// What anyone holding a request's reference may see: where it is, and
/// when it moved. Nobody's name, contact or notes.
#[Object]
impl RequestStatus {
    /// The reference it was looked up by, e.g. `REQ-7K3Q9F`.
    async fn reference(&self) -> &str {
        &self.0.reference
    }

    /// A speaker or a workshop.
    async fn kind(&self) -> GqlRequestKind {
        self.0.kind.into()
    }

    /// What it is about, from the catalogue.
    async fn topic(&self) -> Topic {
        Topic(self.0.topic.clone())
    }

    /// Where it is in the workflow.
    async fn state(&self) -> GqlRequestState {
        self.0.state.into()
    }

    /// When it was sent in.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }

    /// When it last moved.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The states it went through, oldest first.
    async fn history(&self) -> Vec<StatusChange> {
        self.0
            .history
            .iter()
            .map(|&(state, at)| StatusChange {
                state: state.into(),
                at,
            })
            .collect()
    }

    /// Once confirmed: when it takes place.
    async fn scheduled(&self) -> Option<TimeRange> {
        self.0.scheduled.map(TimeRange::from)
    }

    /// The calendar event, while it is listed publicly and not cancelled.
    async fn event(&self) -> Option<Event> {
        self.0.public_event.clone().map(Event)
    }
}

/// What `submitRequest` answers.
#[derive(SimpleObject)]
pub struct RequestReceipt {
    /// Keep it to follow the request with `requestStatus`.
    pub reference: String,
    /// Where it is now, as `requestStatus` shows it.
    pub status: RequestStatus,
    /// The request itself, for a submitter with an account.
    pub request: Option<Request>,
}

pub struct TrainerSuggestion(pub Suggestion);

/// A trainer who can take a request, with the reasons.
#[Object]
impl TrainerSuggestion {
    /// The trainer, with their topics, regions and cap.
    async fn trainer(&self) -> TrainerProfile {
        TrainerProfile(self.0.trainer.clone())
    }

    /// Always true: only trainers who cover the topic are suggested.
    async fn covers_topic(&self) -> bool {
        true
    }

    /// They cover the request's region.
    async fn same_region(&self) -> bool {
        self.0.same_region
    }

    /// The preferred windows with room for the engagement.
    async fn free_windows(&self) -> Vec<TimeRange> {
        self.0.free_windows.iter().copied().map(TimeRange::from).collect()
    }

    /// Engagements in the last 90 days.
    async fn recent_load(&self) -> u32 {
        self.0.recent_load
    }
}
