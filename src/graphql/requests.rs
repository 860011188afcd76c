//! Speaker and workshop requests: intake, the workflow, matching and the
//! queues. Each resolver reads its arguments and hands over to
//! `domain::requests`.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::request;
use uuid::Uuid;

use crate::{
    auth::Viewer,
    domain::{
        Work, in_work,
        requests::{self, NewRequest, RequestFilter, RequestPosition, Span, matching, transitions},
    },
    error::Error,
    graphql::{
        context::{client_address, db, now, rate_limits, viewer},
        error::ApiResult,
        pagination::{PageArgs, PagedConnection, connection},
        parse_id, prime,
        trainers::TimeRangeInput,
        types::{
            Assignment, GqlRequestKind, GqlRequestState, Request, RequestReceipt, RequestStatus, TrainerSuggestion,
        },
    },
};

/// A request for a speaker or a workshop. Please do not enter anyone's
/// immigration status or health details anywhere in it.
#[derive(InputObject)]
pub struct SubmitRequestInput {
    /// A speaker for your own event, or a workshop run by a trainer.
    pub kind: GqlRequestKind,
    /// A topic of the catalogue (`topics`).
    pub topic_id: ID,
    /// For a local group's own request: the group's slug (its organisers
    /// only). Leave it out for an outside organisation.
    pub group_slug: Option<String>,
    /// Required for an outside organisation, e.g. "Riverside UNISON branch".
    pub organisation_name: Option<String>,
    /// Required for an outside organisation: who the network writes to.
    pub contact_name: Option<String>,
    /// Required for an outside organisation: the contact person's email
    /// address. Private: seen by coordinators and the assigned trainer (and
    /// by you, if you submit signed in).
    pub contact_email: Option<String>,
    /// One to three periods that would suit, each in the future.
    pub preferred_windows: Vec<TimeRangeInput>,
    /// Whether it is to take place online (default no).
    #[graphql(default)]
    pub online: bool,
    /// Required unless online.
    pub town: Option<String>,
    /// The first part of the postcode only, e.g. `LS6`.
    pub postcode_area: Option<String>,
    /// The region, as the network names them (e.g. `North West`); a
    /// group's request takes its group's.
    pub region: Option<String>,
    /// How many people you expect, 1 to 100,000.
    pub expected_audience: Option<i32>,
    /// Anything the trainer should know. Not anyone's immigration or
    /// health details.
    #[graphql(default)]
    pub notes: String,
    /// Whether the event may be listed in the public calendar (default
    /// yes). No: a group's event is for its members; an outside
    /// organisation's is seen only by coordinators and the trainer.
    #[graphql(default = true)]
    pub public_event: bool,
}

/// Narrows the coordinators' queue; every given field narrows.
#[derive(InputObject, Default)]
pub struct RequestFilterInput {
    /// Default: those waiting on the network (SUBMITTED, ASSIGNED); ask
    /// for CONFIRMED to follow up engagements.
    #[graphql(default)]
    pub states: Vec<GqlRequestState>,
    /// Only requests of these kinds.
    #[graphql(default)]
    pub kinds: Vec<GqlRequestKind>,
    /// Topic slug.
    pub topic: Option<String>,
    /// Only requests in this region (case-insensitive).
    pub region: Option<String>,
    /// Group slug.
    pub group: Option<String>,
}

fn span(range: TimeRangeInput) -> Span {
    Span::new(range.starts_at, range.ends_at)
}

#[derive(Default)]
pub struct RequestQuery;

#[Object]
impl RequestQuery {
    /// A request, for its requester, its trainer and coordinators.
    async fn request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's `id`; for its public reference, use `requestStatus`.")] id: ID,
    ) -> ApiResult<Request> {
        let (model, _) = requests::get(db(ctx), viewer(ctx), parse_id("id", &id)?).await?;
        Ok(Request::seen(model))
    }

    /// Where a request is, by its reference: for requesters without an
    /// account. Shows no one's personal data.
    async fn request_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reference given on submission, e.g. `REQ-7K3Q9F`.")] reference: String,
    ) -> ApiResult<RequestStatus> {
        rate_limits(ctx)?.status_lookups.check(&client_address(ctx).key())?;
        Ok(RequestStatus(requests::public_status(db(ctx), &reference).await?))
    }

    /// Coordinators and admins: requests waiting to be dealt with, oldest
    /// first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which requests; without it, those `SUBMITTED` or `ASSIGNED`.")] filter: Option<
            RequestFilterInput,
        >,
        #[graphql(desc = "How many to return: 1 to 100, 20 if omitted.")] first: Option<i32>,
        #[graphql(
            desc = "Continue after this cursor: the previous page's `pageInfo.endCursor`. Omit it for the first page."
        )]
        after: Option<String>,
    ) -> ApiResult<PagedConnection<Request>> {
        let args = PageArgs::<RequestPosition>::parse(first, after)?;
        let input = filter.unwrap_or_default();
        let filter = RequestFilter {
            states: input.states.into_iter().map(Into::into).collect(),
            kinds: input.kinds.into_iter().map(Into::into).collect(),
            topic: input.topic,
            region: input.region,
            group: input.group,
        };
        let page = requests::queue(db(ctx), viewer(ctx), &filter, args.after.as_ref(), args.first).await?;
        prime::requests(ctx, &page.rows).await?;
        connection(&args, page, async |rows| Request::all_for_viewer(ctx, rows).await).await
    }

    /// Your requests, and your groups' if you organise one; newest first,
    /// the latest 100.
    async fn my_requests(&self, ctx: &Context<'_>) -> ApiResult<Vec<Request>> {
        let models = requests::mine(db(ctx), viewer(ctx)).await?;
        Request::all_for_viewer(ctx, models).await
    }

    /// Trainers: proposals waiting for your answer and engagements to come,
    /// by start; every one with `includePast`.
    async fn my_assignments(
        &self,
        ctx: &Context<'_>,
        #[graphql(default, desc = "Also answered proposals and engagements that have ended.")] include_past: bool,
    ) -> ApiResult<Vec<Assignment>> {
        let rows = requests::my_assignments(db(ctx), viewer(ctx), include_past, now(ctx)).await?;
        Ok(rows.into_iter().map(Assignment).collect())
    }

    /// Coordinators and admins: trainers who cover the topic and are free
    /// in a preferred window, in the request's region first, then the
    /// lightest recent load first, each with the reasons.
    async fn suggest_trainers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request to find trainers for.")] request_id: ID,
    ) -> ApiResult<Vec<TrainerSuggestion>> {
        let suggestions =
            matching::suggest(db(ctx), viewer(ctx), parse_id("requestId", &request_id)?, now(ctx)).await?;
        let trainer_ids: Vec<Uuid> = suggestions.iter().map(|s| s.trainer.id).collect();
        prime::trainers(ctx, Some("trainer"), &trainer_ids).await?;
        Ok(suggestions.into_iter().map(TrainerSuggestion).collect())
    }
}

/// Takes the request named `requestId` one step through the workflow in
/// a unit of work of its own, and answers it as the viewer may see it.
async fn step(
    ctx: &Context<'_>,
    request_id: &ID,
    step: impl AsyncFnOnce(&Work, &Viewer, Uuid, DateTime<Utc>) -> Result<request::Model, Error>,
) -> ApiResult<Request> {
    let request_id = parse_id("requestId", request_id)?;
    let model = in_work(db(ctx), async |work| {
        step(work, viewer(ctx), request_id, now(ctx)).await
    })
    .await?;
    Request::for_viewer(ctx, model).await
}

#[derive(Default)]
pub struct RequestMutation;

#[Object]
impl RequestMutation {
    /// Asks for a speaker or a workshop: a group's organisers for their
    /// group, or anyone, with or without an account, for an outside
    /// organisation. Without an account it is limited per address.
    async fn submit_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What is asked for, when and where.")] input: SubmitRequestInput,
    ) -> ApiResult<RequestReceipt> {
        let viewer = viewer(ctx);
        if viewer.user_id().is_none() {
            rate_limits(ctx)?.anonymous_requests.check(&client_address(ctx).key())?;
        }
        let new = NewRequest {
            kind: input.kind.into(),
            topic_id: parse_id("topicId", &input.topic_id)?,
            group_slug: input.group_slug,
            organisation_name: input.organisation_name,
            contact_name: input.contact_name,
            contact_email: input.contact_email,
            windows: input.preferred_windows.into_iter().map(span).collect(),
            online: input.online,
            town: input.town,
            postcode_area: input.postcode_area,
            region: input.region,
            expected_audience: input.expected_audience,
            notes: input.notes,
            public_event: input.public_event,
        };
        let model = in_work(db(ctx), async |work| {
            requests::submit(work, viewer, new, now(ctx)).await
        })
        .await?;
        let request = match viewer.user_id() {
            Some(_) => Some(Request::for_viewer(ctx, model.clone()).await?),
            None => None,
        };
        Ok(RequestReceipt {
            reference: model.reference.clone(),
            status: RequestStatus(requests::public_status_of(db(ctx), model).await?),
            request,
        })
    }

    /// Coordinators: proposes a trainer. Refused with `TRAINER_UNAVAILABLE`
    /// (and `extensions.reason`) when they do not cover the topic or have
    /// no room in any preferred window; `CONFLICT` when `version` is stale.
    async fn assign_trainer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's `id` (not its public reference).")] request_id: ID,
        #[graphql(desc = "The trainer to propose.")] trainer_id: ID,
        #[graphql(
            desc = "The request's `version` as you last read it; refused with `CONFLICT` if it has moved on since."
        )]
        version: i32,
        #[graphql(desc = "A note to the trainer; at most 2,000 characters.")] note: Option<String>,
    ) -> ApiResult<Request> {
        step(ctx, &request_id, async |work, viewer, id, now| {
            transitions::assign(
                work,
                viewer,
                id,
                parse_id("trainerId", &trainer_id)?,
                version,
                note.as_deref(),
                now,
            )
            .await
        })
        .await
    }

    /// The proposed trainer answers. Accepting names the slot, inside a
    /// preferred window, and puts the engagement in the calendar.
    async fn respond_to_assignment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The proposal you answer.")] assignment_id: ID,
        #[graphql(desc = "True to take it on, false to decline it.")] accept: bool,
        #[graphql(
            desc = "When accepting: the engagement's start and end, in the future and inside one of the preferred windows. Left out when declining."
        )]
        slot: Option<TimeRangeInput>,
        #[graphql(desc = "A note for the coordinator; at most 2,000 characters.")] note: Option<String>,
    ) -> ApiResult<Assignment> {
        let (_, answered) = in_work(db(ctx), async |work| {
            transitions::respond(
                work,
                viewer(ctx),
                parse_id("assignmentId", &assignment_id)?,
                accept,
                slot.map(span),
                note.as_deref(),
                now(ctx),
            )
            .await
        })
        .await?;
        Ok(Assignment(answered))
    }

    /// Coordinators turn a submitted request down, saying why.
    async fn decline_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's `id` (not its public reference).")] request_id: ID,
        #[graphql(desc = "Why, for the requester; at most 2,000 characters.")] reason: String,
        #[graphql(
            desc = "The request's `version` as you last read it; if given, a stale one is refused with `CONFLICT`."
        )]
        version: Option<i32>,
    ) -> ApiResult<Request> {
        step(ctx, &request_id, async |work, viewer, id, now| {
            transitions::decline(work, viewer, id, &reason, version, now).await
        })
        .await
    }

    /// The requester (or a coordinator on their behalf) calls it off before
    /// delivery; a confirmed engagement's event is cancelled.
    async fn withdraw_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's `id` (not its public reference).")] request_id: ID,
        #[graphql(desc = "Why it is called off; at most 2,000 characters.")] reason: Option<String>,
        #[graphql(
            desc = "The request's `version` as you last read it; if given, a stale one is refused with `CONFLICT`."
        )]
        version: Option<i32>,
    ) -> ApiResult<Request> {
        step(ctx, &request_id, async |work, viewer, id, now| {
            transitions::withdraw(work, viewer, id, reason.as_deref(), version, now).await
        })
        .await
    }

    /// The coordinator or the trainer, once the engagement has ended.
    async fn mark_delivered(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's `id` (not its public reference).")] request_id: ID,
        #[graphql(desc = "How many people came, 0 to 100,000.")] attendance: Option<i32>,
        #[graphql(desc = "How it went; at most 4,000 characters.")] feedback: Option<String>,
        #[graphql(
            desc = "The request's `version` as you last read it; if given, a stale one is refused with `CONFLICT`."
        )]
        version: Option<i32>,
    ) -> ApiResult<Request> {
        step(ctx, &request_id, async |work, viewer, id, now| {
            transitions::mark_delivered(work, viewer, id, attendance, feedback.as_deref(), version, now).await
        })
        .await
    }

    /// Coordinators cancel a confirmed engagement; its event is cancelled
    /// and calendars show it struck through.
    async fn cancel_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request's `id` (not its public reference).")] request_id: ID,
        #[graphql(desc = "Why it is cancelled; at most 2,000 characters.")] reason: Option<String>,
        #[graphql(
            desc = "The request's `version` as you last read it; if given, a stale one is refused with `CONFLICT`."
        )]
        version: Option<i32>,
    ) -> ApiResult<Request> {
        step(ctx, &request_id, async |work, viewer, id, now| {
            transitions::cancel(work, viewer, id, reason.as_deref(), version, now).await
        })
        .await
    }
}
