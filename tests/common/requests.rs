//! Requests in the small network, one per relation a person can have to a
//! request, written straight to the database through the workflow's steps.

use chrono::Duration;
use entity::{assignment, request_transition};
use muster::fixtures::{RequestBuilder, RequestRows};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

/// The outside organisation's contact: visible to coordinators and the
/// trainer assigned, to nobody else.
pub const OUTSIDE_CONTACT_EMAIL: &str = "outside-contact@union.example.org";

/// Every state a request can be in, as the API and the database name it,
/// in alphabetical order.
pub const EVERY_STATE: [&str; 7] = [
    "ASSIGNED",
    "CANCELLED",
    "CONFIRMED",
    "DECLINED",
    "DELIVERED",
    "SUBMITTED",
    "WITHDRAWN",
];

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

/// A workshop for the topic in Cardiff, submitted five days ago.
fn request(ids: &Ids, reference: &str) -> RequestBuilder {
    RequestBuilder::new(ids.topic, super::now() - Duration::days(5))
        .reference(reference)
        .audience(25)
}

async fn insert(db: &DatabaseConnection, request: RequestBuilder) -> RequestRows {
    request.insert(db).await.unwrap()
}

/// Three requests as above (the trainer covers the topic in Wales).
pub async fn build(db: &DatabaseConnection, ids: &Ids) -> RequestFixture {
    let now = super::now();
    // Whole days from one anchor, so a slot a test picks at a fixed hour
    // (`common::day(30, 12)`) lies inside these windows at any hour.
    let days = |d: i64| super::day(d, 0);
    let alpha_reference = "REQ-ALPH2A".to_owned();
    let alpha = request(ids, &alpha_reference)
        .group(ids.alpha)
        .submitted_by(ids.organiser)
        .window(days(30), days(32));
    let alpha = insert(db, alpha).await;
    let outside_window = (days(40), days(42));
    let outside = request(ids, "REQ-QTS2DE")
        .organisation("Outside Union Branch")
        .contact("Outside Contact", OUTSIDE_CONTACT_EMAIL)
        .window(outside_window.0, outside_window.1)
        .assigned(ids.coordinator, ids.trainer)
        .slot(outside_window.0, outside_window.1);
    let outside = insert(db, outside).await;
    let beta = request(ids, "REQ-BETA33")
        .group(ids.beta)
        .submitted_by(ids.other_organiser)
        .window(now - Duration::days(3), now - Duration::minutes(30))
        .assigned(ids.coordinator, ids.trainer)
        .slot(now - Duration::hours(3), now - Duration::hours(1))
        .accepted();
    let beta = insert(db, beta).await;
    RequestFixture {
        alpha_request: alpha.request.id,
        alpha_reference,
        outside_request: outside.request.id,
        proposal: outside.assignments[0].id,
        beta_request: beta.request.id,
    }
}

/// How many proposals and history rows `request` has: what concurrent
/// changes to it may leave behind.
pub async fn proposals_and_transitions(db: &DatabaseConnection, request: Uuid) -> (u64, u64) {
    let proposals = assignment::Entity::find()
        .filter(assignment::Column::RequestId.eq(request))
        .count(db)
        .await
        .unwrap();
    let transitions = request_transition::Entity::find()
        .filter(request_transition::Column::RequestId.eq(request))
        .count(db)
        .await
        .unwrap();
    (proposals, transitions)
}
