//! Requests in the small network, one per relation a person can have to a
//! request, written straight to the database.

use chrono::{DateTime, Duration, Utc};
use entity::{
    AssignmentStatus, RequestKind, RequestState, assignment, request, request_transition, request_window,
    trainer_region, trainer_topic,
};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use uuid::Uuid;

/// The outside organisation's contact: visible to coordinators and the
/// trainer assigned, to nobody else.
pub const OUTSIDE_CONTACT_EMAIL: &str = "outside-contact@union.example.org";

#[derive(Debug, Clone, Default)]
pub struct RequestFixture {
    /// Alpha's own request, submitted by its organiser, waiting.
    pub alpha_request: Uuid,
    pub alpha_reference: String,
    /// An outside organisation's, submitted without an account, proposed
    /// to the trainer.
    pub outside_request: Uuid,
    /// The trainer's open proposal for it.
    pub proposal: Uuid,
    /// Beta's, confirmed with the trainer, the engagement just ended.
    pub beta_request: Uuid,
}

pub struct Ids {
    pub alpha: Uuid,
    pub beta: Uuid,
    pub organiser: Uuid,
    pub other_organiser: Uuid,
    pub trainer: Uuid,
    pub coordinator: Uuid,
    pub topic: Uuid,
}

struct Spec<'a> {
    reference: &'a str,
    group_id: Option<Uuid>,
    submitted_by: Option<Uuid>,
    state: RequestState,
    window: (DateTime<Utc>, DateTime<Utc>),
    history: &'a [RequestState],
}

async fn add_request(db: &DatabaseConnection, ids: &Ids, spec: Spec<'_>) -> Uuid {
    let now = super::now();
    let id = Uuid::new_v4();
    let outside = spec.group_id.is_none();
    request::ActiveModel {
        id: Set(id),
        reference: Set(spec.reference.to_owned()),
        kind: Set(RequestKind::Workshop),
        topic_id: Set(ids.topic),
        group_id: Set(spec.group_id),
        organisation_name: Set(outside.then(|| "Outside Union Branch".to_owned())),
        contact_name: Set(outside.then(|| "Outside Contact".to_owned())),
        contact_email: Set(outside.then(|| OUTSIDE_CONTACT_EMAIL.to_owned())),
        online: Set(false),
        town: Set(Some("Cardiff".into())),
        postcode_area: Set(Some("CF10".into())),
        region: Set(Some("Wales".into())),
        expected_audience: Set(Some(25)),
        notes: Set(String::new()),
        state: Set(spec.state),
        version: Set(spec.history.len() as i32),
        submitted_by: Set(spec.submitted_by),
        decline_reason: Set(None),
        ended_at: Set(None),
        contact_purged_at: Set(None),
        public_event: Set(true),
        attendance: Set(None),
        feedback: Set(None),
        created_at: Set(now - Duration::days(5)),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    request_window::ActiveModel {
        id: Set(Uuid::new_v4()),
        request_id: Set(id),
        starts_at: Set(spec.window.0),
        ends_at: Set(spec.window.1),
    }
    .insert(db)
    .await
    .unwrap();
    let mut from = None;
    for (k, state) in spec.history.iter().enumerate() {
        request_transition::ActiveModel {
            id: Set(Uuid::new_v4()),
            request_id: Set(id),
            from_state: Set(from),
            to_state: Set(*state),
            actor_id: Set(if k == 0 {
                spec.submitted_by
            } else {
                Some(ids.coordinator)
            }),
            note: Set(None),
            created_at: Set(now - Duration::days(5) + Duration::hours(k as i64)),
        }
        .insert(db)
        .await
        .unwrap();
        from = Some(*state);
    }
    id
}

async fn add_assignment(
    db: &DatabaseConnection,
    ids: &Ids,
    request_id: Uuid,
    status: AssignmentStatus,
    slot: (DateTime<Utc>, DateTime<Utc>),
) -> Uuid {
    let id = Uuid::new_v4();
    assignment::ActiveModel {
        id: Set(id),
        request_id: Set(request_id),
        trainer_id: Set(ids.trainer),
        status: Set(status),
        starts_at: Set(slot.0),
        ends_at: Set(slot.1),
        assigned_by: Set(Some(ids.coordinator)),
        note: Set(None),
        created_at: Set(super::now() - Duration::days(4)),
        responded_at: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
    id
}

/// The trainer covers the topic in Wales; three requests as above.
pub async fn build(db: &DatabaseConnection, ids: &Ids) -> RequestFixture {
    use RequestState::*;
    trainer_topic::ActiveModel {
        trainer_id: Set(ids.trainer),
        topic_id: Set(ids.topic),
    }
    .insert(db)
    .await
    .unwrap();
    trainer_region::ActiveModel {
        trainer_id: Set(ids.trainer),
        region: Set("Wales".into()),
    }
    .insert(db)
    .await
    .unwrap();
    let now = super::now();
    // Whole days from one anchor, so a slot a test picks at a fixed hour
    // (`common::day(30, 12)`) lies inside these windows at any hour.
    let days = |d: i64| super::day(d, 0);
    let alpha_reference = "REQ-ALPH2A".to_owned();
    let alpha_request = add_request(
        db,
        ids,
        Spec {
            reference: &alpha_reference,
            group_id: Some(ids.alpha),
            submitted_by: Some(ids.organiser),
            state: Submitted,
            window: (days(30), days(32)),
            history: &[Submitted],
        },
    )
    .await;
    let outside_window = (days(40), days(42));
    let outside_request = add_request(
        db,
        ids,
        Spec {
            reference: "REQ-QTS2DE",
            group_id: None,
            submitted_by: None,
            state: Assigned,
            window: outside_window,
            history: &[Submitted, Assigned],
        },
    )
    .await;
    let proposal = add_assignment(db, ids, outside_request, AssignmentStatus::Proposed, outside_window).await;
    let beta_request = add_request(
        db,
        ids,
        Spec {
            reference: "REQ-BETA33",
            group_id: Some(ids.beta),
            submitted_by: Some(ids.other_organiser),
            state: Confirmed,
            window: (now - Duration::days(3), now - Duration::minutes(30)),
            history: &[Submitted, Assigned, Confirmed],
        },
    )
    .await;
    let slot = (now - Duration::hours(3), now - Duration::hours(1));
    add_assignment(db, ids, beta_request, AssignmentStatus::Accepted, slot).await;
    RequestFixture {
        alpha_request,
        alpha_reference,
        outside_request,
        proposal,
        beta_request,
    }
}
